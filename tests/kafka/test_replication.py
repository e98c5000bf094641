"""A three-node Apache Kafka cluster (replication 3, min.insync.replicas 2) loses the leader of a
`dti.events` partition while ingest is posting: a new leader is elected from the in-sync replicas, every
event a client got a 202 for is on the topic and counted once, and a client that got a 503 meanwhile and
retried (the same event ids, as Retry-After says) is counted once too."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.e2e.conftest import e2e_rules
from tests.e2e.helpers import eventually
from tests.kafka.cluster import KafkaCluster, Service, create_key, kafka_env
from tests.kafka.conftest import read_events
from tests.kafka.test_scaling_workers import agree, recompute, wave


@dataclass
class Replicated:
    cluster: KafkaCluster
    rules: Path
    ingest: Service
    scoring: Service
    key: str


@pytest.fixture(scope="module")
def replicated(kafka3: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicated]:
    base = tmp_path_factory.mktemp("dti-replicated")
    rules = e2e_rules(base / "rules")
    env = kafka_env(kafka3, rules, DTI_KAFKA_REPLICATION="3")
    ingest, scoring = Service("ingest", base / "ingest", env), Service("scoring", base / "scoring", env)
    try:
        with ThreadPoolExecutor(2) as pool:
            for f in [pool.submit(s.start) for s in (ingest, scoring)]:
                f.result()
        yield Replicated(kafka3, rules, ingest, scoring, create_key(env, "lgsp"))
    finally:
        ingest.stop()
        scoring.stop()


def describe(bootstrap: str, topic: str) -> dict[int, dict[str, Any]]:
    """partition -> {leader, replicas, isr}, as the cluster reports them now."""

    async def ask() -> dict[int, dict[str, Any]]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        await admin.start()
        try:
            (t,) = await admin.describe_topics([topic])
            return {p["partition"]: p for p in t["partitions"]}
        finally:
            await admin.close()

    return asyncio.run(ask())


class RetryingClient:
    """Posts a wave in requests of 20 from a thread, as a well-behaved client does: a 503 is retried after
    its Retry-After with the same events (the same ids), until accepted."""

    def __init__(self, svc: Service, key: str, events: list[dict[str, Any]]) -> None:
        self.svc, self.key, self.events = svc, key, events
        self.accepted: list[dict[str, Any]] = []
        self.refusals = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.svc.client(self.key) as c:
            for i in range(0, len(self.events), 20):
                chunk = self.events[i : i + 20]
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline:
                    r = c.post("/v1/events", json={"events": chunk})
                    if r.status_code == 202:
                        self.accepted += chunk
                        break
                    assert r.status_code == 503 and r.headers["Retry-After"] == "1", r.text
                    self.refusals += 1
                    time.sleep(float(r.headers["Retry-After"]))
                time.sleep(0.02)


def test_leader_of_an_events_partition_lost_under_load(replicated: Replicated) -> None:
    cluster, ingest = replicated.cluster, replicated.ingest
    before = describe(cluster.bootstrap, "dti.events")
    assert len(before) == 4 and all(len(p["replicas"]) == 3 and len(p["isr"]) == 3 for p in before.values())
    leader = cluster.node(before[0]["leader"])

    events = wave(random.Random(21), "r1", 500)  # 1,000 events, 50 requests
    client = RetryingClient(ingest, replicated.key, events)
    client.thread.start()
    eventually(lambda: len(client.accepted) >= 300, timeout=60)
    leader.kill()  # SIGKILL: no controlled shutdown, leadership moves when its session with the controller ends
    client.thread.join(timeout=240)
    assert not client.thread.is_alive() and len(client.accepted) == len(events)

    survivors = ",".join(n.address for n in cluster.nodes if n.alive())
    after = describe(survivors, "dti.events")
    assert after[0]["leader"] != leader.node_id and after[0]["leader"] in {n.node_id for n in cluster.nodes}
    # every acknowledged event is on the topic, read from the surviving replicas
    on_topic = {e["id"] for e in read_events(survivors)}
    assert {e["event_id"] for e in events} <= on_topic
    # and counted exactly once by the worker, whatever it met meanwhile (its coordinator or its changelogs'
    # leaders may have been on the lost node too)
    stack_like = type("S", (), {"rules": replicated.rules})()
    agree([replicated.scoring], recompute(stack_like, events), (0.0, 0.0))  # type: ignore[arg-type]
