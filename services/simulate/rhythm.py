"""When the province works: office hours, weekends and public holidays, as factors by hour.

Times are seconds since the epoch; the province is on UTC+7 all year (no daylight saving), so local hours
and days are plain arithmetic. Factors are relative intensities (1.0 = a busy office hour); the generator
scales them so that the mean over a week is what the unit's volume says.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

ICT = timezone(timedelta(hours=7), "ICT")
OFFSET = 7 * 3600
HOUR = 3600.0
DAY = 86400.0

# Government offices work 7:00/7:30-11:30 and 13:00/13:30-17:00, Monday to Friday.
OFFICE = (0, 0, 0, 0, 0, 0, 0, 0.9, 1.3, 1.4, 1.3, 0.6, 0, 0.5, 1.1, 1.1, 0.8, 0, 0, 0, 0, 0, 0, 0)
# One-stop desks (bộ phận một cửa): office hours, and in many units Saturday mornings too (assumed).
DESK_SATURDAY = (0, 0, 0, 0, 0, 0, 0, 0.3, 0.4, 0.4, 0.3, 0.1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
# Online filing happens at any hour: working hours first, a second wave in the evening, little at night.
ONLINE = (
    0.05, 0.03, 0.02, 0.02, 0.03, 0.08, 0.25, 0.6, 1.0, 1.1, 1.1, 0.9,
    0.6, 0.7, 1.0, 1.0, 0.9, 0.7, 0.5, 0.6, 0.7, 0.5, 0.25, 0.1,
)  # fmt: skip
ONLINE_OFF_DAY = tuple(round(0.35 * f, 4) for f in ONLINE)  # weekends and holidays

# First day of the lunar new year (Tết); offices close from two days before to four days after.
TET = {
    2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1), 2023: date(2023, 1, 22),
    2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6),
    2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3), 2031: date(2031, 1, 23),
}  # fmt: skip
# Hùng Kings' day (10th day of the 3rd lunar month).
HUNG_KINGS = {
    2022: date(2022, 4, 10), 2023: date(2023, 4, 29), 2024: date(2024, 4, 18), 2025: date(2025, 4, 7),
    2026: date(2026, 4, 26), 2027: date(2027, 4, 16), 2028: date(2028, 4, 4), 2029: date(2029, 4, 23),
    2030: date(2030, 4, 12),
}  # fmt: skip
_EPOCH = date(1970, 1, 1)


def _holidays() -> frozenset[int]:
    days: set[date] = set()
    for year in range(2020, 2032):
        days.update({date(year, 1, 1), date(year, 4, 30), date(year, 5, 1), date(year, 9, 2)})
        if year in HUNG_KINGS:
            days.add(HUNG_KINGS[year])
        if year in TET:
            days.update(TET[year] + timedelta(days=d) for d in range(-2, 5))
    return frozenset((d - _EPOCH).days for d in days)


HOLIDAYS = _holidays()


def day_number(ts: float) -> int:
    """Local calendar day as days since 1970-01-01."""
    return int((ts + OFFSET) // DAY)


def hour_of(ts: float) -> int:
    return int(((ts + OFFSET) % DAY) // HOUR)


def weekday_of_day(day: int) -> int:
    """Monday 0 … Sunday 6 (1970-01-01 was a Thursday)."""
    return (day + 3) % 7


def is_working_day(day: int) -> bool:
    return weekday_of_day(day) < 5 and day not in HOLIDAYS


def day_start(day: int) -> float:
    """Local midnight of a day number, as epoch seconds."""
    return day * DAY - OFFSET


def to_day(d: date) -> int:
    return (d - _EPOCH).days


def from_day(day: int) -> date:
    return _EPOCH + timedelta(days=day)


def factors(day: int, hour: int) -> tuple[float, float, float]:
    """(online, desk, office) intensity at a local day and hour."""
    wd = weekday_of_day(day)
    if day in HOLIDAYS or wd == 6:
        return ONLINE_OFF_DAY[hour], 0.0, 0.0
    if wd == 5:
        return ONLINE_OFF_DAY[hour], DESK_SATURDAY[hour], 0.0
    return ONLINE[hour], OFFICE[hour], OFFICE[hour]


def weekly_means() -> tuple[float, float, float]:
    """Mean (online, desk, office) factor over an ordinary week (no holiday), per hour."""
    sums = [0.0, 0.0, 0.0]
    monday = 4  # 1970-01-05
    for day in range(monday, monday + 7):
        for hour in range(24):
            for i, f in enumerate(factors(day, hour)):
                sums[i] += f
    return sums[0] / 168, sums[1] / 168, sums[2] / 168


def next_open_hour(ts: float) -> float:
    """The start of the first office hour at or after `ts` (for work that waits for the office to open)."""
    t = ts - ((ts + OFFSET) % HOUR)
    for _ in range(24 * 30):
        day, hour = day_number(t), hour_of(t)
        if factors(day, hour)[2] > 0:
            return max(t, ts)
        t += HOUR
    return ts


def local(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, ICT)


def iso(ts: float) -> str:
    """`2026-01-02T09:30:00+07:00`: the form events carry."""
    return datetime.fromtimestamp(int(ts), ICT).isoformat()


def first_working_morning(year: int) -> datetime:
    """07:00 on the first working day of a year: where the simulated clock starts by default."""
    day = to_day(date(year, 1, 1))
    while not is_working_day(day):
        day += 1
    return datetime.combine(from_day(day), datetime.min.time(), ICT).replace(hour=7)
