"""Metric aggregates per org unit and assessment year, rolled up the hierarchy as events arrive.

Counters: each unit keeps the per-quarter sums of its own events and of its whole subtree, so a ratio at a
district is Σ numerators / Σ denominators of everything below it — never a mean of child ratios.
Gauges: each unit keeps its own latest level per quarter; its effective level is its own report if it made
one, else the sum of its children's effective levels (a province-wide figure is not added to districts').
Values are year to date: the value at quarter Q covers quarters 1..Q.

Only a unit and its ancestors are touched by an event, so the cost of an update does not grow with the
number of units. The store keeps the units' own contributions apart from the roll-ups; `own_entries()` is
the minimal state to snapshot, and a rebuild re-applies it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from shared.rules.model import Metric, OrgTree

GaugeEntry = tuple[float, int, float]  # (occurred_at epoch seconds, arrival sequence, value)


@dataclass(slots=True)
class _CounterYear:
    # unit -> [sum q1..q4, events q1..q4]
    own: dict[int, list[float]] = field(default_factory=dict)
    sub: dict[int, list[float]] = field(default_factory=dict)


@dataclass(slots=True)
class _GaugeYear:
    own: dict[int, list[GaugeEntry | None]] = field(default_factory=dict)
    own_ytd: dict[int, list[float | None]] = field(default_factory=dict)
    level: dict[int, list[float | None]] = field(default_factory=dict)
    child_sum: dict[int, list[float]] = field(default_factory=dict)
    child_n: dict[int, list[int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OwnEntry:
    """One unit's own contribution to a metric in one quarter: the unit of snapshots and rebuilds."""

    metric: str
    unit: str
    year: int
    quarter: int
    value: float  # counter: sum of deltas; gauge: latest level
    events: int  # counter: number of events; gauge: 1
    ts: float  # gauge: occurred_at of the latest level
    seq: int  # gauge: its arrival sequence


class MetricStore:
    def __init__(self, tree: OrgTree, metrics: dict[str, Metric]) -> None:
        self.tree = tree
        self.metrics = metrics
        self._counters: dict[tuple[str, int], _CounterYear] = {}
        self._gauges: dict[tuple[str, int], _GaugeYear] = {}
        # units whose subtree has any data, per year: the units worth scoring
        self.touched: dict[int, set[int]] = {}
        # entries for units or metrics the current rules do not know; kept so a later rules version that
        # knows them again scores them (nothing accepted is dropped by a rules edit)
        self.orphans: list[OwnEntry] = []

    # ------------------------------------------------------------------ writes
    def add(
        self,
        metric: str,
        unit: int,
        year: int,
        quarter: int,
        value: float,
        events: int = 1,
        ts: float = 0.0,
        seq: int = 0,
    ) -> None:
        m = self.metrics[metric]
        chain = (unit, *self.tree.units[unit].ancestors)
        touched = self.touched.setdefault(year, set())
        touched.update(chain)
        if m.type == "counter":
            self._add_counter(metric, chain if m.rollup == "sum" else (unit,), unit, year, quarter, value, events)
        else:
            self._set_gauge(metric, m.rollup == "sum", unit, year, quarter, (ts, seq, value))

    def set_own(
        self,
        metric: str,
        unit: int,
        year: int,
        quarter: int,
        value: float,
        events: int = 1,
        ts: float = 0.0,
        seq: int = 0,
    ) -> None:
        """Replace a unit's own contribution for one quarter with absolute figures and fix the roll-ups.

        Counter: `value` is the quarter's sum and `events` its number of events (0 clears the quarter).
        Gauge: `value` is the level reported at `ts` with arrival `seq` (`events == 0` clears the quarter);
        unlike `add`, it replaces the level even if an older `ts` comes after a newer one, since the caller
        holds the authoritative total. Setting the totals a sequence of `add`s produced leaves the store as
        those `add`s left it.
        """
        m = self.metrics[metric]
        chain = (unit, *self.tree.units[unit].ancestors)
        touched = self.touched.setdefault(year, set())
        touched.update(chain)
        if m.type == "counter":
            cy = self._counters.get((metric, year))
            own = cy.own.get(unit) if cy is not None else None
            i = quarter - 1
            old_v, old_n = (own[i], own[4 + i]) if own is not None else (0.0, 0.0)
            self._add_counter(
                metric, chain if m.rollup == "sum" else (unit,), unit, year, quarter, value - old_v, events - old_n
            )
            own = self._counters[(metric, year)].own[unit]
            own[i] = value  # exact, not old + (value - old)
            own[4 + i] = events
        else:
            entry = (ts, seq, value) if events else None
            self._set_gauge(metric, m.rollup == "sum", unit, year, quarter, entry, replace=True)

    def _add_counter(
        self, metric: str, chain: tuple[int, ...], unit: int, year: int, q: int, value: float, events: float
    ) -> None:
        cy = self._counters.get((metric, year))
        if cy is None:
            cy = self._counters[(metric, year)] = _CounterYear()
        i = q - 1
        own = cy.own.get(unit)
        if own is None:
            own = cy.own[unit] = [0.0] * 8
        own[i] += value
        own[4 + i] += events
        sub = cy.sub
        for a in chain:
            s = sub.get(a)
            if s is None:
                s = sub[a] = [0.0] * 8
            s[i] += value
            s[4 + i] += events

    def _set_gauge(
        self, metric: str, rollup: bool, unit: int, year: int, q: int, entry: GaugeEntry | None, replace: bool = False
    ) -> None:
        gy = self._gauges.get((metric, year))
        if gy is None:
            gy = self._gauges[(metric, year)] = _GaugeYear()
        own = gy.own.get(unit)
        if own is None:
            own = gy.own[unit] = [None, None, None, None]
        cur = own[q - 1]
        if not replace and cur is not None and entry is not None and (entry[0], entry[1]) < (cur[0], cur[1]):
            return  # an older level arriving late does not replace a newer one
        own[q - 1] = entry
        ytd: list[float | None] = [None, None, None, None]
        best: GaugeEntry | None = None
        for i in range(4):
            e = own[i]
            if e is not None and (best is None or (e[0], e[1]) > (best[0], best[1])):
                best = e
            ytd[i] = None if best is None else best[2]
        gy.own_ytd[unit] = ytd
        u: int | None = unit
        while u is not None:
            changes = self._refresh_level(gy, u)
            parent = self.tree.units[u].parent
            if not changes or not rollup or parent is None:
                return
            cs = gy.child_sum.setdefault(parent, [0.0, 0.0, 0.0, 0.0])
            cn = gy.child_n.setdefault(parent, [0, 0, 0, 0])
            for i, old, new in changes:
                cs[i] += (new or 0.0) - (old or 0.0)
                cn[i] += (new is not None) - (old is not None)
            u = parent

    @staticmethod
    def _refresh_level(gy: _GaugeYear, u: int) -> list[tuple[int, float | None, float | None]]:
        own = gy.own_ytd.get(u)
        cs = gy.child_sum.get(u)
        cn = gy.child_n.get(u)
        old = gy.level.get(u) or [None, None, None, None]
        new: list[float | None] = [None, None, None, None]
        changes = []
        for i in range(4):
            v = own[i] if own is not None else None
            if v is None and cn is not None and cn[i] > 0:
                v = cs[i] if cs is not None else None
            new[i] = v
            if v != old[i]:
                changes.append((i, old[i], v))
        gy.level[u] = new
        return changes

    # ------------------------------------------------------------------ reads
    def value(self, metric: str, unit: int, year: int, quarter: int = 4) -> float | None:
        """Year-to-date value at the end of `quarter`; None when nothing was reported (not zero)."""
        cy = self._counters.get((metric, year))
        if cy is not None:
            s = cy.sub.get(unit)
            if s is None:
                return None
            if quarter == 4:  # the year: the common case, kept short
                return None if not (s[4] or s[5] or s[6] or s[7]) else s[0] + s[1] + s[2] + s[3]
            n = s[4] + (s[5] if quarter > 1 else 0) + (s[6] if quarter > 2 else 0) + (s[7] if quarter > 3 else 0)
            if n == 0:
                return None
            return (
                s[0] + (s[1] if quarter > 1 else 0.0) + (s[2] if quarter > 2 else 0.0) + (s[3] if quarter > 3 else 0.0)
            )
        gy = self._gauges.get((metric, year))
        lv = gy.level.get(unit) if gy is not None else None
        return None if lv is None else lv[quarter - 1]

    def years(self) -> list[int]:
        return sorted(self.touched)

    def own_entries(self) -> Iterator[OwnEntry]:
        codes = self.tree.units
        for (metric, year), cy in self._counters.items():
            for u, own in cy.own.items():
                for i in range(4):
                    if own[4 + i]:
                        yield OwnEntry(metric, codes[u].code, year, i + 1, own[i], int(own[4 + i]), 0.0, 0)
        for (metric, year), gy in self._gauges.items():
            for u, entries in gy.own.items():
                for i, e in enumerate(entries):
                    if e is not None:
                        yield OwnEntry(metric, codes[u].code, year, i + 1, e[2], 1, e[0], e[1])
        yield from self.orphans

    def load(self, entries: Iterator[OwnEntry] | list[OwnEntry]) -> int:
        """Re-apply own entries (from a snapshot or an older store); returns how many were skipped because
        their unit or metric is not in the current rules."""
        skipped = 0
        for e in entries:
            u = self.tree.by_code.get(e.unit)
            m = self.metrics.get(e.metric)
            if u is None or m is None:
                self.orphans.append(e)
                skipped += 1
                continue
            if m.type == "counter":
                self.add(e.metric, u, e.year, e.quarter, e.value, events=e.events)
            else:
                self.add(e.metric, u, e.year, e.quarter, e.value, ts=e.ts, seq=e.seq)
        return skipped
