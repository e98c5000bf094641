"""The kept scores of the units below the root are computed when read (`shared.scoring.engine._LazyScore`):
what a reader sees is what a full recomputation gives, and a score someone holds across a recomputation, a
rules swap or a restore keeps the results of the moment it was replaced, as a plain kept score does."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.periods import PROVINCE_TZ, Period
from shared.rules.model import RuleSet
from shared.scoring.engine import MetricEvent, ScoringEngine
from shared.scoring.results import UnitScore
from tests.shared.scoring.test_incremental_matches_full import assert_same_scores, events

WHEN = datetime(2025, 5, 2, 9, tzinfo=PROVINCE_TZ)
C1 = "P.D1.C1"


def _copy(us: UnitScore) -> UnitScore:
    return UnitScore(
        us.framework, us.unit, us.year, us.quarter, dict(us.indicators), dict(us.mains), dict(us.composites)
    )


def _rebuilt(engine: ScoringEngine, rules: RuleSet) -> ScoringEngine:
    fresh = ScoringEngine(rules)
    fresh.restore(engine.store.own_entries(), engine.seq)
    return fresh


def _ev(metric: str, value: float, unit: str = C1) -> MetricEvent:
    return MetricEvent(metric, unit, value, WHEN)


def test_a_commune_read_after_events_is_what_a_full_recomputation_gives(mini_rules: RuleSet) -> None:
    engine = ScoringEngine(mini_rules)
    changed = engine.apply(_ev("tthc.records_total", 4))
    held = next(us for us in changed if us.unit == mini_rules.org_tree.by_code[C1])
    engine.apply(_ev("tthc.records_online", 1))  # stale now: nothing has read it since
    engine.apply(_ev("tthc.records_online", 2))
    expected = _rebuilt(engine, mini_rules)
    key = ("mini", held.unit, 2025)
    assert held == expected.results[key]  # compared by value, whatever the class
    assert_same_scores(engine.results, expected.results)
    assert engine.score("mini", C1, Period(2025, 4, True)) == expected.score("mini", C1, Period(2025, 4, True))


def test_an_unchanged_value_reports_nothing(mini_rules: RuleSet) -> None:
    engine = ScoringEngine(mini_rules)
    engine.apply(_ev("infra.network", 1))
    assert engine.apply(_ev("infra.network", 1)) == []  # the same gauge level again: no score moved


@pytest.mark.parametrize("unit", [C1, "P.D1"])
def test_a_held_score_keeps_the_results_of_the_moment_it_was_replaced(mini_rules: RuleSet, unit: str) -> None:
    index = mini_rules.org_tree.by_code[unit]
    for replace_scores in (
        lambda e: e.rescore_all(),
        lambda e: e.swap_rules(replace(mini_rules, version="reloaded")),
        lambda e: e.restore(list(e.store.own_entries()), e.seq),
    ):
        engine = ScoringEngine(mini_rules)
        changed = engine.apply(_ev("tthc.records_total", 4))
        held = next(us for us in changed if us.unit == index)
        engine.apply(_ev("tthc.records_online", 3))  # held is stale, and not read yet
        then = _copy(_rebuilt(engine, mini_rules).results[("mini", index, 2025)])
        replace_scores(engine)
        engine.apply(_ev("tthc.records_online", 1))
        engine.apply(_ev("tthc.records_total", 10))
        assert held == then
        now = engine.results[("mini", index, 2025)]
        assert now is not held
        assert now == _rebuilt(engine, mini_rules).results[("mini", index, 2025)]
        assert now != then


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seq=events, reads=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 5)), max_size=12))
def test_scores_read_between_events_are_what_a_full_recomputation_gives(
    mini_rules: RuleSet, seq: list[MetricEvent], reads: list[tuple[int, int]]
) -> None:
    """Reads at random points bring stale scores up to date by what changed since the last read: every read,
    and the scores at the end, equal a full recomputation of the store as it is then."""
    engine = ScoringEngine(mini_rules)
    units = mini_rules.org_tree.units
    when = {}
    for at, unit in reads:
        when.setdefault(at, []).append(unit)
    for i, ev in enumerate(seq):
        engine.apply(ev, seq=i + 1)
        for unit in when.get(i, ()):
            expected = _rebuilt(engine, mini_rules)
            for year in {k[2] for k in engine.results}:
                key = ("mini", units[unit].index, year)
                if key in engine.results:
                    assert_same_scores({key: engine.results[key]}, {key: expected.results[key]})
    assert_same_scores(engine.results, _rebuilt(engine, mini_rules).results)
