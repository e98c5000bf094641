"""The province's one clock: "now" and "today" in Lai Châu (Asia/Ho_Chi_Minh).

Every place that means the province's date asks this module, so a test sets one clock (`frozen`, or
`set_clock` with any function) and a process run under Debian's `faketime` sees the faked time everywhere.
Reading the clock is the only thing here that is not pure; the rules of the calendar live in
`shared/years.py` and take `today` as an argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from shared.periods import PROVINCE_TZ

_override: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current moment, aware, in the province's time zone."""
    moment = _override() if _override is not None else datetime.now(PROVINCE_TZ)
    if moment.tzinfo is None:
        raise ValueError("the clock must give aware datetimes")
    return moment.astimezone(PROVINCE_TZ)


def today() -> date:
    """Today's date in the province (not the server's, not UTC's)."""
    return now().date()


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (None: the system clock again). For tests and tools that replay a day."""
    global _override
    _override = source


def shift(seconds: float) -> None:
    """Run the province's clock `seconds` ahead of the machine's (behind when negative), at the machine's pace.

    For rehearsals and tests of a whole system on another date: every process of a test session is given the
    same shift (`DTI_CLOCK_SHIFT_SECONDS`, applied by the `dti` command at start-up), so their clocks agree,
    while the broker, the browser and Prometheus keep the machine's. 0 restores the system clock."""
    if not seconds:
        set_clock(None)
        return
    delta = timedelta(seconds=seconds)
    set_clock(lambda: datetime.now(PROVINCE_TZ) + delta)


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """The clock stands at `at` inside the block."""
    previous = _override
    set_clock(lambda: at)
    try:
        yield
    finally:
        set_clock(previous)
