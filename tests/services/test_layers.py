"""The layers hold: the two modes stand on services.kernel and never on each other, and the domain core
(shared/) knows nothing of the adapters. Read from the source with ast, so an import inside a function, under
TYPE_CHECKING or in a module nothing imports yet counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, source: str | None = None) -> set[str]:
    """Every module the file at `path` imports, absolute (relative imports resolved against its package);
    `source` in place of the file's text."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    text = source if source is not None else path.read_text(encoding="utf-8")
    out: set[str] = set()
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)  # `from services import embedded`
    return out


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def offending(sources: str, forbidden: str) -> list[str]:
    found = []
    for path in sorted((ROOT / sources).rglob("*.py")):
        found += [f"{path.relative_to(ROOT)} imports {m}" for m in sorted(imports_of(path)) if within(m, forbidden)]
    return found


@pytest.mark.parametrize(
    ("sources", "forbidden"),
    [
        ("services/kafka", "services.embedded"),
        ("services/embedded", "services.kafka"),
        ("services/kernel", "services.embedded"),
        ("services/kernel", "services.kafka"),
        ("shared", "services"),
    ],
)
def test_layer_does_not_import(sources: str, forbidden: str) -> None:
    assert (ROOT / sources).is_dir()
    assert offending(sources, forbidden) == []


def test_the_walk_sees_every_form_of_import() -> None:
    """Absolute, from-, relative and function-local imports are all found, as in a file in services/kafka."""
    code = (
        "import services.embedded.storage\n"
        "from services import embedded\n"
        "from ..embedded.runtime import EmbeddedRuntime\n"
        "def f():\n    from services.embedded import app\n"
        "import services.kernel\n"
    )
    found = imports_of(ROOT / "services" / "kafka" / "probe.py", code)
    assert {m for m in found if within(m, "services.embedded")} == {
        "services.embedded",
        "services.embedded.storage",
        "services.embedded.runtime",
        "services.embedded.runtime.EmbeddedRuntime",
        "services.embedded.app",
    }
