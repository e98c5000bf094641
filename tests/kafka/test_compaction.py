"""Compacted topics really compacted, on Apache Kafka, and every reader of one recovering through it.

The test brokers roll a segment every second and clean as soon as 1% of a log is dirty
(tests/kafka/cluster.py, TEST_BROKER_CONFIG), so records superseded a second ago are removed while the test
runs and the offsets of `dti.keys`, `dti.scores` and the cells table's changelog have gaps. Then each
reader starts from the beginning of a compacted log and must end up with the same state as before:
- the keys: a new ingest replica accepts the live keys and refuses the revoked one; `dti keys list` agrees;
- the read model and Faust's table recovery: the scoring worker, restarted (memory store: its tables come
  back from their changelogs), has the same totals and folds new events on them;
- the alerts consumer: restarted, it reads `dti.scores` to its end and is ready, with no lag.
"""

from __future__ import annotations

import gc
import subprocess
import time
import warnings

import httpx
from kafka import KafkaConsumer, TopicPartition

from tests.e2e.helpers import ev, eventually
from tests.e2e.server import DTI, ROOT
from tests.kafka.cluster import Service, create_key
from tests.kafka.conftest import Stack

# P.T5.C1 in 2025: a unit and year no other Kafka test reports for (the flow tests use P.T5 in 2026 only)

CELLS = "dti-scoring-cells-changelog"


def gaps(bootstrap: str, topic: str) -> int:
    """How many offsets of the topic hold no record any more (removed by compaction or deleted with their
    segment): end - start - records read, over all partitions. Nothing here writes transaction markers, so
    an uncompacted log has none."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=1000)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        start = consumer.beginning_offsets(tps)
        read = 0
        deadline = time.monotonic() + 10
        while any(consumer.position(tp) < end[tp] for tp in tps) and time.monotonic() < deadline:
            read += sum(len(rs) for rs in consumer.poll(timeout_ms=200).values())
        return sum(end[tp] - start[tp] for tp in tps) - read
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            consumer.close()
            del consumer
            gc.collect()


def test_compacted_topics_are_compacted_and_every_reader_recovers(stack: Stack) -> None:
    env, bootstrap = stack.env, stack.broker.bootstrap
    # three rounds a little over a segment's second apart, each superseding the last: a key created, then
    # revoked, then another; three updates of the same cells and of the same units' scores (A1 of P.T5.C1
    # is 1/2, then 3/4, then 6/6: a score update is sent only when a score changes)
    revoked = create_key(env, "lgsp")
    when = "2025-03-02T10:00:00+07:00"
    rounds = [
        [
            ev("P.T5.C1", "tthc.records_total", 2, when=when, event_id=f"cmp-{i}-t"),
            ev("P.T5.C1", "tthc.records_online", i + 1, when=when, event_id=f"cmp-{i}-o"),
        ]
        for i in range(3)
    ]
    with stack.ingest.client(stack.key) as c:
        for round_, events in enumerate(rounds):
            assert c.post("/v1/events", json={"events": events}).status_code == 202
            if round_ == 1:
                out = subprocess.run(
                    [*DTI, "keys", "revoke", _key_id(revoked)],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                assert out.returncode == 0, out.stderr
            time.sleep(1.2)
    live = create_key(env, "lgsp")
    want = {"tthc.records_total": 6.0, "tthc.records_online": 6.0}
    eventually(lambda: stack.scoring.get("/v1/data", org_unit="P.T5.C1", period="2025")["values"] == want, timeout=30)

    # the cleaner has removed superseded records from every compacted topic whose keys are written again:
    # offsets with no record. (The dedup table's keys are one per batch, never written twice: compaction
    # removes nothing there, and its recovery is shown by the retry below.)
    topics = ("dti.keys", "dti.scores", CELLS)
    found: dict[str, int] = {}

    def compacted() -> bool:
        found.update({t: gaps(bootstrap, t) for t in topics if not found.get(t)})
        return all(found.values())

    try:
        eventually(compacted, timeout=60)
    except AssertionError:
        raise AssertionError(f"offsets without a record, per topic: {found}") from None

    # keys: a new replica reads the compacted keys topic to its end and knows which keys are live
    fresh = Service("ingest", stack.base / "ingest-compacted", env).start()
    try:

        def body() -> dict[str, object]:  # a new event id each time
            return {"events": [ev("P.T5.C1", "tthc.records_total", 1, when=when)]}

        with fresh.client(live) as c:
            assert c.post("/v1/events", json=body()).status_code == 202
        with fresh.client(revoked) as c:
            assert c.post("/v1/events", json=body()).status_code == 401
        with fresh.client(stack.key) as c:
            assert c.post("/v1/events", json=body()).status_code == 202
    finally:
        fresh.stop()
    listed = subprocess.run([*DTI, "keys", "list"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    states = {line.split("\t")[0]: line.split("\t")[3] for line in listed.stdout.splitlines()}
    assert states[_key_id(revoked)].startswith("revoked") and states[_key_id(live)] == "active"

    # the worker: restarted, its tables recover from the compacted changelogs and its read model from the
    # cells changelog; totals unchanged, then the two events just posted are added on top
    stack.scoring.stop()
    stack.scoring.start()
    want = {"tthc.records_total": 8.0, "tthc.records_online": 6.0}
    try:
        eventually(lambda: values(stack) == want, timeout=30)
    except AssertionError:
        raise AssertionError(f"{values(stack)} != {want}: {stack.scoring.get('/v1/worker')}") from None
    # a client's retry of events counted before the restart is recognised (the dedup table recovered)
    with stack.ingest.client(stack.key) as c:
        assert c.post("/v1/events", json={"events": rounds[0]}).status_code == 202
    eventually(lambda: stack.scoring.get("/v1/worker")["duplicates"] >= 2, timeout=30)
    assert values(stack) == want


def values(stack: Stack) -> dict[str, float]:
    got: dict[str, float] = stack.scoring.get("/v1/data", org_unit="P.T5.C1", period="2025")["values"]
    return got

    # the alerts consumer: restarted, it reads the compacted dti.scores to its end and is ready
    stack.alerts.stop()
    stack.alerts.start()
    text = httpx.get(f"{stack.alerts.url}/metrics", timeout=10).text
    assert 'dti_kafka_consumer_lag_messages{topic="dti.scores"} 0.0' in text


def _key_id(key: str) -> str:
    from services.ingest.keys import key_id_of

    kid = key_id_of(key)
    assert kid is not None
    return kid


def test_offsets_without_records_in_dti_events_are_folded_through(stack: Stack) -> None:
    """On Apache Kafka a partition's offsets need not be contiguous even where nothing is compacted: a
    transactional producer's commit markers take an offset each and no consumer sees them. The worker folds
    through such gaps and counts every event once, nothing set aside: where it reads a "hole" itself
    (services/kafka/continuity.py), a marker's offset holds no record to read."""
    import asyncio
    from datetime import datetime

    from aiokafka import AIOKafkaProducer

    from services.kafka.messages import encode_event, partition_for
    from shared.events import AcceptedEvent
    from shared.periods import PROVINCE_TZ

    unit, when = "P.T5.C2", datetime(2025, 5, 2, 10, tzinfo=PROVINCE_TZ)
    partition = partition_for(unit, 4)
    dead_before = stack.scoring.get("/v1/worker")["dead_letters"]

    async def transactional(n: int) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.broker.bootstrap, transactional_id="test-markers")
        await producer.start()
        try:
            for i in range(n):
                ev_ = AcceptedEvent("lgsp", f"txn-{i}", unit, "tthc.records_total", 1.0, when)
                async with producer.transaction():  # one record and one commit marker
                    await producer.send_and_wait(
                        "dti.events", encode_event(ev_, "c"), key=unit.encode(), partition=partition
                    )
        finally:
            await producer.stop()

    asyncio.run(transactional(3))
    with stack.ingest.client(stack.key) as c:  # and an ordinary record after the last marker
        body = {"events": [ev(unit, "tthc.records_total", 2, when=when.isoformat())]}
        assert c.post("/v1/events", json=body).status_code == 202
    eventually(
        lambda: stack.scoring.get("/v1/data", org_unit=unit, period="2025")["values"] == {"tthc.records_total": 5.0},
        timeout=30,
    )
    assert gaps(stack.broker.bootstrap, "dti.events") >= 3  # the markers' offsets hold no record
    assert stack.scoring.get("/v1/worker")["dead_letters"] == dead_before
