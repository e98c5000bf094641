"""POST /v1/events: one event, a JSON batch, or NDJSON, from a provincial system holding a source key."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import partial
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.common.auth import SourceDep
from services.common.backend import IngestBackend, ingest_backend
from services.common.errors import fail
from services.common.years_routes import closed_errors, refuse_closed
from services.ingest.parsing import (
    accepted,
    check_permissions,
    check_rules,
    map_former_units,
    media_type,
    raw_items,
    read_body,
    validate_items,
)
from shared.events import EventIn, FieldError
from shared.periods import year_quarter

router = APIRouter(tags=["ingest"])


class Accepted(BaseModel):
    accepted: int
    duplicates: int
    mapped: int | None = None  # present when pre-reform org-unit codes were counted for their new units


_EVENT_SCHEMA = EventIn.model_json_schema()
_BATCH_SCHEMA = {
    "type": "object",
    "title": "Batch",
    "additionalProperties": False,
    "required": ["events"],
    "properties": {"events": {"type": "array", "minItems": 1, "items": _EVENT_SCHEMA}},
}
_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": 'One event, a batch `{"events": [...]}`, or NDJSON (one event per line). A batch is '
        "atomic: if any item is refused nothing is stored and every problem is listed.",
        "content": {
            "application/json": {"schema": {"anyOf": [_EVENT_SCHEMA, _BATCH_SCHEMA]}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/v1/events",
    status_code=202,
    response_model=Accepted,
    openapi_extra=_BODY_DOC,
    responses={
        401: {"description": "missing or bad key"},
        403: {"description": "source or metric not allowed for this key"},
        413: {"description": "too large"},
        409: {"description": "events dated in a closed assessment year, each listed"},
        415: {"description": "unsupported content type"},
        422: {"description": "invalid events, each listed"},
        503: {"description": "storage unavailable; retry"},
    },
)
async def post_events(
    request: Request, source: SourceDep, b: Annotated[IngestBackend, Depends(ingest_backend)]
) -> JSONResponse:
    s = b.settings
    body = await read_body(request, s.max_body_bytes)
    items, prefix, batch = raw_items(body, media_type(request), s.max_batch_events)
    events, errors = validate_items(items, prefix, batch)
    refuse = partial(_refuse, b, source, len(items))
    if errors:
        refuse("invalid", 422, "sự kiện không hợp lệ", "invalid event(s)", errors)
    rules = b.rules.current
    events, mapped, errors = map_former_units(events, rules, prefix, batch)
    if errors:
        refuse("abolished_unit", 422, "sự kiện ghi đơn vị đã giải thể", "event(s) naming abolished org units", errors)
    errors = check_permissions(events, source, rules, prefix, batch)
    if errors:
        refuse(
            "forbidden",
            403,
            "nguồn không được phép gửi các sự kiện này",
            "this key's source may not send these events",
            errors,
        )
    errors = check_rules(events, rules, prefix, batch, timedelta(seconds=s.max_future_seconds))
    if errors:
        refuse("rules", 422, "sự kiện không hợp lệ theo bộ quy tắc", "event(s) refused by the rules", errors)
    closed = closed_errors(
        rules,
        [
            (
                f"{prefix}/{i}/occurred_at" if batch else f"{prefix}/occurred_at",
                i if batch else None,
                year_quarter(e.occurred_at)[0],
            )
            for i, e in enumerate(events)
        ],
        b,
    )
    if closed:
        b.metrics.ingest_rejections.labels(source, "year_closed").inc(len(items))
        refuse_closed(closed)
    try:
        result = await b.append(accepted(events))
    except Exception as exc:
        raise fail(
            503, "tạm thời không lưu được, vui lòng gửi lại", "storage unavailable, retry", retry_after=1
        ) from exc
    n_ok = result.accepted
    b.metrics.ingest_events.labels(source, "accepted").inc(n_ok)
    if result.duplicates:
        b.metrics.ingest_events.labels(source, "duplicate").inc(result.duplicates)
    b.metrics.last_event.labels(source).set(time.time())
    answer = {"accepted": n_ok, "duplicates": result.duplicates}
    if mapped:  # pre-reform codes counted for their new units: operators chase the systems still sending them
        answer["mapped"] = mapped
        b.metrics.ingest_mapped.labels(source).inc(mapped)
    return JSONResponse(answer, status_code=202)


def _refuse(
    b: IngestBackend, source: str, n: int, reason: str, status: int, vi: str, en: str, errors: list[FieldError]
) -> NoReturn:
    """Count the whole request as refused for `reason` and answer with every problem listed: a batch is atomic."""
    b.metrics.ingest_rejections.labels(source, reason).inc(n)
    raise fail(
        status,
        f"{vi}, không sự kiện nào được lưu",
        f"{en}; nothing from this request was stored",
        errors,
    )
