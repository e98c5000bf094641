"""What changed: scores as they were a week and a quarter before the date the page judges by, recomputed
from the embedded event log (`EventLog.own_entries_as_of`), and the date of the latest data.

A past day's scores are recomputed, not stored: the log keeps each event's occurred_at and received_at, so the
scores "as the province knew them" on any day can be rebuilt for one year (a few SQL aggregates and one
scoring pass; cached for ten minutes per day and rules version). In Kafka mode the scoring service has no log:
the changes carry today's figures and the latest data, without the past ones.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from shared.periods import PROVINCE_TZ, Period
from shared.rules import INDEX, RuleSet
from shared.scoring import MetricStore, ScoringEngine, UnitScore

CACHE_SECONDS = 600.0  # a past day changes only by late data; one pass over a year of events costs ~1-2 s
_cache: dict[tuple[str, int, date], tuple[float, ScoringEngine]] = {}
_lock = threading.Lock()


def _midnight(d: date) -> float:
    return datetime.combine(d, dtime(0), tzinfo=PROVINCE_TZ).timestamp()


def engine_as_of(log: Any, rules: RuleSet, year: int, day: date) -> ScoringEngine:
    """The scores of `year` as they stood at the end of `day` (events that occurred and arrived by then)."""
    key = (rules.version, year, day)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    gauges = {code for code, m in rules.catalog.metrics.items() if m.type == "gauge"}
    bounds = [_midnight(date(year, m, 1)) for m in (1, 4, 7, 10)] + [_midnight(date(year + 1, 1, 1))]
    entries = log.own_entries_as_of(_midnight(day + timedelta(days=1)), bounds, gauges)
    store = MetricStore(rules.org_tree, rules.catalog.metrics)
    store.load(entries)
    engine = ScoringEngine(rules, store)
    with _lock:
        for k in [k for k, (t, _e) in _cache.items() if now - t >= CACHE_SECONDS]:
            del _cache[k]
        _cache[key] = (now, engine)
    return engine


def quarter_before(d: date) -> date:
    """The same day three months earlier (the month's last day when it has no such day)."""
    y, m = (d.year, d.month - 3) if d.month > 3 else (d.year - 1, d.month + 9)
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, m, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def latest_data(last: dict[tuple[str, str], Any], rules: RuleSet, unit: str, until: date) -> dict[str, date]:
    """Per metric, the date of the newest data of `unit` or any unit under it, no later than `until` (a
    department's figure is dated its period's last day; shown no later than the day the page judges by)."""
    tree = rules.org_tree
    root = tree.by_code[unit]
    out: dict[str, date] = {}
    for (metric, code), when in last.items():
        i = tree.by_code.get(code)
        if i is None or (i != root and root not in tree.units[i].ancestors):
            continue
        if isinstance(when, datetime):
            d = when.astimezone(PROVINCE_TZ).date()
        elif isinstance(when, int | float):
            d = datetime.fromtimestamp(when, PROVINCE_TZ).date()
        else:
            continue
        d = min(d, until)
        if metric not in out or d > out[metric]:
            out[metric] = d
    return out


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def changes(
    rules: RuleSet,
    framework: str,
    unit: str,
    period: Period,
    now: UnitScore,
    past: dict[str, tuple[date, UnitScore | None]],
    latest: dict[str, date],
    reference: date,
) -> dict[str, Any]:
    """Per indicator (and for the index, pillars and main indicators): today's value and score beside those
    of each past day in `past` (name -> (day, scores then, or None when history is not available))."""
    fw = rules.frameworks[framework]

    def then(code: str, kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, (day, us) in past.items():
            if us is None:
                out[name] = {"date": day.isoformat(), "value": None, "score": None, "available": False}
                continue
            if kind == "indicator":
                r = us.indicators.get(code)
                out[name] = {
                    "date": day.isoformat(),
                    "value": None if r is None else _r(r.value),
                    "score": None if r is None else _r(r.score),
                    "available": True,
                }
            else:
                c = us.mains.get(code) or us.composites.get(code)
                out[name] = {"date": day.isoformat(), "value": None if c is None else _r(c.value), "available": True}
        return out

    indicators = []
    for code, ind in fw.indicators.items():
        r = now.indicators.get(code)
        if r is None:
            continue
        dates = [latest[m] for m in ind.formula.metrics if m in latest]
        indicators.append(
            {
                "code": code,
                "name": ind.name,
                "name_en": ind.name_en,
                "unit": ind.unit,
                "value": _r(r.value),
                "score": _r(r.score),
                "latest_data": max(dates).isoformat() if dates else None,
                **then(code, "indicator"),
            }
        )
    composites = [
        {"code": INDEX, "name": "Chỉ số DTI", "name_en": "DTI", "value": _r(now.index.value), **then(INDEX, "c")}
    ]
    composites += [
        {
            "code": p.code,
            "name": p.name,
            "name_en": p.name_en,
            "value": _r(now.composites[p.code].value),
            **then(p.code, "c"),
        }
        for p in fw.pillars.values()
        if p.code in now.composites
    ]
    composites += [
        {
            "code": m.code,
            "name": m.name,
            "name_en": m.name_en,
            "value": _r(now.mains[m.code].value),
            **then(m.code, "c"),
        }
        for m in fw.main_indicators.values()
        if m.code in now.mains
    ]
    all_dates = list(latest.values())
    return {
        "framework": framework,
        "org_unit": unit,
        "period": period.id,
        "as_of": reference.isoformat(),
        "data_through": max(all_dates).isoformat() if all_dates else None,
        "compared_with": {name: day.isoformat() for name, (day, _us) in past.items()},
        "history": all(us is not None for _day, us in past.values()),
        "composites": composites,
        "indicators": indicators,
    }
