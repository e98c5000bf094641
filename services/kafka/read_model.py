"""Every scoring worker's full copy of the cells, and the scores computed from them (no I/O here).

The aggregation stage is partitioned: a worker folds only its partitions' events into cells. A district's
or the province's value needs the cells of every unit below it, wherever they were folded. So every worker
also reads all partitions of the cells' changelog into this model: roll-ups are always over all units,
however the partitions are spread, and any worker can answer `GET /v1/scores` for any unit.

Cells carry absolute values, so applying one twice, or in a replay, changes nothing: the scoring core's
`set_own_batch` replaces a unit's own figures for the quarter and fixes the roll-ups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.kafka.cells import own_entry
from shared.rules import RuleSet
from shared.scoring import OwnEntry, OwnUpdate, ScoringEngine, UnitScore


class ReadModel:
    def __init__(self, rules: RuleSet) -> None:
        self.cells: dict[str, OwnEntry] = {}
        self.raw: dict[str, Mapping[str, Any]] = {}  # the cells as the changelog holds them
        self.latest: dict[str, dict[str, float]] = {}  # unit -> metric -> newest occurred_at (Unix seconds)
        self.through: dict[int, int] = {}  # dti.events partition -> highest offset a cell of it absorbed
        self.engine = ScoringEngine(rules)

    def apply(self, records: Iterable[tuple[str, Mapping[str, Any] | None]]) -> list[UnitScore]:
        """Apply changed cells (key, value; None is a deletion); returns the unit scores that changed."""
        tree = self.engine.tree.by_code
        metrics = self.engine.store.metrics
        updates: list[OwnUpdate] = []
        for key, cell in records:
            if cell is None:
                continue  # cells are never deleted by scoring; a tombstone from an operator is ignored
            had = self.raw.get(key)
            if had is not None and had["p"] == cell["p"] and int(cell["o"]) < int(had["o"]):
                # an older state written after a newer one: a fenced worker's late write (a hung worker
                # resumed before it learnt it had lost the partition). Offsets only grow, so keep the newer.
                continue
            self.raw[key] = cell
            p, o = int(cell["p"]), int(cell["o"])
            if o > self.through.get(p, -1):
                self.through[p] = o
            new = own_entry(key, cell)
            self.cells[key] = new
            seen = self.latest.setdefault(new.unit, {})
            if float(cell["lt"]) > seen.get(new.metric, 0.0):
                seen[new.metric] = float(cell["lt"])
            unit = tree.get(new.unit)
            if unit is None or new.metric not in metrics:
                continue  # kept in `cells`: a later rules version that knows it scores it
            updates.append((new.metric, unit, new.year, new.quarter, new.value, new.events, new.ts, new.seq))
        return self.engine.set_own_batch(updates) if updates else []

    def folded_through(self, partition: int) -> int | None:
        """The highest offset of a `dti.events` partition any cell absorbed (None: no cell yet): every record up
        to it was folded by some owner (services/kafka/continuity.py)."""
        return self.through.get(partition)

    def swap_rules(self, rules: RuleSet) -> None:
        """Score the same cells under new rules: a fresh engine restored from the cells."""
        engine = ScoringEngine(rules)
        engine.restore(list(self.cells.values()), 0)
        self.engine = engine
