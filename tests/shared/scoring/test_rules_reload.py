"""Property: after a rules reload the engine scores the data it held as an engine started on the new rules
scores the same events, whether the store's columns are copied (same tree and metrics) or rebuilt."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings

from shared.rules.model import RuleSet
from shared.scoring.engine import MetricEvent, ScoringEngine
from tests.shared.scoring.test_incremental_matches_full import assert_same_scores, events


def _scored(rules: RuleSet, seq: list[MetricEvent]) -> ScoringEngine:
    engine = ScoringEngine(rules)
    for i, ev in enumerate(seq, 1):
        engine.apply(ev, seq=i)
    return engine


def _own(engine: ScoringEngine) -> set[tuple[object, ...]]:
    return {
        (e.metric, e.unit, e.year, e.quarter, e.events, e.ts, e.seq, round(e.value, 9))
        for e in engine.store.own_entries()
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seq=events)
def test_reload_copies_or_rebuilds_the_store(mini_rules: RuleSet, seq: list[MetricEvent]) -> None:
    engine = _scored(mini_rules, seq)
    held = _own(engine)
    # the same files reloaded: a new RuleSet, the same tree and catalogue (the columns are copied)
    same = replace(mini_rules, version="reloaded")
    assert engine.swap_rules(same) == 0
    assert_same_scores(engine.results, _scored(same, seq).results)
    assert _own(engine) == held
    # a gauge that no longer rolls up: the store is rebuilt from the own entries
    metrics = dict(mini_rules.catalog.metrics)
    metrics["population.epayment_accounts"] = replace(metrics["population.epayment_accounts"], rollup="none")
    other = replace(mini_rules, version="other", catalog=replace(mini_rules.catalog, metrics=metrics))
    assert engine.swap_rules(other) == 0
    assert_same_scores(engine.results, _scored(other, seq).results)
    assert _own(engine) == held
    # a catalogue without a metric keeps its entries aside, and a later version that knows it scores them
    fewer = dict(mini_rules.catalog.metrics)
    del fewer["lgsp.systems_connected"]
    without = replace(mini_rules, version="without", catalog=replace(mini_rules.catalog, metrics=fewer))
    aside = sum(1 for e in engine.store.own_entries() if e.metric == "lgsp.systems_connected")
    assert engine.swap_rules(without) == aside
    assert engine.swap_rules(same) == 0
    assert_same_scores(engine.results, _scored(same, seq).results)
    assert _own(engine) == held


def test_same_tree_and_metrics_copy_the_columns(mini_rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _scored(mini_rules, [])
    tree = mini_rules.org_tree
    engine.store.add("tthc.records_total", tree.by_code["P.D1.C1"], 2025, 2, 3.0)
    engine.store.add("population.epayment_accounts", tree.by_code["P.D2.C1"], 2025, 1, 40.0, ts=5.0, seq=1)

    def no_entries() -> None:
        raise AssertionError("the columns should have been copied, not rebuilt from own entries")

    monkeypatch.setattr(engine.store, "own_entries", no_entries)
    store, skipped = engine.store.rebuilt_for(tree, dict(mini_rules.catalog.metrics))
    assert skipped == 0
    assert store.value("tthc.records_total", tree.by_code["P"], 2025) == 3.0
    assert store.value("population.epayment_accounts", tree.by_code["P.D2"], 2025) == 40.0
    store.add("tthc.records_total", tree.by_code["P.D1.C1"], 2025, 2, 1.0)  # a copy: the original is unchanged
    assert engine.store.value("tthc.records_total", tree.by_code["P"], 2025) == 3.0
