"""The rules files' YAML reader (libyaml) against ruamel.yaml's round-trip loader, which read them before:
the same values of the same types, every key, value and item at the same line and column."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from shared.rules.problems import Location, Problems
from shared.rules.source import Node, load_yaml
from tests.e2e.server import ROOT

FILES = sorted([*(ROOT / "rules").glob("*.yaml"), *(ROOT / "tests" / "fixtures").rglob("*.yaml")])

EDGES = """\
plain: [yes, no, on, off, Yes, y, n, 1:30, 0x1F, 0o17, 017, 0b101, 1_000, -7, +3, 1e3, 2.5E-2, .5, -.inf, .NaN]
nulls: [~, null, Null, NULL, ]
bools: [true, True, TRUE, false, False, FALSE]
quoted: ["true", '017', "~", "2025-01-01"]
dates: [2025-07-01, 2025-07-01T08:30:00+07:00, 2025-07-01 08:30:00.5Z, 2025-7-1 8:30:00]
text: |
  hai dòng
  two lines
folded: >
  a
  b
empty:
tilde: ~  # written out: located at the ~
nested:
  - a: 1
    b: [x, {c: d}]
  -
  - - deep
base: &base {w: 1, x: 2}
merged:
  <<: *base
  x: 3
alias: *base
"""


def _same(ours: Any, theirs: Any, where: str) -> None:
    """Equal values of the same kind (ruamel's ScalarInt, ScalarFloat, … subclass int, float, …)."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), where
        for k in theirs:
            _same(ours[k], theirs[k], f"{where}.{k}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, float) and math.isnan(theirs):
        assert isinstance(ours, float) and math.isnan(ours), where
    else:
        kinds = (bool, int, float, str, datetime, date, type(None))
        kind = next(k for k in kinds if isinstance(theirs, k))
        assert isinstance(ours, kind) and (kind is not int or not isinstance(ours, bool)), (where, ours, theirs)
        assert ours == theirs, (where, ours, theirs)


def _same_places(node: Node, theirs: Any, where: str, lines: list[str]) -> None:
    """Every key, value and item located where ruamel locates it (an empty value: at its key)."""
    if isinstance(theirs, CommentedMap):
        for k in theirs:
            if k not in theirs.lc.data:  # merged in from an anchor: ruamel keeps no place for it
                continue
            line, col = theirs.lc.key(k)
            assert node.key_loc(k) == Location(node.loc.file, line + 1, col + 1), f"{where}: key {k}"
            vline, vcol = theirs.lc.value(k)
            child = node.get(k)
            assert child is not None
            after_key = lines[line][col + len(str(k)) + 1 :].split("#")[0].strip()
            if theirs[k] is None and not after_key:  # `key:` and nothing: ruamel marks the next line's start
                assert child.loc == node.key_loc(k), f"{where}: empty value of {k}"
            else:
                assert child.loc == Location(node.loc.file, vline + 1, vcol + 1), f"{where}: value of {k}"
            _same_places(child, theirs[k], f"{where}.{k}", lines)
    elif isinstance(theirs, CommentedSeq):
        for i, (el, item) in enumerate(zip(node.elements(), theirs, strict=True)):
            line, col = theirs.lc.item(i)
            assert el.loc == Location(node.loc.file, line + 1, col + 1), f"{where}[{i}]"
            _same_places(el, item, f"{where}[{i}]", lines)


def _both(text: str, name: str) -> tuple[Node, Any]:
    problems = Problems()
    ours = load_yaml(text, name, problems)
    assert ours is not None and not problems, [str(p) for p in problems.sorted()]
    return ours, YAML(typ="rt").load(text)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_rules_file_reads_as_ruamel_reads_it(path: Path) -> None:
    ours, theirs = _both(path.read_text(encoding="utf-8"), str(path))
    _same(ours.value, theirs, path.name)
    _same_places(ours, theirs, path.name, path.read_text(encoding="utf-8").splitlines())
    assert ours.loc == Location(str(path), theirs.lc.line + 1, theirs.lc.col + 1)


def test_scalars_resolve_as_yaml_1_2_not_1_1() -> None:
    ours, theirs = _both(EDGES, "edges.yaml")
    _same(ours.value, theirs, "edges")
    _same_places(ours, theirs, "edges", EDGES.splitlines())
    v = ours.value
    # written out by hand too, so a change in ruamel could not carry this test along with it
    assert v["plain"][:8] == ["yes", "no", "on", "off", "Yes", "y", "n", "1:30"]
    assert v["plain"][8:16] == [31, 15, 17, 5, 1000, -7, 3, 1000.0]
    assert v["plain"][16:19] == [0.025, 0.5, -math.inf] and math.isnan(v["plain"][19])
    assert v["nulls"] == [None] * 4 and v["bools"] == [True] * 3 + [False] * 3
    assert v["quoted"] == ["true", "017", "~", "2025-01-01"]
    vn = timezone(timedelta(hours=7))
    assert v["dates"] == [
        date(2025, 7, 1),
        datetime(2025, 7, 1, 8, 30, tzinfo=vn),
        datetime(2025, 7, 1, 8, 30, 0, 500_000, tzinfo=UTC),
        datetime(2025, 7, 1, 8, 30),
    ]
    assert v["text"] == "hai dòng\ntwo lines\n" and v["folded"] == "a b\n" and v["empty"] is v["tilde"] is None
    assert v["merged"] == {"x": 3, "w": 1} and v["alias"] == {"w": 1, "x": 2}
    assert v["nested"] == [{"a": 1, "b": ["x", {"c": "d"}]}, None, ["deep"]]


def test_an_empty_value_is_located_at_its_key() -> None:
    ours, _ = _both("a: 1\nempty:\nb: 2\n", "f.yaml")
    assert ours.get("empty") == Node(None, Location("f.yaml", 2, 1))


def test_duplicate_key_is_a_problem_at_the_second_key() -> None:
    problems = Problems()
    assert load_yaml("a:\n  x: 1\n  y: 2\n  x: 3\n", "f.yaml", problems) is None
    [p] = problems.sorted()
    assert p.location == Location("f.yaml", 4, 3) and 'duplicate key "x"' in p.message


def test_syntax_error_is_a_problem_where_the_parser_stopped() -> None:
    problems = Problems()
    assert load_yaml("sources:\n  lgsp: [a, b\nmetrics: {}\n", "f.yaml", problems) is None
    [p] = problems.sorted()
    assert p.location.line == 3 and p.message.startswith("YAML syntax:")


def test_unknown_tag_is_a_problem_not_a_crash() -> None:
    problems = Problems()
    assert load_yaml("a: !secret x\n", "f.yaml", problems) is None
    [p] = problems.sorted()
    assert p.location == Location("f.yaml", 1, 4) and "!secret" in p.message


def test_empty_document() -> None:
    problems = Problems()
    node = load_yaml("# only a comment\n", "f.yaml", problems)
    assert node is not None and node.value is None and not problems
