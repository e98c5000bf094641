"""The typed, validated form of `alerts.yaml`: global settings and one AlertRule per declared rule.

Like the rest of the rules model these are frozen values: a reload builds new ones, nothing mutates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from shared.rules.problems import Location

Severity = Literal["critical", "warning", "info"]
Kind = Literal["below_target", "off_trajectory", "stale", "sudden_drop", "goal_at_risk"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")
KINDS: tuple[Kind, ...] = ("below_target", "off_trajectory", "stale", "sudden_drop", "goal_at_risk")
# labels the core sets itself; a rule's `labels:` may not override them (they identify and route the alert)
RESERVED_LABELS = frozenset(
    {"alertname", "kind", "severity", "framework", "indicator", "org_unit", "level", "period", "department"}
)
# labels an analyst may add to `group_by` (the receiver is always part of the group)
GROUPABLE_LABELS = ("alertname", "kind", "severity", "framework", "period", "level")
OWNER = "owner"  # `receiver: owner` (the default): the indicator's owner department


@dataclass(frozen=True, slots=True)
class Hold:
    """How long a condition must hold (`for:`) or stay clear (`keep_firing_for:`) before the state changes.

    Written either as a number of consecutive evaluations (`for: 3`) or as a duration (`for: 2d`); both
    parts must be met, the unused one being neutral (1 evaluation, 0 seconds). This is what stops a value
    hovering around its threshold from paging on every evaluation.
    """

    evaluations: int = 1
    duration: timedelta = timedelta(0)

    def met(self, count: int, since: datetime | None, now: datetime) -> bool:
        if count < self.evaluations:
            return False
        return self.duration <= timedelta(0) or (since is not None and now - since >= self.duration)


@dataclass(frozen=True, slots=True)
class Selector:
    """Which frameworks, levels, indicators and owners a rule applies to; None means all."""

    frameworks: frozenset[str] | None = None
    levels: frozenset[str] | None = None
    indicators: frozenset[str] | None = None
    owners: frozenset[str] | None = None

    def takes_framework(self, code: str) -> bool:
        return self.frameworks is None or code in self.frameworks

    def takes_level(self, level: str) -> bool:
        return self.levels is None or level in self.levels

    def takes_indicator(self, code: str, owner: str) -> bool:
        return (self.indicators is None or code in self.indicators) and (self.owners is None or owner in self.owners)


@dataclass(frozen=True, slots=True)
class BelowTarget:
    margin: float = 0.0  # relative to the target: 5% fires only when more than 5% of the target short


@dataclass(frozen=True, slots=True)
class OffTrajectory:
    tolerance: float | None = None  # None: the indicator's own tolerance (framework trajectory_tolerance)


@dataclass(frozen=True, slots=True)
class Stale:
    max_age: timedelta | None = None  # for `continuous` indicators, which have no reporting deadline


@dataclass(frozen=True, slots=True)
class SuddenDrop:
    drop: float  # relative worsening against the best reading within the window (0.2 = 20%)
    window: timedelta
    measure: Literal["value", "score"] = "value"


@dataclass(frozen=True, slots=True)
class GoalAtRisk:
    baseline: tuple[int, float] | None = None  # (year, DTI value at 31 December of that year)
    tolerance: float = 0.0  # relative to the expected value
    min_coverage: float = 0.0  # skip while less than this share of the index has data


Params = BelowTarget | OffTrajectory | Stale | SuddenDrop | GoalAtRisk


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str  # the alert's `alertname`
    kind: Kind
    params: Params
    severity: Severity
    hold: Hold  # `for:`
    keep: Hold  # `keep_firing_for:`
    receiver: str  # OWNER or a department code
    select: Selector
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    loc: Location | None = None


@dataclass(frozen=True, slots=True)
class AlertSettings:
    repeat_interval: timedelta = timedelta(days=1)
    group_by: tuple[str, ...] = ()  # labels besides the receiver
    copy_dti_department: bool = True  # catalog.dti_department receives every alert
    keep_resolved: timedelta = timedelta(days=30)  # how long resolved alerts stay in the state


@dataclass(frozen=True, slots=True)
class AlertRules:
    settings: AlertSettings
    rules: tuple[AlertRule, ...]
    file: str

    def rule(self, name: str) -> AlertRule | None:
        return next((r for r in self.rules if r.name == name), None)
