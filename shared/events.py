"""The v1 event contract and its validation against the rules in force.

Validation is shared by the embedded and the Kafka ingest, so both refuse exactly the same input with the
same messages. Every problem names the field (a JSON pointer, with the item's index in a batch) and says
why in Vietnamese and English.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict
from pydantic_core import PydanticCustomError

from shared import bilingual
from shared.periods import year_quarter
from shared.rules.model import RuleSet

MAX_ID = 200

_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")


def _iso_datetime(v: Any) -> Any:
    """Only an ISO 8601 date-time string (or a datetime built in Python): pydantic's lax mode would also read
    a number, or a string of digits, as Unix seconds — a source sending those has a bug to hear about."""
    if isinstance(v, datetime) or (isinstance(v, str) and _ISO_DATETIME.match(v)):
        return v
    raise PydanticCustomError(
        "datetime_type", "must be an ISO 8601 date-time text with an offset, e.g. 2025-03-14T09:30:00+07:00"
    )


# Strict at the HTTP edge: `"value": "1"` or `true` is a source's bug, refused with 422 rather than counted.
# (A JSON integer is still a number: 1 reads as 1.0.)
StrictNumber = Annotated[float, Strict()]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]


class EventIn(BaseModel):
    """One event as a provincial system sends it (the schema shown in the OpenAPI docs)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "event_id": "lgsp-000123",
                    "source": "lgsp",
                    "org_unit": "LC.TAMDUONG",
                    "metric": "tthc.records_online",
                    "value": 1,
                    "occurred_at": "2025-03-14T09:30:00+07:00",
                    "attributes": {"procedure": "1.00123"},
                }
            ]
        },
    )

    event_id: str = Field(min_length=1, max_length=MAX_ID, description="unique per source; retries reuse it")
    source: str = Field(min_length=1, max_length=64)
    org_unit: str = Field(min_length=1, max_length=100)
    metric: str = Field(min_length=1, max_length=100)
    value: StrictNumber = Field(
        description="a JSON number (not text, not true/false); counter: the increment (>= 0); gauge: the new level"
    )
    occurred_at: IsoDateTime = Field(description="ISO 8601 text with a time-zone offset; decides the period")
    attributes: dict[str, Any] | None = None


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[EventIn]


@dataclass(frozen=True, slots=True)
class FieldError:
    pointer: str  # JSON pointer, e.g. /events/3/org_unit
    index: int | None  # item's position in the batch
    code: str
    message_vi: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "pointer": self.pointer,
            "index": self.index,
            "code": self.code,
            "message": bilingual.join(self.message_vi, self.message_en),
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }


@dataclass(frozen=True, slots=True)
class AcceptedEvent:
    source: str
    event_id: str
    org_unit: str
    metric: str
    value: float
    occurred_at: datetime


def check_event(
    ev: EventIn,
    rules: RuleSet,
    now: datetime,
    prefix: str,
    index: int | None,
    max_future: timedelta = timedelta(minutes=5),
    years: tuple[int, int] | None = None,
) -> list[FieldError]:
    """Problems with one well-formed event against the rules; empty when it can be accepted.

    `max_future` is the clock skew tolerated between a source system and this server.
    """
    errs: list[FieldError] = []

    def err(field: str, code: str, vi: str, en: str) -> None:
        errs.append(FieldError(f"{prefix}/{field}", index, code, vi, en))

    if ev.org_unit not in rules.org_tree.by_code:
        err(
            "org_unit",
            "unknown_org_unit",
            f"không có đơn vị hành chính '{ev.org_unit}'",
            f"unknown org unit '{ev.org_unit}'",
        )
    metric = rules.catalog.metrics.get(ev.metric)
    if metric is None:
        err("metric", "unknown_metric", f"không có chỉ tiêu đo '{ev.metric}'", f"unknown metric '{ev.metric}'")
    if not math.isfinite(ev.value):
        err("value", "not_finite", "giá trị phải là số hữu hạn", "value must be a finite number")
    elif metric is not None and metric.type == "counter" and ev.value < 0:
        err(
            "value",
            "negative_counter",
            f"'{ev.metric}' là bộ đếm: giá trị tăng thêm không được âm ({ev.value:g})",
            f"'{ev.metric}' is a counter: its increment cannot be negative ({ev.value:g})",
        )
    if ev.occurred_at.tzinfo is None:
        err(
            "occurred_at",
            "no_timezone",
            "thời điểm phải có múi giờ, ví dụ +07:00",
            "occurred_at must carry a time-zone offset, e.g. +07:00",
        )
        return errs
    if ev.occurred_at > now + max_future:
        err("occurred_at", "in_future", "thời điểm phát sinh ở tương lai", "occurred_at is in the future")
    year, _q = year_quarter(ev.occurred_at)
    first, last = years or years_covered(rules)
    if not first <= year <= last:
        err(
            "occurred_at",
            "outside_years",
            f"năm {year} nằm ngoài các năm của bộ quy tắc ({first}–{last})",
            f"year {year} is outside the years the rules cover ({first}–{last})",
        )
    return errs


def years_covered(rules: RuleSet) -> tuple[int, int]:
    return (min(fw.years[0] for fw in rules.frameworks.values()), max(fw.years[1] for fw in rules.frameworks.values()))
