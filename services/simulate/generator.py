"""The event stream of a simulated province: pure (no I/O, no clock), deterministic for a seed.

What it plays, in simulated time:
- at the start, every level the systems and departments know (gauges: procedures offered, units reporting
  through the reporting system, LGSP connections, communes networked, population figures, …);
- one-stop records of every unit: filed online (any hour, evenings and weekends too) through the public
  service portal, or in person at the desk (office hours, some Saturday mornings) through LGSP; processed
  fully online or not; a fee with some of them, paid online (cashless) or at the desk (cash or not); each
  resolved days later, on time or not;
- e-office documents (electronic or paper, digitally signed or not) and work records (online or not), in
  office hours on working days;
- monthly levels from the portal, the reporting system, LGSP and the payment platform;
- articles on digital transformation, counted by the reporting system each working day;
- each quarter, the departments' figures for the quarter just ended (POST /v1/observations), ten days
  after it ends.
Volumes follow office hours, weekends and public holidays (`rhythm`); how digital each unit is follows its
maturity (`model`).
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from typing import Any

from services.simulate import profile as P
from services.simulate.model import DESK_MEAN, OFFICE_MEAN, ONLINE_MEAN, ProvinceModel, Unit
from services.simulate.rhythm import (
    DAY,
    HOUR,
    OFFSET,
    day_number,
    day_start,
    factors,
    from_day,
    hour_of,
    is_working_day,
    iso,
    next_open_hour,
    to_day,
)
from shared.events import years_covered

EVIDENCE = "https://sokhcn.laichau.gov.vn/bao-cao-cds"  # where departments' evidence would be published
ONLINE, DESK, DOCS, WORK = range(4)


@dataclass(frozen=True, slots=True)
class EventItem:
    """One event a system sends at simulated time `at` (epoch seconds)."""

    at: float
    source: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ObservationItem:
    """A department's periodic figures, sent at simulated time `at` to POST /v1/observations."""

    at: float
    source: str
    body: dict[str, Any]


Item = EventItem | ObservationItem


@dataclass(slots=True)
class _Day:
    """Per-unit rates and shares for one simulated day."""

    m: float
    units: list[Unit]
    cum: list[list[float]]  # per stream, cumulative rates over `units`
    totals: list[float]  # per stream, events per second at factor 1
    shares: dict[int, tuple[float, ...]] = field(default_factory=dict)  # unit index -> shares


def run_tag(model: ProvinceModel, seed: int, volume: float) -> str:
    """Part of every event id: the same options give the same ids (retries and replays are duplicates);
    other options give other ids (another run is not mistaken for a retry)."""
    text = f"{seed}|{model.start.isoformat()}|{volume:.6g}|{model.improvement}|{model.start_dti}|{model.framework}"
    return hashlib.blake2b(text.encode(), digest_size=3).hexdigest()


class Generator:
    def __init__(self, model: ProvinceModel, seed: int, volume: float = 1.0) -> None:
        self.model = model
        self.rng = random.Random(seed)
        self.volume = volume
        self.prefix = f"sim{seed}-{run_tag(model, seed, volume)}"
        self._counters: dict[str, int] = {}
        self._heap: list[tuple[float, int, Item]] = []
        self._seq = 0
        self._day_no: int | None = None
        self._day: _Day | None = None
        self._records = 0
        first, last = years_covered(model.rules)
        self.end_ts = day_start(to_day(date(last + 1, 1, 1)))
        self._start_day = day_number(model.start_ts)
        self._owner = self._owners()

    # ------------------------------------------------------------------ public
    @property
    def sources(self) -> frozenset[str]:
        """Every source this stream may send from (each needs a key)."""
        out = {r.source for r in self.model.reported.values()}
        for metric, prefs in P.FLOW_SOURCES.items():
            for pref in prefs:
                src = self.model.source_for(metric, pref)
                if src is not None:
                    out.add(src)
        return frozenset(out)

    def items(self) -> Iterator[Item]:
        """Items in order of simulated time, until the last year the rules cover ends."""
        t = self.model.start_ts
        yield from self._opening(t)
        arrival = self._next_arrival(t)
        while True:
            if self._heap and self._heap[0][0] <= arrival[0]:
                at, _seq, item = heapq.heappop(self._heap)
                if at >= self.end_ts:
                    return
                yield item
                continue
            t, stream, unit = arrival
            if t >= self.end_ts:
                return
            if stream is not None and unit is not None:
                yield from self._episode(t, stream, unit)
            arrival = self._next_arrival(t)

    # ------------------------------------------------------------------ helpers
    def _event(self, t: float, source: str, unit: str, metric: str, value: float, **attrs: Any) -> EventItem:
        n = self._counters.get(source, 0) + 1
        self._counters[source] = n
        body: dict[str, Any] = {
            "event_id": f"{self.prefix}-{source}-{n:08d}",
            "source": source,
            "org_unit": unit,
            "metric": metric,
            "value": value,
            "occurred_at": iso(t),
        }
        if attrs:
            body["attributes"] = attrs
        return EventItem(t, source, body)

    def _push(self, t: float, item: Item) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, item))

    def _owners(self) -> dict[str, str]:
        out: dict[str, str] = {}
        fws = [self.model.rules.frameworks[self.model.framework], *self.model.rules.frameworks.values()]
        for fw in fws:
            for ind in fw.indicators.values():
                for metric in ind.formula.metrics:
                    out.setdefault(metric, ind.owner)
        return out

    # ------------------------------------------------------------------ levels
    def _gauges(self, t: float, cadence: str | None) -> Iterator[EventItem]:
        m = self.model.maturity(t)
        for rep in self.model.reported.values():
            if isinstance(rep.spec.model, P.PerYear | P.PartOf):
                continue
            if cadence is not None and rep.spec.cadence != cadence:
                continue
            for u in rep.units:
                yield self._event(t, rep.source, u.code, rep.metric, self.model.gauge_value(rep.metric, u, m))

    def _opening(self, t: float) -> Iterator[Item]:
        """Every level known at the start, from the system or department that holds it."""
        yield from self._gauges(t, None)

    # ------------------------------------------------------------------ days
    def _enter_day(self, day: int, t: float) -> None:
        self._day_no = day
        begin = max(t, day_start(day))
        m = self.model.maturity(begin)
        units = self.model.units
        rates: list[list[float]] = [[], [], [], []]
        shares: dict[int, tuple[float, ...]] = {}
        has_records = self.model.has_flow("tthc.records_total")
        has_docs = self.model.has_flow("edoc.documents_total")
        has_work = self.model.has_flow("work.records_total")
        for u in units:
            rec, docs, work = (v * self.volume / DAY for v in self.model.daily_volumes(u))
            mu = self.model.unit_maturity(u, m)
            p_on = P.ONLINE.at(mu)
            rates[ONLINE].append(rec * p_on / ONLINE_MEAN if has_records else 0.0)
            rates[DESK].append(rec * (1 - p_on) / DESK_MEAN if has_records else 0.0)
            rates[DOCS].append(docs / OFFICE_MEAN if has_docs else 0.0)
            rates[WORK].append(work / OFFICE_MEAN if has_work else 0.0)
            shares[u.index] = (
                P.FULLY_ONLINE.at(mu),
                P.ON_TIME.at(mu),
                P.DESK_CASHLESS.at(mu),
                P.WORK_ONLINE.at(mu),
                P.ELECTRONIC.at(mu),
                P.SIGNED.at(mu),
            )
        cum = [list(accumulate(r)) for r in rates]
        self._day = _Day(m, list(units), cum, [c[-1] if c else 0.0 for c in cum], shares)
        self._schedule_day(day, begin, m)

    def _schedule_day(self, day: int, begin: float, m: float) -> None:
        d = from_day(day)
        start = day_start(day)
        working = is_working_day(day)
        if day == self._start_day:
            return  # the opening has just sent every level; nothing is scheduled before the start
        if working and self._first_working_day_of_month(day):
            # levels count from the start of their year: in January every system and department states
            # them again for the new year; other months, the systems refresh theirs
            cadence = None if d.month == 1 else "monthly"
            for item in self._gauges(start + 7.5 * HOUR, cadence):
                self._push(item.at, item)
        if working:
            for rep in self.model.reported.values():
                if rep.spec.cadence == "daily" and isinstance(rep.spec.model, P.PerYear):
                    at = start + 10 * HOUR + self.rng.random() * 6 * HOUR
                    for u in rep.units:
                        n = _poisson(self.rng, self.model.per_year(rep.metric, u, m) / 250)
                        if n:
                            self._push(at, self._event(at, rep.source, u.code, rep.metric, float(n)))
        quarter_end = _last_quarter_end(d)
        if quarter_end >= from_day(self._start_day) and day == _report_day(quarter_end):
            at = start + 9 * HOUR + self.rng.random() * 2 * HOUR
            for report in self._quarterly(quarter_end, at):
                self._push(report.at, report)

    def _first_working_day_of_month(self, day: int) -> bool:
        d = from_day(day)
        return all(not is_working_day(x) for x in range(to_day(d.replace(day=1)), day))

    def _quarterly(self, quarter_end: date, at: float) -> Iterator[ObservationItem]:
        """The departments' figures for the quarter that ended on `quarter_end`, one request per source."""
        q = (quarter_end.month - 1) // 3 + 1
        period = f"{quarter_end.year}-Q{q}"
        m = self.model.maturity(day_start(to_day(quarter_end)) + 12 * HOUR)
        rows: dict[str, list[dict[str, Any]]] = {}
        counts: dict[tuple[str, str], int] = {}
        for rep in self.model.reported.values():
            if rep.spec.cadence != "quarterly":
                continue
            model = rep.spec.model
            for u in rep.units:
                if isinstance(model, P.PerYear):
                    value = float(self._quarter_count(rep.metric, model, u, m, q))
                    counts[(rep.metric, u.code)] = int(value)
                elif isinstance(model, P.PartOf):
                    base = counts.get((model.of, u.code), 0)
                    p = min(1.0, max(0.0, self.model.per_year(rep.metric, u, m)))
                    value = float(sum(1 for _ in range(base) if self.rng.random() < p))
                else:
                    value = self.model.gauge_value(rep.metric, u, m)
                rows.setdefault(rep.source, []).append(
                    {
                        "org_unit": u.code,
                        "metric": rep.metric,
                        "period": period,
                        "value": value,
                        "evidence_url": f"{EVIDENCE}/{period}/{rep.metric}",
                        "reported_by": self._owner.get(rep.metric, rep.source),
                    }
                )
        for source in sorted(rows):
            yield ObservationItem(at, source, {"observations": rows[source]})

    def _quarter_count(self, metric: str, model: P.PerYear, unit: Unit, m: float, q: int) -> int:
        if q not in model.quarters:
            return 0
        per_year = max(0.0, self.model.per_year(metric, unit, m))
        if model.random:
            return _poisson(self.rng, per_year / len(model.quarters))
        n = round(per_year)
        k = model.quarters.index(q) + 1
        return n * k // len(model.quarters) - n * (k - 1) // len(model.quarters)

    # ------------------------------------------------------------------ flows
    def _next_arrival(self, t: float) -> tuple[float, int | None, Unit | None]:
        """The next record, document or work record after t (piecewise-constant intensity by hour); at
        most a day ahead, so the days' scheduled reports are never skipped."""
        limit = day_start(day_number(t) + 1)
        while t < limit:
            day = day_number(t)
            if day != self._day_no or self._day is None:
                self._enter_day(day, t)
            assert self._day is not None
            f_on, f_desk, f_off = factors(day, hour_of(t))
            tot = self._day.totals
            parts = (f_on * tot[ONLINE], f_desk * tot[DESK], f_off * tot[DOCS], f_off * tot[WORK])
            lam = sum(parts)
            hour_end = t - ((t + OFFSET) % HOUR) + HOUR
            if lam > 0:
                gap = self.rng.expovariate(lam)
                if t + gap < hour_end:
                    t += gap
                    x = self.rng.random() * lam
                    stream = 0
                    while stream < 3 and x >= parts[stream]:
                        x -= parts[stream]
                        stream += 1
                    cum = self._day.cum[stream]
                    i = min(bisect_right(cum, self.rng.random() * cum[-1]), len(cum) - 1)
                    return t, stream, self._day.units[i]
            t = hour_end
        if day_number(t) != self._day_no:
            self._enter_day(day_number(t), t)
        return t, None, None

    def _episode(self, t: float, stream: int, unit: Unit) -> Iterator[EventItem]:
        assert self._day is not None
        p_full, p_ot, p_dc, p_work, p_elec, p_signed = self._day.shares[unit.index]
        rng = self.rng
        code = unit.code
        src = self.model.source_for
        if stream in (ONLINE, DESK):
            online = stream == ONLINE
            self._records += 1
            channel = "online" if online else "in_person"
            s = src("tthc.records_total", "egov-portal" if online else "lgsp")
            if s:
                yield self._event(t, s, code, "tthc.records_total", 1.0, channel=channel)
            fully = online and rng.random() < p_full
            if online and (s := src("tthc.records_online", "egov-portal")):
                yield self._event(t, s, code, "tthc.records_online", 1.0, channel=channel)
            if fully and (s := src("tthc.records_fully_online", "egov-portal")):
                yield self._event(t, s, code, "tthc.records_fully_online", 1.0, channel=channel)
            if rng.random() < P.FEE_SHARE:
                payer = "egov-portal" if online else "payment"
                cashless = online or rng.random() < p_dc
                if s := src("payment.fees_total", payer):
                    yield self._event(t, s, code, "payment.fees_total", 1.0)
                if cashless and (s := src("payment.fees_cashless", payer)):
                    yield self._event(t, s, code, "payment.fees_cashless", 1.0)
            days = rng.expovariate(1 / P.RESOLVE_DAYS) * (0.5 if fully else 1.0)
            due = next_open_hour(t + days * DAY) + rng.random() * HOUR
            on_time = rng.random() < p_ot
            if s := src("tthc.records_resolved", "lgsp"):
                self._push(due, self._event(due, s, code, "tthc.records_resolved", 1.0))
            if on_time and (s := src("tthc.records_on_time", "lgsp")):
                self._push(due, self._event(due, s, code, "tthc.records_on_time", 1.0))
        elif stream == DOCS:
            if s := src("edoc.documents_total", "eoffice"):
                yield self._event(t, s, code, "edoc.documents_total", 1.0)
            if rng.random() < p_elec:
                if s := src("edoc.documents_electronic", "eoffice"):
                    yield self._event(t, s, code, "edoc.documents_electronic", 1.0)
                if rng.random() < p_signed and (s := src("edoc.documents_signed", "eoffice")):
                    yield self._event(t, s, code, "edoc.documents_signed", 1.0)
        else:
            if s := src("work.records_total", "eoffice"):
                yield self._event(t, s, code, "work.records_total", 1.0)
            if rng.random() < p_work and (s := src("work.records_online", "eoffice")):
                yield self._event(t, s, code, "work.records_online", 1.0)


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; the means here are small (a few a day or a quarter)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _last_quarter_end(d: date) -> date:
    """The last day of the most recent quarter that ended before `d`."""
    q_start_month = 3 * ((d.month - 1) // 3) + 1
    first = date(d.year, q_start_month, 1)
    return from_day(to_day(first) - 1)


def _report_day(quarter_end: date) -> int:
    """Departments report ten days after the quarter ends (the first working day from then)."""
    day = to_day(quarter_end) + 10
    while not is_working_day(day):
        day += 1
    return day
