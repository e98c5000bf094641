"""The typed, validated form of `alerts.yaml`: global settings and one AlertRule per declared rule.

Like the rest of the rules model these are frozen values: a reload builds new ones, nothing mutates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from shared.rules.problems import Location

Severity = Literal["critical", "warning", "info"]
Kind = Literal["below_target", "off_trajectory", "stale", "sudden_drop", "goal_at_risk", "source_silent"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")
KINDS: tuple[Kind, ...] = ("below_target", "off_trajectory", "stale", "sudden_drop", "goal_at_risk", "source_silent")
# labels the core sets itself; a rule's `labels:` may not override them (they identify and route the alert)
RESERVED_LABELS = frozenset(
    {
        "alertname",
        "kind",
        "severity",
        "framework",
        "indicator",
        "org_unit",
        "level",
        "period",
        "department",
        "measure",
        "subject",
        "source",
    }
)
# labels a rule's own `group_by` may name: its alerts are then one per distinct value of these, each listing
# the indicators and units (its members) the condition holds for, worst first. `measure` is the metrics an
# indicator reads (the same in both frameworks when they measure the same thing), `subject` what a silence
# is about (the unit, or the feed when most of the unit's peers are silent too).
RULE_GROUP_LABELS = ("framework", "indicator", "measure", "org_unit", "level", "period", "department", "subject")
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
    reports: Literal["all", "periodic", "continuous"] = "all"  # which indicators, by reporting frequency
    peers: float = 0.5  # more than this share of a level's units silent too: the feed is silent, not the unit


@dataclass(frozen=True, slots=True)
class SourceSilent:
    silence: timedelta = timedelta(days=3)  # for sources that do not set their own


@dataclass(frozen=True, slots=True)
class AlertSource:
    """A system that feeds events (`sources:` in alerts.yaml): who runs it and how long it may stay silent."""

    code: str  # as in the catalogue's `sources` and the events' `source`
    name: str
    name_en: str
    owner: str  # department that runs it
    silence: timedelta | None = None


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


Params = BelowTarget | OffTrajectory | Stale | SuddenDrop | GoalAtRisk | SourceSilent


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
    group_by: tuple[str, ...] | None = None  # None: one alert per framework, indicator, unit and period


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
    sources: dict[str, AlertSource] = field(default_factory=dict)

    def rule(self, name: str) -> AlertRule | None:
        return next((r for r in self.rules if r.name == name), None)
