"""`dti` starts without the web stack: `dti --help` and `dti keys …` load FastAPI, uvicorn and the
scoring core only in the commands that run them (a second and more of start-up on these machines)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.e2e.server import ROOT

HEAVY = ("fastapi", "uvicorn", "faust", "aiokafka", "ruamel.yaml", "structlog", "shared.scoring.engine")


def test_the_cli_module_loads_none_of_the_services_dependencies() -> None:
    probe = "import sys, services.cli.main; print(' '.join(m for m in " + repr(HEAVY) + " if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_lists_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "services.cli", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    # the Commands box: one command name first on its line, its help after it
    listed = set(re.findall(r"^\W+([a-z]+)  ", out.stdout.split("Commands", 1)[1], flags=re.MULTILINE))
    assert listed == {"up", "ingest", "scoring", "alerts", "keys", "rules", "simulate", "demo", "bench"}
