"""Property: applying events one by one gives exactly the scores a full recomputation gives."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.periods import PROVINCE_TZ
from shared.rules.model import RuleSet
from shared.scoring.engine import MetricEvent, ScoringEngine
from shared.scoring.results import CompositeResult, IndicatorResult, UnitScore

UNITS = ["P", "P.D1", "P.D2", "P.D1.C1", "P.D1.C2", "P.D2.C1"]
METRICS = {
    "tthc.records_total": (0, 5),
    "tthc.records_online": (0, 5),
    "work.records_total": (0, 3),
    "work.records_online": (0, 3),
    "infra.network": (0, 1),
    "lgsp.systems_connected": (0, 12),
    "population.epayment_accounts": (0, 900),
}
START = datetime(2024, 11, 1, tzinfo=PROVINCE_TZ)

events = st.lists(
    st.tuples(
        st.sampled_from(sorted(METRICS)),
        st.sampled_from(UNITS),
        st.integers(0, 12),
        st.integers(0, 500),  # days after START: spans 2024 Q4 .. 2026 Q1
    ).map(lambda t: MetricEvent(t[0], t[1], float(min(t[2], METRICS[t[0]][1])), START + timedelta(days=t[3]))),
    max_size=60,
)


def _close(a: float | None, b: float | None) -> bool:
    return a is b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12))


def _same(x: IndicatorResult | CompositeResult, y: IndicatorResult | CompositeResult) -> bool:
    if type(x) is not type(y):
        return False
    for name in x.__slots__:  # type: ignore[attr-defined]
        a, b = getattr(x, name), getattr(y, name)
        if isinstance(a, float) or isinstance(b, float):
            if not _close(a, b):
                return False
        elif a != b:
            return False
    return True


def assert_same_scores(inc: dict[tuple[str, int, int], UnitScore], full: dict[tuple[str, int, int], UnitScore]) -> None:
    assert inc.keys() == full.keys()
    for key, a in inc.items():
        b = full[key]
        for part in ("indicators", "mains", "composites"):
            da, db = getattr(a, part), getattr(b, part)
            assert da.keys() == db.keys(), (key, part)
            for code in da:
                assert _same(da[code], db[code]), (key, part, code, da[code], db[code])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seq=events)
def test_incremental_equals_full_recomputation(mini_rules: RuleSet, seq: list[MetricEvent]) -> None:
    engine = ScoringEngine(mini_rules)
    for ev in seq:
        engine.apply(ev)
    rebuilt = ScoringEngine(mini_rules)
    rebuilt.restore(engine.store.own_entries(), engine.seq)
    assert_same_scores(engine.results, rebuilt.results)
    # and a recomputation in place changes nothing either
    before = {
        k: UnitScore(v.framework, v.unit, v.year, v.quarter, dict(v.indicators), dict(v.mains), dict(v.composites))
        for k, v in engine.results.items()
    }
    engine.rescore_all()
    assert_same_scores(before, engine.results)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seq=events)
def test_incremental_equals_full_on_the_province_rules(province_rules: RuleSet, seq: list[MetricEvent]) -> None:
    tree = province_rules.org_tree
    units = [u.code for u in tree.units]
    metrics = sorted(province_rules.catalog.metrics)
    engine = ScoringEngine(province_rules)
    for i, ev in enumerate(seq):
        # spread the random events over the real tree and catalogue
        engine.apply(
            MetricEvent(
                metrics[(sorted(METRICS).index(ev.metric) * 7 + i * 3) % len(metrics)],
                units[(UNITS.index(ev.org_unit) * 37 + i * 11) % len(units)],
                ev.value,
                ev.occurred_at,
            )
        )
    rebuilt = ScoringEngine(province_rules)
    rebuilt.restore(engine.store.own_entries(), engine.seq)
    assert_same_scores(engine.results, rebuilt.results)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seq=events, cuts=st.lists(st.integers(0, 60), max_size=8))
def test_batches_equal_one_by_one_and_full(mini_rules: RuleSet, seq: list[MetricEvent], cuts: list[int]) -> None:
    one = ScoringEngine(mini_rules)
    for ev in seq:
        one.apply(ev)
    batched = ScoringEngine(mini_rules)
    bounds = sorted({0, len(seq), *(c for c in cuts if c < len(seq))})
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        batched.apply_many(seq[lo:hi])
    assert_same_scores(one.results, batched.results)
    rebuilt = ScoringEngine(mini_rules)
    rebuilt.restore(batched.store.own_entries(), batched.seq)
    assert_same_scores(batched.results, rebuilt.results)
