"""Property: setting a unit's absolute own figures (what the Kafka read model receives) is the same as
applying the events that produced them: in the store, in the scores, and in what is reported as changed."""

from __future__ import annotations

import math
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.rules.model import RuleSet
from shared.scoring.engine import MetricEvent, OwnUpdate, ScoringEngine
from shared.scoring.results import UnitScore
from shared.scoring.store import MetricStore, OwnEntry
from tests.shared.scoring.test_incremental_matches_full import assert_same_scores, events

Cell = tuple[str, str, int, int]


def _cells(store: MetricStore) -> dict[Cell, OwnEntry]:
    return {(e.metric, e.unit, e.year, e.quarter): e for e in store.own_entries()}


def _update(engine: ScoringEngine, e: OwnEntry) -> OwnUpdate:
    return (e.metric, engine.tree.by_code[e.unit], e.year, e.quarter, e.value, e.events, e.ts, e.seq)


def _assert_same_values(a: MetricStore, b: MetricStore) -> None:
    years = sorted(set(a.years()) | set(b.years()))
    for metric in a.metrics:
        for u in a.tree.units:
            for year in years:
                for q in (1, 2, 3, 4):
                    x, y = a.value(metric, u.index, year, q), b.value(metric, u.index, year, q)
                    assert (x is None) == (y is None), (metric, u.code, year, q, x, y)
                    assert x is None or y is None or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)


def _copy(results: dict[tuple[str, int, int], UnitScore]) -> dict[tuple[str, int, int], UnitScore]:
    return {
        k: UnitScore(v.framework, v.unit, v.year, v.quarter, dict(v.indicators), dict(v.mains), dict(v.composites))
        for k, v in results.items()
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seq=events, order_seed=st.integers(0, 2**16))
def test_store_set_own_of_the_totals_equals_the_adds(
    mini_rules: RuleSet, seq: list[MetricEvent], order_seed: int
) -> None:
    by_adds = ScoringEngine(mini_rules)
    for ev in seq:
        by_adds.apply(ev)
    totals = list(_cells(by_adds.store).values())
    random.Random(order_seed).shuffle(totals)
    store = MetricStore(mini_rules.org_tree, mini_rules.catalog.metrics)
    tree = mini_rules.org_tree
    # first wrong figures for some cells, then the right ones: a replacement, not an accumulation
    for e in totals[::2]:
        store.set_own(e.metric, tree.by_code[e.unit], e.year, e.quarter, e.value + 7, e.events + 2, e.ts + 1, e.seq + 1)
    for e in totals:
        store.set_own(e.metric, tree.by_code[e.unit], e.year, e.quarter, e.value, e.events, e.ts, e.seq)
    assert _cells(store) == _cells(by_adds.store)
    _assert_same_values(store, by_adds.store)
    assert store.touched == by_adds.store.touched


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seq=events, cuts=st.lists(st.integers(0, 60), max_size=8))
def test_set_own_batch_of_changed_totals_scores_like_the_events(
    mini_rules: RuleSet, seq: list[MetricEvent], cuts: list[int]
) -> None:
    """The read model's view: after each batch of events somewhere else, it receives the new absolute totals
    of the cells that batch changed."""
    by_events = ScoringEngine(mini_rules)
    by_totals = ScoringEngine(mini_rules)
    held: dict[Cell, OwnEntry] = {}
    bounds = sorted({0, len(seq), *(c for c in cuts if c < len(seq))})
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        by_events.apply_many(seq[lo:hi])
        now = _cells(by_events.store)
        changed_cells = [e for k, e in now.items() if held.get(k) != e]
        held = now
        before = _copy(by_totals.results)
        reported = {
            (s.framework, s.unit, s.year)
            for s in by_totals.set_own_batch([_update(by_totals, e) for e in changed_cells])
        }
        assert_same_scores(by_events.results, by_totals.results)
        # everything whose score moved is reported as changed
        for key, us in by_totals.results.items():
            old = before.get(key)
            if old is None or (old.indicators, old.mains, old.composites) != (us.indicators, us.mains, us.composites):
                assert key in reported, key
    rebuilt = ScoringEngine(mini_rules)
    rebuilt.restore(by_totals.store.own_entries(), 0)
    assert_same_scores(by_totals.results, rebuilt.results)


def test_set_own_replaces_counters_and_gauges_and_zero_events_clears(mini_rules: RuleSet) -> None:
    tree = mini_rules.org_tree
    c1, d1, p = tree.by_code["P.D1.C1"], tree.by_code["P.D1"], tree.by_code["P"]
    c2 = tree.by_code["P.D1.C2"]
    s = MetricStore(tree, mini_rules.catalog.metrics)
    s.set_own("tthc.records_total", c1, 2025, 2, 10.0, 4)
    s.set_own("tthc.records_total", c2, 2025, 1, 5.0, 5)
    assert s.value("tthc.records_total", d1, 2025) == 15.0
    s.set_own("tthc.records_total", c1, 2025, 2, 3.0, 2)  # a replacement, not an addition
    assert s.value("tthc.records_total", c1, 2025) == 3.0
    assert s.value("tthc.records_total", p, 2025) == 8.0
    assert s.value("tthc.records_total", c1, 2025, 1) is None
    s.set_own("tthc.records_total", c1, 2025, 2, 0.0, 0)
    assert s.value("tthc.records_total", c1, 2025) is None
    assert s.value("tthc.records_total", p, 2025) == 5.0
    # gauges: an absolute level replaces even a newer one, and the parent's sum of children follows
    s.set_own("population.epayment_accounts", c1, 2025, 1, 300.0, 1, ts=200.0, seq=2)
    s.set_own("population.epayment_accounts", c2, 2025, 1, 500.0, 1, ts=100.0, seq=1)
    assert s.value("population.epayment_accounts", d1, 2025) == 800.0
    s.set_own("population.epayment_accounts", c1, 2025, 1, 250.0, 1, ts=150.0, seq=3)
    assert s.value("population.epayment_accounts", d1, 2025) == 750.0
    s.set_own("population.epayment_accounts", c1, 2025, 1, 0.0, 0)
    assert s.value("population.epayment_accounts", c1, 2025) is None
    assert s.value("population.epayment_accounts", d1, 2025) == 500.0
