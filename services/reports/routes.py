"""`GET /v1/reports/…`: the officials' files (quarterly report, self-assessment workbook, scorecard) from the
scores in memory. Served by `dti up` and by the Kafka scoring service (without the departments' observations
there: they live in the embedded log)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from services.common.backend import ScoresBackend, scores_backend
from services.common.errors import fail
from services.reports.quarterly import ObservationRecord, build_quarterly
from services.scoring.routes import read
from shared import clock
from shared.events import FieldError
from shared.periods import PROVINCE_TZ, Period, parse_period
from shared.years import default_year

router = APIRouter(tags=["reports"])
Dep = Annotated[ScoresBackend, Depends(scores_backend)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"xlsx": XLSX, "pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


def _bad(field: str, code: str, vi: str, en: str) -> Exception:
    return fail(422, "tham số không hợp lệ", "invalid query parameters", [FieldError(f"/{field}", None, code, vi, en)])


def _framework(b: ScoresBackend, framework: str | None) -> str:
    fw, _unit, _p = read._args(b.rules.current, None, None, framework)
    return fw


def _format(fmt: str, allowed: tuple[str, ...]) -> str:
    if fmt not in allowed:
        raise _bad(
            "format",
            "bad_format",
            f"định dạng phải là một trong: {', '.join(allowed)}",
            f"format must be one of: {', '.join(allowed)}",
        )
    return fmt


def quarter_param(period: str | None, today: date) -> Period:
    if period is None:
        return Period(today.year, (today.month - 1) // 3 + 1)
    try:
        p = parse_period(period)
    except ValueError:
        p = None
    if p is None or p.is_year:
        raise _bad(
            "period",
            "bad_period",
            "kỳ báo cáo quý phải có dạng 2026-Q4",
            "the report's period must be a quarter such as 2026-Q4",
        )
    return _in_range(p)


YEARS = (1900, 2200)
# What the schema promises (the handlers check the same and name the field when it is not so).
QUARTER_PATTERN = r"^(19\d\d|2[01]\d\d|2200)-Q[1-4]$"


def _in_range(p: Period) -> Period:
    """Years the calendar arithmetic of reports (a quarter or a year before, next 1 January) can handle."""
    if not YEARS[0] <= p.year <= YEARS[1]:
        raise _bad(
            "period",
            "bad_period",
            f"năm phải trong khoảng {YEARS[0]}–{YEARS[1]}",
            f"the year must be within {YEARS[0]}–{YEARS[1]}",
        )
    return p


def observations(b: ScoresBackend, year: int) -> list[ObservationRecord] | None:
    """The departments' figures of a year, when this process keeps them (embedded mode); None otherwise."""
    log = getattr(b, "log", None)
    if log is None or not hasattr(log, "observations"):
        return None
    return [
        ObservationRecord(u, m, p, v, e, r, s, datetime.fromtimestamp(t, PROVINCE_TZ))
        for u, m, p, v, e, r, s, t in log.observations(year)
    ]


def data_through(b: ScoresBackend, until: date) -> date | None:
    """The date of the newest data the scores hold, up to `until` (the date of the data, not the server's)."""
    from services.reports.history import latest_data

    root = b.rules.current.org_tree.roots[0].code
    dates = latest_data(last_data(b), b.rules.current, root, until).values()
    return max(dates) if dates else None


def attachment(body: bytes, fmt: str, filename: str) -> Response:
    ascii_name = filename.encode("ascii", "ignore").decode()
    return Response(
        body,
        media_type=MEDIA[fmt],
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/v1/reports/quarterly",
    responses={200: {"content": {XLSX: {}, "application/pdf": {}}, "description": "the report file"}},
)
async def quarterly_report(
    b: Dep,
    period: Annotated[
        str | None,
        Query(
            description="quarter, e.g. 2026-Q4; default: the current quarter",
            json_schema_extra={"pattern": QUARTER_PATTERN},
        ),
    ] = None,
    format: Annotated[str, Query(description="xlsx or pdf", json_schema_extra={"enum": ["xlsx", "pdf"]})] = "xlsx",
    framework: read.FwQ = None,
) -> Response:
    """The quarterly report of the DTI office to the People's Committee (Vietnamese), as .xlsx or PDF (A4)."""
    fmt = _format(format, ("xlsx", "pdf"))
    today = clock.today()
    p = quarter_param(period, today)
    fw = _framework(b, framework)
    rules = b.rules.current
    obs = observations(b, p.year)
    through = data_through(b, p.end)

    def build() -> bytes:
        report = build_quarterly(rules, b.engine, fw, p, today, obs, through)
        if fmt == "pdf":
            from services.reports.pdf import FontMissing, quarterly_pdf

            try:
                return quarterly_pdf(report)
            except FontMissing as exc:
                raise fail(503, exc.vi, exc.en) from exc
        from services.reports.xlsx import quarterly_xlsx

        return quarterly_xlsx(report)

    body = await run_in_threadpool(build)
    return attachment(body, fmt, f"bao-cao-dti-{p.id}-{fw}.{fmt}")


@router.get(
    "/v1/reports/assessment",
    responses={200: {"content": {XLSX: {}}, "description": "the workbook"}},
)
async def assessment_workbook(
    b: Dep,
    year: Annotated[
        int | None,
        Query(
            description="the year assessed; default: the current year",
            json_schema_extra={"minimum": YEARS[0], "maximum": YEARS[1]},
        ),
    ] = None,
    format: Annotated[str, Query(description="xlsx", json_schema_extra={"enum": ["xlsx"]})] = "xlsx",
    framework: Annotated[str | None, Query(description="default: the framework in force for the year")] = None,
) -> Response:
    """The annual self-assessment workbook: every indicator with value, target, score, points, owner, the
    evidence links and reporters sent with the departments' figures, and what is still missing."""
    from services.reports.assessment import build_assessment, framework_for_year
    from services.reports.xlsx import assessment_xlsx

    _format(format, ("xlsx",))
    today = clock.today()
    y = year if year is not None else default_year(b.rules.current, today)
    if not YEARS[0] <= y <= YEARS[1]:
        raise _bad(
            "year",
            "bad_year",
            f"năm phải trong khoảng {YEARS[0]}–{YEARS[1]}",
            f"year must be within {YEARS[0]}–{YEARS[1]}",
        )
    rules = b.rules.current
    fw = _framework(b, framework) if framework else framework_for_year(rules, y)
    obs = observations(b, y)

    def build() -> bytes:
        return assessment_xlsx(build_assessment(rules, b.engine, fw, y, today, obs))

    body = await run_in_threadpool(build)
    return attachment(body, "xlsx", f"tu-danh-gia-dti-{y}-{fw}.xlsx")


@router.get(
    "/v1/reports/scorecard",
    responses={200: {"content": {XLSX: {}, "text/csv": {}, "application/json": {}}, "description": "the table"}},
)
async def scorecard(
    b: Dep,
    level: Annotated[str | None, Query(description="org-unit level; default: the lowest")] = None,
    period: read.PeriodQ = None,
    framework: read.FwQ = None,
    format: Annotated[
        str, Query(description="json, xlsx or csv", json_schema_extra={"enum": ["json", "xlsx", "csv"]})
    ] = "json",
) -> Response:
    """Units of one level × indicators, each cell a value with a traffic light (DHIS2's scorecard)."""
    from services.reports.scorecard import build_scorecard, scorecard_csv, scorecard_json
    from services.reports.xlsx import scorecard_xlsx

    fmt = _format(format, ("json", "xlsx", "csv"))
    rules = b.rules.current
    fw, _unit, p = read._args(rules, None, period, framework)
    _in_range(p)
    levels = rules.org_tree.levels
    lv = level or levels[-1]
    if lv not in levels:
        raise _bad(
            "level",
            "unknown_level",
            f"không có cấp '{lv}' (có: {', '.join(levels)})",
            f"unknown level '{lv}' (known: {', '.join(levels)})",
        )
    card = build_scorecard(rules, b.engine, fw, p, lv)
    if fmt == "json":
        return Response(orjson.dumps(scorecard_json(card)), media_type="application/json")
    if fmt == "csv":
        return attachment(scorecard_csv(card), "csv", f"bang-diem-{lv}-{p.id}-{fw}.csv")
    body = await run_in_threadpool(scorecard_xlsx, card)
    return attachment(body, "xlsx", f"bang-diem-{lv}-{p.id}-{fw}.xlsx")


def last_data(b: ScoresBackend) -> dict[tuple[str, str], Any]:
    last = getattr(b, "last_data", None)
    if callable(last):
        last = last()
    return last if isinstance(last, dict) else {}


@router.get("/v1/changes")
def get_changes(b: Dep, org_unit: read.OrgQ = None, period: read.PeriodQ = None, framework: read.FwQ = None) -> Any:
    """What changed: each indicator's value and score today beside a week and a quarter before (recomputed
    from the event log, as the province knew them then), and the date of its latest data."""
    from services.reports.history import changes, engine_as_of, latest_data, quarter_before

    rules = b.rules.current
    fw, unit, p = read._args(rules, org_unit, period, framework)
    _in_range(p)
    reference = min(clock.today(), p.end)
    log = getattr(b, "log", None)
    past: dict[str, Any] = {}
    for name, day in (("week_ago", reference - timedelta(days=7)), ("quarter_ago", quarter_before(reference))):
        if log is None or not hasattr(log, "own_entries_as_of"):
            past[name] = (day, None)
            continue
        # the same kind of period as shown, on that day: the year (or quarter) to date
        then_period = Period(day.year, 4, True) if p.is_year else Period(day.year, (day.month - 1) // 3 + 1)
        eng = engine_as_of(log, rules, day.year, day)
        past[name] = (day, eng.score(fw, unit, then_period))
    latest = latest_data(last_data(b), rules, unit, reference)
    return changes(rules, fw, unit, p, b.engine.score(fw, unit, p), past, latest, reference)
