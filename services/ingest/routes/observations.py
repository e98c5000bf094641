"""POST /v1/observations: departments' periodic figures, as JSON or an uploaded .xlsx/.csv sheet.

An observation is the figure for (org unit, metric, period); sending it again replaces the previous one
(a correction), and sending the same figure again is a duplicate. Each needs evidence and a reporter.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, TypeAdapter, ValidationError

from services.common.auth import SourceDep
from services.common.backend import IngestBackend, ingest_backend
from services.common.errors import en_for, fail, pointer, vi_for
from services.common.years_routes import closed_errors, refuse_closed
from services.ingest.parsing import JSON_TYPES, media_type, read_body
from services.ingest.table_upload import TableError, TableUnreadable, read_table, rows_of
from services.kernel import Observation
from shared import clock
from shared.crosswalk import abolished, unit_in_force
from shared.events import FieldError, years_covered
from shared.periods import parse_period
from shared.rules import Latest, RuleSet, resolve_code
from shared.scoring import observation_at

router = APIRouter(tags=["ingest"])


class ObservationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_unit: str = Field(min_length=1)
    metric: str | None = Field(default=None, description="metric code; or give `indicator`")
    indicator: str | None = Field(default=None, description="an indicator read directly from one metric")
    period: str = Field(description="2025 or 2025-Q2", examples=["2025-Q2"])
    value: float
    evidence_url: HttpUrl
    reported_by: str = Field(min_length=1, max_length=200)


class ObservationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    observations: list[ObservationIn] = Field(min_length=1)


_ONE = TypeAdapter(ObservationIn)
_OBS_SCHEMA = {
    "type": "object",
    "title": "Observations",
    "additionalProperties": False,
    "required": ["observations"],
    "properties": {"observations": {"type": "array", "minItems": 1, "items": ObservationIn.model_json_schema()}},
}
_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _OBS_SCHEMA},
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
        },
    }
}


@router.post(
    "/v1/observations",
    status_code=202,
    openapi_extra=_DOC,
    responses={
        422: {"description": "invalid rows, each named"},
        403: {"description": "not allowed"},
        409: {"description": "figures for a closed assessment year, each named"},
    },
)
async def post_observations(
    request: Request, source: SourceDep, b: Annotated[IngestBackend, Depends(ingest_backend)]
) -> JSONResponse:
    ctype = media_type(request)
    rules = b.rules.current
    if ctype == "multipart/form-data":
        obs, errors = await _from_upload(request, rules, source, b.settings.max_body_bytes)
    elif ctype in JSON_TYPES:
        body = await read_body(request, b.settings.max_body_bytes)
        obs, errors = _from_json(body, rules, source)
    else:
        raise fail(
            415,
            "chỉ nhận application/json hoặc tệp tải lên (multipart/form-data)",
            f"unsupported content type '{ctype or 'none'}': send JSON or upload a file",
        )
    if errors:
        status = 403 if any(e.get("code") == "metric_not_allowed" for e in errors) else 422
        raise fail(
            status,
            "số liệu không hợp lệ, không số liệu nào được lưu",
            "invalid observation(s); nothing was stored",
            errors=errors,
        )
    # every row was valid, so obs[i] is item i (row i + 2 of a sheet, under its header)
    where = "/observations/{}/period" if ctype in JSON_TYPES else "/rows/{}/period"
    refuse_closed(closed_errors(rules, [(where.format(i), i, int(o.period[:4])) for i, o in enumerate(obs)], b))
    try:
        result = await b.observe(obs)
    except Exception as exc:
        raise fail(
            503, "tạm thời không lưu được, vui lòng gửi lại", "storage unavailable, retry", retry_after=1
        ) from exc
    b.metrics.ingest_events.labels(source, "accepted").inc(result.accepted)
    return JSONResponse({"accepted": result.accepted, "duplicates": result.duplicates}, status_code=202)


def _from_json(body: bytes, rules: RuleSet, source: str) -> tuple[list[Observation], list[dict[str, Any]]]:
    import orjson

    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return [], [FieldError("", None, "invalid_json", "không phải JSON hợp lệ", str(exc)).as_dict()]
    if not isinstance(obj, dict) or not isinstance(obj.get("observations"), list) or not obj["observations"]:
        return [], [
            FieldError(
                "/observations", None, "missing", "cần danh sách 'observations'", 'expected {"observations": [...]}'
            ).as_dict()
        ]
    out: list[Observation] = []
    errors: list[dict[str, Any]] = []
    for i, item in enumerate(obj["observations"]):
        base = f"/observations/{i}"
        try:
            # strict: JSON carries numbers as numbers (a sheet's text cells are converted in _from_upload)
            ob = _ONE.validate_python(item, strict=True)
        except ValidationError as exc:
            errors += [
                FieldError(
                    pointer(base, e["loc"]), i, e["type"], vi_for(e["type"]), en_for(e["type"], e["msg"])
                ).as_dict()
                for e in exc.errors(include_url=False)
            ]
            continue
        made, errs = _resolve(ob, rules, source)
        errors += [FieldError(f"{base}/{f}", i, code, vi, en).as_dict() for f, code, vi, en in errs]
        if made is not None:
            out.append(made)
    return out, errors


async def _from_upload(
    request: Request, rules: RuleSet, source: str, limit: int
) -> tuple[list[Observation], list[dict[str, Any]]]:
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return [], [{"field": "file", "message": "thiếu tệp 'file' / missing file field 'file'"}]
    content = await upload.read()
    if len(content) > limit:
        raise fail(413, f"tệp vượt quá {limit} byte", f"file exceeds {limit} bytes")
    try:
        table = read_table(upload.filename or "", content)
    except TableUnreadable as exc:
        raise fail(exc.status, exc.vi, exc.en) from exc
    rows, header_errors = rows_of(table)
    if header_errors:
        return [], [e.as_dict() for e in header_errors]
    out: list[Observation] = []
    errors: list[dict[str, Any]] = []
    for row in rows:
        vals = {k: (None if v is None or (isinstance(v, str) and not v.strip()) else v) for k, v in row.values.items()}
        period = vals.get("period")
        if isinstance(period, int | float):
            vals["period"] = str(int(period))
        try:
            ob = _ONE.validate_python(vals)
        except ValidationError as exc:
            for e in exc.errors(include_url=False):
                field = str(e["loc"][0]) if e["loc"] else "row"
                errors.append(
                    TableError(row.row, row.columns.get(field, "?"), field, vi_for(e["type"]), e["msg"]).as_dict()
                )
            continue
        made, errs = _resolve(ob, rules, source)
        for f, code, vi, en in errs:
            col = row.columns.get(f) or row.columns.get("metric") or row.columns.get("indicator", "?")
            d = TableError(row.row, col, f, vi, en).as_dict()
            d["code"] = code
            errors.append(d)
        if made is not None:
            out.append(made)
    if not rows and not errors:
        errors.append(TableError(2, "A", "row", "tệp không có dòng số liệu nào", "the file has no data row").as_dict())
    return out, errors


def _resolve(
    ob: ObservationIn, rules: RuleSet, source: str
) -> tuple[Observation | None, list[tuple[str, str, str, str]]]:
    errs: list[tuple[str, str, str, str]] = []
    metric_code = ob.metric
    if ob.indicator is not None and ob.metric is None:
        # HĐCQS.01 as typed from the documents is HDCQS.01
        code = resolve_code(ob.indicator, {c for fw in rules.frameworks.values() for c in fw.indicators})
        found = [fw.indicators[code] for fw in rules.frameworks.values() if code in fw.indicators]
        if not found:
            errs.append(
                (
                    "indicator",
                    "unknown_indicator",
                    f"không có chỉ số '{ob.indicator}'",
                    f"unknown indicator '{ob.indicator}'",
                )
            )
        elif not isinstance(found[0].formula, Latest):
            errs.append(
                (
                    "indicator",
                    "computed_indicator",
                    f"chỉ số '{ob.indicator}' được tính từ các chỉ tiêu: {', '.join(found[0].formula.metrics)}; "
                    "hãy báo cáo các chỉ tiêu đó",
                    f"indicator '{ob.indicator}' is computed from metrics "
                    f"{', '.join(found[0].formula.metrics)}; report those",
                )
            )
        else:
            metric_code = found[0].formula.metric
    if metric_code is None and not errs:
        errs.append(("metric", "missing", "cần 'metric' hoặc 'indicator'", "give 'metric' or 'indicator'"))
    metric = rules.catalog.metrics.get(metric_code) if metric_code else None
    if metric_code is not None and metric is None:
        errs.append(
            ("metric", "unknown_metric", f"không có chỉ tiêu đo '{metric_code}'", f"unknown metric '{metric_code}'")
        )
    elif metric_code is not None and metric_code not in rules.catalog.sources.get(source, frozenset()):
        errs.append(
            (
                "metric",
                "metric_not_allowed",
                f"nguồn '{source}' không được báo cáo '{metric_code}'",
                f"source '{source}' may not report '{metric_code}'",
            )
        )
    unit_code = unit_in_force(rules, ob.org_unit)
    sources = rules.org_tree.unit(unit_code).formed_from if unit_code is not None else ()
    if unit_code is not None and unit_code != ob.org_unit and len(sources) > 1:
        # a figure replaces the unit's previous one: figures of several former units cannot be added up here
        errs.append(
            (
                "org_unit",
                "former_org_unit",
                f"'{ob.org_unit}' nay thuộc '{unit_code}' (hợp nhất từ {len(sources)} đơn vị): "
                f"hãy báo cáo số liệu của '{unit_code}'",
                f"'{ob.org_unit}' is now part of '{unit_code}' (formed from {len(sources)} units): "
                f"report the figure of '{unit_code}'",
            )
        )
    elif unit_code is None and (why := abolished(rules, ob.org_unit)) is not None:
        errs.append(("org_unit", "org_unit_abolished", *why))
    elif unit_code is None:
        errs.append(
            (
                "org_unit",
                "unknown_org_unit",
                f"không có đơn vị hành chính '{ob.org_unit}'",
                f"unknown org unit '{ob.org_unit}'",
            )
        )
    if not math.isfinite(ob.value) or (metric is not None and metric.type == "counter" and ob.value < 0):
        errs.append(
            (
                "value",
                "bad_value",
                "giá trị phải là số không âm",
                "value must be a finite, non-negative number for a counter",
            )
        )
    try:
        period = parse_period(ob.period)
    except ValueError:
        errs.append(
            ("period", "bad_period", "kỳ phải có dạng 2025 hoặc 2025-Q2", "period must look like 2025 or 2025-Q2")
        )
        return None, errs
    first, last = years_covered(rules)
    if not first <= period.year <= last:
        errs.append(
            (
                "period",
                "outside_years",
                f"năm {period.year} nằm ngoài các năm của bộ quy tắc",
                f"year {period.year} is outside the years the rules cover ({first}–{last})",
            )
        )
    if period.start > clock.today():
        errs.append(("period", "future_period", "kỳ báo cáo chưa bắt đầu", "the period has not started yet"))
    if errs or metric is None or metric_code is None:
        return None, errs
    when = observation_at(period)  # noon on the period's last day, so it lands in that period
    return Observation(
        unit_code or ob.org_unit,
        metric_code,
        period.id,
        ob.value,
        metric.type == "counter",
        when,
        str(ob.evidence_url),
        ob.reported_by,
        source,
    ), []
