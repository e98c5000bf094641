"""Assessment years with a lifecycle (shared/years.py) and the province's clock (shared/clock.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from shared import clock
from shared.periods import PROVINCE_TZ
from shared.rules.model import RuleSet
from shared.years import close_date, closed_year, default_year, framework_for, open_years, year_close


def test_close_date_defaults_to_31_march_of_the_following_year_and_clamps_to_the_month() -> None:
    assert close_date(2026) == date(2027, 3, 31)
    assert close_date(2027, (2, 30)) == date(2028, 2, 29)  # 2028 is a leap year
    assert close_date(2026, (2, 30)) == date(2027, 2, 28)


def test_open_years_keep_the_year_just_ended_until_it_closes(province_rules: RuleSet) -> None:
    assert open_years(province_rules, date(2026, 12, 31)) == (2026,)
    assert open_years(province_rules, date(2027, 1, 1)) == (2026, 2027)
    assert open_years(province_rules, date(2027, 3, 31)) == (2026, 2027)
    assert open_years(province_rules, date(2027, 4, 1)) == (2027,)
    # the reader's default: the year being assessed until it closes, then the new one
    assert default_year(province_rules, date(2026, 12, 31)) == 2026
    assert default_year(province_rules, date(2027, 1, 1)) == 2026
    assert default_year(province_rules, date(2027, 4, 1)) == 2027


def test_close_after_is_set_per_framework(province_rules: RuleSet) -> None:
    fws = {k: replace(fw, close_after=(6, 30)) for k, fw in province_rules.frameworks.items()}
    rules = replace(province_rules, frameworks=fws)
    assert year_close(rules, 2026) == date(2027, 6, 30)
    assert open_years(rules, date(2027, 5, 1)) == (2026, 2027)
    assert open_years(rules, date(2027, 7, 1)) == (2027,)


def test_frameworks_by_year(province_rules: RuleSet) -> None:
    # Decision 922 governed 2022-2024, Decision 405 governs from 2025
    assert [framework_for(province_rules, y) for y in (2022, 2024, 2025, 2026, 2031)] == [
        "dti-2022",
        "dti-2022",
        "dti-2025",
        "dti-2025",
        "dti-2025",
    ]


def test_a_closed_year_refuses_data_until_reopened(province_rules: RuleSet) -> None:
    assert closed_year(province_rules, 2026, date(2027, 3, 31)) is None
    why = closed_year(province_rules, 2026, date(2027, 4, 1))
    assert why is not None and why.closed_on == date(2027, 3, 31)
    assert "2026" in why.message_vi() and "31/03/2027" in why.message_vi()
    assert "2026" in why.message_en() and "2027-03-31" in why.message_en()
    assert closed_year(province_rules, 2026, date(2027, 4, 1), reopened={2026}) is None
    assert closed_year(province_rules, 2025, date(2027, 4, 1), reopened={2026}) is not None


def test_a_framework_may_accept_late_data(mini_rules: RuleSet) -> None:
    assert mini_rules.frameworks["mini"].late_data == "accept"
    assert closed_year(mini_rules, 2024, date(2027, 1, 1)) is None


def test_the_clock_is_the_provinces_and_tests_can_set_it() -> None:
    # 16:59:30 UTC on 31 December is 23:59:30 in Lai Châu; 17:00:30 UTC is already 1 January
    with clock.frozen(datetime(2026, 12, 31, 16, 59, 30, tzinfo=UTC)):
        assert clock.today() == date(2026, 12, 31)
        assert clock.now().tzinfo is PROVINCE_TZ
    with clock.frozen(datetime(2026, 12, 31, 17, 0, 30, tzinfo=UTC)):
        assert clock.today() == date(2027, 1, 1)
    assert clock.now().tzinfo is PROVINCE_TZ  # the system clock again
