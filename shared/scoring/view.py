"""Read models built from scores: the score tree of a unit and the gap ranking. JSON-ready, no I/O.

Trajectories depend on the date, so they are computed here, at read time, with the date passed in.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from shared import bilingual
from shared.periods import Period
from shared.rules.codes import INDEX
from shared.rules.model import Catalog, Framework, RuleSet
from shared.scoring.results import CompositeResult, IndicatorResult, UnitScore
from shared.scoring.targets import expected_at, trajectory_status


def _r(x: float | None, nd: int = 6) -> float | None:
    return None if x is None else round(x, nd)


_METRIC_CODE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+")


def reason_halves(reason: str | None, catalog: Catalog | None) -> tuple[str, str] | None:
    """(Vietnamese, English) of a score reason ("chưa có số liệu X / no data for X"), with each metric code X
    replaced by the metric's name in quotes when `catalog` is given: officials read names, not codes. The
    English half gets the English name. None when there is no reason."""
    if not reason:
        return None
    vi, en = bilingual.split(reason)
    if catalog is None:
        return vi, en
    metrics = catalog.metrics

    def sub(text: str, english: bool) -> str:
        def one(m: re.Match[str]) -> str:
            met = metrics.get(m.group(0))
            if met is None:
                return m.group(0)
            return f"“{met.name_en if english and met.name_en else met.name}”"

        return _METRIC_CODE.sub(one, text)

    return sub(vi, False), sub(en, True)


def _owner(catalog: Catalog | None, code: str | None) -> dict[str, str | None]:
    dep = catalog.departments.get(code) if catalog is not None and code else None
    return {"owner_name": dep.name if dep else None, "owner_name_en": dep.name_en if dep else None}


def _composite(code: str, name: str, name_en: str, r: CompositeResult) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "name_en": name_en,
        "value": _r(r.value),
        "status": r.status,
        "coverage": _r(r.coverage, 4),
        "missing": list(r.missing),
    }


def indicator_view(
    fw: Framework,
    code: str,
    r: IndicatorResult,
    level: str,
    period: Period,
    as_of: date,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """One indicator as the API shows it; with the catalogue, the owner's name and reasons in names."""
    ind = fw.indicators[code]
    when = min(as_of, period.end)
    expected = expected_at(ind, level, when)
    trajectory = None
    if expected is not None:
        status = trajectory_status(r.value, expected, ind.tolerance, ind.direction) if r.value is not None else None
        trajectory = {"expected": _r(expected), "as_of": when.isoformat(), "status": status}
    reason = reason_halves(r.reason, catalog)
    return {
        "code": code,
        "name": ind.name,
        "name_en": ind.name_en,
        "main": ind.main,
        "unit": ind.unit,
        "direction": ind.direction,
        "official": ind.official,
        "owner": ind.owner,
        **_owner(catalog, ind.owner),
        "value": _r(r.value),
        "target": _r(r.target),
        "score": _r(r.score),
        "points": ind.points,
        "earned": _r(r.earned),
        "status": r.status,
        # the reason joined (Vietnamese / English) and its halves apart, so a client shows one without splitting
        "reason": bilingual.join(*reason) if reason else None,
        "reason_vi": reason[0] if reason else None,
        "reason_en": reason[1] if reason else None,
        "trajectory": trajectory,
        "reporting": {"frequency": ind.reporting.frequency, "deadline_days": ind.reporting.deadline_days},
    }


def score_tree(rules: RuleSet, us: UnitScore, period: Period, as_of: date) -> dict[str, Any]:
    fw = rules.frameworks[us.framework]
    unit = rules.org_tree.units[us.unit]
    index = us.composites[INDEX]
    mains = []
    for m in fw.main_indicators.values():
        mr = us.mains[m.code]
        entry = _composite(m.code, m.name, m.name_en, mr)
        entry.update(
            points=m.points,
            earned=_r(mr.earned),
            owner=m.owner,
            **_owner(rules.catalog, m.owner),
            indicators=[
                indicator_view(fw, c, us.indicators[c], unit.level, period, as_of, rules.catalog)
                for c in m.indicators
                if c in us.indicators
            ],
        )
        mains.append(entry)
    # the goal, the published record and a rank are the province's: a unit below it is compared with its
    # peers (GET /v1/scores/units), never with the provincial goal or DTI
    is_root = unit.parent is None
    goal = None
    if fw.goal is not None and is_root:
        g = fw.goal
        goal = {"year": g.year, "value": g.value, "rank": g.rank, "of": g.of, "note": g.note}
    extra: dict[str, Any] = {}
    if is_root:
        extra["history"] = [
            {"year": h.year, "value": h.value, "rank": h.rank, "of": h.of, "average": h.average, "source": h.source}
            for h in rules.history
        ]
        extra["estimated_rank"] = estimated_rank(rules, index.value)
    else:
        extra["covers"] = covers(fw, us)
    return {
        "framework": {"code": fw.code, "name": fw.name, "name_en": fw.name_en, "scale": fw.scale},
        "org_unit": {"code": unit.code, "name": unit.name, "level": unit.level},
        "period": period.id,
        "rules_version": rules.version,
        "as_of": as_of.isoformat(),
        "index": {
            **_composite(INDEX, "Chỉ số DTI", "DTI", index),
            "points": _r(None if index.value is None else index.value * fw.scale, 4),
            "goal": goal,
            **extra,
        },
        "pillars": [_composite(p.code, p.name, p.name_en, us.composites[p.code]) for p in fw.pillars.values()],
        "main_indicators": mains,
    }


def covers(fw: Framework, us: UnitScore) -> list[str]:
    """The main indicators a unit's index is built from: those with an indicator scored at its level (a
    commune's index may cover 2 of 8; it is not the province's DTI in small)."""
    return [m.code for m in fw.main_indicators.values() if any(c in us.indicators for c in m.indicators)]


def estimated_rank(rules: RuleSet, value: float | None) -> dict[str, Any] | None:
    """Where today's DTI would stand in the last published table of provinces (`peers`); None without one."""
    if rules.peers is None or value is None:
        return None
    rank, of = rules.peers.estimated_rank(value)
    return {"rank": rank, "of": of, "table_year": rules.peers.year, "source": rules.peers.source, "estimate": True}


def effective_weights(fw: Framework, us: UnitScore) -> dict[str, float]:
    """d(index value)/d(part value) for every main indicator and indicator that the index reaches.

    The index may weigh main indicators, indicators or pillars (which weigh the same), so an indicator's
    real share of the final score is the sum over every path to it (COINr's "effective weights").
    """
    eff: dict[str, float] = {}

    def walk(weights: dict[str, float], factor: float) -> None:
        parts = {k: w for k, w in weights.items() if w > 0 and _counts(us, k)}
        total = sum(parts.values())
        if total <= 0:
            return
        for code, w in parts.items():
            share = factor * w / total
            if code in fw.pillars:
                walk(fw.pillars[code].weights, share)
            else:
                eff[code] = eff.get(code, 0.0) + share

    walk(fw.index.weights, 1.0)
    return eff


def _counts(us: UnitScore, code: str) -> bool:
    """Parts that are not applicable at the unit's level carry no weight there."""
    r = us.mains.get(code) or us.composites.get(code)
    if r is not None:
        return r.status not in ("not_applicable", "not_scored")
    return code in us.indicators


def gaps(rules: RuleSet, us: UnitScore, period: Period, as_of: date) -> dict[str, Any]:
    """Indicators ranked by the index points the unit would gain by bringing each to its target."""
    fw = rules.frameworks[us.framework]
    level = rules.org_tree.units[us.unit].level
    eff = effective_weights(fw, us)
    rows = []
    for code, r in us.indicators.items():
        ind = fw.indicators[code]
        main = fw.main_indicators[ind.main]
        per_point = eff.get(main.code, 0.0) / main.points if main.points else 0.0
        direct = eff.get(code, 0.0)
        score = r.score or 0.0
        gain = ((1.0 - score) * ind.points * per_point + (1.0 - score) * direct) * fw.scale
        if gain <= 1e-9:
            continue
        row = indicator_view(fw, code, r, level, period, as_of, rules.catalog)
        row["gain_points"] = round(gain, 4)
        rows.append(row)
    rows.sort(key=lambda x: (-x["gain_points"], x["code"]))
    by_dep: dict[str, dict[str, Any]] = {}
    for row in rows:
        dep = rules.catalog.departments.get(row["owner"])
        d = by_dep.setdefault(
            row["owner"],
            {
                "code": row["owner"],
                "name": dep.name if dep else row["owner"],
                "name_en": dep.name_en if dep else "",
                "gain_points": 0.0,
                "indicators": [],
            },
        )
        d["gain_points"] = round(d["gain_points"] + row["gain_points"], 4)
        d["indicators"].append(row)
    unit = rules.org_tree.units[us.unit]
    return {
        "framework": fw.code,
        "org_unit": unit.code,
        "period": period.id,
        "rules_version": rules.version,
        "scale": fw.scale,
        "indicators": rows,
        "departments": sorted(by_dep.values(), key=lambda d: (-d["gain_points"], d["code"])),
    }
