"""The holes a worker must read itself: offsets Faust did not hand the agent within an assignment."""

from __future__ import annotations

from services.kafka.continuity import Continuity


def holes(c: Continuity, partition: int, offsets: list[int]) -> list[tuple[int, int]]:
    return [h for o in offsets if (h := c.take(partition, o)) is not None]


def test_the_delivery_seen_on_apache_kafka_leaves_one_hole() -> None:
    """The hung-worker test's batch: 55..65 then 75..84 on a partition just taken over, whose cells had
    absorbed up to 54 (the previous owner's last fold)."""
    c = Continuity(lambda p: 54 if p == 0 else None)
    assert holes(c, 0, [*range(55, 66), *range(75, 85)]) == [(66, 75)]
    assert holes(c, 0, [85, 86]) == []  # the hole was read: folding goes on from 85


def test_redelivery_is_no_hole_and_does_not_move_the_next_offset_back() -> None:
    c = Continuity(lambda p: None)
    assert holes(c, 1, [39, 40]) == []
    assert holes(c, 1, [39, 40, 41]) == []  # 39 and 40 again (the cells' guard skips them)
    assert holes(c, 1, [43]) == [(42, 43)]


def test_the_first_record_after_an_assignment_is_checked_against_what_the_cells_absorbed() -> None:
    through = {2: 99}
    c = Continuity(through.get)
    assert holes(c, 2, [100]) == []  # the previous owner folded through 99: 100 is next
    c.reset()  # a new assignment; another owner folded up to 130 meanwhile
    through[2] = 130
    assert holes(c, 2, [120, 121]) == []  # resumed at the committed offset, below: replays, no hole
    c.reset()
    assert holes(c, 2, [140]) == [(131, 140)]  # handed 140 first: 131..139 were never folded by anyone
    assert holes(c, 3, [7]) == []  # a partition no cell has absorbed: nothing to compare with


def test_each_partition_is_followed_on_its_own() -> None:
    c = Continuity(lambda p: None)
    assert holes(c, 0, [10, 11]) == [] and holes(c, 1, [500]) == []
    assert holes(c, 0, [12]) == [] and holes(c, 1, [502]) == [(501, 502)]
