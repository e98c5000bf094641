from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition

from services.kafka.messages import partition_for
from tests.e2e.conftest import e2e_rules
from tests.kafka.cluster import KafkaCluster, Service, create_key, kafka_env


@dataclass
class Stack:
    broker: KafkaCluster
    rules: Path
    env: dict[str, str]
    ingest: Service
    scoring: Service
    alerts: Service
    key: str
    base: Path


@pytest.fixture(scope="session")
def stack(kafka: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("dti-kafka")
    broker = kafka
    rules = e2e_rules(base / "rules")
    env = kafka_env(broker, rules, DTI_ALERTS_INTERVAL_SECONDS="1")
    services: list[Service] = []
    try:
        ingest = Service("ingest", base / "ingest", env)
        scoring = Service("scoring", base / "scoring-a", env)
        alerts = Service("alerts", base / "alerts", env)
        services += [ingest, scoring, alerts]
        with ThreadPoolExecutor(len(services)) as pool:  # side by side: three Python start-ups
            for f in [pool.submit(s.start) for s in services]:
                f.result()
        key = create_key(env, "lgsp")
        yield Stack(broker, rules, env, ingest, scoring, alerts, key, base)
    finally:
        for s in services:
            s.stop()


def read_topic(bootstrap: str, topic: str, timeout: float = 3.0) -> list[tuple[bytes | None, Any]]:
    """Everything on a topic, read with kafka-python (a client this project did not write)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=1000)
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        out: list[tuple[bytes | None, Any]] = []
        import time

        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end[tp] for tp in tps) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                out += [(r.key, orjson.loads(r.value) if r.value else None) for r in records]
        return out
    finally:
        _close_quietly(consumer)


def read_events(bootstrap: str, topic: str = "dti.events", timeout: float = 10.0) -> list[dict[str, Any]]:
    """The events on dti.events. A record holds a request's events of units in one partition, keyed by the
    first of them: checked here for every record read."""
    out: list[dict[str, Any]] = []
    for key, value in read_topic(bootstrap, topic, timeout):
        events = value if isinstance(value, list) else [value]
        assert events and events[0]["u"].encode() == key, (key, value)
        assert len({partition_for(e["u"], 4) for e in events}) == 1, value  # the tests' 4 partitions
        out += events
    return out


def _close_quietly(consumer: KafkaConsumer) -> None:
    """kafka-python 3.0 can leave a socket for the garbage collector after close(); collect it here, where its
    ResourceWarning is expected, rather than in whichever later test the collector happens to run in."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        consumer.close()
        del consumer
        gc.collect()


def latest_scores(bootstrap: str, topic: str = "dti.scores") -> dict[str, Any]:
    """The last score update per key (unit|framework|year), as a compacted topic would keep it."""
    latest: dict[str, Any] = {}
    for key, value in read_topic(bootstrap, topic):
        if key is not None:
            latest[key.decode()] = value
    return latest
