"""`dti ingest`: the same HTTP ingest API as `dti up`, producing to `dti.events` keyed by org unit.

202 only after the broker acknowledged every record of the request (acks=all). Duplicate event ids are
not looked up here (a replica cannot know what another accepted); scoring counts each id once, so a
retried batch is safe and `duplicates` in the answer is always 0 in this mode.
"""

from __future__ import annotations

import time

import structlog
from fastapi import FastAPI

from services.common import ops, rules_routes
from services.common.metrics import ServiceMetrics
from services.ingest.keys import admin_token
from services.ingest.routes import events, observations
from services.kafka.bus import BrokerUnavailable, Producer
from services.kafka.keys import KafkaKeyStore
from services.kafka.messages import encode_event, encode_observation
from services.kernel import IngestResult, Observation, RulesHolder, RulesState, service_app
from shared.events import AcceptedEvent
from shared.settings import Settings

log = structlog.get_logger(__name__)


class KafkaIngest:
    def __init__(self, settings: Settings, metrics: ServiceMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.holder = RulesHolder(settings, metrics)
        self.admin_token = admin_token(settings.data_dir, settings.admin_token)
        self.keys = KafkaKeyStore(settings)
        self.producer = Producer(settings)

    @property
    def rules(self) -> RulesState:
        return self.holder.state

    @property
    def ready(self) -> bool:
        return self.producer.connected and self.keys.caught_up.is_set()

    async def start(self) -> None:
        self.producer.start()
        self.keys.start()
        self.holder.start()

    async def stop(self) -> None:
        await self.holder.stop()
        await self.keys.stop()
        await self.producer.stop()

    async def reload_rules(self) -> tuple[bool, list[str]]:
        return await self.holder.reload()

    async def append(self, events: list[AcceptedEvent]) -> IngestResult:
        metrics = self.holder.current.catalog.metrics
        items = [(ev.org_unit, encode_event(ev, "c" if metrics[ev.metric].type == "counter" else "g")) for ev in events]
        await self._send(items)
        return IngestResult(len(events), 0)

    async def observe(self, observations: list[Observation]) -> IngestResult:
        items = [
            (
                ob.org_unit,
                encode_observation(
                    ob.source,
                    ob.org_unit,
                    ob.metric,
                    ob.counter,
                    ob.period,
                    ob.value,
                    ob.occurred_at.timestamp(),
                    {"evidence_url": ob.evidence_url, "reported_by": ob.reported_by, "received_at": time.time()},
                ),
            )
            for ob in observations
        ]
        await self._send(items)
        return IngestResult(len(observations), 0)

    async def _send(self, items: list[tuple[str, bytes]]) -> None:
        try:
            await self.producer.send_events(self.settings.topic_events, items)
        except BrokerUnavailable as exc:
            self.metrics.kafka_produce_failures.labels(self.settings.topic_events).inc()
            log.warning("broker_unavailable", error=str(exc), events=len(items))
            raise


def create_ingest_app(settings: Settings) -> FastAPI:
    metrics = ServiceMetrics()
    runtime = KafkaIngest(settings, metrics)

    return service_app(
        "DTI Monitor — ingest",
        "Nhận sự kiện và số liệu định kỳ / receives events and periodic figures, produces them to Kafka.",
        metrics,
        lambda: runtime,
        [ops.router, rules_routes.router, events.router, observations.router],
    )
