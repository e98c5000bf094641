"""Assessment years with a lifecycle: open while the province still completes and evidences them, then closed.

The ministry assesses a year after it ends, with evidence, in the first months of the next (DHIS2's data-set
expiry is the model): a year Y is *open* from 1 January Y until its close date (by default 31 March Y+1,
`close_after` in the framework governing Y), then *closed*. On 1 January the year just ended stays open
beside the new one, so nothing that showed a value on 31 December shows "no data" at midnight.

Pure functions of the rules and a date: the clock is `shared.clock`, reopened years come from storage.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from shared.rules.model import Framework, RuleSet

DEFAULT_CLOSE_AFTER = (3, 31)


def close_date(year: int, close_after: tuple[int, int] = DEFAULT_CLOSE_AFTER) -> date:
    """The last day on which year `year` is open: (month, day) of the following year, clamped to the month."""
    month, day = close_after
    return date(year + 1, month, min(day, calendar.monthrange(year + 1, month)[1]))


def governing(rules: RuleSet, year: int) -> list[Framework]:
    """The frameworks in force for an assessment year, in the rule set's order."""
    return [fw for fw in rules.frameworks.values() if fw.governs_year(year)]


def year_close(rules: RuleSet, year: int) -> date:
    """A year's close date: the latest among the frameworks governing it (the default when none does)."""
    fws = governing(rules, year)
    return max((close_date(year, fw.close_after) for fw in fws), default=close_date(year))


def open_years(rules: RuleSet, today: date) -> tuple[int, ...]:
    """The assessment years open on `today`, oldest first: this year, and every earlier year whose close date
    has not passed (with the default close date, last year until 31 March). Never empty."""
    years = [today.year]
    y = today.year - 1
    # a close date is at most a year after the year ends: looking back two years covers any `close_after`
    while y >= today.year - 2:
        if today <= year_close(rules, y):
            years.append(y)
        y -= 1
    return tuple(sorted(years))


def default_year(rules: RuleSet, today: date) -> int:
    """The year a reader sees without asking: the oldest open year (the one being assessed, from 1 January
    until it closes), the newer open year beside it."""
    return open_years(rules, today)[0]


def framework_for(rules: RuleSet, year: int) -> str:
    """The framework in force for a year (the first governing it; the rule set's first when none does)."""
    fws = governing(rules, year)
    return fws[0].code if fws else next(iter(rules.frameworks))


@dataclass(frozen=True, slots=True)
class ClosedYear:
    """Why data dated in `year` is refused: the year closed on `closed_on`."""

    year: int
    closed_on: date

    def message_vi(self) -> str:
        return (
            f"năm đánh giá {self.year} đã khóa sổ từ ngày {self.closed_on.strftime('%d/%m/%Y')}; "
            "cần quản trị viên mở lại năm để nhận số liệu"
        )

    def message_en(self) -> str:
        return (
            f"assessment year {self.year} closed on {self.closed_on.isoformat()}; "
            "an admin must reopen the year to accept data"
        )


def closed_year(rules: RuleSet, year: int, today: date, reopened: Iterable[int] = ()) -> ClosedYear | None:
    """None when data dated in `year` may be accepted on `today`, else why not. A year is refused once its
    close date has passed, unless an admin reopened it or every framework governing it accepts late data."""
    closes = year_close(rules, year)
    if today <= closes or year in set(reopened):
        return None
    fws = governing(rules, year)
    if fws and all(fw.late_data == "accept" for fw in fws):
        return None
    if not fws and all(fw.late_data == "accept" for fw in rules.frameworks.values()):
        return None
    return ClosedYear(year, closes)
