"""Each aggregation rule of `shared.scoring.semantics` on hand-computed examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from shared.periods import PROVINCE_TZ, parse_period
from shared.scoring.semantics import (
    DEDUP_FIELDS,
    bucket,
    bucket_ts,
    correction,
    dedup_key,
    fold_counter,
    level_replaces,
    observation_at,
)

UTC8 = timezone(timedelta(hours=8))


def test_bucketing_goes_by_the_date_in_ho_chi_minh_city_not_the_offset_sent() -> None:
    # 23:30 on 31 March in the province is already 1 April 00:30 in UTC+8: still Q1
    late_march = datetime(2025, 4, 1, 0, 30, tzinfo=UTC8)
    assert bucket(late_march) == (2025, 1)
    # 17:00 UTC on 31 March is midnight in the province: Q2 has begun
    assert bucket(datetime(2025, 3, 31, 17, 0, tzinfo=UTC)) == (2025, 2)
    assert bucket(datetime(2025, 3, 31, 16, 59, 59, tzinfo=UTC)) == (2025, 1)
    # the year turns at midnight province time: 31 December 17:00 UTC is 1 January
    assert bucket(datetime(2024, 12, 31, 17, 0, tzinfo=UTC)) == (2025, 1)
    assert bucket(datetime(2024, 12, 31, 23, 59, tzinfo=PROVINCE_TZ)) == (2024, 4)
    assert bucket(datetime(2025, 7, 1, 0, 0, tzinfo=PROVINCE_TZ)) == (2025, 3)
    assert bucket(datetime(2025, 10, 1, 0, 0, tzinfo=PROVINCE_TZ)) == (2025, 4)


def test_bucketing_unix_seconds_is_the_same_as_bucketing_the_moment() -> None:
    for moment in (
        datetime(2025, 4, 1, 0, 30, tzinfo=UTC8),
        datetime(2024, 12, 31, 17, 0, tzinfo=UTC),
        datetime(2024, 12, 31, 16, 59, 59, tzinfo=UTC),
    ):
        assert bucket_ts(moment.timestamp()) == bucket(moment)


def test_the_dedup_key_is_source_and_event_id_only() -> None:
    assert DEDUP_FIELDS == ("source", "event_id")
    assert dedup_key("lgsp", "e1") == dedup_key("lgsp", "e1")
    assert dedup_key("lgsp", "e1") != dedup_key("eoffice", "e1")  # another system's id space
    assert dedup_key("lgsp", "e1") != dedup_key("lgsp", "e2")


def test_a_counter_sums_its_increments_and_counts_its_events() -> None:
    total, count = 0.0, 0.0
    for delta in (3.0, 0.0, 4.5):
        total, count = fold_counter(total, count, delta)
    assert (total, count) == (7.5, 3)  # an increment of zero is still an event: the quarter has data
    # a snapshot's entry of 4 events summing 10 loads as those 4 events
    assert fold_counter(7.5, 3, 10.0, 4) == (17.5, 7)


def test_a_late_older_gauge_level_loses_and_equal_times_go_to_the_later_arrival() -> None:
    held_ts, held_seq = 1000.0, 5.0
    assert not level_replaces(999.0, 9.0, held_ts, held_seq)  # older, arrived later: loses
    assert level_replaces(1001.0, 1.0, held_ts, held_seq)  # newer, whatever its arrival
    assert level_replaces(1000.0, 6.0, held_ts, held_seq)  # same time, later arrival
    assert level_replaces(1000.0, 5.0, held_ts, held_seq)  # same position (a later event of the same record)
    assert not level_replaces(1000.0, 4.0, held_ts, held_seq)  # same time, earlier arrival


def test_a_counter_correction_moves_by_the_difference_from_the_previous_figure() -> None:
    assert correction(None, 12.0, counter=True) == 12.0  # the first figure
    assert correction(12.0, 15.0, counter=True) == 3.0
    assert correction(15.0, 10.0, counter=True) == -5.0  # a correction down
    assert correction(None, 0.0, counter=True) == 0.0  # a first figure of zero is data, not nothing


def test_a_gauge_correction_is_the_new_level() -> None:
    assert correction(None, 7.0, counter=False) == 7.0
    assert correction(7.0, 4.0, counter=False) == 4.0


def test_the_same_figure_again_is_not_news() -> None:
    assert correction(12.0, 12.0, counter=True) is None
    assert correction(7.0, 7.0, counter=False) is None


def test_a_figure_stands_at_noon_on_its_periods_last_day_so_it_lands_in_that_period() -> None:
    q1 = observation_at(parse_period("2025-Q1"))
    assert q1 == datetime(2025, 3, 31, 12, 0, tzinfo=PROVINCE_TZ)
    assert bucket(q1) == (2025, 1)
    year = observation_at(parse_period("2025"))
    assert year == datetime(2025, 12, 31, 12, 0, tzinfo=PROVINCE_TZ)
    assert bucket(year) == (2025, 4)
