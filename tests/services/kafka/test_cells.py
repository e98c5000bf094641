"""The aggregation core on its own: records holding several events, replays, retries, gauges."""

from __future__ import annotations

from datetime import datetime

from services.kafka.cells import Aggregator, Cell, Incoming, cell_key
from services.kafka.messages import BusEvent, decode_events, encode_event, partition_for, partition_records
from shared.events import AcceptedEvent
from shared.periods import PROVINCE_TZ

TS = datetime(2026, 5, 4, 9, 0, tzinfo=PROVINCE_TZ).timestamp()  # 2026 Q2
KEY = cell_key("m", "U1", 2026, 2)


def ev(event_id: str, value: float = 1.0, unit: str = "U1", kind: str = "e", t: str = "c", ts: float = TS) -> BusEvent:
    return BusEvent(kind, "lgsp", event_id, unit, "m", t, value, ts)


class Table(dict[str, Cell]):
    """The caller's table: cells written back after each batch, as the Faust agent does."""

    def fold(self, agg: Aggregator, batch: list[Incoming]) -> tuple[int, int, int]:
        out = agg.absorb(batch, self.get)
        self.update(out.cells)
        return out.applied, out.duplicates, out.replayed


def test_every_event_of_a_record_counts_even_on_the_same_cell() -> None:
    table, agg = Table(), Aggregator()
    # one record (offset 7) with three events for the same cell, and a second record after it
    batch = [(0, 7, 0, ev("a", 2)), (0, 7, 1, ev("b", 3)), (0, 7, 2, ev("c", 5)), (0, 8, 0, ev("d", 1))]
    assert table.fold(agg, batch) == (4, 0, 0)
    assert table[KEY]["v"] == 2 + 3 + 5 + 1 and table[KEY]["n"] == 4 and table[KEY]["o"] == 8


def test_a_replayed_record_is_skipped_whole() -> None:
    table, agg = Table(), Aggregator()
    table.fold(agg, [(0, 7, 0, ev("a", 2)), (0, 7, 1, ev("b", 3))])
    # after a crash the same record comes again, followed by a new one
    assert table.fold(agg, [(0, 7, 0, ev("a", 2)), (0, 7, 1, ev("b", 3)), (0, 9, 0, ev("c", 4))]) == (1, 0, 2)
    assert table[KEY]["v"] == 2 + 3 + 4


def test_a_record_delivered_twice_in_one_batch_counts_once() -> None:
    table, agg = Table(), Aggregator()
    batch = [(0, 7, 0, ev("a", 2)), (0, 7, 1, ev("b", 3)), (0, 7, 0, ev("a", 2)), (0, 7, 1, ev("b", 3))]
    assert table.fold(agg, batch) == (2, 0, 2)
    assert table[KEY]["v"] == 5


def test_a_retried_id_counts_once_within_a_record_and_across_records() -> None:
    table, agg = Table(), Aggregator()
    assert table.fold(agg, [(0, 1, 0, ev("a", 2)), (0, 1, 1, ev("a", 2))]) == (1, 1, 0)
    assert table.fold(agg, [(0, 2, 0, ev("a", 2)), (0, 2, 1, ev("b", 1))]) == (1, 1, 0)
    assert table[KEY]["v"] == 3


def test_the_id_index_rebuilt_from_dedup_records_tells_a_replay_from_a_retry() -> None:
    table, agg = Table(), Aggregator()
    out = agg.absorb([(0, 4, 0, ev("a")), (0, 4, 1, ev("b"))], table.get)
    # a fresh worker: the dedup record came back, the cell write was lost
    fresh = Aggregator()
    for partition, records in out.seen.items():
        fresh.remember(partition, records)
    # the same record again is a replay of ids it holds itself: counted (the cell never had them)
    assert Table().fold(fresh, [(0, 4, 0, ev("a")), (0, 4, 1, ev("b"))]) == (2, 0, 0)
    # the same ids at a new offset are a client's retry
    assert Table().fold(fresh, [(0, 5, 0, ev("a")), (0, 5, 1, ev("b"))]) == (0, 2, 0)
    # records written before the index kept the position in the record (three fields) still load
    old = Aggregator()
    old.remember(0, [["lgsp", "a", 4]])
    assert old.index[("lgsp", "a")] == (0, 4, 0)


def test_a_gauge_keeps_the_newest_level_and_the_last_of_equal_times() -> None:
    table, agg = Table(), Aggregator()
    batch = [
        (0, 3, 0, ev("g1", 10, t="g", ts=TS + 60)),
        (0, 3, 1, ev("g2", 20, t="g", ts=TS)),  # older level arriving later: kept out
        (0, 3, 2, ev("g3", 30, t="g", ts=TS + 60)),  # same time as the first, later in the record: wins
    ]
    table.fold(agg, batch)
    assert table[KEY]["v"] == 30 and table[KEY]["ts"] == TS + 60


def test_a_request_becomes_one_record_per_partition_in_order_and_decodes_back() -> None:
    when = datetime.fromtimestamp(TS, PROVINCE_TZ)
    units = ["LC", "LC.TP", "LC.TU", "LC.PT", "LC.TD", "LC.MT"]
    parts = {u: partition_for(u, 3) for u in units}
    assert len(set(parts.values())) > 1  # the example spans partitions
    accepted = [AcceptedEvent("lgsp", f"e{i}", units[i % 6], "m", float(i), when) for i in range(12)]
    records = partition_records([(a.org_unit, encode_event(a, "c")) for a in accepted], 3)
    assert sorted(p for _k, p, _v in records) == sorted(set(parts.values()))
    for key, p, value in records:
        events = decode_events(value)
        # keyed by its first unit, every unit in the record keyed to the record's partition, request order kept
        assert key.decode() == events[0].org_unit
        assert {parts[e.org_unit] for e in events} == {p}
        assert [e.event_id for e in events] == [f"e{i}" for i in range(12) if parts[units[i % 6]] == p]
    # a record of the single-object format is one event
    assert [e.event_id for e in decode_events(encode_event(accepted[0], "c"))] == ["e0"]


def test_a_long_run_of_one_partition_is_split() -> None:
    when = datetime.fromtimestamp(TS, PROVINCE_TZ)
    accepted = [AcceptedEvent("lgsp", f"e{i}", "A", "m", 1.0, when) for i in range(1_201)]
    records = partition_records([(a.org_unit, encode_event(a, "c")) for a in accepted], 4)
    assert [len(decode_events(v)) for _k, _p, v in records] == [500, 500, 201]
