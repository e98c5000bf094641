"""Property: an indicator compiled for a level gives what the rules say it gives, for every formula, curve
and direction, and exactly what the generic evaluation gives (the compiled form inlines the linear curve and
the target comparison).

The oracle below is written from docs/rules-format.md, not from the scoring code: it reads the values the
test itself reported (one report per metric, so a counter's year to date and a gauge's latest level are that
report), computes each formula and curve as the document defines them, and takes only the year's target from
`target_for` (interpolating targets has its own tests in test_curves_targets.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.rules.model import (
    Curve,
    Indicator,
    Latest,
    Linear,
    OrgTree,
    PerCapita,
    Piecewise,
    Ratio,
    RatioToTarget,
    RuleSet,
    ShareOfUnits,
    Steps,
    Sum,
    YesNo,
)
from shared.scoring.evaluate import CompiledFramework, compile_indicator, evaluate_indicator
from shared.scoring.store import MetricStore
from shared.scoring.targets import target_for

MEET, WITH_DATA = 1, 2  # what the share counts below report: 1 unit meets the condition, 2 have data


@dataclass(frozen=True)
class Expected:
    value: float | None
    target: float | None
    score: float | None


def _formula(
    ind: Indicator, reported: dict[str, float], metric_type: dict[str, str], tree: OrgTree, unit: int
) -> float | None:
    f = ind.formula
    if isinstance(f, Ratio):  # ΣM1 / ΣM2; no data when M2 has none or is 0; a counter with no event counts 0
        den = reported.get(f.denominator)
        if den is None or den == 0:
            return None
        num = reported.get(f.numerator)
        if num is None:
            if metric_type[f.numerator] == "gauge":
                return None
            num = 0.0
        return num / den * f.scale
    if isinstance(f, Latest):
        v = reported.get(f.metric)
        return None if v is None else v * f.scale
    if isinstance(f, Sum):  # the terms with data; none: no data
        got = [reported[m] for m in f.terms if m in reported]
        return sum(got) * f.scale if got else None
    if isinstance(f, PerCapita):
        v = reported.get(f.metric)
        u = tree.units[unit]
        base = u.population if f.per == "population" else u.households
        return None if v is None or not base else v / base * f.scale
    # units meeting it ÷ all units of the level below (without data: not met); the stub below reports some with data
    assert isinstance(f, ShareOfUnits)
    below = sum(1 for u in tree.units if u.level == f.level and unit in u.ancestors)
    return MEET / below * f.scale if below else None


def _met(value: float, target: float, higher: bool) -> bool:
    hair = 1e-9 * max(1.0, abs(target))  # float sums such as 0.1 + 0.2 still meet 0.3
    return value >= target - hair if higher else value <= target + hair


def _curve(curve: Curve, value: float, target: float, higher: bool) -> float:
    def clamp(x: float) -> float:
        return min(1.0, max(0.0, x))

    if isinstance(curve, Linear):  # 0 at the floor, 1 at the target; a floor on the wrong side: met or not
        f = curve.floor
        if (target <= f) if higher else (target >= f):
            return 1.0 if _met(value, target, higher) else 0.0
        return clamp((value - f) / (target - f) if higher else (f - value) / (f - target))
    if isinstance(curve, RatioToTarget):  # min(value / target, 1); min(target / value, 1) when lower is better
        if higher:
            return 1.0 if target <= 0 else clamp(value / target)
        return 1.0 if value <= target else clamp(target / value)
    if isinstance(curve, Steps):  # the first band the value reaches, else 0
        reached = [s for b, s in curve.bands if (value <= b if curve.upper_bounds else value >= b)]
        return reached[0] if reached else 0.0
    if isinstance(curve, YesNo):  # yes is a value of 1 or more
        return 1.0 if (value >= 1.0) == higher else 0.0
    assert isinstance(curve, Piecewise)  # straight lines through the points, flat beyond them
    pts = curve.points
    if value <= pts[0][0]:
        return pts[0][1]
    if value >= pts[-1][0]:
        return pts[-1][1]
    (x0, s0), (x1, s1) = next((a, b) for a, b in zip(pts, pts[1:], strict=False) if value <= b[0])
    return s0 + (s1 - s0) * (value - x0) / (x1 - x0)


def _oracle(ind: Indicator, reported: dict[str, float], rules: RuleSet, unit: int, level: str, year: int) -> Expected:
    types: dict[str, str] = {c: m.type for c, m in rules.catalog.metrics.items()}
    value = _formula(ind, reported, types, rules.org_tree, unit)
    target = target_for(ind, level, year)
    if value is None or target is None:
        return Expected(value, target, None)
    return Expected(value, target, _curve(ind.curve, value, target, ind.direction == "higher"))


def _close(got: float | None, want: float | None) -> bool:
    """Equal to the last bits an independent computation may round differently; None only for None."""
    if got is None or want is None:
        return got is want
    return got == pytest.approx(want, rel=1e-12, abs=1e-12)


def _variants(ind: Indicator) -> list[Indicator]:
    out = [ind, replace(ind, direction="lower" if ind.direction == "higher" else "higher")]
    for floor in (-1.0, 0.0, 0.5, 2.0, 1e9):  # below, at and above typical targets: span > 0, = 0, < 0
        for direction in ("higher", "lower"):
            out.append(replace(ind, curve=Linear(floor), direction=direction))
    out.append(replace(ind, curve=Piecewise(((0.0, 0.0), (0.5, 0.6), (2.0, 1.0))), direction="higher"))
    out.append(replace(ind, curve=Piecewise(((0.0, 1.0), (0.5, 0.6), (2.0, 0.0))), direction="lower"))
    return out


def _near_targets(rules: RuleSet) -> list[float]:
    """Every target in the rules, and a hair either side: where "met" is decided."""
    ts = {
        t for fw in rules.frameworks.values() for i in fw.indicators.values() for s in i.targets.values() for _y, t in s
    }
    return sorted({x for t in ts for x in (t, t - 1e-10, t + 1e-10, t - 1e-8, t + 1e-8, t * 100)})


def _values(rules: RuleSet) -> st.SearchStrategy[float | None]:
    return st.one_of(
        st.none(),
        st.just(0.0),
        st.floats(-10, 1e6, allow_nan=False),
        st.integers(0, 50).map(float),
        st.sampled_from(_near_targets(rules)),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), year=st.sampled_from([2024, 2025, 2026, 2031]), quarter=st.integers(1, 4))
def test_compiled_gives_what_the_rules_say(
    province_rules: RuleSet, data: st.DataObject, year: int, quarter: int
) -> None:
    tree = province_rules.org_tree
    store = MetricStore(tree, province_rules.catalog.metrics)
    one_per_level = sorted({u.level: u.index for u in reversed(tree.units)}.values())  # indicators differ by level
    unit = data.draw(st.sampled_from(one_per_level))
    level = tree.units[unit].level
    values = _values(province_rules)
    reported: dict[str, float] = {}
    for metric in province_rules.catalog.metrics:
        v = data.draw(values, label=metric)
        if v is not None:
            store.add(metric, unit, year, data.draw(st.integers(1, quarter)), v, ts=1.0, seq=1)
            reported[metric] = v

    def share(f: object, code: str, u: int, y: int, q: int) -> tuple[int, int]:
        return (MEET, WITH_DATA)

    for fw in province_rules.frameworks.values():
        cf = CompiledFramework.build(fw, tree)
        for ind in fw.indicators.values():
            if level not in ind.levels:
                continue
            for variant in _variants(ind):
                compiled = compile_indicator(cf, variant, level)
                got = compiled(store, unit, year, quarter, share)
                generic = evaluate_indicator(cf, variant, store, unit, year, quarter, share, level)
                assert got == generic, (fw.code, variant.code, variant.curve, variant.direction, got, generic)
                want = _oracle(variant, reported, province_rules, unit, level, year)
                where = (fw.code, variant.code, variant.formula, variant.curve, variant.direction, got, want)
                assert _close(got.value, want.value), where
                assert got.target == want.target, where
                assert _close(got.score, want.score), where
                if want.score is None:
                    assert (got.status, got.earned) == ("no_data", None), where
                    assert got.reason, where  # a result without a value says why
                else:
                    assert _close(got.earned, want.score * variant.points), where
                    assert got.value is not None and want.target is not None, where
                    met = _met(got.value, want.target, variant.direction == "higher")
                    assert got.status == ("met" if met else "below_target"), where
