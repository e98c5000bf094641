"""Reading YAML while keeping where every key and value stood in the file.

libyaml (PyYAML's C parser) composes the node tree, every node with its line and column; `_build` turns
it into plain dicts and lists that remember where each key, value and item stood, and `Node` wraps a
value with its location so the parsers can report `FILE:LINE:COL` for anything.

Why not ruamel.yaml's round-trip loader, which did this before: it is pure Python and gathers comments
on every token, about 0.9 s for the province's rules here against 0.06 s, paid by every service at start,
every reload and every `dti rules check`. Plain scalars are resolved as ruamel resolved them (YAML 1.2:
`yes`, `no`, `on`, `off` stay strings, `017` is 17, `1e3` a float; dates become dates), not by PyYAML's
YAML 1.1 rules; `tests/shared/test_rules_source.py` compares both loaders on every rules file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import yaml

from shared.rules.problems import Location, Problems

Pos = tuple[int, int]  # 0-based line and column, as the parser marks them


class LocatedMap(dict[Any, Any]):
    """A mapping that remembers where each key and its value stood."""

    __slots__ = ("key_pos", "value_pos")

    def __init__(self) -> None:
        super().__init__()
        self.key_pos: dict[Any, Pos] = {}
        self.value_pos: dict[Any, Pos] = {}


class LocatedList(list[Any]):
    """A sequence that remembers where each item stood."""

    __slots__ = ("item_pos",)

    def __init__(self) -> None:
        super().__init__()
        self.item_pos: list[Pos] = []


@dataclass(frozen=True, slots=True)
class Node:
    value: Any
    loc: Location

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    def has(self, key: str) -> bool:
        return self.is_map and key in self.value

    def get(self, key: str) -> Node | None:
        """The value under `key`, located at the value (or at the key when the value is empty)."""
        if not self.is_map or key not in self.value:
            return None
        return Node(self.value[key], _value_loc(self.value, key, self.loc))

    def key_loc(self, key: Any) -> Location:
        m = self.value
        if isinstance(m, LocatedMap) and key in m.key_pos:
            return _at(self.loc.file, m.key_pos[key])
        return self.loc

    def items(self) -> Iterator[tuple[Any, Node]]:
        if self.is_map:
            for k in self.value:
                yield k, Node(self.value[k], _value_loc(self.value, k, self.loc))

    def elements(self) -> Iterator[Node]:
        if self.is_list:
            seq = self.value
            located = isinstance(seq, LocatedList)
            for i, v in enumerate(seq):
                yield Node(v, _at(self.loc.file, seq.item_pos[i]) if located else self.loc)


def _at(file: str, pos: Pos) -> Location:
    return Location(file, pos[0] + 1, pos[1] + 1)


def _value_loc(m: Any, key: Any, default: Location) -> Location:
    if isinstance(m, LocatedMap):
        pos = m.value_pos.get(key) or m.key_pos.get(key)
        if pos is not None:
            return _at(default.file, pos)
    return default


def load_yaml(text: str, file: str, problems: Problems) -> Node | None:
    """Parse YAML text; a syntax error or a repeated key becomes a located problem and None."""
    try:
        root = yaml.compose(text, Loader=_Loader)  # noqa: S506 - composes nodes only, constructs nothing
        data = None if root is None else _build(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problems.add(Location(file, line, col), f"YAML syntax: {exc.problem or exc.context}")
        return None
    except yaml.YAMLError as exc:
        problems.add(Location(file, 1, 1), f"YAML: {exc}")
        return None
    start = Location(file, 1, 1) if root is None else _at(file, _pos(root))
    return Node(data, start)


# --- composing with libyaml, resolving as YAML 1.2 ---------------------------------------------------

_PLAIN = "!plain"  # a plain scalar without a tag: resolved by `_scalar`, not by PyYAML's YAML 1.1 rules
_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is there (wheels)


class _Loader(_Base):  # type: ignore[misc]
    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN if value != "<<" else _MERGE
        return str(super().resolve(kind, value, implicit))


_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?(?:0b[0-1_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)")
_FLOAT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[0-9][0-9_]*[eE][-+]?[0-9]+|\.[0-9_]+(?:[eE][-+]?[0-9]+)?)"
)
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIMESTAMP = re.compile(
    r"(?P<d>[0-9]{4}-[0-9]{1,2}-[0-9]{1,2})(?:[Tt]|[ \t]+)(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2}):(?P<s>[0-9]{2})"
    r"(?:\.(?P<f>[0-9]*))?(?:[ \t]*(?P<tz>Z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?"
)


def _scalar(value: str) -> Any:
    """A plain scalar's value under YAML 1.2's core schema (with ruamel's timestamps)."""
    if _NULL.fullmatch(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.fullmatch(value):
        digits = value.replace("_", "")
        sign = -1 if digits[0] == "-" else 1
        body = digits.lstrip("+-")
        base = {"0b": 2, "0o": 8, "0x": 16}.get(body[:2], 10)
        return sign * int(body[2:] if base != 10 else body, base)
    if _FLOAT.fullmatch(value):
        return float(value.replace("_", ""))
    if _INF.fullmatch(value):
        return -math.inf if value[0] == "-" else math.inf
    if _NAN.fullmatch(value):
        return math.nan
    if _DATE.fullmatch(value):
        return date.fromisoformat(value)
    m = _TIMESTAMP.fullmatch(value)
    if m:
        return _timestamp(m)
    return value


def _timestamp(m: re.Match[str]) -> datetime:
    y, mo, d = (int(x) for x in m["d"].split("-"))
    frac = (m["f"] or "0")[:6].ljust(6, "0")
    when = datetime(y, mo, d, int(m["h"]), int(m["m"]), int(m["s"]), int(frac))
    tz = m["tz"]
    if tz is None:
        return when
    if tz == "Z":
        return when.replace(tzinfo=UTC)
    sign = -1 if tz[0] == "-" else 1
    hh, _, mm = tz[1:].partition(":")
    if not mm and len(hh) > 2:
        hh, mm = hh[:-2], hh[-2:]
    return when.replace(tzinfo=timezone(sign * timedelta(hours=int(hh), minutes=int(mm or 0))))


def _pos(node: Any) -> Pos:
    return node.start_mark.line, node.start_mark.column


def _build(node: Any, done: dict[int, Any] | None = None) -> Any:
    """Plain Python values from a composed node; an alias yields the value its anchor built."""
    done = {} if done is None else done
    if id(node) in done:
        return done[id(node)]
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _PLAIN:
            return _scalar(node.value)
        if node.tag == _STR:
            return node.value
        return yaml.SafeLoader(" ").construct_object(node)  # an explicit tag (!!int, !!float, …)
    if isinstance(node, yaml.SequenceNode):
        seq = LocatedList()
        done[id(node)] = seq
        for item in node.value:
            seq.append(_build(item, done))
            seq.item_pos.append(_pos(item))
        return seq
    m = LocatedMap()
    done[id(node)] = m
    merged: list[tuple[LocatedMap, Pos]] = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            merged += [(v, _pos(value_node)) for v in _merge_sources(value_node, done)]
            continue
        key = _build(key_node, done)
        if isinstance(key, dict | list):
            raise yaml.MarkedYAMLError(problem="a mapping key must be a scalar", problem_mark=key_node.start_mark)
        if key in m:
            raise yaml.MarkedYAMLError(
                context=f"while reading the mapping that starts on line {node.start_mark.line + 1}",
                problem=f'found duplicate key "{key}"',
                problem_mark=key_node.start_mark,
            )
        m[key] = _build(value_node, done)
        m.key_pos[key] = _pos(key_node)
        empty = isinstance(value_node, yaml.ScalarNode) and value_node.tag == _PLAIN and value_node.value == ""
        m.value_pos[key] = _pos(key_node if empty else value_node)  # `key:` and nothing: point at the key
    for source, pos in merged:  # `<<: *base`: the base's keys, unless the mapping sets them itself
        for key, value in source.items():
            if key not in m:
                m[key] = value
                m.key_pos[key] = source.key_pos.get(key, pos)
                m.value_pos[key] = source.value_pos.get(key, pos)
    return m


def _merge_sources(node: Any, done: dict[int, Any]) -> list[LocatedMap]:
    value = _build(node, done)
    sources = value if isinstance(value, list) else [value]
    if not all(isinstance(s, LocatedMap) for s in sources):
        raise yaml.MarkedYAMLError(problem="'<<' merges mappings only", problem_mark=node.start_mark)
    return list(sources)
