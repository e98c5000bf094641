"""Source keys in Kafka mode: a compacted topic (`dti.keys`) every ingest replica reads into memory.

`dti keys create` with the same environment appends a record (the key's hash, never the key); every
replica's reader picks it up within its poll interval, so any replica accepts the key a moment later.
Revoking appends the record again with `revoked_at` set. Compaction keeps the latest record per key id.

The bound on a revocation: every `_CONFIRM_EVERY` seconds the reader asks the broker for the topic's end
offset and notes when it asked; once it has applied every record before that offset, it is *fresh as of*
that moment. A check answers from the keys only while they are fresh as of less than
`DTI_KAFKA_KEYS_MAX_LAG_SECONDS` (5 s) ago; otherwise (broker unreachable, reader stuck, a replica paused) it
raises KeyStoreUnavailable and the request gets 503 + Retry-After. So a revocation acknowledged by the broker
at time t is refused by every replica from t + max lag on, whatever happens to the replica or the network;
`dti keys revoke` waits that long after the acknowledgement, so it returns when the key is refused
everywhere (tests/kafka/test_key_revocation.py measures it).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import Coroutine
from dataclasses import asdict
from typing import Any, TypeVar

import orjson
import structlog
import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from services.ingest.keys import KeyInfo, KeyStoreUnavailable, digest, key_id_of, new_key
from services.kafka.bus import brokers, ensure_topics
from services.kernel import with_reconnect
from shared.settings import Settings

log = structlog.get_logger(__name__)

_CONFIRM_EVERY = 0.25  # seconds between asking the broker for the keys topic's end offset


class KafkaKeyStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._active: dict[str, tuple[str, str]] = {}  # key id -> (hash, source)
        self.caught_up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.fresh_at = -float("inf")  # monotonic time as of which every key record has been applied

    def lag(self) -> float:
        """Seconds since the keys were last confirmed complete (what a revocation may still be waiting for)."""
        return time.monotonic() - self.fresh_at

    def source_of(self, key: str) -> str | None:
        if self.lag() > self.settings.kafka_keys_max_lag_seconds:
            raise KeyStoreUnavailable(f"keys not confirmed for {self.lag():.1f} s")
        key_id = key_id_of(key)
        hit = self._active.get(key_id) if key_id is not None else None
        if hit is None:
            return None
        return hit[1] if hmac.compare_digest(hit[0], digest(key)) else None

    def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="keys-reader")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def apply(self, value: bytes | None) -> None:
        if value is None:
            return
        d = orjson.loads(value)
        if d.get("revoked_at") is None:
            self._active[d["id"]] = (d["hash"], d["source"])
        else:
            self._active.pop(d["id"], None)

    async def _follow(self) -> None:
        await with_reconnect(self._read_forever, "keys_reader", (KafkaError, OSError))

    async def _read_forever(self) -> None:
        await ensure_topics(self.settings)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=brokers(self.settings), enable_auto_commit=False, fetch_max_wait_ms=100
        )
        await consumer.start()
        try:
            tp = TopicPartition(self.settings.topic_keys, 0)
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            asked: float | None = time.monotonic()
            target = (await consumer.end_offsets([tp]))[tp]
            while True:
                if asked is not None and await consumer.position(tp) >= target:
                    # everything written before we asked has been applied: fresh as of the asking
                    self.fresh_at = asked
                    self.caught_up.set()
                    asked = None
                if asked is None and time.monotonic() - self.fresh_at >= _CONFIRM_EVERY:
                    asked = time.monotonic()
                    target = (await consumer.end_offsets([tp]))[tp]
                    continue
                batches = await consumer.getmany(tp, timeout_ms=100)
                for msg in batches.get(tp, []):
                    self.apply(msg.value)
        finally:
            await consumer.stop()


# ---------------------------------------------------------------------- the CLI's side
CLI_TIMEOUT_SECONDS = 15.0
T = TypeVar("T")


def _run(settings: Settings, work: Coroutine[Any, Any, T]) -> T:
    """Run one CLI call against the broker; a broker that is absent, refuses or hangs is one clear line
    (Vietnamese, then English) on stderr and exit status 1, not a traceback nor aiokafka's own warnings."""

    async def bounded() -> T:
        async with asyncio.timeout(CLI_TIMEOUT_SECONDS):
            return await work

    client_log = logging.getLogger("aiokafka")
    level = client_log.level
    client_log.setLevel(logging.CRITICAL)  # its connection warnings would repeat the line below, less clearly
    try:
        return asyncio.run(bounded())
    except (KafkaError, OSError, TimeoutError) as exc:
        where = settings.kafka_brokers
        typer.echo(
            f"không kết nối được Kafka tại {where}, chưa lưu gì / "
            f"Kafka at {where} did not answer, nothing was stored ({type(exc).__name__})",
            err=True,
        )
        raise typer.Exit(1) from None
    finally:
        client_log.setLevel(level)


async def _publish(settings: Settings, record: dict[str, object]) -> None:
    await ensure_topics(settings)
    producer = AIOKafkaProducer(
        bootstrap_servers=brokers(settings), acks="all", enable_idempotence=settings.kafka_idempotence
    )
    await producer.start()
    try:
        await producer.send_and_wait(settings.topic_keys, key=str(record["id"]).encode(), value=orjson.dumps(record))
    finally:
        await producer.stop()


async def _records(settings: Settings) -> dict[str, dict[str, object]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=brokers(settings), enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(settings.topic_keys, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        out: dict[str, dict[str, object]] = {}
        while end and await consumer.position(tp) < end:
            for msg in (await consumer.getmany(tp, timeout_ms=1000)).get(tp, []):
                if msg.value is not None:
                    d = orjson.loads(msg.value)
                    out[d["id"]] = d
        return out
    finally:
        await consumer.stop()


def create_key(settings: Settings, source: str, label: str | None) -> tuple[KeyInfo, str]:
    info, key = new_key(source, label)
    _run(settings, _publish(settings, {**asdict(info), "hash": digest(key)}))
    return info, key


def list_keys(settings: Settings) -> list[KeyInfo]:
    async def run() -> dict[str, dict[str, object]]:
        await ensure_topics(settings)
        return await _records(settings)

    records = _run(settings, run())
    return sorted(
        (
            KeyInfo(str(d["id"]), str(d["source"]), d.get("label"), d["created_at"], d.get("revoked_at"))  # type: ignore[arg-type]
            for d in records.values()
        ),
        key=lambda k: k.created_at,
    )


def revoke_key(settings: Settings, key_id: str) -> bool:
    """Revoke, then wait out DTI_KAFKA_KEYS_MAX_LAG_SECONDS: on return every ingest replica refuses the key."""

    async def run() -> bool:
        await ensure_topics(settings)
        records = await _records(settings)
        d = records.get(key_id)
        if d is None or d.get("revoked_at") is not None:
            return False
        await _publish(settings, {**d, "revoked_at": time.time()})
        acked = time.monotonic()
        await asyncio.sleep(max(0.0, settings.kafka_keys_max_lag_seconds - (time.monotonic() - acked)))
        return True

    return _run(settings, run())
