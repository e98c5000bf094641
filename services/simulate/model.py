"""How digital the simulated province is, unit by unit, and at what moment.

The province has one maturity `m(t)` in 0..1; each unit's is `m(t)` plus its offset (the city ahead, remote
districts behind; see `profile.UNIT_OFFSETS`), clamped to 0..1. Every share the systems report (records
filed online, documents signed, communes networked, …) follows from the unit's maturity.

Calibration uses the real scoring engine (pure, in memory): the *expected* figures at maturity `m` — flows
at their expected shares and every level the systems and departments report — are scored under the chosen
framework, and `m0` is the maturity at which the province's DTI equals the baseline (0.5032, Lai Châu's DTI
for 2022) at the start. Counters that add up over the year (steering meetings, drills, articles, incidents)
are not in that figure: at the start of a year none has been reported yet, and they add their points as the
year goes on. After the start the province improves by `improvement` DTI per simulated year: `m(t)` is the
maturity whose expected DTI lies on that straight line (each year against its own targets).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.simulate import profile as P
from services.simulate.rhythm import DAY, ICT, weekly_means
from shared.periods import Period
from shared.rules import Reads, RuleSet, ShareOfUnits
from shared.scoring import MetricEvent, ScoringEngine
from shared.years import framework_for

BASELINE_DTI = P.BASELINE_DTI
YEAR_SECONDS = 365.25 * DAY
GRID = 20  # calibration grid: maturity 0, 1/20, … 1
FALLBACK_POPULATION_PER_UNIT = 4000.0
ONLINE_MEAN, DESK_MEAN, OFFICE_MEAN = weekly_means()
WORKING_DAYS_SHARE = 5 / 7


@dataclass(frozen=True, slots=True)
class Unit:
    index: int
    code: str
    name: str
    level: str
    position: int  # 0 top, 1 middle, 2 bottom of the tree
    offset: float  # maturity relative to the province
    volume: float  # multiplier on the level's volumes
    bottoms: int  # bottom-level units it covers (itself when it is one)
    population: float
    households: float


@dataclass(frozen=True, slots=True)
class Reported:
    """A metric some system or department reports as a level or a periodic count."""

    metric: str
    spec: P.MetricSpec
    source: str
    units: tuple[Unit, ...]


class ProvinceModel:
    def __init__(
        self,
        rules: RuleSet,
        start: datetime,
        *,
        framework: str | None = None,
        start_dti: float = BASELINE_DTI,
        improvement: float = 0.05,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("start must carry a time zone")
        self.rules = rules
        self.tree = rules.org_tree
        self.framework = framework or default_framework(rules, start.year)
        if self.framework not in rules.frameworks:
            raise ValueError(f"unknown framework '{self.framework}' (known: {', '.join(sorted(rules.frameworks))})")
        self.start = start
        self.start_ts = start.timestamp()
        self.start_dti = start_dti
        self.improvement = improvement
        self.units = self._units()
        self.by_index = {u.index: u for u in self.units}
        self.root = self.units[0]
        self.bottom_units = tuple(u for u in self.units if u.position == 2 or not self.tree.units[u.index].children)
        self.flow_source: dict[tuple[str, str], str | None] = {}
        self._has_flow: dict[str, bool] = {}
        self.reported = self._reported()
        self._share_levels = {metric: self._levels_read(metric)[1] for metric in rules.catalog.metrics}
        self._scorer_rules = dataclasses.replace(rules, frameworks={self.framework: rules.frameworks[self.framework]})
        self._grids: dict[int, list[float]] = {}
        self._solved: dict[tuple[int, float], float] = {}
        self.m0 = self.solve(start.year, start_dti)

    # ------------------------------------------------------------------ units
    def _units(self) -> list[Unit]:
        tree = self.tree
        levels = tree.levels
        present = [lv for lv in levels if any(u.level == lv for u in tree.units)]
        bottom_level = present[-1]
        bottoms: dict[int, int] = {}
        for u in reversed(tree.units):  # children come after their parents
            bottoms[u.index] = max(1, sum(bottoms[c] for c in u.children)) if u.children else 1
        out: list[Unit] = []
        for u in tree.units:
            pos = 0 if u.parent is None else 2 if (u.level == bottom_level or not u.children) else 1
            offset = P.own_offset(u.code, u.name, u.parent is None)
            for a in u.ancestors:
                if tree.units[a].parent is not None:  # the root's own offset is its departments', not its units'
                    offset += P.own_offset(tree.units[a].code, tree.units[a].name, False)
            pop = u.population if u.population else FALLBACK_POPULATION_PER_UNIT * bottoms[u.index]
            households = u.households if u.households else pop / 4.6
            out.append(
                Unit(
                    u.index,
                    u.code,
                    u.name,
                    u.level,
                    pos,
                    offset,
                    P.volume_factor(u.name),
                    bottoms[u.index],
                    pop,
                    households,
                )
            )
        out.sort(key=lambda x: (x.position, x.index))
        return out

    def unit_maturity(self, unit: Unit, m: float) -> float:
        return min(1.0, max(0.0, m + unit.offset))

    # ------------------------------------------------------------------ sources and reporting units
    def source_for(self, metric: str, preferred: str) -> str | None:
        """The source that sends a metric: the preferred system if the rules allow it, else another that may."""
        key = (metric, preferred)
        if key not in self.flow_source:
            cat = self.rules.catalog
            found: str | None = None
            if metric in cat.metrics:
                if metric in cat.sources.get(preferred, frozenset()):
                    found = preferred
                else:
                    allowed = sorted(s for s, ms in cat.sources.items() if metric in ms)
                    found = "department" if "department" in allowed else (allowed[0] if allowed else None)
            self.flow_source[key] = found
        return self.flow_source[key]

    def _levels_read(self, metric: str) -> tuple[set[str], set[str]]:
        plain: set[str] = set()
        share: set[str] = set()
        for fw in self.rules.frameworks.values():
            for ind in fw.indicators.values():
                if metric in ind.formula.metrics:
                    if isinstance(ind.formula, ShareOfUnits):
                        share.add(ind.formula.level)
                    else:
                        plain |= ind.levels
        return plain, share

    def _reported(self) -> dict[str, Reported]:
        out: dict[str, Reported] = {}
        flows = set(P.FLOW_SOURCES)
        for metric in self.rules.catalog.metrics:
            if metric in flows:
                continue
            spec = P.METRICS.get(metric) or fallback_spec(self.rules, metric)
            if spec is None:
                continue
            source = self.source_for(metric, spec.source)
            if source is None:
                continue
            units = self._report_units(metric, spec)
            if units:
                out[metric] = Reported(metric, spec, source, units)
        return out

    def _report_units(self, metric: str, spec: P.MetricSpec) -> tuple[Unit, ...]:
        if spec.bottom:
            return self.bottom_units
        plain, share = self._levels_read(metric)
        present = [lv for lv in self.tree.levels if any(u.level == lv for u in self.units)]
        chosen: set[str] = set()
        deep = [lv for lv in present if lv in plain]
        if deep:
            chosen.add(deep[-1])
        chosen |= {lv for lv in share if lv in present}
        if not chosen:
            chosen.add(self.root.level)
        if isinstance(spec.model, P.PerYear | P.PartOf) and metric in self.rules.catalog.metrics:
            if self.rules.catalog.metrics[metric].rollup == "none":
                chosen = {self.root.level}  # the province's own count; its units' would not add up to it
        return tuple(u for u in self.units if u.level in chosen)

    # ------------------------------------------------------------------ values
    def gauge_value(self, metric: str, unit: Unit, m: float) -> float:
        """The level a unit reports for a gauge at province maturity m."""
        spec = P.METRICS.get(metric) or fallback_spec(self.rules, metric)
        if spec is None:
            return 0.0
        mu = self.unit_maturity(unit, m)
        model = spec.model
        if isinstance(model, P.Size):
            return float(round(model.total * self._size_share(unit)))
        if isinstance(model, P.Share):
            return float(round(self.gauge_value(model.of, unit, m) * model.span.at(mu)))
        if isinstance(model, P.Level):
            return round(model.span.at(mu), model.digits) if model.digits else float(round(model.span.at(mu)))
        if isinstance(model, P.PerHead):
            base = unit.population if model.per == "population" else unit.households
            return float(round(base * model.span.at(mu)))
        if isinstance(model, P.YesNo):
            threshold = model.lo + (model.hi - model.lo) * P.stable_fraction(metric, unit.code)
            return 1.0 if mu >= threshold else 0.0
        return 0.0

    def _size_share(self, unit: Unit) -> float:
        """A unit's part of a province-wide size: by the bottom-level units it covers."""
        return unit.bottoms / self.root.bottoms

    def per_year(self, metric: str, unit: Unit, m: float) -> float:
        """Expected occurrences a year of a PerYear counter (for PartOf: the expected share)."""
        spec = P.METRICS.get(metric)
        if spec is None:
            return 0.0
        mu = self.unit_maturity(unit, m)
        model = spec.model
        if isinstance(model, P.PerYear | P.PartOf):
            return model.span.at(mu)
        return 0.0

    # ------------------------------------------------------------------ flows
    def daily_volumes(self, unit: Unit) -> tuple[float, float, float]:
        """Mean (records, documents, work records) per calendar day at the unit."""
        pos = min(unit.position, 2)
        k = unit.volume * WORKING_DAYS_SHARE
        return P.RECORDS_PER_DAY[pos] * k, P.DOCUMENTS_PER_DAY[pos] * k, P.WORK_RECORDS_PER_DAY[pos] * k

    def has_flow(self, metric: str) -> bool:
        if metric not in self._has_flow:
            self._has_flow[metric] = any(self.source_for(metric, s) is not None for s in P.FLOW_SOURCES.get(metric, ()))
        return self._has_flow[metric]

    def expected_flows(self, unit: Unit, m: float, days: float) -> dict[str, float]:
        """Expected counts of every flow metric over `days` at maturity m (what calibration scores)."""
        rec, docs, work = (v * days for v in self.daily_volumes(unit))
        mu = self.unit_maturity(unit, m)
        p_on, p_full, p_ot = P.ONLINE.at(mu), P.FULLY_ONLINE.at(mu), P.ON_TIME.at(mu)
        p_dc = P.DESK_CASHLESS.at(mu)
        out = {
            "tthc.records_total": rec,
            "tthc.records_online": rec * p_on,
            "tthc.records_fully_online": rec * p_on * p_full,
            "tthc.records_resolved": rec,
            "tthc.records_on_time": rec * p_ot,
            "payment.fees_total": rec * P.FEE_SHARE,
            "payment.fees_cashless": rec * P.FEE_SHARE * (p_on + (1 - p_on) * p_dc),
            "work.records_total": work,
            "work.records_online": work * P.WORK_ONLINE.at(mu),
            "edoc.documents_total": docs,
            "edoc.documents_electronic": docs * P.ELECTRONIC.at(mu),
            "edoc.documents_signed": docs * P.ELECTRONIC.at(mu) * P.SIGNED.at(mu),
        }
        return {k: v for k, v in out.items() if self.has_flow(k)}

    def natural_rate(self, m: float | None = None) -> float:
        """Mean events per simulated second at volume 1: flows (periodic reports are few and left out)."""
        m = self.m0 if m is None else m
        return sum(sum(self.expected_flows(u, m, 1.0).values()) for u in self.units) / DAY

    # ------------------------------------------------------------------ calibration
    def snapshot(self, m: float, year: int, compact: bool = True) -> list[MetricEvent]:
        """What the systems and departments would have reported at the start of `year` at maturity m.

        `compact` gives the province the sums of its units' figures as its own (the same root value, a
        fraction of the events; units reporting share-of-units metrics keep their own), which is all that
        calibration scores: a test checks that both forms give the same DTI.
        """
        when = datetime(year, 1, 15, 9, tzinfo=ICT)
        per_unit: list[tuple[str, Unit, float]] = []
        for u in self.units:
            for metric, v in self.expected_flows(u, m, 250.0).items():
                per_unit.append((metric, u, v))
        for rep in self.reported.values():
            if isinstance(rep.spec.model, P.PerYear | P.PartOf):
                continue  # counted over the year: nothing yet at its start
            for u in rep.units:
                per_unit.append((rep.metric, u, self.gauge_value(rep.metric, u, m)))
        if not compact:
            return [MetricEvent(metric, u.code, v, when) for metric, u, v in per_unit]
        root = self.root
        sums: dict[str, float] = {}
        own: dict[str, float] = {}
        kept: list[MetricEvent] = []
        for metric, u, v in per_unit:
            if u is root:
                own[metric] = v
            else:
                sums[metric] = sums.get(metric, 0.0) + v
                if u.level in self._share_levels.get(metric, ()):
                    kept.append(MetricEvent(metric, u.code, v, when))
        for metric, v in sums.items():
            if self.rules.catalog.metrics[metric].type == "counter":
                own[metric] = own.get(metric, 0.0) + v
            else:
                own.setdefault(metric, v)  # a gauge the province reports itself wins over its units' sum
        return [MetricEvent(metric, root.code, v, when) for metric, v in own.items()] + kept

    def expected_dti(self, m: float, year: int) -> float:
        engine = ScoringEngine(self._scorer_rules)
        engine.apply_many(self.snapshot(m, year))
        value = engine.score(self.framework, self.root.code, Period(year, 4, True)).index.value
        return 0.0 if value is None else float(value)

    def _grid(self, year: int) -> list[float]:
        if year not in self._grids:
            self._grids[year] = [self.expected_dti(i / GRID, year) for i in range(GRID + 1)]
        return self._grids[year]

    def solve(self, year: int, target: float) -> float:
        """The maturity whose expected DTI in `year` is closest to `target`: the grid brackets it, bisection
        finds it (a yes/no milestone makes a step: the side of it closer to the target wins)."""
        key = (year, target)
        if key in self._solved:
            return self._solved[key]
        grid = self._grid(year)
        if target <= grid[0]:
            m = 0.0
        elif target >= max(grid):
            m = 1.0
        else:
            i = next(i for i, e in enumerate(grid) if e >= target)  # grid[i - 1] < target <= grid[i]
            lo, hi, e_lo, e_hi = (i - 1) / GRID, i / GRID, grid[i - 1], grid[i]
            for _ in range(7):  # to 1/2560 of maturity, about 0.0005 of DTI
                mid = (lo + hi) / 2
                e = self.expected_dti(mid, year)
                if e < target:
                    lo, e_lo = mid, e
                else:
                    hi, e_hi = mid, e
            m = lo if target - e_lo < e_hi - target else hi
        self._solved[key] = m
        return m

    def target_dti(self, ts: float) -> float:
        return self.start_dti + self.improvement * (ts - self.start_ts) / YEAR_SECONDS

    def maturity(self, ts: float) -> float:
        """The province's maturity at a simulated moment."""
        if ts <= self.start_ts or self.improvement == 0:
            return self.m0
        year = datetime.fromtimestamp(ts, ICT).year
        return self.solve(year, round(self.target_dti(ts) * 500) / 500)  # re-solved at each 0.002 of DTI


def default_framework(rules: RuleSet, year: int) -> str:
    """The framework in force for the simulated year (Decision 405 from 2025), as the page and API default to:
    the demo then shows the DTI the province is assessed by, not the previous decision's."""
    return framework_for(rules, year)


def fallback_spec(rules: RuleSet, metric: str) -> P.MetricSpec | None:
    """A model for a gauge the profile does not know, from the indicator that reads it: its last target
    is reached at maturity 1. Counters the profile does not know are not simulated."""
    cat = rules.catalog.metrics.get(metric)
    if cat is None or cat.type != "gauge":
        return None
    for fw in rules.frameworks.values():
        for ind in fw.indicators.values():
            f = ind.formula
            if metric not in f.metrics:
                continue
            top = next(iter(ind.targets.values()), ())
            last = top[-1][1] if top else 1.0
            return _spec(f.reads(metric, last))
    return None


def _spec(reads: Reads) -> P.MetricSpec:
    """The profile's model of a metric from what the formula reading it needs it to show (its inverse)."""
    match reads.shape:
        case "flag":
            return P.MetricSpec(P.YesNo(0.1, 0.8), "department")
        case "size":
            return P.MetricSpec(P.Size(100), "department")
        case "share_of":
            return P.MetricSpec(P.Share(reads.of, P.Span(0.0, reads.high)), "department")
        case "per_head":
            per: Literal["population", "households"] = "households" if reads.of == "households" else "population"
            return P.MetricSpec(P.PerHead(per, P.Span(0.0, reads.high)), "department")
        case _:
            hi = reads.high
            return P.MetricSpec(P.Level(P.Span(0.0, hi), 2 if not math.isclose(hi, round(hi)) else 0), "department")
