"""Assessment periods: the year and its quarters, in the province's time zone.

Event time decides the period (a record filed at 23:30 on 31 March in Lai Châu belongs to Q1 even though it
is already April in UTC+8), so every conversion goes through Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

PROVINCE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_PERIOD_RE = re.compile(r"^(?P<year>\d{4})(?:-?Q(?P<quarter>[1-4]))?$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A year (quarter 4 means "the whole year to date") or a quarter, values being year to date."""

    year: int
    quarter: int  # 1..4; a year period is quarter 4 with is_year set
    is_year: bool = False

    @property
    def id(self) -> str:
        return str(self.year) if self.is_year else f"{self.year}-Q{self.quarter}"

    @property
    def start(self) -> date:
        return date(self.year, 1, 1) if self.is_year else date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> date:
        """Last day of the period."""
        if self.is_year or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    def __str__(self) -> str:
        return self.id


def parse_period(text: str) -> Period:
    """Parse `2025`, `2025-Q2` or `2025Q2` (DHIS2 style). Raises ValueError with a readable message."""
    m = _PERIOD_RE.match(text.strip())
    if not m:
        raise ValueError(f"period must look like 2025 or 2025-Q2, got {text!r}")
    year = int(m.group("year"))
    q = m.group("quarter")
    return Period(year, 4, True) if q is None else Period(year, int(q))


def local_date(moment: datetime) -> date:
    """The calendar date of an aware datetime in the province."""
    if moment.tzinfo is None:
        raise ValueError("occurred_at must carry a time zone offset")
    return moment.astimezone(PROVINCE_TZ).date()


def year_quarter(moment: datetime) -> tuple[int, int]:
    """Assessment year and quarter (1..4) an event belongs to, by its local date in the province."""
    d = local_date(moment)
    return d.year, (d.month - 1) // 3 + 1


def year_fraction(d: date) -> float:
    """Position of a date as a fractional year, the end of year Y being Y+1.0 (used for trajectories)."""
    start = date(d.year, 1, 1)
    length = (date(d.year + 1, 1, 1) - start).days
    return d.year + ((d - start).days + 1) / length
