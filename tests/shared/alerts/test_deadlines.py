"""Reporting deadlines and the duration syntax of alerts.yaml."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.alerts.deadlines import due_period
from shared.rules.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("frequency", "days", "today", "due", "deadline"),
    [
        # Q1 ends 31 March; with 15 days its report is due by 15 April: late from 16 April
        ("quarterly", 15, date(2025, 4, 15), "2024-Q4", date(2025, 1, 15)),
        ("quarterly", 15, date(2025, 4, 16), "2025-Q1", date(2025, 4, 15)),
        ("quarterly", 15, date(2025, 12, 31), "2025-Q3", date(2025, 10, 15)),
        ("quarterly", 0, date(2025, 7, 1), "2025-Q2", date(2025, 6, 30)),
        # a deadline longer than a quarter: Q1 2025 is due 31 March + 100 days = 9 July, so on 1 July the latest
        # report due is 2024-Q4's, by 31 December + 100 days = 10 April
        ("quarterly", 100, date(2025, 7, 1), "2024-Q4", date(2025, 4, 10)),
        # February 2024 has 29 days: due by 29 Feb + 10 = 10 March
        ("monthly", 10, date(2024, 3, 11), "2024-02", date(2024, 3, 10)),
        ("monthly", 10, date(2024, 3, 10), "2024-01", date(2024, 2, 10)),
        ("yearly", 30, date(2026, 1, 31), "2025", date(2026, 1, 30)),
        ("yearly", 30, date(2026, 1, 30), "2024", date(2025, 1, 30)),
    ],
)
def test_due_period(frequency: str, days: int, today: date, due: str, deadline: date) -> None:
    got = due_period(frequency, days, today)
    assert got is not None and (got.id, got.deadline) == (due, deadline)


def test_continuous_indicators_have_no_deadline() -> None:
    assert due_period("continuous", 15, date(2025, 4, 16)) is None


def test_due_period_starts_at_local_midnight() -> None:
    got = due_period("quarterly", 15, date(2025, 4, 16))
    assert got is not None and got.starts_at.isoformat() == "2025-01-01T00:00:00+07:00"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1d12h", 129600), ("2w", 1209600), ("0s", 0)],
)
def test_durations(text: str, seconds: int) -> None:
    d = parse_duration(text)
    assert d == timedelta(seconds=seconds)
    assert parse_duration(format_duration(d)) == d


@pytest.mark.parametrize("text", ["", "2", "2 hours", "1h1d", "1.5h", "-1d", "1y"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None
