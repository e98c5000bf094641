"""The broker, as the services use it: topic creation, a producer that answers within a bound, partitions.

The ingest producer sends with acks=all and (by default) idempotence. A send the broker does not
acknowledge within `DTI_KAFKA_SEND_TIMEOUT_SECONDS` raises `BrokerUnavailable`: the HTTP layer answers 503
with Retry-After, never a hang and never a 202 for what was not acknowledged. A late acknowledgement of
such a send is harmless: the client resends with the same event ids and scoring counts each id once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from services.kafka.messages import partition_records
from services.kernel import with_reconnect
from shared.errors import Unavailable
from shared.settings import Settings

log = structlog.get_logger(__name__)


class BrokerUnavailable(Unavailable):
    """The broker did not acknowledge in time (or cannot be reached)."""


def brokers(settings: Settings) -> list[str]:
    return [b.strip() for b in settings.kafka_brokers.split(",") if b.strip()]


def topic_specs(settings: Settings) -> list[NewTopic]:
    n, rf = settings.kafka_partitions, settings.kafka_replication
    compact = {"cleanup.policy": "compact"}
    return [
        NewTopic(settings.topic_events, n, rf),
        # where scoring sets aside a record it cannot fold: created here, not by a broker's auto-creation
        # (production clusters and the tests' brokers have it off)
        NewTopic(settings.topic_events + ".dead", 1, rf),
        NewTopic(settings.topic_scores, n, rf, topic_configs=compact),
        NewTopic(settings.topic_alerts, n, rf),
        NewTopic(settings.topic_keys, 1, rf, topic_configs=compact),
    ]


async def ensure_topics(settings: Settings, extra: Sequence[NewTopic] = ()) -> None:
    """Create the project's topics (and `extra` ones) if they are missing."""
    admin = AIOKafkaAdminClient(bootstrap_servers=brokers(settings), request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in [*topic_specs(settings), *extra] if t.name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another replica was first
                await admin.create_topics(missing)
            log.info("topics_created", topics=[t.name for t in missing])
    finally:
        await admin.close()


class Producer:
    """An aiokafka producer that starts in the background and sends with a deadline."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self._watch_task: asyncio.Task[None] | None = None
        # whether the broker answered the last metadata probe or send (see `_watch`): /readyz reports it
        self.answering = False

    @property
    def connected(self) -> bool:
        return self._producer is not None and self.answering

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="kafka-producer-connect")

    async def _watch(self, producer: AIOKafkaProducer) -> None:
        """Ask the broker for metadata every second, with the send deadline: a broker that is down or hangs
        makes `/readyz` answer 503 (a load balancer then stops sending POSTs that would get 503 anyway), and
        one that answers again makes it 200. A failed or successful send says the same at once."""
        timeout = self.settings.kafka_send_timeout_seconds
        while True:
            try:
                async with asyncio.timeout(timeout):
                    await producer.client.fetch_all_metadata()
                self.answering = True
            except (TimeoutError, KafkaError, OSError) as exc:
                if self.answering:
                    log.warning("kafka_not_answering", error=repr(exc))
                self.answering = False
            await asyncio.sleep(1.0)

    async def _connect(self) -> None:
        producer = await with_reconnect(self._start_producer, "producer", (KafkaError, OSError))
        self._producer = producer
        self.answering = True
        self._watch_task = asyncio.create_task(self._watch(producer), name="kafka-broker-watch")
        log.info("kafka_producer_ready", brokers=self.settings.kafka_brokers)

    async def _start_producer(self) -> AIOKafkaProducer:
        producer = AIOKafkaProducer(
            bootstrap_servers=brokers(self.settings),
            acks="all",
            enable_idempotence=self.settings.kafka_idempotence,
            # no linger: a request's records are sent at once (aiokafka sends one request per broker at
            # a time, so under load what is sent meanwhile goes in the next request anyway)
            linger_ms=0,
            request_timeout_ms=10_000,
            retry_backoff_ms=100,
        )
        try:
            await ensure_topics(self.settings)
            await producer.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await producer.stop()
            raise
        return producer

    async def send_events(self, topic: str, items: Sequence[tuple[str, bytes]]) -> None:
        """Send a request's encoded events (org unit, event), one record per partition their units fall in;
        return once the broker acknowledged all of them, or raise BrokerUnavailable."""
        producer = self._producer
        if producer is None:
            raise BrokerUnavailable("not connected to the broker yet")
        timeout = self.settings.kafka_send_timeout_seconds
        try:
            async with asyncio.timeout(timeout):
                partitions = len(await producer.partitions_for(topic))  # the topic's own count, not a setting
                records = partition_records(items, partitions)
                futures = [await producer.send(topic, value=v, key=k, partition=p) for k, p, v in records]
                await asyncio.gather(*futures)
            self.answering = True
        except (TimeoutError, KafkaError) as exc:
            self.answering = False
            raise BrokerUnavailable(f"no acknowledgement from the broker within {timeout}s: {exc!r}") from exc

    async def stop(self) -> None:
        for task in (self._task, self._watch_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._producer.stop(), 5)
