"""The one interface between the alerts core and whatever evaluates alert conditions.

The core turns scores into facts (numbers measured for one rule, indicator, unit and period) and asks a
ConditionEvaluator which facts meet their rule's condition. durable-rules does that in production
(shared/alerts/durable_evaluator.py); PythonEvaluator is the reference it is tested against and the
drop-in replacement should the unmaintained library have to go.

Conditions are comparisons of a fact's fields with a constant from the rules file or with another field
of the same fact (a threshold that differs per indicator, such as its trajectory tolerance). Arithmetic —
gaps, trajectories, deadlines, drops — is done in Python before the facts are built: durable-rules has no
dates, no interpolation and no history, and its expression language only adds, subtracts, multiplies
and divides.

Numbers in facts and conditions go through `plain_float`: durable-rules' JSON parser rejects a number
written with an exponent and no decimal point, which is how Python writes 0.00001 (`1e-05`) or 1e20, so
such a value is moved by one unit in the last place towards zero (to `9.999999999999999e-06`). Both evaluators see
the same moved values and agree exactly. (Whole millionths were tried first: beyond 64 bits durable
compares integers wrongly, without an error.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from shared.rules.alert_model import AlertRule, AlertRules, SuddenDrop

Op = Literal[">", ">=", "<", "<="]
RESERVED_FIELDS = frozenset({"id", "rule", "sid"})


@dataclass(frozen=True, slots=True)
class Field:
    """The right-hand side of a clause read from another field of the same fact."""

    name: str


@dataclass(frozen=True, slots=True)
class Clause:
    field: str
    op: Op
    operand: float | Field

    def __post_init__(self) -> None:
        if not isinstance(self.operand, Field):
            object.__setattr__(self, "operand", plain_float(self.operand))

    def holds(self, fields: Mapping[str, float]) -> bool:
        left = fields.get(self.field)
        right = fields.get(self.operand.name) if isinstance(self.operand, Field) else self.operand
        if left is None or right is None:
            return False
        return bool(compare(self.op, left, right))


def compare(op: Op, left: Any, right: Any) -> Any:
    """Apply a clause's operator; also builds durable-rules expressions, whose operands overload them."""
    match op:
        case ">":
            return left > right
        case ">=":
            return left >= right
        case "<":
            return left < right
        case _:
            return left <= right


@dataclass(frozen=True, slots=True)
class Condition:
    """All clauses must hold for a fact of this rule."""

    rule: str
    clauses: tuple[Clause, ...]


def plain_float(value: float) -> float:
    """The float itself, or its neighbour towards zero when `repr` would be an exponent without a decimal
    point (`1e-05`, `1e+20`), which durable-rules cannot parse. Raises ValueError for NaN and infinities."""
    v = float(value)
    if v == 0.0 or 1e-4 <= abs(v) < 1e16:
        return v  # repr writes these without an exponent (it switches below 1e-4 and from 1e16)
    if not math.isfinite(v):
        raise ValueError(f"not a finite number: {value!r}")
    for toward in (0.0, math.inf):
        text = repr(v)
        if "e" not in text or "." in text.partition("e")[0]:
            return v
        v = math.nextafter(v, toward)
    return v


@dataclass(frozen=True, slots=True)
class Fact:
    id: str  # unique within one evaluation: the alert's fingerprint
    rule: str
    fields: Mapping[str, float]

    def __post_init__(self) -> None:
        bad = RESERVED_FIELDS & set(self.fields)
        if bad:
            raise ValueError(f"fact fields may not be named {', '.join(sorted(bad))}")
        object.__setattr__(self, "fields", {k: plain_float(v) for k, v in self.fields.items()})


@dataclass(frozen=True, slots=True)
class Matches:
    ids: frozenset[str]  # facts whose rule's condition holds
    errors: tuple[str, ...] = ()  # what went wrong inside the evaluator; the round goes on without it


class ConditionEvaluator(Protocol):
    """Built once per set of conditions (per alerts-file version) and reused for every evaluation round."""

    def evaluate(self, facts: Sequence[Fact]) -> Matches: ...


def condition_for(rule: AlertRule) -> Condition:
    """The comparison each kind boils down to once its numbers are computed (see shared/alerts/facts.py)."""
    if rule.kind in ("stale", "source_silent"):  # silent since before the moment it was due to speak
        clauses = (Clause("last_data", "<", Field("due_from")),)
    elif rule.kind == "sudden_drop":
        assert isinstance(rule.params, SuddenDrop)
        clauses = (Clause("drop", ">", rule.params.drop),)
    else:  # below_target, off_trajectory, goal_at_risk: short of a reference by more than allowed
        clauses = (Clause("shortfall", ">", Field("allowed")),)
    return Condition(rule.name, clauses)


def conditions_for(rules: AlertRules | None) -> tuple[Condition, ...]:
    return () if rules is None else tuple(condition_for(r) for r in rules.rules)


class PythonEvaluator:
    """Plain Python evaluation of the same conditions: the reference for the durable-rules one."""

    def __init__(self, conditions: Sequence[Condition]) -> None:
        self._by_rule = {c.rule: c for c in conditions}

    def evaluate(self, facts: Sequence[Fact]) -> Matches:
        hits = set()
        for fact in facts:
            cond = self._by_rule.get(fact.rule)
            if cond is not None and all(cl.holds(fact.fields) for cl in cond.clauses):
                hits.add(fact.id)
        return Matches(frozenset(hits))
