"""The command-line tools the deploy checks run for real: Debian's Prometheus and Alertmanager tools
(scripts/system-deps), and the linters and renderers the dev dependencies install into .venv (uv.lock).
A missing tool fails the test that needs it: CI installs every one of them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent


def tool(name: str, hint: str) -> str:
    """The path of a tool: the virtualenv's own first (installed from uv.lock), then PATH."""
    local = VENV_BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    assert found, f"{name} is missing: {hint}"
    return found


def run(
    *args: str, cwd: Path = ROOT, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, input=stdin)


def promtool() -> str:
    return tool("promtool", "scripts/system-deps installs Debian's prometheus package")


def amtool() -> str:
    return tool("amtool", "scripts/system-deps installs Debian's prometheus-alertmanager package")
