"""Source keys in Kafka mode: a compacted topic (`dti.keys`) every ingest replica reads into memory.

`dti keys create` with the same environment appends a record (the key's hash, never the key); every
replica's reader picks it up within its poll interval, so any replica accepts the key a moment later.
Revoking appends the record again with `revoked_at` set. Compaction keeps the latest record per key id.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Coroutine
from dataclasses import asdict
from typing import Any, TypeVar

import orjson
import structlog
import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from services.ingest.keys import KeyInfo, digest, key_id_of, new_key
from services.kafka.bus import brokers, ensure_topics
from shared.settings import Settings

log = structlog.get_logger(__name__)


class KafkaKeyStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._active: dict[str, tuple[str, str]] = {}  # key id -> (hash, source)
        self.caught_up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def source_of(self, key: str) -> str | None:
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
        delay = 0.2
        while True:
            try:
                await self._read_forever()
            except (KafkaError, OSError) as exc:
                log.warning("keys_reader_failed", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

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
            end = (await consumer.end_offsets([tp]))[tp]
            if end == 0:
                self.caught_up.set()
            while True:
                batches = await consumer.getmany(tp, timeout_ms=200)
                for msg in batches.get(tp, []):
                    self.apply(msg.value)
                # by position, not by the last record's offset: the topic is compacted, and the position
                # moves past whole batches, gaps included
                if not self.caught_up.is_set() and await consumer.position(tp) >= end:
                    self.caught_up.set()
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
    import time

    async def run() -> bool:
        await ensure_topics(settings)
        records = await _records(settings)
        d = records.get(key_id)
        if d is None or d.get("revoked_at") is not None:
            return False
        await _publish(settings, {**d, "revoked_at": time.time()})
        return True

    return _run(settings, run())
