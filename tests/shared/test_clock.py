"""The province's clock: a shift runs it ahead of the machine's at the machine's pace; 0 gives the machine's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from shared import clock
from shared.periods import PROVINCE_TZ


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    before = clock.now() - datetime.now(PROVINCE_TZ)
    yield
    clock.shift(before.total_seconds() if abs(before) > timedelta(seconds=1) else 0)


def test_a_shift_moves_the_date_and_keeps_the_pace() -> None:
    clock.shift(0)
    real = datetime.now(PROVINCE_TZ)
    clock.shift(40 * 86400)
    shifted = clock.now()
    assert timedelta(days=40) <= shifted - real < timedelta(days=40, seconds=5)
    assert clock.today() == shifted.date()
    assert clock.now() >= shifted  # it runs, it is not frozen
    assert shifted.utcoffset() == timedelta(hours=7)


def test_zero_is_the_machine_clock_again() -> None:
    clock.shift(-86400)
    clock.shift(0)
    assert abs(clock.now() - datetime.now(PROVINCE_TZ)) < timedelta(seconds=5)
