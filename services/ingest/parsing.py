"""Turning a request body into validated events: JSON (one event or a batch) or NDJSON.

A batch is atomic: if any item is refused, the request is refused as a whole with every problem listed
(index and JSON pointer), and nothing from it is stored. Resending the corrected batch is safe because
event ids make retries idempotent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from fastapi import Request
from pydantic import TypeAdapter, ValidationError

from services.common.errors import en_for, fail, pointer, vi_for
from shared import clock
from shared.crosswalk import abolished, unit_in_force
from shared.events import AcceptedEvent, EventIn, FieldError, check_event, years_covered
from shared.rules import RuleSet

_EVENTS = TypeAdapter(list[EventIn])
JSON_TYPES = {"application/json"}
NDJSON_TYPES = {"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"}


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 past `limit` bytes (checked on the header and while reading)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> Exception:
    return fail(
        413, f"nội dung vượt quá giới hạn {limit} byte", f"body exceeds the limit of {limit} bytes", limit_bytes=limit
    )


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def raw_items(body: bytes, ctype: str, max_items: int) -> tuple[list[Any], str, bool]:
    """Split a body into raw items; returns (items, pointer prefix, is_batch)."""
    if ctype in NDJSON_TYPES:
        items = []
        for n, line in enumerate(body.splitlines()):
            if not line.strip():
                continue
            try:
                items.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise fail(
                    422,
                    f"dòng {n + 1}: không phải JSON hợp lệ",
                    f"line {n + 1}: invalid JSON ({exc})",
                    [FieldError(f"/{len(items)}", len(items), "invalid_json", "không phải JSON hợp lệ", str(exc))],
                ) from exc
        _check_count(len(items), max_items)
        return items, "", True
    if ctype not in JSON_TYPES:
        raise fail(
            415,
            "chỉ nhận application/json hoặc application/x-ndjson",
            f"unsupported content type '{ctype or 'none'}': send application/json or application/x-ndjson",
        )
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise fail(
            422,
            "nội dung không phải JSON hợp lệ",
            f"body is not valid JSON ({exc})",
            [FieldError("", None, "invalid_json", "không phải JSON hợp lệ", str(exc))],
        ) from exc
    if isinstance(obj, dict) and "events" in obj:
        extra = sorted(k for k in obj if k != "events")
        if extra:
            raise fail(
                422,
                "lô sự kiện chỉ có khóa 'events'",
                "a batch has only the key 'events'",
                [
                    FieldError(
                        f"/{extra[0]}", None, "extra_forbidden", "trường không được phép", "extra field not permitted"
                    )
                ],
            )
        if not isinstance(obj["events"], list):
            raise fail(
                422,
                "'events' phải là danh sách",
                "'events' must be a list",
                [FieldError("/events", None, "list_type", "phải là danh sách", "must be a list")],
            )
        _check_count(len(obj["events"]), max_items)
        return obj["events"], "/events", True
    if isinstance(obj, list):
        _check_count(len(obj), max_items)
        return obj, "", True
    return [obj], "", False


def _check_count(n: int, max_items: int) -> None:
    if n == 0:
        raise fail(
            422,
            "lô không có sự kiện nào",
            "the batch holds no event",
            [FieldError("/events", None, "empty", "lô rỗng", "empty batch")],
        )
    if n > max_items:
        raise fail(
            413,
            f"lô có {n} sự kiện, tối đa {max_items}",
            f"batch of {n} events exceeds the limit of {max_items}",
            limit_events=max_items,
        )


def validate_items(items: list[Any], prefix: str, batch: bool) -> tuple[list[EventIn], list[FieldError]]:
    """Validate all items in one pass (as FastAPI does for a typed body); errors carry the item's index."""
    try:
        return _EVENTS.validate_python(items), []
    except ValidationError as exc:
        errors: list[FieldError] = []
        for e in exc.errors(include_url=False):
            i, *loc = e["loc"]
            assert isinstance(i, int)
            base = f"{prefix}/{i}" if batch else prefix
            errors.append(
                FieldError(
                    pointer(base, loc), i if batch else None, e["type"], vi_for(e["type"]), en_for(e["type"], e["msg"])
                )
            )
        return [], errors


def check_permissions(events: list[EventIn], source: str, rules: RuleSet, prefix: str, batch: bool) -> list[FieldError]:
    """403s: another source's events, or a metric this source may not report (unknown metrics are 422s)."""
    allowed = rules.catalog.sources.get(source, frozenset())
    errors = []
    for i, ev in enumerate(events):
        base = f"{prefix}/{i}" if batch else prefix
        idx = i if batch else None
        if ev.source != source:
            errors.append(
                FieldError(
                    f"{base}/source",
                    idx,
                    "source_mismatch",
                    f"khóa này thuộc nguồn '{source}', không phải '{ev.source}'",
                    f"this key belongs to source '{source}', not '{ev.source}'",
                )
            )
        elif ev.metric not in allowed and ev.metric in rules.catalog.metrics:
            errors.append(
                FieldError(
                    f"{base}/metric",
                    idx,
                    "metric_not_allowed",
                    f"nguồn '{source}' không được báo cáo chỉ tiêu '{ev.metric}'",
                    f"source '{source}' may not report metric '{ev.metric}'",
                )
            )
    return errors


def check_rules(
    events: list[EventIn], rules: RuleSet, prefix: str, batch: bool, max_future: timedelta
) -> list[FieldError]:
    now = clock.now()
    years = years_covered(rules)
    errors: list[FieldError] = []
    for i, ev in enumerate(events):
        base = f"{prefix}/{i}" if batch else prefix
        errors.extend(check_event(ev, rules, now, base, i if batch else None, max_future, years))
    return errors


def map_former_units(
    events: list[EventIn], rules: RuleSet, prefix: str, batch: bool
) -> tuple[list[EventIn], int, list[FieldError]]:
    """Pre-reform codes rewritten to the units in force (shared/crosswalk.py); (events, how many were mapped,
    errors for former units that map to no unit)."""
    out: list[EventIn] = []
    mapped = 0
    errors: list[FieldError] = []
    for i, ev in enumerate(events):
        code = unit_in_force(rules, ev.org_unit)
        if code is not None and code != ev.org_unit:
            ev = ev.model_copy(update={"org_unit": code})
            mapped += 1
        elif code is None and (why := abolished(rules, ev.org_unit)) is not None:
            base = f"{prefix}/{i}" if batch else prefix
            errors.append(FieldError(f"{base}/org_unit", i if batch else None, "org_unit_abolished", *why))
        out.append(ev)
    return out, mapped, errors


def accepted(events: list[EventIn]) -> list[AcceptedEvent]:
    return [AcceptedEvent(e.source, e.event_id, e.org_unit, e.metric, e.value, e.occurred_at) for e in events]
