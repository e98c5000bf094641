"""Pure evaluation of indicators and composites for one unit, from a MetricStore.

The same functions serve the incremental path, the full recomputation and on-demand reads of quarters;
only where the share-of-units counts come from differs.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from shared import bilingual
from shared.rules.codes import INDEX as INDEX  # re-exported for modules of this package
from shared.rules.model import (
    Composite,
    Framework,
    Indicator,
    Linear,
    MainIndicator,
    OrgTree,
    ShareOfUnits,
)
from shared.scoring.curves import meets, score
from shared.scoring.results import CompositeResult, CompositeStatus, IndicatorResult, IndicatorStatus
from shared.scoring.store import MetricStore
from shared.scoring.targets import target_for


def no_target(level: str, year: int) -> str:
    """The reason of an indicator scored at a level its rules give no target for."""
    return bilingual.join(f"chưa có chỉ tiêu cho cấp {level} năm {year}", f"no target for level {level} in {year}")


# (unit, year, quarter) -> (units meeting the condition, units with data) for one share indicator
ShareCounts = Callable[[ShareOfUnits, str, int, int, int], tuple[int, int]]


# where a composite's part comes from, at one level
PART_INDICATOR, PART_MAIN, PART_COMPOSITE = 0, 1, 2
CompositePart = tuple[str, float, int]  # code, weight, PART_*


@dataclass(frozen=True, slots=True)
class CompositePlan:
    key: str  # where the result goes in UnitScore.composites ("DTI" for the index)
    code: str
    parts: tuple[CompositePart, ...]  # the parts that can count at this level, in the weights' order
    total_weight: float  # their weights' sum, added in the same order
    static: CompositeResult | None  # NOT_APPLICABLE when no part can count at this level
    codes: frozenset[str] = frozenset()  # the parts' codes (whether one of them changed, in one set operation)


# (store, unit, year, quarter, share counts) -> the indicator's result: one indicator at one level
IndicatorEvaluator = Callable[[MetricStore, int, int, int, ShareCounts], IndicatorResult]


@dataclass(frozen=True, slots=True)
class MainPlan:
    code: str
    static: CompositeResult | None  # NOT_APPLICABLE / NOT_SCORED, decided by the level alone
    parts: tuple[tuple[str, float], ...]  # its indicators scored at the level, with their points
    points: float  # their sum
    slots: tuple[tuple[str, int, float], ...] = ()  # the same with each one's position in LevelPlan.indicators


@dataclass(frozen=True, slots=True)
class LevelPlan:
    """What scoring a unit of one level involves, decided once per rules version: its indicators, the main
    indicators that cannot apply there (their constant result), and each composite's parts that can count
    there. A part that does not count (an indicator not scored at the level, a main indicator or pillar not
    applicable there) is dropped here rather than skipped on every evaluation; the sums keep their order, so
    the results are the same to the last bit."""

    indicators: tuple[tuple[str, IndicatorEvaluator], ...]  # scored at the level, in the framework's order
    evaluators: dict[str, IndicatorEvaluator]  # the same by code
    slot: dict[str, int]  # each one's position in `indicators`
    mains: tuple[MainPlan, ...]  # every main indicator, in the framework's order
    main_by_code: dict[str, MainPlan]
    composites: tuple[CompositePlan, ...]  # pillars in dependency order, index last


@dataclass(slots=True)
class CompiledFramework:
    """A framework with the look-ups that scoring needs on every event precomputed."""

    fw: Framework
    tree: OrgTree
    deps: dict[str, list[Indicator]] = field(default_factory=dict)  # metric -> non-share indicators
    share_deps: dict[str, list[Indicator]] = field(default_factory=dict)  # metric -> share indicators
    mains_of: dict[str, MainIndicator] = field(default_factory=dict)  # indicator -> its main indicator
    composite_order: list[Composite] = field(default_factory=list)  # pillars in dependency order, index last
    _targets: dict[tuple[str, str, int], float | None] = field(default_factory=dict)
    _plans: dict[tuple[str, str], tuple[tuple[tuple[str, float], ...], float]] = field(default_factory=dict)
    by_level: dict[str, list[Indicator]] = field(default_factory=dict)
    # metric -> level -> codes of the non-share indicators scored at that level that read the metric
    deps_by_level: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    _levels: dict[str, LevelPlan] = field(default_factory=dict)

    @classmethod
    def build(cls, fw: Framework, tree: OrgTree) -> CompiledFramework:
        cf = cls(fw, tree)
        for ind in fw.indicators.values():
            bucket = cf.share_deps if isinstance(ind.formula, ShareOfUnits) else cf.deps
            for m in set(ind.formula.metrics):
                bucket.setdefault(m, []).append(ind)
            for lv in ind.levels:
                cf.by_level.setdefault(lv, []).append(ind)
        for metric, inds in cf.deps.items():
            per: dict[str, list[str]] = {}
            for ind in inds:
                for lv in ind.levels:
                    per.setdefault(lv, []).append(ind.code)
            cf.deps_by_level[metric] = {lv: tuple(codes) for lv, codes in per.items()}
        for main in fw.main_indicators.values():
            for code in main.indicators:
                cf.mains_of[code] = main
        done: set[str] = set()

        def visit(p: Composite) -> None:
            if p.code in done:
                return
            done.add(p.code)
            for ref in p.weights:
                if ref in fw.pillars:
                    visit(fw.pillars[ref])
            cf.composite_order.append(p)

        for p in fw.pillars.values():
            visit(p)
        cf.composite_order.append(fw.index)
        return cf

    def level_plan(self, level: str) -> LevelPlan:
        plan = self._levels.get(level)
        if plan is None:
            plan = self._levels[level] = self._build_level_plan(level)
        return plan

    def _build_level_plan(self, level: str) -> LevelPlan:
        fw = self.fw
        position = {ind.code: i for i, ind in enumerate(self.by_level.get(level, ()))}
        mains: list[MainPlan] = []
        for m in fw.main_indicators.values():
            applicable, points = self.main_plan(m, level)
            static = NOT_APPLICABLE if not applicable else NOT_SCORED if points <= 0 else None
            slots = tuple((c, position[c], pts) for c, pts in applicable)
            mains.append(MainPlan(m.code, static, applicable, points, slots))
        static_main = {m.code: m.static for m in mains}
        scored = {ind.code for ind in self.by_level.get(level, ())}
        done: dict[str, bool] = {}  # composites planned so far: code -> can count at this level
        plans: list[CompositePlan] = []
        for comp in self.composite_order:
            parts: list[CompositePart] = []
            total = 0.0
            for code, w in comp.weights.items():
                # the part the unscheduled evaluation would find under this code: a composite computed
                # earlier, else a main indicator, else an indicator scored at the level
                if code in done:
                    if not done[code]:
                        continue
                    src = PART_COMPOSITE
                elif code in static_main:
                    if static_main[code] is not None:
                        continue  # not applicable or not scored here
                    src = PART_MAIN
                elif code in scored:
                    src = PART_INDICATOR
                else:
                    continue
                parts.append((code, w, src))
                total += w
            key = INDEX if comp is fw.index else comp.code
            plans.append(
                CompositePlan(
                    key,
                    comp.code,
                    tuple(parts),
                    total,
                    None if total != 0 else NOT_APPLICABLE,
                    frozenset(code for code, _w, _src in parts),
                )
            )
            done[comp.code] = total != 0
        evaluators = tuple((ind.code, compile_indicator(self, ind, level)) for ind in self.by_level.get(level, ()))
        return LevelPlan(evaluators, dict(evaluators), position, tuple(mains), {m.code: m for m in mains}, tuple(plans))

    def main_plan(self, main: MainIndicator, level: str) -> tuple[tuple[tuple[str, float], ...], float]:
        """The main indicator's indicators scored at a level, with their points, and the points' sum."""
        key = (main.code, level)
        plan = self._plans.get(key)
        if plan is None:
            inds = self.fw.indicators
            parts = tuple((c, inds[c].points) for c in main.indicators if level in inds[c].levels)
            plan = self._plans[key] = (parts, sum(p for _c, p in parts))
        return plan

    def target(self, ind: Indicator, level: str, year: int) -> float | None:
        key = (ind.code, level, year)
        try:
            return self._targets[key]
        except KeyError:
            t = self._targets[key] = target_for(ind, level, year)
            return t


def evaluate_indicator(
    cf: CompiledFramework,
    ind: Indicator,
    store: MetricStore,
    unit: int,
    year: int,
    quarter: int,
    share_counts: ShareCounts,
    level: str | None = None,
) -> IndicatorResult:
    value, reason = _formula_value(ind, store, cf.tree, unit, year, quarter, share_counts)
    if level is None:
        level = cf.tree.units[unit].level
    target = cf.target(ind, level, year)
    if value is None:
        return IndicatorResult(None, target, None, ind.points, None, "no_data", reason)
    if target is None:
        return IndicatorResult(value, None, None, ind.points, None, "no_data", no_target(level, year))
    s = score(ind.curve, value, target, ind.direction)
    status: IndicatorStatus = "met" if meets(value, target, ind.direction) else "below_target"
    return IndicatorResult(value, target, s, ind.points, s * ind.points, status)


def compile_indicator(cf: CompiledFramework, ind: Indicator, level: str) -> IndicatorEvaluator:
    """`evaluate_indicator` for one indicator at one level, with the formula's dispatch, its metrics and its
    messages resolved once instead of on every evaluation (the same arithmetic, so the same results)."""
    points, direction, curve = ind.points, ind.direction, ind.curve
    target_of = cf.target
    tree = cf.tree
    higher = direction == "higher"
    # the linear curve is inlined below (the most common curve, on every event); the others score themselves
    floor = curve.floor if isinstance(curve, Linear) else None
    curve_score = curve.score
    # per year: the target, the linear curve's span and the threshold `meets` compares with, computed as
    # `score` and `meets` compute them (the same expressions, so the same floats)
    per_year: dict[int, tuple[float | None, float, float]] = {}

    def finish(value: float | None, reason: str | None, year: int) -> IndicatorResult:
        got = per_year.get(year)
        if got is None:
            target = target_of(ind, level, year)
            if target is None:
                got = (None, 0.0, 0.0)
            else:
                span = 0.0 if floor is None else (target - floor) if higher else (floor - target)
                eps = 1e-9 * max(1.0, abs(target))
                got = (target, span, target - eps if higher else target + eps)
            per_year[year] = got
        target, span, threshold = got
        if value is None:
            return IndicatorResult(None, target, None, points, None, "no_data", reason)
        if target is None:
            return IndicatorResult(value, None, None, points, None, "no_data", no_target(level, year))
        if floor is not None and span > 0:
            x = (value - floor) / span if higher else (floor - value) / span
            sc = 0.0 if x < 0.0 else 1.0 if x > 1.0 else x
        else:
            sc = curve_score(value, target, direction)
        status: IndicatorStatus = "met" if (value >= threshold if higher else value <= threshold) else "below_target"
        return IndicatorResult(value, target, sc, points, sc * points, status)

    return ind.formula.compile(ind.code, tree, finish)


def _formula_value(
    ind: Indicator, store: MetricStore, tree: OrgTree, unit: int, year: int, quarter: int, share_counts: ShareCounts
) -> tuple[float | None, str | None]:
    return ind.formula.value(ind.code, store, tree, unit, year, quarter, share_counts)


NOT_APPLICABLE = CompositeResult(None, "not_applicable", 0.0, ())
NOT_SCORED = CompositeResult(None, "not_scored", 0.0, ())


def evaluate_planned_main(fw: Framework, plan: MainPlan, results: dict[str, IndicatorResult]) -> CompositeResult:
    """A main indicator's result from its plan at the level at hand: the earned points of its indicators
    with data over the points they carry (the framework's missing-data rule decides what the rest count)."""
    if plan.static is not None:
        return plan.static
    points = plan.points
    earned = 0.0
    with_data = points
    missing: list[str] = []
    for c, pts in plan.parts:
        e = results[c].earned
        if e is None:
            missing.append(c)
            with_data -= pts
        else:
            earned += e
    return _main_result(fw, points, with_data, earned, tuple(missing))


def evaluate_main_from_row(fw: Framework, plan: MainPlan, earned_row: array[float], base: int) -> CompositeResult:
    """`evaluate_planned_main` reading the indicators' earned points from a unit's row of a flat array
    (NaN where an indicator has no data) instead of from their results: the same sums, in the same order,
    without fetching every indicator's result object from wherever it lies in memory."""
    if plan.static is not None:
        return plan.static
    points = plan.points
    earned = 0.0
    with_data = points
    missing: list[str] = []
    for c, pos, pts in plan.slots:
        e = earned_row[base + pos]
        if e != e:  # NaN: no data
            missing.append(c)
            with_data -= pts
        else:
            earned += e
    return _main_result(fw, points, with_data, earned, tuple(missing))


def _main_result(
    fw: Framework, points: float, with_data: float, earned: float, missing: tuple[str, ...]
) -> CompositeResult:
    coverage = with_data / points
    if with_data <= 0:
        return CompositeResult(None, "no_data", 0.0, missing, points, 0.0)
    status: CompositeStatus = "complete" if not missing else "partial"
    if fw.missing_data == "rescale":
        if coverage + 1e-12 < fw.min_coverage:
            return CompositeResult(None, "no_data", coverage, missing, points, earned)
        return CompositeResult(earned / with_data, status, coverage, missing, with_data, earned)
    return CompositeResult(earned / points, status, coverage, missing, points, earned)


def _weighted(fw: Framework, acc: float, data_w: float, total_w: float, missing: list[str]) -> CompositeResult:
    """A composite from its parts' weighted sum: `acc` over the weight with data (`data_w`) of `total_w`,
    rescaled or not as the framework says for missing parts."""
    coverage = data_w / total_w
    if data_w == 0:
        return CompositeResult(None, "no_data", 0.0, tuple(missing))
    status: CompositeStatus = "complete" if not missing else "partial"
    if fw.missing_data == "rescale":
        if coverage + 1e-12 < fw.min_coverage:
            return CompositeResult(None, "no_data", coverage, tuple(missing))
        return CompositeResult(acc / data_w, status, coverage, tuple(missing))
    return CompositeResult(acc / total_w, status, coverage, tuple(missing))


def evaluate_planned_composite(
    plan: CompositePlan,
    fw: Framework,
    indicators: dict[str, IndicatorResult],
    mains: dict[str, CompositeResult],
    composites: dict[str, CompositeResult],
) -> CompositeResult:
    """A pillar's (or the index's) result: the weighted mean of its parts' values over the parts its level plan
    keeps (the framework's missing-data rule decides what parts without data count)."""
    if plan.static is not None:
        return plan.static
    total_w = plan.total_weight
    data_w = 0.0
    acc = 0.0
    missing: list[str] = []
    value: float | None
    for code, w, src in plan.parts:
        if src == PART_MAIN:
            value = mains[code].value
        elif src == PART_INDICATOR:
            value = indicators[code].score
        else:
            value = composites[code].value
        if value is None:
            missing.append(code)
            continue
        data_w += w
        acc += w * value
    return _weighted(fw, acc, data_w, total_w, missing)
