"""The broker goes away and comes back: ingest answers 503 with Retry-After within about a second, never
hangs and never answers 202 for what the broker did not acknowledge, and `/readyz` says 503 meanwhile;
afterwards it accepts again and every acknowledged event is on `dti.events`.

Two ways a broker goes away, both on the session's shared broker (the other Kafka services ride them out):
killed (SIGKILL, then restarted on its data: connections refused, then back) and hung (SIGSTOP: its
sockets stay open and nothing answers, the hardest case for a client)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import e2e_rules
from tests.e2e.helpers import ev, eventually
from tests.e2e.server import DTI, ROOT
from tests.kafka.cluster import KafkaCluster, Service, create_key, kafka_env
from tests.kafka.conftest import read_events


@pytest.fixture(scope="module")
def lone_ingest(kafka: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, str]]:
    """An ingest of its own on the shared broker."""
    base: Path = tmp_path_factory.mktemp("dti-broker-down")
    env = kafka_env(kafka, e2e_rules(base / "rules"))
    ingest = Service("ingest", base / "ingest", env)
    try:
        ingest.start()
        yield ingest, create_key(env, "lgsp")
    finally:
        ingest.stop()


def _outage(
    kafka: KafkaCluster, ingest: Service, key: str, go_away: Callable[[], None], come_back: Callable[[], None]
) -> None:
    acknowledged: list[str] = []
    with ingest.client(key) as c:
        before = [ev("P.T1.C1", "tthc.records_total", when="2025-04-01T09:00:00+07:00") for _ in range(20)]
        assert c.post("/v1/events", json={"events": before}).status_code == 202
        acknowledged += [e["event_id"] for e in before]
        failures_before = _failures(ingest)

        go_away()
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
            assert _failures(ingest) == failures_before + 3
            # and a load balancer asking /readyz is told to send elsewhere
            eventually(lambda: _status(ingest, "/readyz") == 503, timeout=10)
        finally:
            come_back()

        # back: the same refused batches are sent again (a client's retry with the same ids) and accepted
        def accepted_again() -> bool:
            return c.post("/v1/events", json={"events": refused[0]}).status_code == 202

        eventually(accepted_again, timeout=60)
        eventually(lambda: _status(ingest, "/readyz") == 200, timeout=10)
        for batch in refused:
            r = c.post("/v1/events", json={"events": batch})
            assert r.status_code == 202
            acknowledged += [e["event_id"] for e in batch]
        after = [ev("P.T1.C1", "tthc.records_online", when="2025-04-01T09:00:00+07:00") for _ in range(20)]
        assert c.post("/v1/events", json={"events": after}).status_code == 202
        acknowledged += [e["event_id"] for e in after]

    on_topic = {e["id"] for e in read_events(kafka.bootstrap)}
    assert set(acknowledged) <= on_topic  # every 202 is on the topic (a refused send may be there too)


def test_broker_killed_and_restarted_on_its_data(kafka: KafkaCluster, lone_ingest: tuple[Service, str]) -> None:
    ingest, key = lone_ingest
    node = kafka.nodes[0]
    _outage(kafka, ingest, key, node.kill, lambda: kafka.restart(node))


def test_broker_hangs(kafka: KafkaCluster, lone_ingest: tuple[Service, str]) -> None:
    ingest, key = lone_ingest
    _outage(kafka, ingest, key, kafka.pause, kafka.resume)


def test_ingest_without_a_broker_is_not_ready_and_refuses(tmp_path: Path) -> None:
    """Started while no broker listens: /readyz says 503 and events get a 503 at once, not a hang."""
    env = kafka_env(_NoBroker(), e2e_rules(tmp_path / "rules"))  # type: ignore[arg-type]
    ingest = Service("ingest", tmp_path / "ingest", env)
    ingest.data_dir.mkdir(parents=True)
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


@pytest.mark.parametrize("where", ["absent", "hung"])
def test_keys_create_without_a_broker_says_so_in_one_line(where: str, tmp_path: Path) -> None:
    """`dti keys create` against a port nobody listens on, or a listener that never answers (a hung broker):
    one line in Vietnamese and English, exit status 1, no traceback, within the CLI's bound."""
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        if where == "hung":
            listener.listen()  # accepts connections (the kernel does) and never says a word
        else:
            listener.close()
        env = kafka_env(_NoBroker(port), e2e_rules(tmp_path / "rules"))  # type: ignore[arg-type]
        out = subprocess.run(
            [*DTI, "keys", "create", "--source", "lgsp"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60
        )
    assert out.returncode == 1, out
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "không kết nối được Kafka" in lines[0] and f"Kafka at 127.0.0.1:{port} did not answer" in lines[0], lines
    assert out.stdout == ""  # no key printed: none was stored


class _NoBroker:
    def __init__(self, port: int | None = None) -> None:
        from tests.e2e.server import free_port

        self.bootstrap = f"127.0.0.1:{port or free_port()}"


def _failures(svc: Service) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(svc.url + "/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        if family.name == "dti_kafka_produce_failures":
            samples = family.samples
            return sum(s.value for s in samples if s.name.endswith("_total") and s.labels["topic"] == "dti.events")
    return 0.0


def _status(svc: Service, path: str) -> int:
    try:
        return httpx.get(svc.url + path, timeout=1).status_code
    except httpx.HTTPError:
        return 0
