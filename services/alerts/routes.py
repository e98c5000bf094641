"""The alerts API: list alerts and their history; acknowledge and silence (admin)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from services.common.auth import AdminDep
from services.common.errors import fail
from shared import clock
from shared.alerts import AlertState
from shared.events import FieldError

if TYPE_CHECKING:
    from services.alerts.runtime import AlertsRuntime

router = APIRouter(tags=["alerts"])


class AlertsBackend(Protocol):
    alerts: AlertsRuntime


def alerts_backend(request: Request) -> AlertsBackend:
    return request.app.state.backend  # type: ignore[no-any-return]


Dep = Annotated[AlertsBackend, Depends(alerts_backend)]
StatusQ = Literal["firing", "pending", "resolved", "active", "all"]


MEMBERS_SHOWN = 5  # members of a grouped alert in a listing (the worst); GET /v1/alerts/{fingerprint} has all
_SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


def _view(b: AlertsBackend, now: datetime, a: Any, members: int | None = None) -> dict[str, Any]:
    """An alert as the API shows it: without its history (GET …/history) and, in listings, with its first
    `members` members only (`members_total` says how many it has)."""
    d: dict[str, Any] = dict(a.to_dict())
    d.pop("history", None)
    silence = b.alerts.book.silenced_by(a, now)
    d["status"] = a.state
    d["silenced_by"] = silence.id if silence else None
    d["acknowledged"] = b.alerts.book.acknowledged(a, now)
    all_members = a.members or []
    d["members_total"] = len(all_members)
    if members is not None and a.members is not None:
        d["members"] = [
            {k: v for k, v in m.items() if k not in ("scope", "receivers", "fp")} for m in all_members[:members]
        ]
    return d


def _matches(a: Any, unit: str | None, indicator: str | None, framework: str | None) -> bool:
    """Whether an alert is about the unit, indicator and framework asked for: itself or one of its members."""
    subjects = a.members if a.members else [a.labels]
    for m in subjects:
        if unit and m.get("org_unit") != unit:
            continue
        if indicator and m.get("indicator") != indicator:
            continue
        if framework and framework not in m.get("framework", "").split(","):
            continue
        return True
    return False


def _importance(a: Any) -> tuple[int, int, int, float, str]:
    """Most important first: severity, notified before inhibited, most units, most recent start."""
    started = a.starts_at or a.updated_at
    return (
        _SEVERITY_RANK.get(a.labels.get("severity", ""), 9),
        int(bool(a.inhibited_by)),
        -len(a.members or [None]),
        -started.timestamp(),
        a.fingerprint,
    )


# A cursor is the position of the next page in the filtered, ordered list: plain, so the schema can say
# exactly which values it takes.
CURSOR = r"^[0-9]{0,9}$"  # empty: the first page


def _cursor(offset: int) -> str:
    return str(offset)


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    if re.fullmatch(CURSOR, cursor) is None:
        raise fail(
            422,
            "tham số không hợp lệ",
            "invalid query parameters",
            [
                FieldError(
                    "/cursor",
                    None,
                    "bad_cursor",
                    "con trỏ trang phải là next_cursor của trang trước",
                    f"the cursor must be the previous page's next_cursor, got {cursor!r}",
                )
            ],
        )
    return int(cursor)


@router.get("/v1/alerts")
def list_alerts(
    b: Dep,
    request: Request,
    status: Annotated[StatusQ, Query(description="active = firing or pending")] = "active",
    severity: Annotated[str | None, Query(description="critical, warning or info")] = None,
    receiver: Annotated[str | None, Query(description="a department code the alert goes to")] = None,
    department: Annotated[str | None, Query(description="the same as receiver (kept for older clients)")] = None,
    unit: Annotated[str | None, Query(description="an org-unit code: alerts about it or listing it")] = None,
    indicator: Annotated[str | None, Query(description="an indicator code: alerts about it or listing it")] = None,
    framework: Annotated[str | None, Query(description="a framework code")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="alerts per page, most important first")] = 100,
    cursor: Annotated[
        str | None, Query(description="next_cursor of the previous page", json_schema_extra={"pattern": CURSOR})
    ] = None,
) -> Any:
    """Alerts with their status (firing/pending/resolved), labels and Vietnamese-then-English messages,
    filtered on the server and paged (most important first: severity, then notified before inhibited,
    then most units). `counts` sums the filtered alerts by severity and by receiving department. The answer
    carries an ETag: a poll sending it back in If-None-Match gets 304 with no body while nothing changed."""
    now = clock.now()
    states: list[AlertState] | None = (
        ["firing", "pending"] if status == "active" else None if status == "all" else [status]
    )
    who = receiver or department
    found = []
    by_severity: Counter[str] = Counter()
    by_receiver: Counter[str] = Counter()
    for a in b.alerts.book.find(states):
        if severity and a.labels.get("severity") != severity:
            continue
        if who and who not in a.receivers:
            continue
        if (unit or indicator or framework) and not _matches(a, unit, indicator, framework):
            continue
        found.append(a)
        by_severity[a.labels.get("severity", "")] += 1
        for r in a.receivers:
            by_receiver[r] += 1
    found.sort(key=_importance)
    start = _offset(cursor)
    page = found[start : start + limit]
    last = b.alerts.last_round
    body = {
        "alerts": [_view(b, now, a, MEMBERS_SHOWN) for a in page],
        "total": len(found),
        "next_cursor": _cursor(start + limit) if start + limit < len(found) else None,
        "counts": {
            "by_severity": dict(sorted(by_severity.items())),
            "by_department": dict(sorted(by_receiver.items())),
        },
        "rules_version": b.alerts.engine.rules.version,
        "last_round": last.at.isoformat() if last else None,
    }
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(raw, media_type="application/json", headers=headers)


@router.get("/v1/alerts/{fingerprint}")
def get_alert(b: Dep, fingerprint: str) -> dict[str, Any]:
    """One alert with all its members (the units and indicators it lists, worst first)."""
    alert = b.alerts.book.alerts.get(fingerprint)
    if alert is None:
        raise fail(404, f"không có cảnh báo '{fingerprint}'", f"no alert '{fingerprint}'")
    view = _view(b, clock.now(), alert)
    view["inhibits"] = sorted(a.fingerprint for a in b.alerts.book.alerts.values() if fingerprint in a.inhibited_by)
    return view


@router.get("/v1/alerts/{fingerprint}/history")
def alert_history(b: Dep, fingerprint: str) -> dict[str, Any]:
    return {"fingerprint": fingerprint, "history": b.alerts.store.history(fingerprint)}


class AckIn(BaseModel):
    by: str = Field(min_length=1, max_length=200, description="who acknowledges")
    hours: float = Field(default=24, gt=0, le=24 * 90, description="how long reminders stay muted")
    comment: str = Field(default="", max_length=1000)


@router.post("/v1/alerts/{fingerprint}/ack")
async def ack(b: Dep, _admin: AdminDep, fingerprint: str, body: AckIn) -> dict[str, Any]:
    from services.alerts.runtime import AdminActions

    until = clock.now() + timedelta(hours=body.hours)
    alert = await AdminActions(b.alerts).ack(fingerprint, body.by, until, body.comment)  # NotFound, Conflict
    return _view(b, clock.now(), alert)


@router.delete("/v1/alerts/{fingerprint}/ack")
async def unack(b: Dep, _admin: AdminDep, fingerprint: str) -> dict[str, Any]:
    from services.alerts.runtime import AdminActions

    alert = await AdminActions(b.alerts).unack(fingerprint)  # NotFound
    return _view(b, clock.now(), alert)


class SilenceIn(BaseModel):
    matchers: list[str] = Field(min_length=1, description='label matchers, e.g. "department=VP_UBND"')
    hours: float = Field(gt=0, le=24 * 365, description="how long the silence lasts")
    created_by: str = Field(min_length=1, max_length=200)
    comment: str = Field(min_length=1, max_length=1000, description="why (required, as in Alertmanager)")


@router.get("/v1/silences")
def silences(b: Dep) -> dict[str, Any]:
    now = clock.now()
    return {"silences": [{**s.to_dict(), "active": s.active(now)} for s in b.alerts.book.silences.values()]}


@router.post("/v1/silences", status_code=201)
async def add_silence(b: Dep, _admin: AdminDep, body: SilenceIn) -> dict[str, Any]:
    from services.alerts.runtime import AdminActions

    now = clock.now()
    s = await AdminActions(b.alerts).silence(  # Invalid (a bad matcher)
        body.matchers, now, now + timedelta(hours=body.hours), body.created_by, body.comment
    )
    return s.to_dict()


@router.delete("/v1/silences/{silence_id}")
async def expire_silence(b: Dep, _admin: AdminDep, silence_id: str) -> dict[str, Any]:
    from services.alerts.runtime import AdminActions

    s = await AdminActions(b.alerts).expire(silence_id)  # NotFound
    return s.to_dict()
