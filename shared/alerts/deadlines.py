"""Reporting deadlines: which period's report should already be in on a given day.

An indicator reported quarterly with `deadline_days: 15` owes its Q1 report by 15 April; from 16 April a
unit with no data since 1 January is late. Days are the province's calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared.periods import PROVINCE_TZ


@dataclass(frozen=True, slots=True)
class DuePeriod:
    id: str  # 2025-03 (monthly), 2025-Q1 (quarterly), 2025 (yearly)
    year: int
    start: date
    end: date  # last day of the period
    deadline: date  # last day on which the report is on time

    @property
    def starts_at(self) -> datetime:
        """Local midnight at the start of the period: data from then on counts as its report."""
        return datetime.combine(self.start, time(0), tzinfo=PROVINCE_TZ)


def _period_containing(frequency: str, d: date) -> tuple[date, date, str]:
    if frequency == "monthly":
        start = d.replace(day=1)
        nxt = (start + timedelta(days=32)).replace(day=1)
        return start, nxt - timedelta(days=1), f"{d.year}-{d.month:02d}"
    if frequency == "quarterly":
        q = (d.month - 1) // 3 + 1
        start = date(d.year, 3 * q - 2, 1)
        end = date(d.year, 12, 31) if q == 4 else date(d.year, 3 * q + 1, 1) - timedelta(days=1)
        return start, end, f"{d.year}-Q{q}"
    if frequency == "yearly":
        return date(d.year, 1, 1), date(d.year, 12, 31), str(d.year)
    raise ValueError(f"no reporting periods for frequency {frequency!r}")


def due_period(frequency: str, deadline_days: int, today: date) -> DuePeriod | None:
    """The latest period whose deadline (its last day + deadline_days) is before `today`.

    None for `continuous` indicators, which have no periodic report (a rule's `max_age` covers them).
    """
    if frequency == "continuous":
        return None
    start, end, pid = _period_containing(frequency, today)
    while end + timedelta(days=deadline_days) >= today:
        start, end, pid = _period_containing(frequency, start - timedelta(days=1))
    return DuePeriod(pid, start.year, start, end, end + timedelta(days=deadline_days))
