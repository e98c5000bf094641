"""The alerts API: list alerts and their history; acknowledge and silence (admin)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from services.common.auth import AdminDep
from services.common.errors import fail
from shared.alerts.state import AlertState
from shared.periods import PROVINCE_TZ

if TYPE_CHECKING:
    from services.alerts.runtime import AlertsRuntime

router = APIRouter(tags=["alerts"])


class AlertsBackend(Protocol):
    alerts: AlertsRuntime


def alerts_backend(request: Request) -> AlertsBackend:
    return request.app.state.backend  # type: ignore[no-any-return]


Dep = Annotated[AlertsBackend, Depends(alerts_backend)]
StatusQ = Literal["firing", "pending", "resolved", "active", "all"]


def _view(b: AlertsBackend, now: datetime, a: Any) -> dict[str, Any]:
    d: dict[str, Any] = dict(a.to_dict())
    d.pop("history", None)
    silence = b.alerts.book.silenced_by(a, now)
    d["status"] = a.state
    d["silenced_by"] = silence.id if silence else None
    d["acknowledged"] = b.alerts.book.acknowledged(a, now)
    return d


@router.get("/v1/alerts")
def list_alerts(
    b: Dep,
    status: Annotated[StatusQ, Query(description="active = firing or pending")] = "active",
    severity: str | None = None,
    department: str | None = None,
) -> dict[str, Any]:
    """Alerts with their status (firing/pending/resolved), labels and Vietnamese-then-English messages."""
    now = datetime.now(PROVINCE_TZ)
    states: list[AlertState] | None = (
        ["firing", "pending"] if status == "active" else None if status == "all" else [status]
    )
    out = []
    for a in b.alerts.book.find(states):
        if severity and a.labels.get("severity") != severity:
            continue
        if department and department not in a.receivers:
            continue
        out.append(_view(b, now, a))
    last = b.alerts.last_round
    return {
        "alerts": out,
        "rules_version": b.alerts.engine.rules.version,
        "last_round": last.at.isoformat() if last else None,
    }


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

    until = datetime.now(PROVINCE_TZ) + timedelta(hours=body.hours)
    try:
        alert = await AdminActions(b.alerts).ack(fingerprint, body.by, until, body.comment)
    except KeyError as exc:
        raise fail(404, f"không có cảnh báo '{fingerprint}'", f"no alert '{fingerprint}'") from exc
    except ValueError as exc:
        raise fail(409, "không thể xác nhận cảnh báo này", str(exc)) from exc
    return _view(b, datetime.now(PROVINCE_TZ), alert)


@router.delete("/v1/alerts/{fingerprint}/ack")
async def unack(b: Dep, _admin: AdminDep, fingerprint: str) -> dict[str, Any]:
    from services.alerts.runtime import AdminActions

    try:
        alert = await AdminActions(b.alerts).unack(fingerprint)
    except KeyError as exc:
        raise fail(404, f"không có cảnh báo '{fingerprint}'", f"no alert '{fingerprint}'") from exc
    return _view(b, datetime.now(PROVINCE_TZ), alert)


class SilenceIn(BaseModel):
    matchers: list[str] = Field(min_length=1, description='label matchers, e.g. "department=VP_UBND"')
    hours: float = Field(gt=0, le=24 * 365, description="how long the silence lasts")
    created_by: str = Field(min_length=1, max_length=200)
    comment: str = Field(min_length=1, max_length=1000, description="why (required, as in Alertmanager)")


@router.get("/v1/silences")
def silences(b: Dep) -> dict[str, Any]:
    now = datetime.now(PROVINCE_TZ)
    return {"silences": [{**s.to_dict(), "active": s.active(now)} for s in b.alerts.book.silences.values()]}


@router.post("/v1/silences", status_code=201)
async def add_silence(b: Dep, _admin: AdminDep, body: SilenceIn) -> dict[str, Any]:
    from services.alerts.runtime import AdminActions

    now = datetime.now(PROVINCE_TZ)
    try:
        s = await AdminActions(b.alerts).silence(
            body.matchers, now, now + timedelta(hours=body.hours), body.created_by, body.comment
        )
    except ValueError as exc:
        raise fail(422, "bộ lọc không hợp lệ", str(exc)) from exc
    return s.to_dict()  # type: ignore[attr-defined, no-any-return]


@router.delete("/v1/silences/{silence_id}")
async def expire_silence(b: Dep, _admin: AdminDep, silence_id: str) -> dict[str, Any]:
    from services.alerts.runtime import AdminActions

    try:
        s = await AdminActions(b.alerts).expire(silence_id)
    except KeyError as exc:
        raise fail(404, f"không có lệnh tắt '{silence_id}'", f"no silence '{silence_id}'") from exc
    return s.to_dict()  # type: ignore[attr-defined, no-any-return]
