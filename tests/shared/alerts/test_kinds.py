"""Each kind of alert fires and resolves on the mini fixture, with every expected number worked out by hand.

Every test runs twice: with durable-rules (production) and with the plain-Python reference evaluator.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from shared.periods import PROVINCE_TZ
from shared.rules.model import RuleSet
from shared.scoring.targets import expected_at, trajectory_status
from tests.shared.alerts.helpers import (
    EVALUATORS,
    T0,
    Harness,
    feed,
    one_rule,
    quarterly,
    with_goal,
)

approx = pytest.approx


@pytest.fixture(params=sorted(EVALUATORS))
def evaluator(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# ---------------------------------------------------------------- below target
def test_below_target_uses_the_target_of_the_units_level(mini_rules: RuleSet, evaluator: str) -> None:
    rules = one_rule(mini_rules, "{name: work_online_low, kind: below_target, match: {indicators: [A2]}}")
    h = Harness(rules, EVALUATORS[evaluator])
    h.run(T0)
    # A2 is 7/10 = 70% at C1, D1 and P. Targets for 2025 by level: commune 60%, district 80%, province 90%.
    # C1: 0.7 >= 0.6, met. D1: 0.8 - 0.7 = 0.1 short. P: 0.9 - 0.7 = 0.2 short. D2 and the others: no data.
    assert h.firing() == {("work_online_low", "A2", "P.D1"), ("work_online_low", "A2", "P")}
    d1 = h.alert("work_online_low", "A2", "P.D1")
    assert float(d1.annotations["value"]) == approx(0.7)
    assert float(d1.annotations["target"]) == approx(0.8)
    assert float(d1.annotations["gap"]) == approx(0.1)
    p = h.alert("work_online_low", "A2", "P")
    assert (float(p.annotations["target"]), float(p.annotations["gap"])) == (approx(0.9), approx(0.2))

    # one more online work record at C1: 8/10 = 0.8 meets the district's 80% exactly; the province's 90% not
    feed(h.scoring, "work.records_online", "P.D1.C1", 1)
    result = h.run(T0 + timedelta(hours=1))
    assert h.firing() == {("work_online_low", "A2", "P")}
    assert [(t.labels["org_unit"], t.from_state, t.to_state) for t in result.transitions] == [
        ("P.D1", "firing", "resolved")
    ]


def test_below_target_margin_is_relative_to_the_target(mini_rules: RuleSet, evaluator: str) -> None:
    rules = one_rule(
        mini_rules, "{name: far_below, kind: below_target, params: {margin: 15%}, match: {indicators: [A2]}}"
    )
    h = Harness(rules, EVALUATORS[evaluator])
    h.run(T0)
    # D1: short by 0.1, allowed 15% of 0.8 = 0.12 -> quiet. P: short by 0.2, allowed 15% of 0.9 = 0.135 -> fires
    assert h.firing() == {("far_below", "A2", "P")}


def test_below_target_for_a_count_indicator(mini_rules: RuleSet, evaluator: str) -> None:
    rules = one_rule(mini_rules, "{name: lgsp_low, kind: below_target, match: {indicators: [B2]}}")
    h = Harness(rules, EVALUATORS[evaluator])
    h.run(T0)
    # B2: 7 systems against a target of 10, 3 short
    assert h.firing() == {("lgsp_low", "B2", "P")}
    assert float(h.alert("lgsp_low", "B2", "P").annotations["gap"]) == approx(3)
    feed(h.scoring, "lgsp.systems_connected", "P", 10, when=T0 + timedelta(minutes=5))
    h.run(T0 + timedelta(hours=1))
    assert h.firing() == set()
    assert h.alert("lgsp_low", "B2", "P").state == "resolved"


# ---------------------------------------------------------------- off trajectory
def test_off_trajectory_at_an_injected_date(mini_rules: RuleSet, evaluator: str) -> None:
    rules = one_rule(mini_rules, "{name: a1_off_track, kind: off_trajectory, match: {indicators: [A1]}}")
    h = Harness(rules, EVALUATORS[evaluator])
    # 14 March 2025 is day 73 of 365: the fractional year is 2025 + 73/365 = 2025.2. A1's path runs from the
    # baseline 40% (end of 2024, x = 2025.0) to the 2025 target 80% (x = 2026.0): expected 0.4 + 0.4 * 0.2 =
    # 0.48. Tolerance 10% (the framework's): allowed 0.048, so off track below 0.432.
    # C1 0.75 on track; C2 1/6 = 0.1667 off; D1 0.4 off; D2 0.5 on; D2.C1 1.0 on; P 6/14 = 0.4286 off (by 0.0514)
    h.run(T0)
    assert h.firing() == {("a1_off_track", "A1", u) for u in ("P.D1.C2", "P.D1", "P")}
    p = h.alert("a1_off_track", "A1", "P")
    assert float(p.annotations["target"]) == approx(0.48)
    assert float(p.annotations["gap"]) == approx(0.48 - 6 / 14)
    # the scoring core's own trajectory status agrees
    ind = mini_rules.frameworks["mini"].indicators["A1"]
    assert trajectory_status(6 / 14, expected_at(ind, "province", date(2025, 3, 14)) or 0, 0.1, "higher") == (
        "off_track"
    )
    # the province files 2 more records, both online, itself: (6 + 2) / (14 + 2) = 0.5 >= 0.432
    feed(h.scoring, "tthc.records_total", "P", 1, times=2)
    feed(h.scoring, "tthc.records_online", "P", 1, times=2)
    h.run(T0 + timedelta(hours=1))
    assert h.firing() == {("a1_off_track", "A1", u) for u in ("P.D1.C2", "P.D1")}
    assert h.alert("a1_off_track", "A1", "P").state == "resolved"


def test_off_trajectory_depends_on_the_date(mini_rules: RuleSet) -> None:
    rules = one_rule(mini_rules, "{name: a1_off_track, kind: off_trajectory, match: {indicators: [A1]}}")
    h = Harness(rules)
    # 1 January 2025: fraction 1/365, expected 0.4 + 0.4/365 = 0.401096, off below 0.9 * 0.401096 = 0.360986:
    # only C2 (0.1667); D1 at 0.4 is still on its way
    h.run(datetime(2025, 1, 1, 8, 0, tzinfo=PROVINCE_TZ))
    assert h.firing() == {("a1_off_track", "A1", "P.D1.C2")}
    h.run(T0)
    assert h.firing() == {("a1_off_track", "A1", u) for u in ("P.D1.C2", "P.D1", "P")}


def test_off_trajectory_tolerance_from_the_rule(mini_rules: RuleSet) -> None:
    rules = one_rule(
        mini_rules,
        "{name: a1_far_off, kind: off_trajectory, params: {tolerance: 20%}, match: {indicators: [A1]}}",
    )
    h = Harness(rules)
    h.run(T0)
    # allowed 20% of 0.48 = 0.096: off below 0.384 -> only C2 (0.1667); D1 (0.4) and P (0.4286) are within
    assert h.firing() == {("a1_far_off", "A1", "P.D1.C2")}


# ---------------------------------------------------------------- stale
def test_stale_quarterly_report_after_its_deadline(mini_rules: RuleSet, evaluator: str) -> None:
    rules = one_rule(quarterly(mini_rules, "B2"), "{name: late_report, kind: stale, match: {indicators: [B2]}}")
    h = Harness(rules, EVALUATORS[evaluator])
    last = {("lgsp.systems_connected", "P"): datetime(2024, 12, 20, 10, 0, tzinfo=PROVINCE_TZ)}
    # 15 April: Q1 is due by 31 March + 15 days = 15 April, still on time; the report due is 2024-Q4
    # (from 1 October 2024), which the 20 December data covers
    h.run(datetime(2025, 4, 15, 16, 0, tzinfo=PROVINCE_TZ), last)
    assert h.firing() == set()
    # 16 April: Q1 2025 is late and nothing has come since 1 January
    h.run(datetime(2025, 4, 16, 8, 0, tzinfo=PROVINCE_TZ), last)
    assert h.firing() == {("late_report", "B2", "P")}
    alert = h.alert("late_report", "B2", "P")
    assert alert.labels["period"] == "2025" and alert.labels["department"] == "KHCN"
    assert "2025-Q1" in alert.annotations["description"] and "15/04/2025" in alert.annotations["description"]
    assert "20/12/2024" in alert.annotations["description"]
    # the report arrives on 20 April
    last[("lgsp.systems_connected", "P")] = datetime(2025, 4, 20, 9, 0, tzinfo=PROVINCE_TZ)
    h.run(datetime(2025, 4, 20, 10, 0, tzinfo=PROVINCE_TZ), last)
    assert h.firing() == set()
    assert h.alert("late_report", "B2", "P").state == "resolved"


def test_stale_rolls_commune_reports_up_the_tree(mini_rules: RuleSet) -> None:
    rules = one_rule(quarterly(mini_rules, "B1"), "{name: late_network, kind: stale, match: {indicators: [B1]}}")
    h = Harness(rules)
    # B1 (share of networked communes) is scored at province and district level from commune data.
    # Only C1 of D1 reported in Q1; D2's commune never did.
    last = {("infra.network", "P.D1.C1"): datetime(2025, 2, 1, 9, 0, tzinfo=PROVINCE_TZ)}
    h.run(datetime(2025, 4, 16, 8, 0, tzinfo=PROVINCE_TZ), last)
    assert h.firing() == {("late_network", "B1", "P.D2")}
    assert "chưa có" in h.alert("late_network", "B1", "P.D2").annotations["description"]


def test_stale_continuous_indicator_by_max_age(mini_rules: RuleSet, evaluator: str) -> None:
    rules = one_rule(mini_rules, "{name: quiet_source, kind: stale, params: {max_age: 30d}, match: {indicators: [B2]}}")
    h = Harness(rules, EVALUATORS[evaluator])
    last = {("lgsp.systems_connected", "P"): T0}
    # exactly 30 days later: not more than 30 days yet
    h.run(T0 + timedelta(days=30), last)
    assert h.firing() == set()
    h.run(T0 + timedelta(days=31), last)
    assert h.firing() == {("quiet_source", "B2", "P")}
    last[("lgsp.systems_connected", "P")] = T0 + timedelta(days=31, hours=1)
    h.run(T0 + timedelta(days=31, hours=2), last)
    assert h.firing() == set()


def test_stale_rules_wait_for_last_data(mini_rules: RuleSet) -> None:
    rules = one_rule(mini_rules, "{name: quiet_source, kind: stale, params: {max_age: 30d}, match: {indicators: [B2]}}")
    h = Harness(rules)
    h.run(T0 + timedelta(days=31), {})
    assert h.firing() == {("quiet_source", "B2", "P")}
    # a round without last_data (e.g. only scores changed) leaves stale alerts as they are
    h.run(T0 + timedelta(days=32))
    assert h.firing() == {("quiet_source", "B2", "P")}


# ---------------------------------------------------------------- sudden drop
def test_sudden_drop_of_a_value_within_the_window(mini_rules: RuleSet, evaluator: str) -> None:
    rules = one_rule(
        mini_rules,
        "{name: a1_drop, kind: sudden_drop, params: {drop: 25%, window: 7d}, "
        "match: {indicators: [A1], levels: [province]}}",
    )
    h = Harness(rules, EVALUATORS[evaluator])
    h.run(T0)  # first reading: 6/14, nothing to compare with
    assert h.firing() == set()
    # a day later the province logs 6 records received in person: 6 / 20 = 0.3.
    # Drop against the best in the window: (6/14 - 0.3) / (6/14) = 1 - 0.7 = 30% > 25%
    feed(h.scoring, "tthc.records_total", "P", 1, when=T0 + timedelta(days=1), times=6)
    h.run(T0 + timedelta(days=1))
    assert h.firing() == {("a1_drop", "A1", "P")}
    alert = h.alert("a1_drop", "A1", "P")
    assert "30%" in alert.annotations["description"]
    assert float(alert.annotations["target"]) == approx(6 / 14)  # the reference: best reading in the window
    # still 0.3 six days later: 6/14 is still within 7 days
    h.run(T0 + timedelta(days=7))
    assert h.firing() == {("a1_drop", "A1", "P")}
    # 8 days after the drop the window (from day 1 + 1h) starts after 6/14 was replaced: best 0.3, no drop
    h.run(T0 + timedelta(days=8, hours=1))
    assert h.firing() == set()
    assert h.alert("a1_drop", "A1", "P").state == "resolved"


def test_sudden_drop_of_a_score_recovers(mini_rules: RuleSet) -> None:
    rules = one_rule(
        mini_rules,
        "{name: lgsp_score_drop, kind: sudden_drop, params: {measure: score, drop: 25%, window: 7d}, "
        "match: {indicators: [B2]}}",
    )
    h = Harness(rules)
    h.run(T0)
    # 7 systems score 0.5 (band min 5); 4 systems score 0: a drop of (0.5 - 0) / 0.5 = 100%
    feed(h.scoring, "lgsp.systems_connected", "P", 4, when=T0 + timedelta(hours=1))
    h.run(T0 + timedelta(hours=2))
    assert h.firing() == {("lgsp_score_drop", "B2", "P")}
    # back to 6 systems: score 0.5 again, no drop against the window's best 0.5
    feed(h.scoring, "lgsp.systems_connected", "P", 6, when=T0 + timedelta(hours=3))
    h.run(T0 + timedelta(hours=4))
    assert h.firing() == set()


# ---------------------------------------------------------------- goal at risk
GOAL_RULE = "{name: dti_goal, kind: goal_at_risk, severity: critical, params: {baseline: {year: 2022, value: 0.5032}}}"


def test_goal_at_risk_against_the_path_to_the_goal(mini_rules: RuleSet, evaluator: str) -> None:
    rules = one_rule(with_goal(mini_rules), GOAL_RULE)
    h = Harness(rules, EVALUATORS[evaluator])
    # DTI of P (scale 100, weights A 60, B 40):
    #   A1 6/14 = 0.428571, linear to 0.8: score 0.535714 -> 21.428571 of 40 points
    #   A2 0.7 against the province's 90%, ratio: 0.777778 -> 15.555556 of 20
    #   A = 36.984127 / 60 = 0.616402
    #   B1 1/3 below its 50% floor: 0 of 20; B2 7 systems: 0.5 -> 10 of 20; B = 10 / 40 = 0.25
    #   DTI = (60 * 0.616402 + 40 * 0.25) / 100 = 0.469841
    # The path: 0.5032 at the end of 2022 (x = 2023.0) to the goal 0.62 at the end of 2025 (x = 2026.0).
    # On 14 March 2025 (x = 2025.2): 0.5032 + 0.1168 * 2.2 / 3 = 0.588853. 0.469841 is below it.
    h.run(T0)
    assert h.firing() == {("dti_goal", "DTI", "P")}
    alert = h.alert("dti_goal", "DTI", "P")
    assert float(alert.annotations["value"]) == approx(0.469841, abs=1e-6)
    assert float(alert.annotations["target"]) == approx(0.588853, abs=1e-6)
    assert alert.labels["department"] == "KHCN"  # the index belongs to the DTI department
    assert alert.receivers == ("KHCN",)
    # the province files 8 records, all online: A1 = 14/22 = 0.636364 -> 31.818182 points; A = 47.373737/60;
    # B2 reaches 10 systems: 20 points, B = 20/40. DTI = (47.373737 + 20) / 100 = 0.673737 > 0.588853
    feed(h.scoring, "tthc.records_total", "P", 1, times=8)
    feed(h.scoring, "tthc.records_online", "P", 1, times=8)
    feed(h.scoring, "lgsp.systems_connected", "P", 10, when=T0 + timedelta(minutes=1))
    assert h.scoring.results[("mini", 0, 2025)].index.value == approx(0.673737, abs=1e-6)
    h.run(T0 + timedelta(hours=1))
    assert h.firing() == set()


def test_goal_without_baseline_compares_with_the_goal_itself(mini_rules: RuleSet) -> None:
    rules = one_rule(with_goal(mini_rules, value=0.45), "{name: dti_goal, kind: goal_at_risk}")
    h = Harness(rules)
    h.run(T0)
    # 0.469841 >= 0.45: nothing to say
    assert h.firing() == set()
    rules = one_rule(with_goal(mini_rules, value=0.5), "{name: dti_goal, kind: goal_at_risk}")
    h = Harness(rules)
    h.run(T0)
    assert h.firing() == {("dti_goal", "DTI", "P")}


def test_goal_waits_for_coverage(mini_rules: RuleSet) -> None:
    rules = one_rule(with_goal(mini_rules), "{name: dti_goal, kind: goal_at_risk, params: {min_coverage: 100%}}")
    h = Harness(rules)
    # every part of the index has data (coverage 1.0): the rule applies
    h.run(T0)
    assert h.firing() == {("dti_goal", "DTI", "P")}
