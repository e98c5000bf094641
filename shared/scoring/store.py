"""Metric aggregates per org unit and assessment year, rolled up the hierarchy as events arrive.

How one unit's own figures fold (counter sums, which gauge level wins) is `shared.scoring.semantics`; this
module keeps those figures and rolls them up.

Counters: each unit keeps the per-quarter sums of its own events and of its whole subtree, so a ratio at a
district is Σ numerators / Σ denominators of everything below it — never a mean of child ratios.
Gauges: each unit keeps its own latest level per quarter; its effective level is its own report if it made
one, else the sum of its children's effective levels (a province-wide figure is not added to districts').
Values are year to date: the value at quarter Q covers quarters 1..Q.

Only a unit and its ancestors are touched by an event, so the cost of an update does not grow with the
number of units. The store keeps the units' own contributions apart from the roll-ups; `own_entries()` is
the minimal state to snapshot, and a rebuild re-applies it.

Layout: one column per metric and year, a flat array of doubles with a fixed stride per unit, in pages of
`_PAGE` units allocated when a unit of the page first reports. Everything an event reads or writes for one
unit sits in one or a few adjacent cache lines, instead of a dictionary slot, a list and a float object
per figure scattered over the heap: at 10,000 units those were cold in the CPU caches on every event, and
the cost of an event grew with the number of units. Parents are a compact array for the same reason.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from shared.rules.model import Metric, OrgTree
from shared.scoring.semantics import fold_counter, level_replaces

_SHIFT = 4
_PAGE = 1 << _SHIFT  # units per page
_MASK = _PAGE - 1

# counter stride: own sums q1..q4 | own event counts q1..q4 | subtree sums q1..q4 | subtree event counts q1..q4
_C = 16
_C_OWN_N, _C_SUB, _C_SUB_N = 4, 8, 12
# gauge stride: own level reported q1..q4: present | occurred_at | arrival seq | value;
# effective level q1..q4: present | value; children's effective levels q1..q4: sum | how many have one
_G = 32
_G_TS, _G_SEQ, _G_VAL, _G_LV_HAS, _G_LV, _G_CS, _G_CN = 4, 8, 12, 16, 20, 24, 28

_Change = tuple[int, float | None, float | None]  # quarter index, old effective level, new
_ZERO = {stride: array("d", bytes(8 * _PAGE * stride)) for stride in (_C, _G)}


class _Column:
    """One metric in one year: pages of `_PAGE` units × `stride` doubles, zero until written."""

    __slots__ = ("pages", "_zero")

    def __init__(self, n_units: int, stride: int) -> None:
        self.pages: list[array[float] | None] = [None] * ((n_units >> _SHIFT) + 1)
        self._zero = _ZERO[stride]

    def copy(self) -> _Column:
        c = _Column.__new__(_Column)
        c.pages = [None if p is None else array("d", p) for p in self.pages]
        c._zero = self._zero
        return c

    def page(self, unit: int) -> array[float]:
        """The page holding `unit`, allocated if needed (for writes)."""
        p = self.pages[unit >> _SHIFT]
        if p is None:
            p = self.pages[unit >> _SHIFT] = array("d", self._zero)
        return p


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
        self._n = len(tree.units)
        self._parent = array("q", [-1 if u.parent is None else u.parent for u in tree.units])
        self._counters: dict[tuple[str, int], _Column] = {}
        self._gauges: dict[tuple[str, int], _Column] = {}
        # per year, a flag per unit whose subtree has any data: the units worth scoring
        self.touched: dict[int, bytearray] = {}
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
        self._touch(unit, year)
        if m.type == "counter":
            self._add_counter(
                self._column(self._counters, metric, year, _C), m.rollup == "sum", unit, quarter, value, events
            )
        else:
            self._set_gauge(
                self._column(self._gauges, metric, year, _G),
                m.rollup == "sum",
                unit,
                quarter,
                ts,
                seq,
                value,
                True,
                False,
            )

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
        self._touch(unit, year)
        if m.type == "counter":
            if not events:
                value = 0.0
            col = self._column(self._counters, metric, year, _C)
            p = col.page(unit)
            b = (unit & _MASK) * _C + quarter - 1
            self._add_counter(col, m.rollup == "sum", unit, quarter, value - p[b], events - p[b + _C_OWN_N])
            p[b] = value  # exact, not old + (value - old)
            p[b + _C_OWN_N] = events
        else:
            col = self._column(self._gauges, metric, year, _G)
            self._set_gauge(col, m.rollup == "sum", unit, quarter, ts, seq, value, bool(events), True)

    def _touch(self, unit: int, year: int) -> None:
        t = self.touched.get(year)
        if t is None:
            t = self.touched[year] = bytearray(self._n)
        parent = self._parent
        u = unit
        while u >= 0 and not t[u]:  # an ancestor of a touched unit is touched
            t[u] = 1
            u = parent[u]

    def _column(self, cols: dict[tuple[str, int], _Column], metric: str, year: int, stride: int) -> _Column:
        col = cols.get((metric, year))
        if col is None:
            col = cols[(metric, year)] = _Column(self._n, stride)
        return col

    def _add_counter(self, col: _Column, rollup: bool, unit: int, q: int, value: float, events: float) -> None:
        i = q - 1
        p = col.page(unit)
        b = (unit & _MASK) * _C + i
        p[b], p[b + _C_OWN_N] = fold_counter(p[b], p[b + _C_OWN_N], value, events)
        p[b + _C_SUB] += value  # the subtree's sums: the same change, rolled up
        p[b + _C_SUB_N] += events
        if not rollup:
            return
        parent = self._parent
        u = parent[unit]
        while u >= 0:
            p = col.page(u)
            b = (u & _MASK) * _C + i
            p[b + _C_SUB] += value
            p[b + _C_SUB_N] += events
            u = parent[u]

    def _set_gauge(
        self,
        col: _Column,
        rollup: bool,
        unit: int,
        q: int,
        ts: float,
        seq: float,
        value: float,
        present: bool,
        replace: bool,
    ) -> None:
        i = q - 1
        p = col.page(unit)
        b = (unit & _MASK) * _G
        if not replace and p[b + i] and not level_replaces(ts, seq, p[b + _G_TS + i], p[b + _G_SEQ + i]):
            return  # an older level arriving late does not replace a newer one
        if present:
            p[b + i] = 1.0
            p[b + _G_TS + i] = ts
            p[b + _G_SEQ + i] = seq
            p[b + _G_VAL + i] = value
        else:
            p[b + i] = p[b + _G_TS + i] = p[b + _G_SEQ + i] = p[b + _G_VAL + i] = 0.0
        parent = self._parent
        u = unit
        while True:
            changes = _refresh_level(p, b)
            pu = parent[u]
            if not changes or not rollup or pu < 0:
                return
            p = col.page(pu)
            b = (pu & _MASK) * _G
            for j, old, new in changes:
                p[b + _G_CS + j] += (new or 0.0) - (old or 0.0)
                p[b + _G_CN + j] += (new is not None) - (old is not None)
            u = pu

    # ------------------------------------------------------------------ reads
    def value(self, metric: str, unit: int, year: int, quarter: int = 4) -> float | None:
        """Year-to-date value at the end of `quarter`; None when nothing was reported (not zero)."""
        col = self._counters.get((metric, year))
        if col is not None:
            p = col.pages[unit >> _SHIFT]
            if p is None:
                return None
            b = (unit & _MASK) * _C + _C_SUB
            if quarter == 4:  # the year: the common case, kept short
                if p[b + 4] or p[b + 5] or p[b + 6] or p[b + 7]:
                    return p[b] + p[b + 1] + p[b + 2] + p[b + 3]
                return None
            n = p[b + 4] + (p[b + 5] if quarter > 1 else 0) + (p[b + 6] if quarter > 2 else 0)
            if n == 0:
                return None
            return p[b] + (p[b + 1] if quarter > 1 else 0.0) + (p[b + 2] if quarter > 2 else 0.0)
        col = self._gauges.get((metric, year))
        if col is None:
            return None
        p = col.pages[unit >> _SHIFT]
        if p is None:
            return None
        b = (unit & _MASK) * _G + quarter - 1
        return p[b + _G_LV] if p[b + _G_LV_HAS] else None

    def years(self) -> list[int]:
        return sorted(self.touched)

    def touched_units(self, year: int) -> list[int]:
        """The units whose subtree has data in `year`, in the tree's order."""
        t = self.touched.get(year)
        return [] if t is None else [u for u, flag in enumerate(t) if flag]

    def own_entries(self) -> Iterator[OwnEntry]:
        codes = self.tree.units
        n = self._n
        for (metric, year), col in self._counters.items():
            for first, p in self._pages(col):
                for k in range(min(_PAGE, n - first)):
                    b = k * _C
                    for i in range(4):
                        if p[b + _C_OWN_N + i]:
                            yield OwnEntry(
                                metric, codes[first + k].code, year, i + 1, p[b + i], int(p[b + _C_OWN_N + i]), 0.0, 0
                            )
        for (metric, year), col in self._gauges.items():
            for first, p in self._pages(col):
                for k in range(min(_PAGE, n - first)):
                    b = k * _G
                    for i in range(4):
                        if p[b + i]:
                            yield OwnEntry(
                                metric,
                                codes[first + k].code,
                                year,
                                i + 1,
                                p[b + _G_VAL + i],
                                1,
                                p[b + _G_TS + i],
                                int(p[b + _G_SEQ + i]),
                            )
        yield from self.orphans

    @staticmethod
    def _pages(col: _Column) -> Iterator[tuple[int, array[float]]]:
        for pi, p in enumerate(col.pages):
            if p is not None:
                yield pi << _SHIFT, p

    def rebuilt_for(self, tree: OrgTree, metrics: dict[str, Metric]) -> tuple[MetricStore, int]:
        """The same data in a store for other rules (a rules reload), and how many own entries no longer fit
        them. When the org-unit tree is the same and every stored metric keeps its type and roll-up, the
        columns are copied as they are (the roll-ups depend on nothing else); otherwise the own entries are
        re-applied one by one, as `load` does."""
        new = MetricStore(tree, metrics)
        old_units, new_units = self.tree.units, tree.units
        same_tree = len(old_units) == len(new_units) and all(
            a.code == b.code and a.parent == b.parent for a, b in zip(old_units, new_units, strict=True)
        )

        def same_metric(code: str) -> bool:
            m, old = metrics.get(code), self.metrics[code]
            return m is not None and m.type == old.type and m.rollup == old.rollup

        if same_tree and all(same_metric(code) for code, _year in (*self._counters, *self._gauges)):
            new._counters = {k: col.copy() for k, col in self._counters.items()}
            new._gauges = {k: col.copy() for k, col in self._gauges.items()}
            new.touched = {year: bytearray(t) for year, t in self.touched.items()}
            return new, new.load(list(self.orphans))
        return new, new.load(list(self.own_entries()))

    def load(self, entries: Iterable[OwnEntry]) -> int:
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


def _refresh_level(p: array[float], b: int) -> list[_Change]:
    """Recompute a unit's effective gauge levels (its own latest report year to date, else the sum of its
    children's); returns the quarters whose level changed."""
    changes: list[_Change] = []
    has_best = False
    best_ts = best_seq = best_val = 0.0
    for i in range(4):
        if p[b + i]:
            ts, seq = p[b + _G_TS + i], p[b + _G_SEQ + i]
            if not has_best or level_replaces(ts, seq, best_ts, best_seq):
                has_best, best_ts, best_seq, best_val = True, ts, seq, p[b + _G_VAL + i]
        v: float | None
        if has_best:
            v = best_val
        elif p[b + _G_CN + i] > 0:
            v = p[b + _G_CS + i]
        else:
            v = None
        old = p[b + _G_LV + i] if p[b + _G_LV_HAS + i] else None
        if v != old:
            changes.append((i, old, v))
            if v is None:
                p[b + _G_LV_HAS + i] = p[b + _G_LV + i] = 0.0
            else:
                p[b + _G_LV_HAS + i] = 1.0
                p[b + _G_LV + i] = v
    return changes
