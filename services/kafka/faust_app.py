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

import asyncio
import contextlib
import functools
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import faust
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import NewTopic
from faust.streams import _current_event
from faust.types import TP, EventT

from services.kafka.bus import brokers
from services.kafka.cells import Aggregator, Cell, Incoming
from services.kafka.continuity import Continuity
from services.kafka.messages import decode_events
from shared.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class AgentStats:
    records: int = 0  # dti.events records folded
    processed: int = 0  # events in them (a record holds one unit's events of one request)
    applied: int = 0
    duplicates: int = 0
    replayed: int = 0
    dead_letters: int = 0
    rereads: int = 0  # holes in what Faust handed the agent, read directly (services/kafka/continuity.py)
    last_batch_at: float = 0.0
    next_offset: dict[int, int] = field(default_factory=dict)  # partition -> next offset to process
    recovered: bool = False


async def _put(app: faust.App, table: Any, partition: int, key: str, value: Any) -> asyncio.Future[Any]:
    """A table write whose changelog acknowledgement the caller can await.

    Sent with the transport's producer directly, not through `table[key] = v` (or `send_changelog`): those
    queue every record in Faust's ProducerBuffer, which publishes them one at a time, and while more than
    100 are queued the conductor stops handing events to the agent (`wait_until_ebb`). With a batch's few
    hundred cell writes that capped the worker near 700 events/s (profiled: batches of ~100 events, each
    waiting ~110 ms for its writes). The bytes are the ones Faust would write (the table's own serializers),
    and the persisted offset is kept as Faust's `_on_changelog_sent` keeps it, so recovery is unchanged.
    """
    changelog = table.changelog_topic
    name = changelog.get_topic_name()
    k, _ = changelog.prepare_key(key, table.key_serializer)
    v, _ = changelog.prepare_value(value, table.value_serializer)
    sent = await app.producer.send(name, k, v, partition=partition, timestamp=None, headers=None)
    ack = cast(asyncio.Future[Any], sent)  # aiokafka's delivery future
    table.data[key] = value
    tp = TP(name, partition)

    def persisted(done: asyncio.Future[Any]) -> None:
        if not done.cancelled() and done.exception() is None:
            table.data.set_persisted_offset(tp, done.result().offset)

    ack.add_done_callback(persisted)
    return ack


# Unless the worker is behind, a batch is folded when the fetcher delivers nothing more within this gap
# (`ScoringFaust._aggregate`): at a steady trickle a request's records are folded a few ms after they
# arrive instead of waiting out `DTI_SCORING_BATCH_SECONDS`, which is kept for a backlog's big batches.
FETCH_GAP_SECONDS = 0.002
# A partition counts as a backlog (batches held up to `DTI_SCORING_BATCH_SECONDS`) only when more than this
# many of its records are fetched or known to the fetcher and not folded. "Any record" held about one batch
# in ten for the whole linger at 1,000 events/s (a record arriving during the fold); with 16, POST-to-
# `dti.scores` p99 160-163 ms against 226-230 ms (bench_kafka --latency-only, alternating, BENCHMARKS.md).
BACKLOG_RECORDS = 16
HOLE_READ_SECONDS = 30.0  # then the batch fails (logged, set aside) rather than fold past the hole
CHANGELOG_ACK_SECONDS = 15.0  # then a batch's changelog writes are sent again (ScoringFaust._write)
DEDUP_IDS_PER_RECORD = 5000  # about 250 kB of ids: well under Kafka's 1 MB default record and request size


def dedup_chunks(records: list[list[Any]], most: int = DEDUP_IDS_PER_RECORD) -> list[list[list[Any]]]:
    """A batch's counted ids as `dedup` records of at most `most` ids each. One record per batch was fine on
    Tansu, which enforces no size; on Apache Kafka a backlog's batch of 2,000 records listed ~27,000 ids,
    1.15 MB, over the producer's and the broker's 1 MB default, and the batch was dead-lettered (the
    Kafka-mode benchmark found it)."""
    return [records[i : i + most] for i in range(0, len(records), most)]


@contextlib.contextmanager
def writing_for(event: EventT[Any]) -> Iterator[None]:
    """Make `event` Faust's current event, so table writes go to its partition's changelog."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def bound_fetch_wait(max_wait_ms: int) -> None:
    """Faust creates its worker consumer with `fetch_max_wait_ms=1500`, not a setting. That matters on Apache
    Kafka too, not only on Tansu (where it was found): aiokafka's fetcher sends no new fetch to a broker while
    one is in flight, and leaves partitions whose records are not consumed yet out of the next fetch; so a
    fetch asking only for partitions with nothing new (Faust's worker consumer also holds changelog and
    assignor partitions) is held by the broker for the whole wait, while the partitions just consumed wait
    behind it. Measured on Apache Kafka 4.1.1 (`benchmarks/bench_kafka.py --quick`, one run each): the
    worker scored 29,000 events/s with Faust's 1,500 ms and 73,000 with 100 ms; the POST-to-`dti.scores` p99
    was 351 ms and 208 ms. The consumer is built by `AIOKafkaConsumerThread._create_worker_consumer`; this
    wraps it to set aiokafka's own value before the consumer starts (aiokafka reads it when it creates its
    fetcher). Versions are pinned in uv.lock; the Kafka-mode benchmark's figures show if this stops taking
    effect."""
    from faust.transport.drivers import aiokafka as driver

    thread = driver.AIOKafkaConsumerThread
    original = getattr(thread._create_worker_consumer, "__wrapped__", thread._create_worker_consumer)

    @functools.wraps(original)
    def create(self: Any, transport: Any) -> Any:
        consumer = original(self, transport)
        consumer._fetch_max_wait_ms = max_wait_ms
        return consumer

    thread._create_worker_consumer = create  # type: ignore[method-assign]


class ScoringFaust:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        bound_fetch_wait(settings.scoring_fetch_max_wait_ms)
        n = settings.kafka_partitions
        self.stats = AgentStats()
        self.aggregator = Aggregator()
        self.fresher: Callable[[str], Cell | None] = lambda _key: None  # the read model's view of the changelog
        # the highest offset of a partition any cell absorbed, as the read model saw it (None: no cell yet)
        self.continuity = Continuity(lambda _partition: None)
        # Set once the read model has read the cells changelog up to the end it found after the latest
        # assignment; `_fold` waits for it. `on_assigned` tells the read model to find that end (without a
        # read model there is nothing to wait for).
        self.read_model_current = asyncio.Event()
        self.on_assigned: Callable[[], None] = self.read_model_current.set
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
            # no linger: a batch's changelog writes are sent at once and the fold waits for their
            # acknowledgement (aiokafka sends one request per broker at a time; what is sent meanwhile
            # goes in the next one anyway)
            producer_linger_ms=0,
            table_standby_replicas=0,
            consumer_auto_offset_reset="earliest",
            consumer_group_instance_id=settings.scoring_instance_id,
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
        self.app.on_partitions_assigned.connect(self._assigned)  # type: ignore[arg-type]

    def _cell(self, key: str) -> Cell | None:
        """The newest state of a cell this worker knows: its table's, or the changelog's as the read model saw
        it, whichever absorbed the later offset. After overlapping assignments (seen on Tansu, possible with
        any broker while a rebalance settles) another worker may have folded events of this partition that
        this worker's table never recovered; building on the older state would drop them."""
        own = self.cells.get(key)
        seen = self.fresher(key)
        if seen is None:
            return own
        if own is None or (own["p"] == seen["p"] and seen["o"] > own["o"]):
            return seen
        return own  # type: ignore[no-any-return]

    def changelog_specs(self) -> list[NewTopic]:
        """The tables' changelog topics as Faust declares them (compacted, one partition per `dti.events`
        partition), for creating them before the app joins its group. Left to Faust, they are created as
        the app starts, and the group leader's first metadata may not list a topic created a moment before:
        Faust's assignor then logs "Ignoring missing topic" and leaves that changelog out of every
        assignment until the leader's metadata is refreshed (aiokafka: every 5 minutes). Seen in the
        fault tests on a fresh broker: the `dedup` changelog was in no assignment, so no worker recovered
        the id index after a restart or a takeover, and a client's retries were counted again."""
        n, rf = self.settings.kafka_partitions, self.settings.kafka_replication
        return [
            NewTopic(table.changelog_topic.get_topic_name(), n, rf, topic_configs={"cleanup.policy": "compact"})
            for table in (self.cells, self.dedup)
        ]

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
            part, _, what = str(key).partition(":")
            if what == "next":
                continue  # a resume offset an earlier version kept for its hole re-reads (docs/kafka-mode.md)
            self.aggregator.remember(int(part), records)
            n += len(records)
        self.stats.recovered = True
        log.info("scoring_tables_recovered", dedup_ids=n, cells=len(self.cells))

    async def _aggregate(self, stream: Any) -> None:
        """Batch by what is waiting: fold when the batch is full, or when nothing more is queued and (behind
        a backlog) `DTI_SCORING_BATCH_SECONDS` passed since its first event or (otherwise) the fetcher
        brought nothing within `FETCH_GAP_SECONDS`; then ack.

        Bigger batches are what make the worker fast: a batch writes each changed cell once, however many
        of its events hit it, and the read model and `dti.scores` see one change per cell per batch.

        Not `stream.take_events()`: it acks a batch in a `finally`, so a batch interrupted by a shutdown
        or a crash inside the loop would be committed without its changelog writes. Here an event is acked
        only after its batch's writes were acknowledged.
        """
        manual = stream.noack()
        channel = manual.channel
        most, linger = self.settings.scoring_batch_max, self.settings.scoring_batch_seconds
        pending: list[EventT[Any]] = []
        opened = taken = 0.0
        behind = False  # the broker holds events not folded yet: a backlog, batch by `linger`
        lock = asyncio.Lock()

        async def fold_pending() -> None:
            nonlocal pending
            async with lock:  # one batch at a time: a partition's offsets are folded and acked in order
                batch, pending = pending, []
                if not batch:
                    return
                try:
                    await self._fold(batch)
                except Exception as exc:  # a bug must not stop the agent: log, dead-letter the batch, go on
                    log.exception("scoring_batch_failed", error=str(exc), events=len(batch))
                    for ev in batch:
                        await self.dead.send(key=ev.message.key, value=ev.message.value)
                    self.stats.dead_letters += len(batch)
                for ev in batch:
                    await manual.ack(ev)

        async def unstick() -> None:
            """A rebalance clears Faust's channel and then waits until every event taken is acked. If it clears
            the channel just after the loop below saw it non-empty, the loop waits on the stream holding a
            batch nobody will fold, and the rebalance waits for ever (seen: a hung worker resumed after its
            eviction). A batch left waiting well past its linger is folded here instead."""
            idle = max(0.5, 10 * linger)
            while True:
                await asyncio.sleep(idle / 2)
                if pending and time.monotonic() - taken > idle:
                    await fold_pending()

        guard = asyncio.create_task(unstick())
        try:
            async for event in manual.events():
                taken = time.monotonic()
                if not pending:
                    opened = taken
                pending.append(event)
                if len(pending) < most:
                    # Nothing queued. Behind a backlog (records fetched or known to the fetcher, not folded yet)
                    # give the fetcher until `linger` after the batch's first event to deliver more; otherwise wait only
                    # while more is arriving: a gap of `FETCH_GAP_SECONDS` that brings nothing ends the batch.
                    # Events already queued are always taken (up to `most`). Sleeping here (not waiting on the
                    # stream with a timeout) cancels nothing in Faust.
                    while channel.empty() and time.monotonic() - opened < linger:
                        await asyncio.sleep(FETCH_GAP_SECONDS)
                        if not behind:
                            break
                    if not channel.empty():
                        continue
                await fold_pending()
                behind = not channel.empty() or self.behind()
        finally:
            guard.cancel()

    def behind(self) -> bool:
        """Whether a partition's high watermark, as the last fetch saw it, is more than `BACKLOG_RECORDS` past
        the offsets folded: a backlog. At a steady trickle the few records that arrive during a fold are
        taken at once, and batches are not held for `DTI_SCORING_BATCH_SECONDS`."""
        try:
            consumer = self.app.consumer
            topic = self.settings.topic_events
            for tp in consumer.assignment():
                if tp.topic == topic:
                    hw = consumer.highwater(tp)
                    if hw is not None and hw > self.stats.next_offset.get(tp.partition, hw) + BACKLOG_RECORDS:
                        return True
        except Exception:  # the consumer is not started, or is being rebalanced
            return False
        return False

    async def _assigned(self, _sender: Any, *_args: Any, **_kwargs: Any) -> None:
        self.continuity.reset()
        self.read_model_current.clear()
        self.on_assigned()

    async def _write(self, writes: list[tuple[Any, int, str, Any]]) -> None:
        """Send a batch's changelog writes and wait for every acknowledgement. Seen twice on Apache Kafka
        (of many starts): a worker's very first batch, right after Faust created its changelog topics, whose
        acknowledgements never came, so the agent waited for ever. The writes are absolute values, so
        sending them again is harmless: after `CHANGELOG_ACK_SECONDS` they are sent once more, and if those
        are not acknowledged either the batch fails (logged, set aside) rather than hang."""
        for attempt in (1, 2):
            acks = [await _put(self.app, table, partition, key, value) for table, partition, key, value in writes]
            if not acks:
                return
            # asyncio.wait, not wait_for: the delivery futures stay aiokafka's, never cancelled here
            done, pending = await asyncio.wait(acks, timeout=CHANGELOG_ACK_SECONDS * attempt)
            for fut in done:
                fut.result()  # a refused write raises here
            if not pending:
                return
            log.error("changelog_writes_unacknowledged", writes=len(writes), pending=len(pending), attempt=attempt)
        raise TimeoutError(f"{len(writes)} changelog writes not acknowledged")

    async def _read_hole(self, partition: int, start: int, end: int) -> list[Incoming]:
        """The events of records [start, end) of a partition, read with a plain consumer outside Faust's fetch
        pipeline (see services/kafka/continuity.py). A record this version cannot read is set aside, as in
        `_fold`. Offsets without a record (commit markers) are simply not there."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=brokers(self.settings), enable_auto_commit=False, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            tp = TopicPartition(self.settings.topic_events, partition)
            consumer.assign([tp])
            consumer.seek(tp, start)
            out: list[Incoming] = []
            deadline = time.monotonic() + HOLE_READ_SECONDS
            while time.monotonic() < deadline:
                for r in (await consumer.getmany(tp, timeout_ms=500)).get(tp, []):
                    if r.offset >= end:
                        return out
                    try:
                        events = decode_events(r.value or b"")
                    except Exception as exc:
                        log.error("event_undecodable", partition=partition, offset=r.offset, error=str(exc))
                        await self.dead.send(key=r.key, value=r.value)
                        self.stats.dead_letters += 1
                        continue
                    out += [(partition, r.offset, i, ev) for i, ev in enumerate(events)]
                if await consumer.position(tp) >= end:
                    return out
            raise TimeoutError(f"could not read {self.settings.topic_events}[{partition}] {start}..{end}")
        finally:
            await consumer.stop()

    async def _fold(self, batch: list[EventT[Any]]) -> None:
        # Fold on the newest state of every cell: after an assignment, wait until the read model has read the
        # cells changelog to the end it found then. Built for Tansu, whose end offsets made Faust's recovery
        # stop one batch short; on Apache Kafka recovery is complete, and this is kept for a fenced member's
        # late writes (a hung worker resumed, see docs/kafka-mode.md): the read model keeps the newest cell
        # by offset, and `_cell` builds on it rather than on a table restored from a stale last record.
        await self.read_model_current.wait()
        by_partition: dict[int, list[Incoming]] = {}
        last: dict[int, EventT[Any]] = {}
        for ev in batch:
            msg = ev.message
            p = msg.partition
            hole = self.continuity.take(p, msg.offset)
            if hole is not None:
                # records Faust did not hand over: read and fold them first, in order
                found = await self._read_hole(p, *hole)
                by_partition.setdefault(p, []).extend(found)
                self.stats.rereads += 1
                log.warning(
                    "consumer_skipped_records", partition=p, first=hole[0], until=hole[1], events_read=len(found)
                )
            last[p] = ev
            try:
                events = decode_events(msg.value or b"")
            except Exception as exc:  # a record this version cannot read: set aside, not lost
                log.error("event_undecodable", partition=msg.partition, offset=msg.offset, error=str(exc))
                await self.dead.send(key=msg.key, value=msg.value)
                self.stats.dead_letters += 1
                continue
            by_partition.setdefault(p, []).extend((p, msg.offset, i, ev) for i, ev in enumerate(events))
        writes: list[tuple[Any, int, str, Any]] = []  # table, partition, key, value
        for partition, items in by_partition.items():
            with writing_for(last[partition]):
                out = self.aggregator.absorb(items, self._cell)
                writes += [(self.cells, partition, key, cell) for key, cell in out.cells.items()]
                for records in out.seen.values():
                    for chunk in dedup_chunks(records):
                        key = f"{partition}:{chunk[0][2]}:{chunk[0][3]}"  # the first position it lists
                        writes.append((self.dedup, partition, key, chunk))
            self.stats.applied += out.applied
            self.stats.duplicates += out.duplicates
            self.stats.replayed += out.replayed
            self.stats.next_offset[partition] = items[-1][1] + 1
        # The batch's offsets are committed after this returns; the changelog writes must be acknowledged by
        # then. Faust's own flush before a commit gives up after 0.1 s per message (ProducerBuffer.
        # flush_atmost), so a commit could overtake the writes and a new owner of the partition would
        # recover without them: waiting here closes that gap (the two-worker SIGKILL test caught it).
        await self._write(writes)
        log.debug(
            "batch_folded", ranges={p: (items[0][1], items[-1][1], len(items)) for p, items in by_partition.items()}
        )
        self.stats.records += len(batch)
        self.stats.processed += sum(len(items) for items in by_partition.values())
        self.stats.last_batch_at = time.time()
