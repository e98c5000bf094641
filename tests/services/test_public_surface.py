"""The domain core has a public surface: shared.rules, shared.scoring and shared.alerts re-export what the
services use in `__all__`, and the services import shared only through it (the packages, the names in their
`__all__`, and shared's own top-level modules), never a subpackage's modules. Read from the source with ast,
so an import inside a function or under TYPE_CHECKING counts too."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import shared

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared.rules", "shared.scoring", "shared.alerts")
# none left behind (services/kafka moved to the public API too)
NOT_YET: tuple[str, ...] = ()
# (file, module) pairs allowed to reach past the public API, each with its reason; none at present
EXCEPTIONS: dict[tuple[str, str], str] = {}


def public_modules() -> set[str]:
    """shared itself, its subpackages, and its top-level modules (shared.errors, shared.periods, …)."""
    return {"shared", *(f"shared.{name}" for name in shared.__all__)}


def private_imports(path: Path, source: str | None = None) -> list[str]:
    """What the file imports from shared that is not public: a module under a subpackage
    (shared.rules.model), or a name its package does not list in `__all__`."""
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    text = source if source is not None else path.read_text(encoding="utf-8")
    public = public_modules()
    found = []
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.Import):
            modules = [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            modules = [(node.module, [a.name for a in node.names])]
        else:
            continue
        for module, names in modules:
            if not (module == "shared" or module.startswith("shared.")) or (rel, module) in EXCEPTIONS:
                continue
            if module not in public:
                found.append(f"{rel}:{node.lineno} imports {module}")
            elif module == "shared" or module in PACKAGES:
                listed = importlib.import_module(module).__all__
                found += [
                    f"{rel}:{node.lineno} imports {module}.{n} (not in __all__)" for n in names if n not in listed
                ]
    return found


@pytest.mark.parametrize("package", ["shared", *PACKAGES])
def test_each_name_in_all_exists(package: str) -> None:
    mod = importlib.import_module(package)
    names = mod.__all__
    assert len(names) == len(set(names))
    missing = [n for n in names if not hasattr(mod, n) and importlib.util.find_spec(f"{package}.{n}") is None]
    assert missing == []


def test_the_packages_import_in_any_order() -> None:
    """No import cycle: each package imports first in a fresh interpreter."""
    for first in PACKAGES:
        others = ", ".join(p for p in PACKAGES if p != first)
        subprocess.run([sys.executable, "-c", f"import {first}; import {others}"], cwd=ROOT, check=True)


def test_the_index_code_has_one_home() -> None:
    from shared.rules import INDEX
    from shared.rules.codes import INDEX as defined

    assert INDEX is defined and "INDEX" not in importlib.import_module("shared.scoring").__all__


def test_services_import_shared_through_the_public_api() -> None:
    found = []
    for path in sorted((ROOT / "services").rglob("*.py")):
        if not path.relative_to(ROOT).as_posix().startswith(NOT_YET):
            found += private_imports(path)
    assert found == []


def test_the_check_sees_private_imports() -> None:
    code = (
        "from shared.rules.model import RuleSet\n"
        "import shared.scoring.engine\n"
        "from shared.scoring import gaps, indicator_view\n"
        "def f():\n    from shared.alerts.state import Alert\n"
        "from shared.rules import RuleSet\n"
        "from shared.periods import Period\n"
        "from shared import bilingual\n"
        "import shared.errors\n"
    )
    found = private_imports(ROOT / "services" / "probe.py", code)
    assert sorted(f.split(":", 1)[1] for f in found) == [
        "1 imports shared.rules.model",
        "2 imports shared.scoring.engine",
        "3 imports shared.scoring.indicator_view (not in __all__)",
        "5 imports shared.alerts.state",
    ], found
