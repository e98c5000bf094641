"""What the ingest routes hand to either mode and what they get back.

The answer carries counts only: the embedded log's sequence numbers and the Kafka offsets are each mode's
own business, so neither mode invents the other's (Kafka mode used to fake `LoggedEvent(0, ...)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Observation:
    """A department's figure for a period; stored as an upsert, logged as the event that moves the score."""

    org_unit: str
    metric: str
    period: str
    value: float
    counter: bool  # counters are logged as the change from the previous figure
    occurred_at: datetime
    evidence_url: str | None
    reported_by: str | None
    source: str


@dataclass(frozen=True, slots=True)
class IngestResult:
    """How many of a request's events (or figures) were taken, and how many were repeats already held."""

    accepted: int
    duplicates: int
