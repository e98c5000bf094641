"""Reading YAML while keeping where every key and value stood in the file.

ruamel.yaml's round-trip loader records line and column of every mapping key, value and sequence item;
`Node` wraps a loaded value with its location so the parsers can report `FILE:LINE:COL` for anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from shared.rules.problems import Location, Problems


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
        if isinstance(m, CommentedMap) and key in m:
            try:
                line, col = m.lc.key(key)
                return Location(self.loc.file, line + 1, col + 1)
            except (KeyError, TypeError):
                pass
        return self.loc

    def items(self) -> Iterator[tuple[Any, Node]]:
        if self.is_map:
            for k in self.value:
                yield k, Node(self.value[k], _value_loc(self.value, k, self.loc))

    def elements(self) -> Iterator[Node]:
        if self.is_list:
            seq = self.value
            for i, v in enumerate(seq):
                loc = self.loc
                if isinstance(seq, CommentedSeq):
                    try:
                        line, col = seq.lc.item(i)
                        loc = Location(self.loc.file, line + 1, col + 1)
                    except (KeyError, TypeError):
                        pass
                yield Node(v, loc)


def _value_loc(m: Any, key: Any, default: Location) -> Location:
    if isinstance(m, CommentedMap):
        try:
            line, col = m.lc.value(key)
            return Location(default.file, line + 1, col + 1)
        except (KeyError, TypeError):
            try:
                line, col = m.lc.key(key)
                return Location(default.file, line + 1, col + 1)
            except (KeyError, TypeError):
                pass
    return default


def load_yaml(text: str, file: str, problems: Problems) -> Node | None:
    """Parse YAML text; a syntax error becomes a located problem and None."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problems.add(Location(file, line, col), f"YAML syntax: {exc.problem or exc.context}")
        return None
    except Exception as exc:  # ruamel raises a few unmarked errors (e.g. duplicate keys in some versions)
        problems.add(Location(file, 1, 1), f"YAML: {exc}")
        return None
    start = Location(file, 1, 1)
    if isinstance(data, CommentedMap | CommentedSeq):
        try:
            line, col = data.lc.line, data.lc.col
            start = Location(file, (line or 0) + 1, (col or 0) + 1)
        except AttributeError:
            pass
    return Node(data, start)
