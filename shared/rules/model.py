"""The typed, validated form of the rules files. Everything downstream works on these, never on YAML."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from shared.rules.alert_model import AlertRules
from shared.rules.curves import Curve as Curve
from shared.rules.curves import Linear as Linear
from shared.rules.curves import Piecewise as Piecewise
from shared.rules.curves import RatioToTarget as RatioToTarget
from shared.rules.curves import Steps as Steps
from shared.rules.curves import YesNo as YesNo
from shared.rules.formulas import Formula as Formula
from shared.rules.formulas import Latest as Latest
from shared.rules.formulas import PerCapita as PerCapita
from shared.rules.formulas import Ratio as Ratio
from shared.rules.formulas import ShareOfUnits as ShareOfUnits
from shared.rules.formulas import Sum as Sum
from shared.rules.problems import Location

if TYPE_CHECKING:
    from shared.rules.results import Peers, Published

MetricType = Literal["counter", "gauge"]
Direction = Literal["higher", "lower"]
Level = str


# ---------------------------------------------------------------- org units
@dataclass(frozen=True, slots=True)
class OrgUnit:
    code: str
    name: str
    level: Level
    index: int  # position in OrgTree.units, used as a compact key by the scoring state
    parent: int | None
    ancestors: tuple[int, ...]  # parent first, root last
    children: tuple[int, ...]
    population: float | None  # declared or summed over children
    households: float | None
    loc: Location
    # the units of the former tree this unit was formed from (rules: `formed_from`); their codes map here
    formed_from: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OrgTree:
    name: str
    levels: tuple[Level, ...]
    units: tuple[OrgUnit, ...]
    by_code: dict[str, int]
    # units of each level below each unit: (unit index, level) -> count; used as share denominators
    descendants_at_level: dict[tuple[int, Level], int]
    # levels a reform removed (e.g. districts in 2025): frameworks may still name them; they are ignored
    former_levels: tuple[Level, ...] = ()
    # (new unit, old code, where it is written) for every `formed_from` entry: checked against the former tree
    formed_from_locs: tuple[tuple[str, str, Location], ...] = ()

    def unit(self, code: str) -> OrgUnit:
        return self.units[self.by_code[code]]

    @property
    def roots(self) -> tuple[OrgUnit, ...]:
        return tuple(u for u in self.units if u.parent is None)

    def levels_with_units(self) -> set[Level]:
        return {u.level for u in self.units}


# ---------------------------------------------------------------- catalog
@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name: str
    name_en: str
    email: str | None = None  # where its alert e-mails go
    webhook: str | None = None  # its own webhook; otherwise DTI_ALERTS_WEBHOOK_URL


@dataclass(frozen=True, slots=True)
class Metric:
    code: str
    type: MetricType
    unit: str
    name: str
    name_en: str
    rollup: Literal["sum", "none"] = "sum"


@dataclass(frozen=True, slots=True)
class Catalog:
    dti_department: str
    departments: dict[str, Department]
    metrics: dict[str, Metric]
    sources: dict[str, frozenset[str]]


# ---------------------------------------------------------------- formulas and curves
# one module per kind in shared/rules/formulas and shared/rules/curves; re-exported here for their users


# ---------------------------------------------------------------- indicators and composites
@dataclass(frozen=True, slots=True)
class Reporting:
    frequency: Literal["continuous", "monthly", "quarterly", "yearly"]
    deadline_days: int


@dataclass(frozen=True, slots=True)
class Baseline:
    year: int
    by_level: dict[Level, float]


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    main: str
    name: str
    name_en: str
    official: bool
    formula: Formula
    unit: str
    direction: Direction
    levels: frozenset[Level]
    targets: dict[Level, tuple[tuple[int, float], ...]]  # per level: (year, target) sorted by year
    baseline: Baseline | None
    curve: Curve
    points: float
    owner: str
    reporting: Reporting
    tolerance: float
    loc: Location


@dataclass(frozen=True, slots=True)
class MainIndicator:
    code: str
    name: str
    name_en: str
    points: float
    owner: str | None
    indicators: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Composite:
    """A pillar or the index: Σ weight × value / Σ weight over its parts."""

    code: str
    name: str
    name_en: str
    total: float
    weights: dict[str, float]


@dataclass(frozen=True, slots=True)
class Goal:
    """The province's goal for a year: a DTI value, a rank among `of` provinces, or both (a rank goal whose
    value nobody published has no value: nothing is invented)."""

    year: int
    value: float | None
    note: str
    rank: int | None = None
    of: int | None = None


@dataclass(frozen=True, slots=True)
class Framework:
    code: str
    name: str
    name_en: str
    scale: float
    years: tuple[int, int]
    missing_data: Literal["zero", "rescale"]
    min_coverage: float
    tolerance: float
    goal: Goal | None
    main_indicators: dict[str, MainIndicator]
    indicators: dict[str, Indicator]
    pillars: dict[str, Composite]
    index: Composite
    file: str
    # the assessment years this framework governs (Decision 922: 2022-2024; 405: from 2025, None = no end);
    # None: the whole `years` range
    governs: tuple[int, int | None] | None = None
    # an assessment year closes on this (month, day) of the following year (the ministry assesses a year in
    # the first months of the next); after it, data dated in the year is refused unless an admin reopens it
    close_after: tuple[int, int] = (3, 31)
    late_data: Literal["refuse", "accept"] = "refuse"  # accept: closed years still take data (a test bed)

    def governs_year(self, year: int) -> bool:
        first, last = self.governs if self.governs is not None else self.years
        return first <= year and (last is None or year <= last)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Everything in force at once, stamped with the content hash of its files."""

    version: str
    files: tuple[tuple[str, str], ...]  # (path, sha256)
    org_tree: OrgTree
    catalog: Catalog
    frameworks: dict[str, Framework]
    alerts: AlertRules | None = None  # rules/alerts.yaml, when the manifest names one
    # the tree before a reform (`former_org_units`), in force until `org_units_from`; its codes map to the
    # units in force through `crosswalk` (old code -> code in force), built from the units' `formed_from`
    former_org_tree: OrgTree | None = None
    org_units_from: str | None = None  # ISO date the tree in force took effect, e.g. 2025-07-01
    crosswalk: dict[str, str] | None = None
    history: tuple[Published, ...] = ()  # the province's published DTI and rank by year (`history:`)
    peers: Peers | None = None  # the last published table of provinces' DTI (`peers:`), when the rules have one
