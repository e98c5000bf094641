"""The naive Faust agent `bench_kafka` measures `dti scoring` against: one table update and one send per event.

This is how a Faust aggregation is usually first written (the faust-streaming README's word count):
iterate the stream, add each event's value to a changelog-backed table, send a message per event. Each
event then costs a changelog write and an output record; nothing is batched or coalesced. It reads the
same `dti.events` records as `dti scoring` (a unit's events of one request per record).

Run as its own process: `python -m benchmarks.naive_faust BROKER IN_TOPICS OUT_TOPIC PARTITIONS [COUNT]`
(IN_TOPICS comma-separated). It prints one JSON line when it is ready (partitions assigned), one when its
first event is processed and, with COUNT, one when COUNT events are (wall-clock times, so the parent can
compute the rate); it runs until stopped.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

import faust
import orjson
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.kafka.faust_app import bound_fetch_wait


async def main(broker: str, in_topics: str, out_topic: str, partitions: int, count: int | None) -> None:
    # the same fetch wait as `dti scoring` (Faust fixes 1.5 s, and aiokafka's fetcher waits behind such a
    # fetch: docs/kafka-mode.md): the comparison is then between the agents, not their fetch settings
    bound_fetch_wait(100)
    app = faust.App(
        f"bench-naive-{os.getpid()}",
        broker=f"kafka://{broker}",
        store="memory://",
        web_enabled=False,
        topic_partitions=partitions,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_session_timeout=80,  # stopped while other passes run (bench_kafka): not evicted meanwhile
        broker_rebalance_timeout=80,
        broker_heartbeat_interval=3,
    )
    source = app.topic(
        *in_topics.split(","), key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    out = app.topic(out_topic, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    totals = app.Table("totals", default=float, partitions=partitions)
    processed = 0
    # its changelog topic before the app joins its group, as `dti scoring` does for its tables
    # (ScoringFaust.changelog_specs): created by Faust as the app starts, it could miss the group leader's
    # first metadata (once the agent logged it missing and was not ready 120 s later in `dti bench --quick`)
    admin = AIOKafkaAdminClient(bootstrap_servers=broker)
    await admin.start()
    try:
        name = totals.changelog_topic.get_topic_name()
        if name not in set(await admin.list_topics()):
            await admin.create_topics([NewTopic(name, partitions, 1, topic_configs={"cleanup.policy": "compact"})])
    finally:
        await admin.close()

    async def aggregate(stream: Any) -> None:
        nonlocal processed
        async for event in stream.events():
            record = orjson.loads(event.value)  # a unit's events of one request (services/kafka/messages.py)
            for d in record if isinstance(record, list) else [record]:
                totals[f"{d['m']}|{d['u']}"] += d["v"]  # one changelog write per event
                await out.send(key=event.key, value=orjson.dumps(d))  # one output record per event
                processed += 1
                if processed == 1:
                    _say(first=time.time())
                if count is not None and processed == count:
                    _say(done=time.time(), processed=processed)

    app.agent(source, name="naive", concurrency=1)(aggregate)
    await app.start()  # returns once its partitions are assigned and its table recovered
    _say(ready=time.time())
    try:
        await asyncio.Event().wait()  # until SIGTERM
    finally:
        await app.stop()


def _say(**fields: Any) -> None:
    sys.stdout.write(orjson.dumps(fields).decode() + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    broker, in_topics, out_topic, parts = sys.argv[1:5]
    n = int(sys.argv[5]) if len(sys.argv) > 5 else None
    asyncio.run(main(broker, in_topics, out_topic, int(parts), n))
