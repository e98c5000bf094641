"""The scoring engine: applies metric events incrementally and keeps every framework's scores current.

An event recomputes only what depends on it: the indicators that read its metric, for its unit and that
unit's ancestors, then their main indicators, pillars and index. `rescore_all()` recomputes everything
from the store (after a rules reload); a property test shows both give the same scores.

Scores are materialised for the whole year (year to date); quarter periods are computed on request from
the same store with the same functions.
"""

from __future__ import annotations

import sys
import threading
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from shared.periods import Period
from shared.rules.model import RuleSet, ShareOfUnits
from shared.scoring.evaluate import (
    CompiledFramework,
    LevelPlan,
    ShareCounts,
    evaluate_main_from_row,
    evaluate_planned_composite,
    evaluate_planned_main,
)
from shared.scoring.results import CompositeResult, IndicatorResult, UnitScore
from shared.scoring.semantics import bucket
from shared.scoring.store import MetricStore, OwnEntry

RawUpdate = tuple[str, int, int, int, float, float, int]  # metric, unit, year, quarter, value, ts, seq
# metric, unit, year, quarter, value, events, ts, seq: a unit's absolute own figures for a quarter
OwnUpdate = tuple[str, int, int, int, float, int, float, int]
_U = TypeVar("_U", RawUpdate, OwnUpdate)
_NAN = float("nan")


# the plain slots of UnitScore's result dictionaries, which `_LazyScore` reads and writes behind its properties
_INDICATORS: Any = UnitScore.__dict__["indicators"]
_MAINS: Any = UnitScore.__dict__["mains"]
_COMPOSITES: Any = UnitScore.__dict__["composites"]
# references to a kept unit score when only the engine holds it: its row, `results`, the loop's name and
# `sys.getrefcount`'s argument (see `ScoringEngine._detach`)
_ONLY_THE_ENGINE = 4


class _LazyScore(UnitScore):
    """The kept scores of a unit below the root (a district, a commune), brought up to date when read.

    Nothing the engine computes reads a unit's results (a district's indicators read the store, not its
    communes' results), so an event only evaluates the indicators it makes dirty at the unit, compares their
    values with the kept ones in a flat array (`ScoringEngine._value_row`) and, when one moved, marks the
    score stale. Its indicators, main indicators and composites are recomputed from the store, whole, when
    something reads them (the same functions as a full recomputation: the same results). With 10,000 units
    the communes' and districts' result objects are cold in the caches; replacing them on every event, and
    dropping the old ones, was most of the growth of an event's cost with the number of units. The root keeps
    plain scores updated in place: one unit, hot at any size, and the score read most often.
    """

    __slots__ = ("_engine", "_flags")
    _engine: ScoringEngine | None
    # the engine's stale flags of the units' scores in this framework and year, by unit (None once detached):
    # kept apart from the object, so that marking a score stale does not write to it (cold in the caches)
    _flags: bytearray | None

    @property
    def indicators(self) -> dict[str, IndicatorResult]:
        f = self._flags
        if f is not None and f[self.unit]:
            self._refresh()
        d: dict[str, IndicatorResult] = _INDICATORS.__get__(self)
        return d

    @indicators.setter
    def indicators(self, value: dict[str, IndicatorResult]) -> None:
        _INDICATORS.__set__(self, value)

    @property
    def mains(self) -> dict[str, CompositeResult]:
        f = self._flags
        if f is not None and f[self.unit]:
            self._refresh()
        d: dict[str, CompositeResult] = _MAINS.__get__(self)
        return d

    @mains.setter
    def mains(self, value: dict[str, CompositeResult]) -> None:
        _MAINS.__set__(self, value)

    @property
    def composites(self) -> dict[str, CompositeResult]:
        f = self._flags
        if f is not None and f[self.unit]:
            self._refresh()
        d: dict[str, CompositeResult] = _COMPOSITES.__get__(self)
        return d

    @composites.setter
    def composites(self, value: dict[str, CompositeResult]) -> None:
        _COMPOSITES.__set__(self, value)

    def _refresh(self) -> None:
        """Bring the results up to date from the store (`ScoringEngine._refresh_lazy`), in the same dictionaries
        (whoever holds them sees the change, as with the results the engine updates in place)."""
        engine = self._engine
        if engine is None:
            return
        with engine._refreshing:
            flags = self._flags
            if flags is None:  # detached meanwhile (`_detach`), which brought it up to date
                return
            # cleared before computing: a read in a thread of its own (the HTTP routes) that the scorer
            # interleaves with leaves the score marked stale if the scorer moves it meanwhile, and the next read
            # recomputes it
            flags[self.unit] = 0
            try:
                engine._refresh_lazy(self)
            except BaseException:
                flags[self.unit] = 1
                raise


def _update_above(
    cf: CompiledFramework,
    plan: LevelPlan,
    inds: dict[str, IndicatorResult],
    kept_mains: dict[str, CompositeResult],
    comps: dict[str, CompositeResult],
    changed: set[str],
    mains: set[str],
    earned: array[float],
    base: int,
) -> None:
    """After indicators of a kept unit score changed (`changed`, codes), recompute the main indicators whose
    points moved (`mains`) from the unit's row of earned points, then the composites above whatever changed,
    storing the results that differ from the kept ones."""
    fw = cf.fw
    main_plans = plan.main_by_code
    for m in mains:
        result = evaluate_main_from_row(fw, main_plans[m], earned, base)
        if result != kept_mains.get(m):  # an unchanged main indicator leaves its composites as they are
            kept_mains[m] = result
            changed.add(m)
    # a composite none of whose parts changed keeps its result (a function of those parts alone); results
    # equal to the kept ones are not stored (dropping an old result touches it: cold with many units)
    for cp in plan.composites:
        if cp.static is None and not cp.codes.isdisjoint(changed):
            result = evaluate_planned_composite(cp, fw, inds, kept_mains, comps)
            if result != comps.get(cp.key):
                comps[cp.key] = result
                changed.add(cp.code)


@dataclass(frozen=True, slots=True)
class MetricEvent:
    """A metric update as the core sees it: already validated by the adapter that received it."""

    metric: str
    org_unit: str
    value: float
    occurred_at: datetime


class ScoringEngine:
    def __init__(self, rules: RuleSet, store: MetricStore | None = None) -> None:
        self.rules = rules
        self.tree = rules.org_tree
        self.store = store if store is not None else MetricStore(self.tree, rules.catalog.metrics)
        self.compiled = {code: CompiledFramework.build(fw, self.tree) for code, fw in rules.frameworks.items()}
        self._index_rules()
        self._seq = 0
        self.results: dict[tuple[str, int, int], UnitScore] = {}
        # the same unit scores by (framework, year), in a list indexed by unit: the incremental path finds a
        # unit's scores there without probing (and missing the cache on) a dictionary of every unit's keys
        self._rows: dict[tuple[str, int], list[UnitScore | None]] = {}
        self._stale: dict[tuple[str, int], bytearray] = {}  # see `_stale_row`
        # one `_LazyScore._refresh` at a time (reads run in threads), none while `_detach` runs
        self._refreshing = threading.RLock()
        # (framework, share indicator, year) -> unit -> [meeting, with data] over its descendants at the level
        self._share: dict[tuple[str, str, int], dict[int, list[int]]] = {}
        self.rescore_all()

    def _index_rules(self) -> None:
        """Look-ups every event needs, built once per rules version."""
        self._readers = {code: self._share_reader(code) for code in self.compiled}
        units = self.tree.units
        # parents as a compact array and levels as a list: walking a unit's chain of ancestors touches
        # neither OrgUnit objects nor tuples of int objects scattered over the heap
        self._parent = array("q", [-1 if u.parent is None else u.parent for u in units])
        self._level = [u.level for u in units]
        # each unit's position among the units of its level, and how many units each level has: the rows of
        # the earned-points arrays (see `_earned_row`)
        self._pos = array("q", [0] * len(units))
        self._level_count: dict[str, int] = {}
        for u in units:
            self._pos[u.index] = self._level_count.get(u.level, 0)
            self._level_count[u.level] = self._pos[u.index] + 1
        self._earned: dict[tuple[str, int, str], array[float]] = {}
        self._values: dict[tuple[str, int, str], array[float]] = {}
        self._shown: dict[tuple[str, int, str], array[float]] = {}
        # the units below the root keep their scores in `_LazyScore`s; the reason of each of their indicator
        # results without a value, laid out as `_value_row` (the result is then a function of that reason)
        self._lazy_levels = frozenset(self.tree.levels[1:])
        self._reasons: dict[tuple[str, int, str], list[str | None]] = {}
        self._share_levels: dict[str, set[str]] = {}
        for cf in self.compiled.values():
            for metric, inds in cf.share_deps.items():
                for ind in inds:
                    assert isinstance(ind.formula, ShareOfUnits)
                    self._share_levels.setdefault(metric, set()).add(ind.formula.level)

    @property
    def version(self) -> str:
        return self.rules.version

    # ------------------------------------------------------------------ incremental path
    def apply(self, event: MetricEvent, seq: int | None = None) -> list[UnitScore]:
        """Apply one event; returns the unit scores it changed (the unit's and its ancestors').

        `seq` is the event's position in the durable log when there is one: it breaks ties between gauge
        levels with the same occurred_at the same way on every replay.
        """
        year, quarter = bucket(event.occurred_at)
        self._seq = self._seq + 1 if seq is None else seq
        return self.apply_raw(
            event.metric,
            self.tree.by_code[event.org_unit],
            year,
            quarter,
            event.value,
            event.occurred_at.timestamp(),
            self._seq,
        )

    def apply_many(self, events: Sequence[MetricEvent], seqs: Sequence[int] | None = None) -> list[UnitScore]:
        """Apply events as one batch (see `apply_batch`); `seqs` are their positions in the durable log."""
        by_code = self.tree.by_code
        updates: list[RawUpdate] = []
        when: dict[datetime, tuple[int, int, float]] = {}  # a batch's events often share their occurred_at
        for i, ev in enumerate(events):
            at = ev.occurred_at
            w = when.get(at)
            if w is None:
                year, quarter = bucket(at)
                w = when[at] = (year, quarter, at.timestamp())
            self._seq = self._seq + 1 if seqs is None else seqs[i]
            updates.append((ev.metric, by_code[ev.org_unit], w[0], w[1], ev.value, w[2], self._seq))
        return self.apply_batch(updates)

    def apply_raw(
        self, metric: str, unit: int, year: int, quarter: int, value: float, ts: float = 0.0, seq: int = 0
    ) -> list[UnitScore]:
        return self.apply_batch([(metric, unit, year, quarter, value, ts, seq)])

    def apply_batch(self, updates: Iterable[RawUpdate]) -> list[UnitScore]:
        """Apply many updates, then recompute each affected (unit, indicator) once.

        A batch of events for the communes of one district recomputes the district and the province once,
        not once per event: the cost per event falls as batches grow, and the result is the same as
        applying the events one by one (a property test checks it).
        """
        store = self.store

        def add(u: RawUpdate) -> None:
            store.add(u[0], u[1], u[2], u[3], u[4], ts=u[5], seq=u[6])

        return self._rescore_batch(updates, add)

    def set_own_batch(self, updates: Iterable[OwnUpdate]) -> list[UnitScore]:
        """Replace units' own figures with absolute ones (`MetricStore.set_own`), then recompute each
        affected (unit, indicator) once, as `apply_batch` does; returns the unit scores that changed.

        For a consumer that receives per-unit totals rather than deltas: setting the totals a sequence of
        events produced scores the same as applying those events (a property test checks it).
        """
        store = self.store

        def set_own(u: OwnUpdate) -> None:
            store.set_own(*u)

        return self._rescore_batch(updates, set_own)

    def _rescore_batch(self, updates: Iterable[_U], write: Callable[[_U], None]) -> list[UnitScore]:
        units = self.tree.units
        parent = self._parent
        levels = self._level
        store = self.store
        before: dict[tuple[str, int, int], float | None] = {}  # share metrics' values before the batch
        dirty: dict[tuple[str, int, int], set[str]] = {}
        touched: dict[tuple[int, int], None] = {}  # (unit, year), in first-touched order
        compiled = list(self.compiled.values())
        seen: set[tuple[str, int, int]] = set()  # (metric, unit, year) already marked in this batch
        for upd in updates:
            metric, unit, year = upd[0], upd[1], upd[2]
            if (metric, unit, year) in seen:  # what it makes dirty is marked already: only the write is new
                write(upd)
                continue
            seen.add((metric, unit, year))
            chain = [unit]
            a = parent[unit]
            while a >= 0:
                chain.append(a)
                a = parent[a]
            share_levels = self._share_levels.get(metric)
            if share_levels:
                for w in chain:
                    if levels[w] in share_levels and (metric, w, year) not in before:
                        before[(metric, w, year)] = store.value(metric, w, year, 4)
            write(upd)
            for a in chain:
                touched[(a, year)] = None
            for cf in compiled:
                by_level = cf.deps_by_level.get(metric)
                if by_level is None:
                    continue
                code = cf.fw.code
                for a in chain:
                    deps = by_level.get(levels[a])
                    if deps:
                        key = (code, a, year)
                        d = dirty.get(key)
                        if d is None:
                            dirty[key] = set(deps)
                        else:
                            d.update(deps)
        for (metric, w, year), old in before.items():
            new = self.store.value(metric, w, year, 4)
            level = levels[w]
            for cf in compiled:
                for ind in cf.share_deps.get(metric, ()):
                    f = ind.formula
                    assert isinstance(f, ShareOfUnits)
                    if f.level != level:
                        continue
                    d_meet = int(new is not None and f.meets(new)) - int(old is not None and f.meets(old))
                    d_data = int(new is not None) - int(old is not None)
                    if not (d_meet or d_data):
                        continue
                    counts = self._share.setdefault((cf.fw.code, ind.code, year), {})
                    for a in units[w].ancestors:
                        c = counts.setdefault(a, [0, 0])
                        c[0] += d_meet
                        c[1] += d_data
                        if levels[a] in ind.levels:
                            dirty.setdefault((cf.fw.code, a, year), set()).add(ind.code)

        changed: list[UnitScore] = []
        lazy_levels = self._lazy_levels
        for a, year in touched:
            lazy = levels[a] in lazy_levels
            for cf in compiled:
                code = cf.fw.code
                row = self._row(code, year)
                current = row[a]
                if current is None:  # first data in this unit's subtree this year: score it whole
                    current = row[a] = self.results[(code, a, year)] = self._score_unit(
                        cf, a, year, 4, self._readers[code], materialise=True
                    )
                    changed.append(current)
                    continue
                pending = dirty.get((code, a, year))
                if pending and (
                    self._update_lazy(cf, current, pending, a, year)
                    if lazy
                    else self._update_indicators(cf, current, pending, a, year)
                ):
                    changed.append(current)
        return changed

    def _earned_row(self, cf: CompiledFramework, year: int, level: str) -> array[float]:
        """Earned points of the materialised indicator results, per (framework, year, level): one row per unit
        of the level, one column per indicator scored there (LevelPlan order), NaN where there is no data. The
        main indicators are summed from it on the incremental path."""
        key = (cf.fw.code, year, level)
        a = self._earned.get(key)
        if a is None:
            width = len(cf.level_plan(level).indicators)
            a = self._earned[key] = array("d", [_NAN]) * (self._level_count.get(level, 0) * width)
        return a

    def _value_row(self, cf: CompiledFramework, year: int, level: str, shown: bool = False) -> array[float]:
        """The materialised indicator results' values, laid out as `_earned_row` (NaN: no value). For one
        indicator at one unit, level and year a result is a function of its value when it has one (the
        target, score, status follow from it), so equal values mean equal results: the incremental path
        compares a new result with the kept one here, without reading the kept result object (cold in the
        caches when there are many units).

        For a `_LazyScore`, the values of its latest results (`_update_lazy` keeps them on every event); with
        `shown`, those of the results it holds, as last brought up to date when read (`_refresh_lazy`): where
        the two differ, a read has something to recompute, found without reading the held result objects."""
        rows = self._shown if shown else self._values
        key = (cf.fw.code, year, level)
        a = rows.get(key)
        if a is None:
            width = len(cf.level_plan(level).indicators)
            a = rows[key] = array("d", [_NAN]) * (self._level_count.get(level, 0) * width)
        return a

    def _reason_row(self, cf: CompiledFramework, year: int, level: str) -> list[str | None]:
        key = (cf.fw.code, year, level)
        a = self._reasons.get(key)
        if a is None:
            width = len(cf.level_plan(level).indicators)
            a = self._reasons[key] = [None] * (self._level_count.get(level, 0) * width)
        return a

    def _stale_row(self, framework: str, year: int) -> bytearray:
        """Which kept `_LazyScore`s of a framework and year are stale, by unit."""
        flags = self._stale.get((framework, year))
        if flags is None:
            flags = self._stale[(framework, year)] = bytearray(len(self.tree.units))
        return flags

    def _row(self, framework: str, year: int) -> list[UnitScore | None]:
        row = self._rows.get((framework, year))
        if row is None:
            row = self._rows[(framework, year)] = [None] * len(self.tree.units)
        return row

    def _update_indicators(self, cf: CompiledFramework, us: UnitScore, codes: set[str], unit: int, year: int) -> bool:
        """Recompute the dirty indicators `codes` of a kept unit score (`us`, of `unit` in `year`: passed in
        rather than read from `us`, whose int objects are cold in the caches with many units), then the main
        indicators and composites above the ones that changed; returns whether any result changed."""
        level = self._level[unit]
        read = self._readers[cf.fw.code]
        inds = us.indicators
        changed: set[str] = set()  # indicators, then main indicators and composites, that changed
        mains: set[str] = set()
        plan = cf.level_plan(level)
        evaluators = plan.evaluators
        store = self.store
        earned = self._earned_row(cf, year, level)
        values = self._value_row(cf, year, level)
        base = self._pos[unit] * len(plan.indicators)
        slot = plan.slot
        for c in codes:
            new = evaluators[c](store, unit, year, 4, read)
            i = base + slot[c]
            v = new.value
            old = values[i]
            if v is not None and old == old:  # both have a value (NaN: the kept result has none)
                if v == old:
                    continue  # the same value: the same result
            elif new == inds.get(c):
                continue
            inds[c] = new
            values[i] = _NAN if v is None else v
            e = _NAN if new.earned is None else new.earned
            was = earned[i]
            earned[i] = e
            changed.add(c)
            if e != was and (e == e or was == was):  # its points moved (NaN: none), so may its main indicator's
                mains.add(cf.mains_of[c].code)
        if not changed:
            return False
        _update_above(cf, plan, inds, us.mains, us.composites, changed, mains, earned, base)
        return True

    def _update_lazy(self, cf: CompiledFramework, us: UnitScore, codes: set[str], unit: int, year: int) -> bool:
        """`_update_indicators` for a unit below the root (a `_LazyScore`): evaluates the dirty indicators and,
        if a result moved, marks the score stale instead of replacing result objects (see `_LazyScore`)."""
        assert isinstance(us, _LazyScore)
        level = self._level[unit]
        plan = cf.level_plan(level)
        evaluators = plan.evaluators
        read = self._readers[cf.fw.code]
        store = self.store
        values = self._value_row(cf, year, level)
        base = self._pos[unit] * len(plan.indicators)
        slot = plan.slot
        moved = False
        for c in codes:
            new = evaluators[c](store, unit, year, 4, read)
            i = base + slot[c]
            v = new.value
            if v is not None:
                if v == values[i]:  # the same value: the same result (NaN, no value, equals nothing)
                    continue
                values[i] = v
            else:
                reasons = self._reason_row(cf, year, level)
                if values[i] != values[i] and new.reason == reasons[i]:  # no value before either, same reason
                    continue
                values[i] = _NAN
                reasons[i] = new.reason
            moved = True
        if moved:
            self._stale_row(cf.fw.code, year)[unit] = 1
        return moved

    def _refresh_lazy(self, us: _LazyScore) -> None:
        """Bring a stale `_LazyScore` up to date, as `_update_indicators` would have done event by event, once:
        the indicators whose latest value (`_value_row`, kept by `_update_lazy`) differs from the kept result's
        are evaluated again, then the main indicators and composites above those that changed. The kept
        dictionaries are updated in place, as the root's are on every event."""
        cf = self.compiled[us.framework]
        unit, year = us.unit, us.year
        level = self._level[unit]
        plan = cf.level_plan(level)
        read = self._readers[cf.fw.code]
        inds: dict[str, IndicatorResult] = _INDICATORS.__get__(us)
        earned = self._earned_row(cf, year, level)
        values = self._value_row(cf, year, level)
        shown = self._value_row(cf, year, level, shown=True)
        base = self._pos[unit] * len(plan.indicators)
        store = self.store
        changed: set[str] = set()
        mains: set[str] = set()
        for k, (c, evaluate) in enumerate(plan.indicators):
            i = base + k
            v, was_v = values[i], shown[i]
            if v == was_v:
                continue  # the same value: the same result
            if v != v and was_v != was_v:  # neither has a value: the same result if for the same reason
                if inds[c].reason == self._reason_row(cf, year, level)[i]:
                    continue
            new = evaluate(store, unit, year, 4, read)
            shown[i] = _NAN if new.value is None else new.value
            if new == inds[c]:
                continue
            inds[c] = new
            e = _NAN if new.earned is None else new.earned
            was = earned[i]
            earned[i] = e
            changed.add(c)
            if e != was and (e == e or was == was):
                mains.add(cf.mains_of[c].code)
        if changed:
            _update_above(cf, plan, inds, _MAINS.__get__(us), _COMPOSITES.__get__(us), changed, mains, earned, base)

    def _detach(self) -> None:
        """Before the kept scores are replaced (a full recomputation, a rules swap, a restore): a stale
        `_LazyScore` that someone else still holds is brought up to date now, from the state it belongs to,
        and every one stops following the engine, as a replaced plain score stops changing. One only the
        engine holds is dropped with its row without being computed."""
        with self._refreshing:
            for row in self._rows.values():
                for us in row:
                    if isinstance(us, _LazyScore) and us._flags is not None:
                        if us._flags[us.unit] and sys.getrefcount(us) > _ONLY_THE_ENGINE:
                            us._refresh()
                        us._flags = None
                        us._engine = None

    def _share_reader(self, framework: str) -> ShareCounts:
        """Share-of-units counts kept up to date by `apply` (year to date, for the materialised scores)."""

        def read(f: ShareOfUnits, code: str, unit: int, year: int, quarter: int) -> tuple[int, int]:
            c = self._share.get((framework, code, year), {}).get(unit)
            return (c[0], c[1]) if c else (0, 0)

        return read

    # ------------------------------------------------------------------ full path
    def rescore_all(self) -> None:
        """Recompute every materialised score from the store (after a rules reload or a restore)."""
        self._detach()
        self.results.clear()
        self._rows.clear()
        self._stale.clear()
        self._earned.clear()
        self._values.clear()
        self._shown.clear()
        self._reasons.clear()
        self._share.clear()
        units = self.tree.units
        years = self.store.years()
        for cf in self.compiled.values():
            for ind in cf.fw.indicators.values():
                f = ind.formula
                if not isinstance(f, ShareOfUnits):
                    continue
                for year in years:
                    counts: dict[int, list[int]] = {}
                    for w in units:
                        if w.level != f.level:
                            continue
                        v = self.store.value(f.metric, w.index, year, 4)
                        if v is None:
                            continue
                        for a in w.ancestors:
                            c = counts.setdefault(a, [0, 0])
                            c[0] += int(f.meets(v))
                            c[1] += 1
                    self._share[(cf.fw.code, ind.code, year)] = counts
        for year in years:
            for u in self.store.touched_units(year):
                for cf in self.compiled.values():
                    code = cf.fw.code
                    us = self._score_unit(cf, u, year, 4, self._readers[code], materialise=True)
                    self.results[(code, u, year)] = self._row(code, year)[u] = us

    def _score_unit(
        self,
        cf: CompiledFramework,
        unit: int,
        year: int,
        quarter: int,
        share: ShareCounts,
        materialise: bool = False,
    ) -> UnitScore:
        """A unit's scores computed whole; `materialise`: they are the year's kept results (`results`), so
        their earned points go to the unit's row of `_earned` too."""
        fw = cf.fw
        level = self._level[unit]
        plan = cf.level_plan(level)
        store = self.store
        inds = {code: ev(store, unit, year, quarter, share) for code, ev in plan.indicators}
        lazy = materialise and level in self._lazy_levels
        if materialise:
            earned = self._earned_row(cf, year, level)
            values = self._value_row(cf, year, level)
            base = self._pos[unit] * len(plan.indicators)
            for i, r in enumerate(inds.values()):
                earned[base + i] = _NAN if r.earned is None else r.earned
                values[base + i] = _NAN if r.value is None else r.value
            if lazy:
                shown = self._value_row(cf, year, level, shown=True)
                reasons = self._reason_row(cf, year, level)
                for i, r in enumerate(inds.values()):
                    shown[base + i] = values[base + i]
                    if r.value is None:
                        reasons[base + i] = r.reason
        mains = {m.code: m.static or evaluate_planned_main(fw, m, inds) for m in plan.mains}
        comps: dict[str, CompositeResult] = {}
        for cp in plan.composites:
            comps[cp.key] = evaluate_planned_composite(cp, fw, inds, mains, comps)
        if not lazy:
            return UnitScore(fw.code, unit, year, quarter, inds, mains, comps)
        us = _LazyScore(fw.code, unit, year, quarter, inds, mains, comps)
        us._engine = self
        us._flags = self._stale_row(fw.code, year)
        us._flags[unit] = 0
        return us

    # ------------------------------------------------------------------ reads
    def score(self, framework: str, org_unit: str, period: Period) -> UnitScore:
        """The scores of a unit for a period: materialised for years, computed on request for quarters."""
        cf = self.compiled[framework]
        u = self.tree.by_code[org_unit]
        if period.is_year or period.quarter == 4:
            found = self.results.get((framework, u, period.year))
            if found is not None:
                return UnitScore(
                    found.framework,
                    found.unit,
                    found.year,
                    4,
                    dict(found.indicators),
                    dict(found.mains),
                    dict(found.composites),
                )
        return self._score_unit(cf, u, period.year, period.quarter, self._scan_share)

    def _scan_share(self, f: ShareOfUnits, code: str, unit: int, year: int, quarter: int) -> tuple[int, int]:
        meet = data = 0
        for w in self.tree.units:
            if w.level == f.level and unit in w.ancestors:
                v = self.store.value(f.metric, w.index, year, quarter)
                if v is not None:
                    data += 1
                    meet += int(f.meets(v))
        return meet, data

    # ------------------------------------------------------------------ rules and state
    def swap_rules(self, rules: RuleSet) -> int:
        """Score the same data under new rules; returns how many stored entries no longer fit them."""
        self._detach()
        store, skipped = self.store.rebuilt_for(rules.org_tree, rules.catalog.metrics)
        self.rules = rules
        self.tree = rules.org_tree
        self.store = store
        self.compiled = {code: CompiledFramework.build(fw, self.tree) for code, fw in rules.frameworks.items()}
        self._index_rules()
        self.rescore_all()
        return skipped

    def restore(self, entries: Iterable[OwnEntry], seq: int) -> int:
        self._detach()
        store = MetricStore(self.tree, self.rules.catalog.metrics)
        skipped = store.load(list(entries))
        self.store = store
        self._seq = seq
        self.rescore_all()
        return skipped

    @property
    def seq(self) -> int:
        return self._seq
