"""Typed field readers for the parsers: each reports a located problem and returns None on bad input."""

from __future__ import annotations

from typing import Any

from shared.rules.problems import Problems
from shared.rules.source import Node


def type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def req(node: Node, key: str, problems: Problems, what: str) -> Node | None:
    child = node.get(key)
    if child is None:
        problems.add(node.loc, f"{what}: missing required key '{key}'")
    return child


def as_str(node: Node | None, problems: Problems, what: str) -> str | None:
    if node is None:
        return None
    if isinstance(node.value, str) and node.value.strip():
        return str(node.value).strip()
    if isinstance(node.value, int) and not isinstance(node.value, bool):
        return str(node.value)
    problems.add(node.loc, f"{what} must be text, got {type_name(node.value)}")
    return None


def as_number(node: Node | None, problems: Problems, what: str) -> float | None:
    if node is None:
        return None
    v = node.value
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    problems.add(node.loc, f"{what} must be a number, got {type_name(v)} {v!r}")
    return None


def as_int(node: Node | None, problems: Problems, what: str) -> int | None:
    if node is None:
        return None
    v = node.value
    if isinstance(v, int) and not isinstance(v, bool):
        return int(v)
    problems.add(node.loc, f"{what} must be a whole number, got {type_name(v)} {v!r}")
    return None


def as_bool(node: Node | None, problems: Problems, what: str) -> bool | None:
    if node is None:
        return None
    if isinstance(node.value, bool):
        return bool(node.value)
    problems.add(node.loc, f"{what} must be true or false, got {type_name(node.value)}")
    return None


def as_choice(node: Node | None, choices: tuple[str, ...], problems: Problems, what: str) -> str | None:
    s = as_str(node, problems, what)
    if s is None or node is None:
        return None
    if s not in choices:
        problems.add(node.loc, f"{what} must be one of {', '.join(choices)}, got {s!r}")
        return None
    return s


def as_quantity(node: Node | None, percent: bool, problems: Problems, what: str) -> float | None:
    """A value in the indicator's unit. Percent values must be written with '%' and are returned as fractions.

    Requiring the sign removes the worst ambiguity an analyst can hit: is `0.9` 90 % or 0.9 %?
    """
    if node is None:
        return None
    v = node.value
    if isinstance(v, str) and v.strip().endswith("%"):
        try:
            number = float(v.strip()[:-1].replace(",", "."))
        except ValueError:
            problems.add(node.loc, f"{what}: {v!r} is not a percentage")
            return None
        if not percent:
            problems.add(node.loc, f"{what}: a percent sign is only allowed for indicators whose unit is percent")
            return None
        if not 0.0 <= number <= 100.0:
            problems.add(node.loc, f"{what}: percentage {v} is out of range (0% to 100%)")
            return None
        return number / 100.0
    if isinstance(v, int | float) and not isinstance(v, bool):
        if percent:
            problems.add(node.loc, f"{what}: write percentages with a percent sign, e.g. {v}% (got {v!r})")
            return None
        return float(v)
    problems.add(node.loc, f"{what} must be a number, got {type_name(v)} {v!r}")
    return None


def check_keys(node: Node, allowed: set[str], problems: Problems, what: str) -> None:
    """Unknown keys are usually typos (`taget:`), so they are errors, not silently ignored."""
    for key, _ in node.items():
        if key not in allowed:
            problems.add(node.key_loc(key), f"{what}: unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")


def expect_map(node: Node | None, problems: Problems, what: str) -> bool:
    if node is None:
        return False
    if not node.is_map:
        problems.add(node.loc, f"{what} must be a mapping, got {type_name(node.value)}")
        return False
    return True


def expect_list(node: Node | None, problems: Problems, what: str) -> bool:
    if node is None:
        return False
    if not node.is_list:
        problems.add(node.loc, f"{what} must be a list, got {type_name(node.value)}")
        return False
    return True
