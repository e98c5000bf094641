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
from datetime import datetime
from typing import Any

from services.kafka.messages import BusEvent
from shared.periods import PROVINCE_TZ, year_quarter
from shared.scoring.store import OwnEntry

Cell = dict[str, Any]
Incoming = tuple[int, int, int, BusEvent]  # partition, offset, index in the record, event
Position = tuple[int, int, int]  # partition, offset, index


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

    def remember(self, partition: int, records: Iterable[Sequence[Any]]) -> None:
        """Rebuild the id index from a dedup record (after a recovery or a reassignment)."""
        for source, event_id, offset, *rest in records:
            self.index[(source, event_id)] = (partition, int(offset), int(rest[0]) if rest else 0)

    def absorb(self, batch: Iterable[Incoming], get_cell: Callable[[str], Cell | None]) -> Absorbed:
        out = Absorbed()
        index = self.index
        before: dict[str, tuple[int, int] | None] = {}  # cell key -> (partition, offset) it had before the batch
        last: dict[int, tuple[int, int]] = {}  # partition -> the last (offset, index) absorbed in this batch
        for partition, offset, i, ev in batch:
            done = last.get(partition)
            if done is not None and (offset, i) <= done:
                out.replayed += 1  # delivered twice within the batch
                continue
            last[partition] = (offset, i)
            when = datetime.fromtimestamp(ev.ts, PROVINCE_TZ)
            year, quarter = year_quarter(when)
            key = cell_key(ev.metric, ev.org_unit, year, quarter)
            cell = out.cells.get(key)
            if cell is None:
                found = get_cell(key)
                cell = dict(found) if found is not None else None
                before[key] = None if cell is None else (int(cell["p"]), int(cell["o"]))
            had = before.get(key)
            if had is not None and had[0] == partition and had[1] >= offset:
                out.replayed += 1  # counted before a crash or a rebalance
                continue
            if ev.kind == "e":
                ident = (ev.source, ev.event_id)
                prev = index.get(ident)
                if prev is not None and prev != (partition, offset, i):
                    out.duplicates += 1  # a client's retry of an event already counted
                    continue
                index[ident] = (partition, offset, i)
                out.seen.setdefault(partition, []).append([ev.source, ev.event_id, offset, i])
            new = _fold(cell, ev, partition, offset)
            if new is None:
                out.duplicates += 1  # the same figure for the same period again
                if cell is not None:
                    cell["o"] = offset
                    out.cells[key] = cell
                continue
            out.cells[key] = new
            out.applied += 1
        return out


def _fold(cell: Cell | None, ev: BusEvent, partition: int, offset: int) -> Cell | None:
    latest = ev.ts if cell is None else max(ev.ts, float(cell["lt"]))
    if ev.metric_type == "c":
        value = 0.0 if cell is None else float(cell["v"])
        count = 0 if cell is None else int(cell["n"])
        obs: dict[str, float] = {} if cell is None else dict(cell.get("obs", {}))
        if ev.kind == "o":
            assert ev.period is not None
            before = obs.get(ev.period)
            if before == ev.value:
                return None
            value += ev.value - (before or 0.0)
            obs[ev.period] = ev.value
        else:
            value += ev.value
        new: Cell = {"t": "c", "v": value, "n": count + 1, "p": partition, "o": offset, "lt": latest}
        if obs:
            new["obs"] = obs
        return new
    if cell is not None and cell["t"] == "g":
        if (ev.ts, offset) < (float(cell["ts"]), int(cell["seq"])):  # an older level arriving late
            return {**cell, "p": partition, "o": offset, "lt": latest}
        if ev.kind == "o" and ev.value == cell["v"] and ev.ts == cell["ts"]:
            return None
    return {"t": "g", "v": ev.value, "ts": ev.ts, "seq": offset, "p": partition, "o": offset, "lt": latest}
