"""The broker goes away and comes back: ingest answers 503 with Retry-After within about a second, never
hangs and never answers 202 for what the broker did not acknowledge; afterwards it accepts again and every
acknowledged event is on `dti.events`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import e2e_rules
from tests.e2e.helpers import ev, eventually
from tests.kafka.cluster import Service, Tansu, create_key, kafka_env
from tests.kafka.conftest import read_events


@pytest.fixture(scope="module")
def lone_ingest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Tansu, Service, str]]:
    """A broker and an ingest of their own: pausing the broker must not disturb the other Kafka tests."""
    base: Path = tmp_path_factory.mktemp("dti-broker-down")
    broker = Tansu(base).start()
    env = kafka_env(broker, e2e_rules(base / "rules"))
    ingest = Service("ingest", base / "ingest", env)
    try:
        ingest.start()
        yield broker, ingest, create_key(env, "lgsp")
    finally:
        ingest.stop()
        broker.stop()


def test_ingest_refuses_fast_while_the_broker_hangs_and_loses_nothing(lone_ingest: tuple[Tansu, Service, str]) -> None:
    broker, ingest, key = lone_ingest
    acknowledged: list[str] = []
    with ingest.client(key) as c:
        before = [ev("P.T1.C1", "tthc.records_total", when="2025-04-01T09:00:00+07:00") for _ in range(20)]
        assert c.post("/v1/events", json={"events": before}).status_code == 202
        acknowledged += [e["event_id"] for e in before]

        # SIGSTOP: the broker keeps its sockets open and answers nothing, the hardest case for a client
        # (a stopped Tansu cannot be restarted with its data: it keeps topics in memory only)
        broker.pause()
        try:
            refused = []
            for _ in range(3):
                batch = [ev("P.T1.C2", "tthc.records_total", when="2025-04-01T09:00:00+07:00") for _ in range(10)]
                t0 = time.monotonic()
                r = c.post("/v1/events", json={"events": batch})
                took = time.monotonic() - t0
                assert r.status_code == 503, r.text
                assert r.headers["Retry-After"] == "1"
                assert "retry" in r.json()["detail"]["message_en"]
                assert took < 2.0, f"503 took {took:.2f}s"  # DTI_KAFKA_SEND_TIMEOUT_SECONDS is 1 s
                refused.append(batch)
            metrics = httpx.get(f"{ingest.url}/metrics", timeout=5).text
            assert 'dti_kafka_produce_failures_total{topic="dti.events"} 3.0' in metrics
        finally:
            broker.resume()

        # back: the same refused batches are sent again (a client's retry with the same ids) and accepted
        def accepted_again() -> bool:
            return c.post("/v1/events", json={"events": refused[0]}).status_code == 202

        eventually(accepted_again, timeout=30)
        for batch in refused:
            r = c.post("/v1/events", json={"events": batch})
            assert r.status_code == 202
            acknowledged += [e["event_id"] for e in batch]
        after = [ev("P.T1.C1", "tthc.records_online", when="2025-04-01T09:00:00+07:00") for _ in range(20)]
        assert c.post("/v1/events", json={"events": after}).status_code == 202
        acknowledged += [e["event_id"] for e in after]

    on_topic = {e["id"] for e in read_events(broker.bootstrap)}
    assert set(acknowledged) <= on_topic  # every 202 is on the topic (a refused send may be there too)


def test_ingest_without_a_broker_is_not_ready_and_refuses(tmp_path: Path) -> None:
    """Started while no broker listens: /readyz says 503 and events get a 503 at once, not a hang."""
    ghost = Tansu(tmp_path)  # a free port, never started
    env = kafka_env(ghost, e2e_rules(tmp_path / "rules"))
    ingest = Service("ingest", tmp_path / "ingest", env)
    ingest.data_dir.mkdir(parents=True)
    import subprocess

    from tests.e2e.server import DTI, ROOT

    with ingest.log_path.open("ab") as log:
        ingest.proc = subprocess.Popen(
            [*DTI, "ingest", "--port", str(ingest.port), "--data-dir", str(ingest.data_dir)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        eventually(lambda: _status(ingest, "/healthz") == 200, timeout=30)
        assert _status(ingest, "/readyz") == 503
        t0 = time.monotonic()
        r = httpx.post(
            f"{ingest.url}/v1/events",
            headers={"Authorization": "Bearer dti_00000000_nokey"},
            json=ev("P.T1.C1", "tthc.records_total"),
            timeout=10,
        )
        # no broker, so no keys topic either: the key cannot be checked, and the answer comes at once
        assert r.status_code in (401, 503) and time.monotonic() - t0 < 2.0
    finally:
        ingest.stop()


def _status(svc: Service, path: str) -> int:
    try:
        return httpx.get(svc.url + path, timeout=1).status_code
    except httpx.HTTPError:
        return 0
