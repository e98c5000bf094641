"""Assessment years: which are open, which closed, and an admin's reopen/close with a reason (audit trail).

`GET /v1/years` is public; `POST /v1/years/{year}/reopen|close` takes the admin token and records who, when
and why; `GET /v1/years/audit` lists the trail. Reopening lets late data in for that year; it does not change
what readers see by default (the open years of the calendar, shared/years.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from services.common.auth import AdminDep
from services.common.backend import Backend, backend
from services.common.errors import fail
from shared import clock
from shared.events import FieldError
from shared.rules import RuleSet
from shared.years import closed_year, framework_for, governing, open_years, year_close

if TYPE_CHECKING:
    from services.embedded.years_ledger import YearLedger

router = APIRouter(tags=["years"])
Dep = Annotated[Backend, Depends(backend)]


class YearActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    by: str = Field(min_length=1, max_length=200, description="who asks (name, position)")
    reason: str = Field(min_length=3, max_length=2000, description="why, e.g. the ministry's request for evidence")


def _ledger(b: Backend) -> YearLedger | None:
    return getattr(b, "years", None)


def reopened_years(b: Backend) -> frozenset[int]:
    """Years an admin reopened (none where the mode keeps no ledger: Kafka ingest, for now)."""
    ledger = _ledger(b)
    return ledger.reopened() if ledger is not None else frozenset()


def closed_errors(rules: RuleSet, items: list[tuple[str, int | None, int]], b: Backend) -> list[FieldError]:
    """One error per item (JSON pointer, batch index, year) dated in a closed year, naming the year and its
    close date in Vietnamese and English."""
    today, reopened = clock.today(), reopened_years(b)
    out = []
    for ptr, idx, year in items:
        why = closed_year(rules, year, today, reopened)
        if why is not None:
            out.append(FieldError(ptr, idx, "year_closed", why.message_vi(), why.message_en()))
    return out


def refuse_closed(errors: list[FieldError]) -> None:
    if errors:
        raise fail(
            409,
            "số liệu thuộc năm đánh giá đã khóa sổ, không mục nào được lưu",
            "data dated in a closed assessment year; nothing from this request was stored",
            errors,
        )


@router.get("/v1/years")
def get_years(b: Dep) -> dict[str, Any]:
    """Every year a framework governs up to this one: open (and until when), closed (since when), or reopened."""
    rules = b.rules.current
    today = clock.today()
    ledger = _ledger(b)
    reopened = ledger.reopened() if ledger is not None else frozenset()
    first = min(fw.years[0] for fw in rules.frameworks.values())
    rows = []
    for y in range(first, today.year + 1):
        closes = year_close(rules, y)
        status = "open" if today <= closes else "reopened" if y in reopened else "closed"
        if status == "closed" and closed_year(rules, y, today, reopened) is None:
            status = "accepts_late_data"
        rows.append(
            {
                "year": y,
                "status": status,
                "closes_on": closes.isoformat(),
                "framework": framework_for(rules, y),
                "frameworks": [fw.code for fw in governing(rules, y)],
            }
        )
    return {"today": today.isoformat(), "open_years": list(open_years(rules, today)), "years": rows}


def _act(b: Backend, year: int, action: Literal["reopen", "close"], body: YearActionIn) -> dict[str, Any]:
    ledger = _ledger(b)
    if ledger is None:
        raise fail(
            501,
            "chỉ mở lại năm được ở chế độ nhúng (dti up)",
            "reopening a year is available in embedded mode (dti up) only for now",
        )
    rules = b.rules.current
    today = clock.today()
    if today <= year_close(rules, year):
        raise fail(
            409,
            f"năm {year} đang mở đến ngày {year_close(rules, year).strftime('%d/%m/%Y')}",
            f"year {year} is open until {year_close(rules, year).isoformat()}",
        )
    reopened = year in ledger.reopened()
    if (action == "reopen") == reopened:
        state_vi, state_en = ("đã được mở lại", "is already reopened") if reopened else ("đang khóa", "is closed")
        raise fail(409, f"năm {year} {state_vi}", f"year {year} {state_en}")
    entry = ledger.record(year, action, f"{body.by} (admin token)", body.reason, clock.now())
    return {"year": year, "status": "reopened" if action == "reopen" else "closed", "entry": entry.as_dict()}


# Years the calendar arithmetic (close dates, a year after) handles; a framework governs a few of them.
YearPath = Annotated[int, Path(ge=1900, le=2200, description="the assessment year")]


@router.post("/v1/years/{year}/reopen")
def reopen_year(b: Dep, _admin: AdminDep, year: YearPath, body: YearActionIn) -> dict[str, Any]:
    """Reopen a closed assessment year so late data is accepted; recorded with who and why."""
    return _act(b, year, "reopen", body)


@router.post("/v1/years/{year}/close")
def close_year(b: Dep, _admin: AdminDep, year: YearPath, body: YearActionIn) -> dict[str, Any]:
    """Close a reopened year again; recorded with who and why."""
    return _act(b, year, "close", body)


@router.get("/v1/years/audit")
def years_audit(b: Dep) -> dict[str, Any]:
    """The audit trail of reopen/close actions, oldest first."""
    ledger = _ledger(b)
    return {"entries": [e.as_dict() for e in ledger.entries()] if ledger is not None else []}
