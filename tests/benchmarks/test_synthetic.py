"""The benchmarks' fast synthetic province is the one the loader reads from the YAML file."""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.synthetic import load, province


def _without_paths(obj: object) -> str:
    return re.sub(r"'/[^']*/([^/']+\.yaml)'", r"'\1'", repr(obj))  # the files' locations differ, nothing else


def test_fast_province_equals_the_loaded_one(tmp_path: Path) -> None:
    loaded = load(tmp_path, 250)
    fast = province(250)
    a, b = loaded.org_tree, fast.org_tree
    assert (a.name, a.levels, a.by_code, a.descendants_at_level, a.former_levels) == (
        b.name,
        b.levels,
        b.by_code,
        b.descendants_at_level,
        b.former_levels,
    )
    fields = ("code", "name", "level", "index", "parent", "ancestors", "children", "population", "households")
    assert [tuple(getattr(u, f) for f in fields) for u in a.units] == [
        tuple(getattr(u, f) for f in fields) for u in b.units
    ]
    assert _without_paths(loaded.frameworks) == _without_paths(fast.frameworks)
    assert loaded.catalog == fast.catalog
