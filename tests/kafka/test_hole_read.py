"""The worker reads a hole Faust left in what it handed over (services/kafka/continuity.py) straight from the
broker: the records of the range in order, each event at its real position, and nothing for offsets that hold
no record (a transactional producer's commit markers)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.kafka.faust_app import ScoringFaust
from services.kafka.messages import encode_event
from shared.events import AcceptedEvent
from shared.periods import PROVINCE_TZ
from shared.settings import Settings
from tests.kafka.cluster import KafkaCluster

TOPIC = "hole.events"
WHEN = datetime(2025, 5, 2, 10, tzinfo=PROVINCE_TZ)


async def _write(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, 1, 1)])
    finally:
        await admin.close()

    def record(i: int) -> bytes:
        return encode_event(AcceptedEvent("lgsp", f"hole-{i}", "P.T5", "tthc.records_total", float(i), WHEN), "c")

    plain = AIOKafkaProducer(bootstrap_servers=bootstrap)
    txn = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id="hole-markers")
    await plain.start()
    await txn.start()
    try:
        for i in range(3):  # offsets 0, 1, 2
            await plain.send_and_wait(TOPIC, record(i), key=b"P.T5", partition=0)
        for i in (3, 4):  # offsets 3 and 5, each followed by its commit marker (4, 6)
            async with txn.transaction():
                await txn.send_and_wait(TOPIC, record(i), key=b"P.T5", partition=0)
        for i in (5, 6):  # offsets 7, 8
            await plain.send_and_wait(TOPIC, record(i), key=b"P.T5", partition=0)
    finally:
        await plain.stop()
        await txn.stop()


def _record_offsets(bootstrap: str) -> list[int]:
    """The offsets that hold a record, read with an independent client (kafka-python). Where the commit
    markers fall is the broker's affair: the coordinator writes them after the transaction commits, so a
    plain record may come before one."""
    import gc
    import warnings

    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        tp = TopicPartition(TOPIC, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        offsets: list[int] = []
        while len(offsets) < 7:
            offsets += [r.offset for r in consumer.poll(timeout_ms=3000).get(tp, [])]
        return offsets
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            consumer.close()
            del consumer
            gc.collect()


def test_a_hole_is_read_in_order_and_a_marker_holds_nothing(kafka: KafkaCluster, tmp_path: Path) -> None:
    asyncio.run(_write(kafka.bootstrap))
    offsets = _record_offsets(kafka.bootstrap)
    markers = sorted(set(range(offsets[-1])) - set(offsets))
    # the commit markers' offsets among the records' (the second may fall after the last record)
    assert len(offsets) == 7 and markers, (offsets, markers)
    worker = ScoringFaust(Settings(kafka_brokers=kafka.bootstrap, topic_events=TOPIC, data_dir=tmp_path))
    end = offsets[-1]  # the hole: from offset 1 to the last record (the one Faust would have handed over)
    found = asyncio.run(worker._read_hole(0, 1, end))
    assert [(p, offset, i) for p, offset, i, _ in found] == [(0, o, 0) for o in offsets[1:-1]]
    assert [ev.event_id for *_, ev in found] == [f"hole-{i}" for i in range(1, 6)]
    # a hole that is a marker alone: nothing to fold
    assert asyncio.run(worker._read_hole(0, markers[0], markers[0] + 1)) == []
