"""`dti alerts`: reads `dti.scores` as a consumer group and runs the same alert rounds as `dti up`.

`dti.scores` is compacted and holds each (unit, framework, year)'s latest scores, so on every assignment
the service reads its partitions from the beginning: after a restart or a rebalance it has the latest
scores of every unit it is responsible for. Alert state (for-durations, acknowledgements, silences, the
notification outbox) lives in SQLite under DTI_DATA_DIR, on a volume, where a restart finds it again. Alert
transitions are also published to `dti.alerts` (keyed by fingerprint) for other consumers.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from fastapi import FastAPI

from services.alerts import routes as alerts_routes
from services.alerts.runtime import AlertsRuntime
from services.common import ops, rules_routes
from services.common.metrics import ServiceMetrics
from services.ingest.keys import admin_token
from services.kafka.bus import brokers, ensure_topics
from services.kafka.messages import ScoreUpdate, decode_score
from services.kernel import RulesHolder, RulesState, service_app, with_reconnect
from shared.alerts import RoundResult
from shared.periods import PROVINCE_TZ
from shared.scoring import UnitScore
from shared.settings import Settings

log = structlog.get_logger(__name__)


class KafkaAlerts:
    def __init__(self, settings: Settings, metrics: ServiceMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.holder = RulesHolder(settings, metrics)
        self.admin_token = admin_token(settings.data_dir, settings.admin_token)
        self.latest: dict[bytes, tuple[int, ScoreUpdate]] = {}  # key -> (partition, update)
        self.alerts = AlertsRuntime(
            settings,
            self.holder.current,
            metrics,
            settings.data_dir / "alerts.sqlite",
            scores=self._scores,
            last_data=self._last_data,
        )
        self.alerts.on_round.append(self._publish)
        self.holder.on_swap.append(self.alerts.swap_rules)
        self.assigned: set[TopicPartition] = set()
        self._end: dict[TopicPartition, int] = {}
        self._caught_up = False
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: list[asyncio.Task[Any]] = []

    @property
    def rules(self) -> RulesState:
        return self.holder.state

    @property
    def ready(self) -> bool:
        return self._caught_up

    async def reload_rules(self) -> tuple[bool, list[str]]:
        return await self.holder.reload()

    # ------------------------------------------------------------------ what the alert core reads
    def _scores(self) -> list[UnitScore]:
        tree = self.holder.current.org_tree.by_code
        frameworks = self.holder.current.frameworks
        out = []
        for _p, upd in self.latest.values():
            unit = tree.get(upd.org_unit)
            if unit is not None and upd.framework in frameworks:
                out.append(upd.unit_score(unit))
        return out

    def _last_data(self) -> dict[tuple[str, str], datetime]:
        out: dict[tuple[str, str], datetime] = {}
        for _p, upd in self.latest.values():
            for metric, ts in upd.last_data.items():
                when = datetime.fromtimestamp(ts, PROVINCE_TZ)
                key = (metric, upd.org_unit)
                if key not in out or when > out[key]:
                    out[key] = when
        return out

    def _publish(self, result: RoundResult) -> None:
        producer = self._producer
        if producer is None or not result.transitions:
            return
        records = [(t.fingerprint.encode(), orjson.dumps(t.to_dict())) for t in result.transitions]

        async def send() -> None:
            try:
                for k, v in records:
                    await producer.send(self.settings.topic_alerts, key=k, value=v)
                await producer.flush()
            except KafkaError as exc:
                self.metrics.kafka_produce_failures.labels(self.settings.topic_alerts).inc()
                log.warning("alerts_publish_failed", error=str(exc))

        self._pending = [t for t in self._pending if not t.done()]
        self._pending.append(asyncio.create_task(send()))

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        # the topics as specified (dti.scores compacted) before the consumer's first metadata request: a
        # broker that auto-creates topics would otherwise create dti.scores with the default policy (delete)
        await with_reconnect(lambda: ensure_topics(self.settings), "topics", (KafkaError, OSError))
        self._producer = AIOKafkaProducer(
            bootstrap_servers=brokers(self.settings), acks="all", enable_idempotence=self.settings.kafka_idempotence
        )
        await with_reconnect(self._producer.start, "producer", (KafkaError, OSError))
        self._tasks = [asyncio.create_task(self._consume(), name="scores-consumer")]
        self.holder.start()
        self.alerts.start()

    async def stop(self) -> None:
        await self.holder.stop()
        await self.alerts.stop()
        for t in self._tasks:
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await t
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._producer.stop(), 5)

    async def _consume(self) -> None:
        await with_reconnect(self._consume_once, "scores_consumer", (KafkaError, OSError))

    async def _consume_once(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=brokers(self.settings),
            group_id=self.settings.alerts_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
        )
        try:
            await consumer.start()
            consumer.subscribe([self.settings.topic_scores], listener=_Rebuild(self, consumer))
            while True:
                data = await consumer.getmany(timeout_ms=200, max_records=5000)
                for tp, msgs in data.items():
                    for m in msgs:
                        if m.key is not None and m.value is not None:
                            try:
                                self.latest[m.key] = (tp.partition, decode_score(m.value))
                            except (ValueError, KeyError) as exc:
                                log.error("score_undecodable", partition=tp.partition, offset=m.offset, error=str(exc))
                if not self._caught_up and self._end:
                    positions = [await consumer.position(tp) for tp in self._end]
                    if all(p >= self._end[tp] for p, tp in zip(positions, self._end, strict=True)):
                        self._caught_up = True
                        log.info("alerts_scores_loaded", scores=len(self.latest))
                lag = 0
                for tp in consumer.assignment():
                    lag += max(0, (consumer.highwater(tp) or 0) - await consumer.position(tp))
                self.metrics.kafka_lag.labels(self.settings.topic_scores).set(lag)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()


class _Rebuild(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment: read the assigned partitions from the start (the latest scores of their units)."""

    def __init__(self, owner: KafkaAlerts, consumer: AIOKafkaConsumer) -> None:
        self.owner = owner
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        gone = {tp.partition for tp in revoked}
        self.owner.latest = {k: v for k, v in self.owner.latest.items() if v[0] not in gone}

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if assigned:
            await self.consumer.seek_to_beginning(*assigned)
            self.owner._end = await self.consumer.end_offsets(list(assigned))
        else:
            self.owner._end = {}
        self.owner._caught_up = not any(self.owner._end.values())
        log.info("alerts_partitions_assigned", partitions=sorted(tp.partition for tp in assigned))


def create_alerts_app(settings: Settings) -> FastAPI:
    metrics = ServiceMetrics()
    runtime = KafkaAlerts(settings, metrics)

    return service_app(
        "DTI Monitor — alerts",
        "Cảnh báo chỉ số / alerts on the scores from Kafka, delivered by webhook, e-mail and Alertmanager.",
        metrics,
        lambda: runtime,
        [ops.router, rules_routes.router, alerts_routes.router],
        gzip=True,  # a poll of /v1/alerts shrinks ~10x on the wire
    )
