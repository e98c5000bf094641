"""The aggregation stage's core, pure: fold a batch of bus events into per-cell aggregates, exactly once.

A cell is one unit's own contribution to one metric in one quarter (key `metric|unit|year|quarter`). Its
value is absolute (a sum and an event count, or a gauge level), so whoever reads the cells — the read model
of every scoring worker, a recovery, a replay — gets the same totals however often a cell is re-sent.

A record on `dti.events` holds a request's events of the units of one partition (`messages.partition_records`),
so an event's position is (partition, offset, index in the record). A batch always holds whole records.

Exactly-once effect, two ways, both kept in what the changelog already carries:
- Replays after a crash or a rebalance (the same record at the same offset): each cell remembers the last
  offset it absorbed (`o`). A unit's records all live in one partition and arrive in offset order, and a
  record is absorbed whole within one batch, so a record at or below the offset the cell had before the
  batch is already counted. Cell and offset travel in one changelog record: no window where one is
  written without the other. Within a batch, a position at or before one already absorbed is a redelivery.
- Retries by a client (the same source and event id sent again, at a new position): an index of ids seen,
  rebuilt from the dedup table's records (one record per batch, not one per event).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.kafka.messages import BusEvent
from shared.scoring import OwnEntry, bucket_ts, correction, dedup_key, fold_counter, level_replaces

Cell = dict[str, Any]
Incoming = tuple[int, int, int, BusEvent]  # partition, offset, index in the record, event
Position = tuple[int, int, int]  # partition, offset, index
BUCKETS_KEPT = 65_536  # occurred_at values whose bucket an Aggregator remembers (then it starts afresh)


def cell_key(metric: str, org_unit: str, year: int, quarter: int) -> str:
    return f"{metric}|{org_unit}|{year}|{quarter}"


def own_entry(key: str, cell: Mapping[str, Any]) -> OwnEntry:
    """What the scoring core stores for a cell: a counter's sum and count, or a gauge's level."""
    metric, unit, year, quarter = key.split("|")
    if cell["t"] == "c":
        return OwnEntry(metric, unit, int(year), int(quarter), float(cell["v"]), int(cell["n"]), 0.0, 0)
    return OwnEntry(metric, unit, int(year), int(quarter), float(cell["v"]), 1, float(cell["ts"]), int(cell["seq"]))


@dataclass(slots=True)
class Absorbed:
    cells: dict[str, Cell] = field(default_factory=dict)  # cells changed by the batch, their new values
    seen: dict[int, list[list[Any]]] = field(default_factory=dict)  # partition -> [[source, id, offset, index]]
    applied: int = 0
    duplicates: int = 0
    replayed: int = 0


class Aggregator:
    """Folds batches into cells. Keeps only the index of event ids already counted; the cells themselves
    live in the caller's table, read through `get_cell`."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, str], Position] = {}
        self._buckets: dict[float, tuple[int, int]] = {}  # occurred_at -> (year, quarter): `bucket_ts`, pure

    def remember(self, partition: int, records: Iterable[Sequence[Any]]) -> None:
        """Rebuild the id index from a dedup record (after a recovery or a reassignment)."""
        for source, event_id, offset, *rest in records:
            self.index[(source, event_id)] = (partition, int(offset), int(rest[0]) if rest else 0)

    def absorb(self, batch: Iterable[Incoming], get_cell: Callable[[str], Cell | None]) -> Absorbed:
        out = Absorbed()
        index = self.index
        buckets = self._buckets
        if len(buckets) > BUCKETS_KEPT:
            buckets.clear()
        cells = out.cells
        before: dict[str, tuple[int, int] | None] = {}  # cell key -> (partition, offset) it had before the batch
        owned: set[str] = set()  # cells whose dict this batch made: a counter event may update them in place
        last: dict[int, tuple[int, int]] = {}  # partition -> the last (offset, index) absorbed in this batch
        seen = out.seen
        for partition, offset, i, ev in batch:
            done = last.get(partition)
            if done is not None and (offset, i) <= done:
                out.replayed += 1  # delivered twice within the batch
                continue
            last[partition] = (offset, i)
            ts = ev.ts
            yq = buckets.get(ts)
            if yq is None:  # one conversion per occurred_at (a request's events often share it)
                yq = buckets[ts] = bucket_ts(ts)
            key = f"{ev.metric}|{ev.org_unit}|{yq[0]}|{yq[1]}"  # cell_key
            cell = cells.get(key)
            if cell is None:
                found = get_cell(key)
                cell = dict(found) if found is not None else None
                before[key] = None if cell is None else (int(cell["p"]), int(cell["o"]))
            had = before.get(key)
            if had is not None and had[0] == partition and had[1] >= offset:
                out.replayed += 1  # counted before a crash or a rebalance
                continue
            kind = ev.kind
            if kind == "e":
                ident = dedup_key(ev.source, ev.event_id)
                prev = index.get(ident)
                if prev is not None and prev != (partition, offset, i):
                    out.duplicates += 1  # a client's retry of an event already counted
                    continue
                index[ident] = (partition, offset, i)
                listed = seen.get(partition)
                if listed is None:
                    listed = seen[partition] = []
                listed.append([ev.source, ev.event_id, offset, i])
                if ev.metric_type == "c" and key in owned and cell is not None and cell["t"] == "c":
                    # a counter event on a cell this batch already rewrote: the same as `_fold`, in place
                    value, count = fold_counter(cell["v"], cell["n"], ev.value)
                    cell["v"], cell["n"], cell["p"], cell["o"] = value, int(count), partition, offset
                    if ts > cell["lt"]:
                        cell["lt"] = ts
                    out.applied += 1
                    continue
            new = _fold(cell, ev, partition, offset)
            if new is None:
                out.duplicates += 1  # the same figure for the same period again
                if cell is not None:
                    cell["o"] = offset
                    cells[key] = cell
                continue
            cells[key] = new
            owned.add(key)
            out.applied += 1
        return out


def _fold(cell: Cell | None, ev: BusEvent, partition: int, offset: int) -> Cell | None:
    """The cell after one event (the rules are `shared.scoring.semantics`); None when it changes nothing.

    A cell remembers the departments' figures per period (`obs`), for counters and gauges alike, so a
    correction is told from the same figure sent again."""
    latest = ev.ts if cell is None else max(ev.ts, float(cell["lt"]))
    obs: dict[str, float] = {} if cell is None else cell.get("obs", {})
    change = ev.value
    if ev.kind == "o":
        assert ev.period is not None
        moved = correction(obs.get(ev.period), ev.value, ev.metric_type == "c")
        if moved is None:
            return None
        change = moved
        obs = {**obs, ev.period: ev.value}
    new: Cell
    if ev.metric_type == "c":
        value, count = (0.0, 0.0) if cell is None else (float(cell["v"]), float(cell["n"]))
        value, count = fold_counter(value, count, change)
        new = {"t": "c", "v": value, "n": int(count), "p": partition, "o": offset, "lt": latest}
    elif cell is not None and cell["t"] == "g" and not level_replaces(ev.ts, offset, cell["ts"], cell["seq"]):
        new = {**cell, "p": partition, "o": offset, "lt": latest}  # an older level arriving late loses
    else:
        new = {"t": "g", "v": change, "ts": ev.ts, "seq": offset, "p": partition, "o": offset, "lt": latest}
    if obs:
        new["obs"] = obs
    return new
