"""Scoring curves, targets and trajectories, with values worked out by hand."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from shared.periods import parse_period, year_quarter
from shared.rules.model import Baseline, Indicator, Latest, Linear, RatioToTarget, Reporting, Steps, YesNo
from shared.rules.problems import Location
from shared.scoring.curves import score
from shared.scoring.targets import expected_at, target_for, trajectory_status

approx = pytest.approx


def test_linear_higher_and_lower() -> None:
    # floor 20%, target 80%: 50% is half way -> 0.5
    assert score(Linear(0.2), 0.5, 0.8, "higher") == approx(0.5)
    assert score(Linear(0.2), 0.1, 0.8, "higher") == 0.0
    assert score(Linear(0.2), 0.9, 0.8, "higher") == 1.0
    # rank: lower is better, floor (worst) 63, target 45: rank 54 is half way -> 0.5
    assert score(Linear(63), 54, 45, "lower") == approx(0.5)
    assert score(Linear(63), 40, 45, "lower") == 1.0
    assert score(Linear(63), 63, 45, "lower") == 0.0


def test_ratio_to_target_capped() -> None:
    assert score(RatioToTarget(), 3, 4, "higher") == approx(0.75)
    assert score(RatioToTarget(), 5, 4, "higher") == 1.0
    # lower is better: target 45, rank 50 -> 45/50 = 0.9
    assert score(RatioToTarget(), 50, 45, "lower") == approx(0.9)


def test_steps_and_yes_no() -> None:
    meetings = Steps(((4, 1.0), (3, 0.75), (2, 0.5), (1, 0.25)), upper_bounds=False)
    assert [score(meetings, v, 4, "higher") for v in (0, 1, 2, 3, 4, 7)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    incidents = Steps(((0, 1.0), (2, 0.5)), upper_bounds=True)
    assert [score(incidents, v, 0, "lower") for v in (0, 1, 2, 3)] == [1.0, 0.5, 0.5, 0.0]
    assert score(YesNo(), 1, 1, "higher") == 1.0
    assert score(YesNo(), 0, 1, "higher") == 0.0


def _indicator(targets: dict[str, tuple[tuple[int, float], ...]], baseline: Baseline | None) -> Indicator:
    return Indicator(
        "X.01",
        "X",
        "x",
        "x",
        False,
        Latest("m"),
        "percent",
        "higher",
        frozenset(targets),
        targets,
        baseline,
        Linear(0.0),
        10,
        "D",
        Reporting("continuous", 0),
        0.1,
        Location("f", 1, 1),
    )


def test_targets_interpolate_between_target_years_per_level() -> None:
    ind = _indicator(
        {"province": ((2025, 0.9), (2030, 1.0)), "commune": ((2025, 0.6), (2030, 0.7))},
        Baseline(2022, {"province": 0.6}),
    )
    # province: baseline 60% (2022) -> 90% (2025): 2023 = 70%, 2024 = 80%
    assert [target_for(ind, "province", y) for y in (2022, 2023, 2024, 2025)] == approx([0.6, 0.7, 0.8, 0.9])
    # 2025 -> 2030 by 2 points a year: 2027 = 94%; after 2030 it stays at 100%
    assert target_for(ind, "province", 2027) == approx(0.94)
    assert target_for(ind, "province", 2032) == approx(1.0)
    # commune has no baseline: before 2025 the first target holds
    assert target_for(ind, "commune", 2023) == approx(0.6)
    assert target_for(ind, "district", 2025) is None


def test_trajectory_at_a_date() -> None:
    ind = _indicator({"province": ((2025, 0.9),)}, Baseline(2022, {"province": 0.6}))
    # baseline 60% stands at 31/12/2022, target 90% at 31/12/2025: 10 points a year.
    # 2 July 2024 is day 184 of 366 -> 2024 + 184/366 = fractional year 2024.5027; from 2023.0: 1.5027 years
    expected = expected_at(ind, "province", date(2024, 7, 2))
    assert expected == approx(0.6 + 0.3 * (1 + 184 / 366) / 3)
    assert trajectory_status(0.76, expected, 0.1, "higher") == "on_track"
    assert trajectory_status(0.70, expected, 0.1, "higher") == "at_risk"  # within 10% of 0.7503
    assert trajectory_status(0.60, expected, 0.1, "higher") == "off_track"
    assert expected_at(ind, "commune", date(2024, 7, 2)) is None


def test_periods() -> None:
    assert parse_period("2025-Q2").id == "2025-Q2"
    assert parse_period("2025Q2").end == date(2025, 6, 30)
    assert parse_period("2025").is_year and parse_period("2025").end == date(2025, 12, 31)
    with pytest.raises(ValueError):
        parse_period("2025-Q5")
    from datetime import datetime

    # 31/3 at 17:30 UTC is already 1 April 00:30 in Lai Châu: Q2
    assert year_quarter(datetime(2025, 3, 31, 17, 30, tzinfo=UTC)) == (2025, 2)
