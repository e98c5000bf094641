"""What the HTTP routes need from the process they run in; the embedded runtime and the Kafka services
both provide it, so the same routes serve both modes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from fastapi import Request

if TYPE_CHECKING:
    from services.common.metrics import ServiceMetrics
    from services.ingest.keys import KeyStore
    from services.kernel import IngestResult, Observation, RulesState
    from shared.events import AcceptedEvent
    from shared.scoring import ScoringEngine
    from shared.settings import Settings


class Backend(Protocol):
    settings: Settings
    rules: RulesState
    metrics: ServiceMetrics
    admin_token: str
    ready: bool


class RulesBackend(Backend, Protocol):
    async def reload_rules(self) -> tuple[bool, list[str]]: ...


class IngestBackend(Backend, Protocol):
    keys: KeyStore

    async def append(self, events: list[AcceptedEvent]) -> IngestResult: ...

    async def observe(self, observations: list[Observation]) -> IngestResult: ...


class ScoresBackend(RulesBackend, Protocol):
    engine: ScoringEngine


def ingest_backend(request: Request) -> IngestBackend:
    return request.app.state.backend  # type: ignore[no-any-return]


def rules_backend(request: Request) -> RulesBackend:
    return request.app.state.backend  # type: ignore[no-any-return]


def scores_backend(request: Request) -> ScoresBackend:
    return request.app.state.backend  # type: ignore[no-any-return]


def backend(request: Request) -> Backend:
    return request.app.state.backend  # type: ignore[no-any-return]
