"""The read API: scores, gaps, org units and rules — served by `dti up` and by the Kafka scoring service."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.common.backend import ScoresBackend, scores_backend
from services.common.errors import fail
from shared.clock import today
from shared.events import FieldError
from shared.periods import Period, parse_period
from shared.rules import INDEX, RuleSet
from shared.scoring import covers, gaps, score_tree
from shared.years import default_year, framework_for, open_years

router = APIRouter(tags=["scores"])
Dep = Annotated[ScoresBackend, Depends(scores_backend)]


def _args(rules: RuleSet, org_unit: str | None, period: str | None, framework: str | None) -> tuple[str, str, Period]:
    errors = []
    try:
        p = parse_period(period) if period else Period(default_year(rules, today()), 4, True)
    except ValueError:
        errors.append(
            FieldError(
                "/period",
                None,
                "bad_period",
                "kỳ phải có dạng 2025 hoặc 2025-Q2",
                "period must look like 2025 or 2025-Q2",
            )
        )
        p = Period(default_year(rules, today()), 4, True)
    # the framework in force for the year shown (Decision 922 for 2022-2024, 405 from 2025); any on request
    fw = framework or framework_for(rules, p.year)
    if fw not in rules.frameworks:
        errors.append(
            FieldError(
                "/framework",
                None,
                "unknown_framework",
                f"không có bộ chỉ số '{fw}'",
                f"unknown framework '{fw}' (known: {', '.join(rules.frameworks)})",
            )
        )
    unit = org_unit or rules.org_tree.roots[0].code
    if unit not in rules.org_tree.by_code:
        errors.append(
            FieldError(
                "/org_unit",
                None,
                "unknown_org_unit",
                f"không có đơn vị hành chính '{unit}'",
                f"unknown org unit '{unit}'",
            )
        )
    if errors:
        raise fail(422, "tham số không hợp lệ", "invalid query parameters", errors)
    return fw, unit, p


OrgQ = Annotated[str | None, Query(description="org unit code; default: the province")]
PeriodQ = Annotated[
    str | None,
    Query(description="2025 or 2025-Q2; default: the oldest open assessment year (last year until it closes)"),
]
FwQ = Annotated[
    str | None, Query(description="framework code, e.g. dti-2022; default: the one in force for the period's year")
]


@router.get("/v1/scores")
def get_scores(b: Dep, org_unit: OrgQ = None, period: PeriodQ = None, framework: FwQ = None) -> dict[str, Any]:
    """The score tree of an org unit for a period: DTI, pillars, main and component indicators."""
    rules = b.rules.current
    fw, unit, p = _args(rules, org_unit, period, framework)
    day = today()
    tree = score_tree(rules, b.engine.score(fw, unit, p), p, day)
    tree["frameworks"] = list(rules.frameworks)
    tree["data_through"] = data_through(b, unit, min(day, p.end))
    tree["open_years"] = list(open_years(rules, day))
    return tree


def data_through(b: ScoresBackend, unit: str, until: date) -> str | None:
    """The date of the newest data of the unit's subtree (not the server's date), no later than `until`."""
    from services.reports.history import latest_data
    from services.reports.routes import last_data

    dates = latest_data(last_data(b), b.rules.current, unit, until).values()
    return max(dates).isoformat() if dates else None


@router.get("/v1/scores/units")
def get_unit_scores(
    b: Dep,
    period: PeriodQ = None,
    framework: FwQ = None,
    level: Annotated[str | None, Query(description="org-unit level; default: the second")] = None,
) -> dict[str, Any]:
    """Units of one level side by side: index, pillars and main indicators."""
    rules = b.rules.current
    fw, _unit, p = _args(rules, None, period, framework)
    lv = level or (rules.org_tree.levels[1] if len(rules.org_tree.levels) > 1 else rules.org_tree.levels[0])
    if lv not in rules.org_tree.levels:
        vi, en = f"không có cấp '{lv}'", f"unknown level '{lv}' (levels: {', '.join(rules.org_tree.levels)})"
        raise fail(
            422,
            "tham số không hợp lệ",
            "invalid query parameters",
            [FieldError("/level", None, "unknown_level", vi, en)],
        )
    rows: list[dict[str, Any]] = []
    for u in rules.org_tree.units:
        if u.level != lv:
            continue
        us = b.engine.score(fw, u.code, p)
        rows.append(
            {
                "code": u.code,
                "name": u.name,
                "index": us.index.value,
                "index_status": us.index.status,
                "covers": covers(rules.frameworks[fw], us),
                "pillars": {k: v.value for k, v in us.composites.items() if k != INDEX},
                "main_indicators": {k: v.value for k, v in us.mains.items()},
            }
        )
    # units of one level ranked among themselves (1 = highest index; units without data are not ranked)
    ranked = sorted((r for r in rows if r["index"] is not None), key=lambda r: -float(r["index"] or 0.0))
    for k, r in enumerate(ranked, 1):
        r["rank"], r["of"] = k, len(ranked)
    for r in rows:
        r.setdefault("rank", None)
        r.setdefault("of", len(ranked))
    return {"framework": fw, "period": p.id, "level": lv, "rules_version": rules.version, "units": rows}


@router.get("/v1/gaps")
def get_gaps(b: Dep, org_unit: OrgQ = None, period: PeriodQ = None, framework: FwQ = None) -> dict[str, Any]:
    """Indicators ranked by the DTI points gained by reaching target, grouped by owner department."""
    rules = b.rules.current
    fw, unit, p = _args(rules, org_unit, period, framework)
    return gaps(rules, b.engine.score(fw, unit, p), p, today())


@router.get("/v1/data")
def get_data(b: Dep, org_unit: OrgQ = None, period: PeriodQ = None) -> dict[str, Any]:
    """Raw metric values (year to date, rolled up) of an org unit: what the indicators are computed from."""
    rules = b.rules.current
    _fw, unit, p = _args(rules, org_unit, period, None)
    idx = rules.org_tree.by_code[unit]
    values = {m: v for m in rules.catalog.metrics if (v := b.engine.store.value(m, idx, p.year, p.quarter)) is not None}
    return {"org_unit": unit, "period": p.id, "rules_version": rules.version, "values": values}
