"""The Faust side of `dti scoring`: one agent folds `dti.events` into cells, in batches.

Tables (changelog-backed, co-partitioned with `dti.events`, which is keyed by org unit):
- `cells`: `metric|unit|year|quarter` -> the cell (see services/kafka/cells.py); one changelog write per
  changed cell per batch, however many events the batch held for it.
- `dedup`: one record per partition per batch listing the event ids it counted, so a client's retry of an
  id is recognised after a restart (the index is rebuilt from this table when recovery completes).

Faust quirks handled here (see ../shared/reference/anchors.md): `concurrency=1`; per-event errors are
caught and dead-lettered, never allowed to kill the agent; table writes in a batch need the "current
event" Faust uses to pick the changelog partition (faust-streaming#497), set explicitly per partition.
"""

from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import faust
import structlog
from faust.streams import _current_event
from faust.types import EventT

from services.kafka.bus import brokers
from services.kafka.cells import Aggregator, Incoming
from services.kafka.messages import decode_event
from shared.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class AgentStats:
    processed: int = 0
    applied: int = 0
    duplicates: int = 0
    replayed: int = 0
    dead_letters: int = 0
    last_batch_at: float = 0.0
    next_offset: dict[int, int] = field(default_factory=dict)  # partition -> next offset to process
    recovered: bool = False


@contextlib.contextmanager
def writing_for(event: EventT[Any]) -> Iterator[None]:
    """Make `event` Faust's current event, so table writes go to its partition's changelog."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


class ScoringFaust:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        n = settings.kafka_partitions
        self.stats = AgentStats()
        self.aggregator = Aggregator()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.app = faust.App(
            settings.scoring_app_id,
            broker=[f"kafka://{b}" for b in brokers(settings)],
            store=settings.scoring_store,
            datadir=str(settings.data_dir / "faust"),
            web_enabled=False,
            topic_partitions=n,
            topic_replication_factor=settings.kafka_replication,
            producer_acks=-1,
            producer_linger_ms=5,
            table_standby_replicas=0,
            consumer_auto_offset_reset="earliest",
            # a worker killed without leaving the group holds its partitions until this expires
            broker_session_timeout=settings.scoring_session_timeout_seconds,
            broker_rebalance_timeout=settings.scoring_session_timeout_seconds,
            broker_heartbeat_interval=min(3.0, settings.scoring_session_timeout_seconds / 5),
        )
        self.events = self.app.topic(
            settings.topic_events,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=n,
        )
        self.dead = self.app.topic(
            settings.topic_events + ".dead",
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=1,
        )
        self.cells = self.app.Table("cells", partitions=n)
        self.dedup = self.app.Table("dedup", partitions=n)
        self.dedup.on_recover(self._rebuild_index)
        self.app.agent(self.events, name="aggregate", concurrency=1)(self._aggregate)

    @property
    def cells_changelog(self) -> str:
        return str(self.cells.changelog_topic.get_topic_name())

    def assigned_partitions(self) -> set[int]:
        try:
            assignment = self.app.consumer.assignment()
        except Exception:  # the consumer is not started yet
            return set()
        return {tp.partition for tp in assignment if tp.topic == self.settings.topic_events}

    async def _rebuild_index(self) -> None:
        n = 0
        for key, records in self.dedup.items():
            self.aggregator.remember(int(str(key).split(":")[0]), records)
            n += len(records)
        self.stats.recovered = True
        log.info("scoring_tables_recovered", dedup_ids=n, cells=len(self.cells))

    async def _aggregate(self, stream: Any) -> None:
        s = self.settings
        async for batch in stream.take_events(s.scoring_batch_max, within=s.scoring_batch_seconds):
            try:
                await self._fold(batch)
            except Exception as exc:  # a bug must not stop the agent: log, dead-letter the batch, go on
                log.exception("scoring_batch_failed", error=str(exc), events=len(batch))
                for ev in batch:
                    await self.dead.send(key=ev.message.key, value=ev.message.value)
                self.stats.dead_letters += len(batch)

    async def _fold(self, batch: list[EventT[Any]]) -> None:
        by_partition: dict[int, list[Incoming]] = {}
        last: dict[int, EventT[Any]] = {}
        for ev in batch:
            msg = ev.message
            try:
                incoming = (msg.partition, msg.offset, decode_event(msg.value or b""))
            except Exception as exc:  # a record this version cannot read: set aside, not lost
                log.error("event_undecodable", partition=msg.partition, offset=msg.offset, error=str(exc))
                await self.dead.send(key=msg.key, value=msg.value)
                self.stats.dead_letters += 1
                continue
            by_partition.setdefault(msg.partition, []).append(incoming)
            last[msg.partition] = ev
        for partition, items in by_partition.items():
            with writing_for(last[partition]):
                out = self.aggregator.absorb(items, self.cells.get)
                for key, cell in out.cells.items():
                    self.cells[key] = cell
                for records in out.seen.values():
                    self.dedup[f"{partition}:{records[0][2]}"] = records
            self.stats.applied += out.applied
            self.stats.duplicates += out.duplicates
            self.stats.replayed += out.replayed
            self.stats.next_offset[partition] = items[-1][1] + 1
        self.stats.processed += len(batch)
        self.stats.last_batch_at = time.time()
