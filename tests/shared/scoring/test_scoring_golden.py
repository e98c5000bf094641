"""Golden tests: every expected value is worked out by hand from tests/fixtures/mini (arithmetic in comments)."""

from __future__ import annotations

from datetime import datetime

import pytest

from shared.periods import PROVINCE_TZ, parse_period
from shared.rules.model import RuleSet
from shared.scoring.engine import ScoringEngine
from tests.shared.scenario import Q1, feed, golden_scenario

Q3 = datetime(2025, 8, 1, 9, 0, tzinfo=PROVINCE_TZ)
approx = pytest.approx


@pytest.fixture
def scenario(mini_rules: RuleSet) -> ScoringEngine:
    return golden_scenario(mini_rules)


def test_ratio_rolls_up_as_sum_of_numerators_over_sum_of_denominators(scenario: ScoringEngine) -> None:
    year = parse_period("2025")
    a1 = {
        u: scenario.score("mini", u, year).indicators["A1"].value for u in ("P.D1.C1", "P.D1.C2", "P.D1", "P.D2", "P")
    }
    assert a1["P.D1.C1"] == approx(3 / 4)
    assert a1["P.D1.C2"] == approx(1 / 6)
    # D1 = (3 + 1) / (4 + 6) = 0.4, not the mean of 0.75 and 0.1667 (0.4583)
    assert a1["P.D1"] == approx(0.4)
    # D2 counts its own records too: (0 + 2) / (2 + 2) = 0.5
    assert a1["P.D2"] == approx(0.5)
    # province: (4 + 2) / (10 + 4) = 6/14
    assert a1["P"] == approx(6 / 14)


def test_level_specific_targets_and_curves(scenario: ScoringEngine) -> None:
    year = parse_period("2025")
    c1 = scenario.score("mini", "P.D1.C1", year).indicators["A2"]
    d1 = scenario.score("mini", "P.D1", year).indicators["A2"]
    p = scenario.score("mini", "P", year).indicators["A2"]
    # commune target 60%: 0.7 meets it; ratio curve min(0.7 / 0.6, 1) = 1 -> 20 points
    assert (c1.value, c1.target, c1.score, c1.earned, c1.status) == (approx(0.7), approx(0.6), 1.0, 20.0, "met")
    # district target 80%: 0.7 / 0.8 = 0.875 -> 17.5 points, below target
    assert (d1.target, d1.score, d1.earned, d1.status) == (approx(0.8), approx(0.875), approx(17.5), "below_target")
    # province target 90%: 0.7 / 0.9 = 0.7778 -> 15.5556 points
    assert (p.target, p.score, p.earned) == (approx(0.9), approx(7 / 9), approx(20 * 7 / 9))


def test_missing_indicator_is_explicit(scenario: ScoringEngine) -> None:
    d2 = scenario.score("mini", "P.D2", parse_period("2025"))
    a2 = d2.indicators["A2"]
    assert a2.status == "no_data" and a2.value is None and a2.earned is None
    assert "work.records_total" in (a2.reason or "")
    # A at D2: A1 = 0.5 / 0.8 = 0.625 -> 25 points; A2 missing counts 0 (missing_data: zero) -> 25 / 60
    a = d2.mains["A"]
    assert a.value == approx(25 / 60)
    assert (a.status, a.missing, a.coverage) == ("partial", ("A2",), approx(40 / 60))
    # B at a district: B2 is province-only, B1 has no commune report under D2 -> no data, not zero
    assert d2.indicators["B1"].status == "no_data"
    assert "B2" not in d2.indicators
    assert (d2.mains["B"].status, d2.mains["B"].value) == ("no_data", None)
    # index at D2: (60 × 25/60 + 40 × 0) / 100 = 0.25, with B listed as missing
    assert d2.index.value == approx(0.25)
    assert d2.index.missing == ("B",)


def test_share_of_units_counts_units_without_data_as_not_meeting(scenario: ScoringEngine) -> None:
    year = parse_period("2025")
    # D1: 1 of its 2 communes networked = 0.5; linear from 50% (score 0) to 100% -> score 0
    d1 = scenario.score("mini", "P.D1", year).indicators["B1"]
    assert (d1.value, d1.score, d1.status) == (approx(0.5), 0.0, "below_target")
    # province: 1 of 3 communes (D2.C1 has not reported) = 1/3
    assert scenario.score("mini", "P", year).indicators["B1"].value == approx(1 / 3)


def test_province_tree_and_two_pillars_sharing_a_main_indicator(scenario: ScoringEngine) -> None:
    p = scenario.score("mini", "P", parse_period("2025"))
    # A = (A1 40 × (6/14)/0.8 + A2 20 × 7/9) / 60 = (21.428571 + 15.555556) / 60
    a = (40 * (6 / 14) / 0.8 + 20 * 7 / 9) / 60
    assert p.mains["A"].value == approx(a)
    # B = (B1 0 + B2 steps: 7 >= 5 -> 0.5 × 20 = 10) / 40 = 0.25
    assert p.indicators["B2"].score == 0.5
    assert p.mains["B"].value == approx(0.25)
    # pillar X weighs A 60 and B 40; pillar Y reuses A alone
    assert p.composites["X"].value == approx((60 * a + 40 * 0.25) / 100)
    assert p.composites["Y"].value == approx(a)
    # index on a scale of 100 points: 0.4698...
    assert p.index.value == approx((60 * a + 40 * 0.25) / 100)
    assert p.index.status == "complete"


def test_gauge_reported_by_a_unit_wins_over_its_children(mini_rules: RuleSet) -> None:
    e = ScoringEngine(mini_rules)
    feed(e, "population.epayment_accounts", "P.D1.C1", 300)
    feed(e, "population.epayment_accounts", "P.D1.C2", 500)
    d1 = e.tree.by_code["P.D1"]
    p = e.tree.by_code["P"]
    assert e.store.value("population.epayment_accounts", d1, 2025) == 800  # 300 + 500
    feed(e, "population.epayment_accounts", "P.D1", 900)  # the district's own figure
    assert e.store.value("population.epayment_accounts", d1, 2025) == 900
    assert e.store.value("population.epayment_accounts", p, 2025) == 900
    # a later level replaces the earlier one; an older level arriving late does not
    feed(e, "population.epayment_accounts", "P.D1.C1", 350, when=Q3)
    feed(e, "population.epayment_accounts", "P.D1.C1", 100, when=Q1)
    assert e.store.value("population.epayment_accounts", e.tree.by_code["P.D1.C1"], 2025) == 350


def test_periods_are_year_to_date_and_decided_by_event_time(mini_rules: RuleSet) -> None:
    e = ScoringEngine(mini_rules)
    feed(e, "tthc.records_total", "P.D1.C1", 2, when=Q1)
    feed(e, "tthc.records_online", "P.D1.C1", 1, when=Q1)
    feed(e, "tthc.records_total", "P.D1.C1", 2, when=Q3)
    feed(e, "tthc.records_online", "P.D1.C1", 2, when=Q3)
    # a late event: occurred on 31/12/2024 at 23:30 in Lai Châu (16:30 UTC) lands in 2024, not 2025
    late = datetime.fromisoformat("2024-12-31T16:30:00+00:00")
    feed(e, "tthc.records_total", "P.D1.C1", 5, when=late)
    assert e.score("mini", "P.D1.C1", parse_period("2025-Q1")).indicators["A1"].value == approx(1 / 2)
    assert e.score("mini", "P.D1.C1", parse_period("2025-Q2")).indicators["A1"].value == approx(1 / 2)
    assert e.score("mini", "P.D1.C1", parse_period("2025")).indicators["A1"].value == approx(3 / 4)
    y2024 = e.score("mini", "P.D1.C1", parse_period("2024")).indicators["A1"]
    assert y2024.value == 0.0  # 0 of 5 online: the counted denominator makes the missing numerator a real zero


def test_target_between_target_years_lies_on_the_line(mini_rules: RuleSet) -> None:
    e = ScoringEngine(mini_rules)
    feed(e, "tthc.records_total", "P.D1.C1", 10, when=datetime(2026, 5, 1, tzinfo=PROVINCE_TZ))
    r = e.score("mini", "P.D1.C1", parse_period("2026")).indicators["A1"]
    # 2025: 80%, 2030: 100% -> 2026: 80 + 20 × 1/5 = 84%
    assert r.target == approx(0.84)
    # before the first target year the line starts at the baseline: 2024 = 40%
    feed(e, "tthc.records_total", "P.D1.C1", 10, when=datetime(2024, 5, 1, tzinfo=PROVINCE_TZ))
    assert e.score("mini", "P.D1.C1", parse_period("2024")).indicators["A1"].target == approx(0.40)


def test_gaps_rank_indicators_by_index_points_to_gain(scenario: ScoringEngine, mini_rules: RuleSet) -> None:
    from datetime import date

    from shared.scoring.view import gaps

    period = parse_period("2025")
    g = gaps(mini_rules, scenario.score("mini", "P", period), period, date(2025, 12, 31))
    pts = {row["code"]: row["gain_points"] for row in g["indicators"]}
    # index (scale 100) weighs main A 60 and B 40 of 100 -> one point of A's 60 is worth 60/100/60 × 100 = 1 index
    # point; likewise for B. So the gain is simply the points not yet earned:
    # A1: 40 - 21.428571 = 18.571429; A2: 20 - 15.555556 = 4.444444; B1: 20 - 0 = 20; B2: 20 - 10 = 10
    assert pts == {
        "B1": approx(20.0),
        "A1": approx(40 - 40 * (6 / 14) / 0.8, abs=1e-4),
        "B2": approx(10.0),
        "A2": approx(20 - 20 * 7 / 9, abs=1e-4),
    }
    assert [r["code"] for r in g["indicators"]] == ["B1", "A1", "B2", "A2"]
    deps = {d["code"]: d["gain_points"] for d in g["departments"]}
    assert deps == {"KHCN": approx(30.0), "VP": approx(18.571429 + 4.444444, abs=1e-3)}


def test_score_tree_carries_trajectory_and_rules_version(scenario: ScoringEngine, mini_rules: RuleSet) -> None:
    from datetime import date

    from shared.scoring.view import score_tree

    period = parse_period("2025")
    tree = score_tree(mini_rules, scenario.score("mini", "P", period), period, date(2025, 7, 2))
    assert tree["rules_version"] == mini_rules.version
    a1 = next(i for m in tree["main_indicators"] for i in m["indicators"] if i["code"] == "A1")
    # baseline 40% at 31/12/2024, target 80% at 31/12/2025; 2 July 2025 is day 183 of 365:
    # expected = 0.40 + 0.40 × 183/365 = 0.600548; the value 6/14 = 0.4286 is more than 10% short -> off track
    assert a1["trajectory"]["expected"] == approx(0.4 + 0.4 * 183 / 365, abs=1e-6)
    assert a1["trajectory"]["status"] == "off_track"
    assert tree["index"]["points"] == approx(
        100 * (60 * (40 * (6 / 14) / 0.8 + 20 * 7 / 9) / 60 + 40 * 0.25) / 100, abs=1e-3
    )
