"""Property: an indicator compiled for a level gives exactly what the generic evaluation gives, for every
formula, curve and direction (the compiled form inlines the linear curve and the target comparison)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.rules.model import Indicator, Linear, RuleSet
from shared.scoring.evaluate import CompiledFramework, compile_indicator, evaluate_indicator
from shared.scoring.store import MetricStore


def _variants(ind: Indicator) -> list[Indicator]:
    out = [ind, replace(ind, direction="lower" if ind.direction == "higher" else "higher")]
    for floor in (-1.0, 0.0, 0.5, 2.0, 1e9):  # below, at and above typical targets: span > 0, = 0, < 0
        for direction in ("higher", "lower"):
            out.append(replace(ind, curve=Linear(floor), direction=direction))
    return out


def _near_targets(rules: RuleSet) -> list[float]:
    """Every target in the rules, and a hair either side: where `meets` decides."""
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
def test_compiled_equals_generic(province_rules: RuleSet, data: st.DataObject, year: int, quarter: int) -> None:
    tree = province_rules.org_tree
    store = MetricStore(tree, province_rules.catalog.metrics)
    one_per_level = sorted({u.level: u.index for u in reversed(tree.units)}.values())  # indicators differ by level
    unit = data.draw(st.sampled_from(one_per_level))
    level = tree.units[unit].level
    values = _values(province_rules)
    for metric in province_rules.catalog.metrics:
        v = data.draw(values, label=metric)
        if v is not None:
            store.add(metric, unit, year, data.draw(st.integers(1, quarter)), v, ts=1.0, seq=1)

    def share(f: object, code: str, u: int, y: int, q: int) -> tuple[int, int]:
        return (1, 2)

    for fw in province_rules.frameworks.values():
        cf = CompiledFramework.build(fw, tree)
        for ind in fw.indicators.values():
            if level not in ind.levels:
                continue
            for variant in _variants(ind):
                compiled = compile_indicator(cf, variant, level)
                got = compiled(store, unit, year, quarter, share)  # type: ignore[arg-type]
                want = evaluate_indicator(cf, variant, store, unit, year, quarter, share, level)  # type: ignore[arg-type]
                assert got == want, (fw.code, variant.code, variant.curve, variant.direction, got, want)
