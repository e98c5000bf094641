"""Real processes for the Kafka-mode tests: Apache Kafka (KRaft) and the `dti ingest|scoring|alerts` services.

The broker is Apache Kafka itself, from Maven Central (deploy/kafka/pom.xml, installed by scripts/kafka-dist
into a cache folder), run with `java -cp 'libs/*'`: each node a combined broker and controller, its storage
formatted in a temporary folder. A test session starts one single-node cluster for all Kafka tests and one
three-node cluster for the replication test; the JVMs of a cluster start side by side.

Test-only settings (`TEST_BROKER_CONFIG`): small segments and an eager log cleaner, so compacted topics are
really compacted while a test runs and every reader of one meets gaps in its offsets.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.server import DTI, ROOT, free_port

KAFKA_POM = ROOT / "deploy" / "kafka" / "pom.xml"
KAFKA_VERSION = re.search(r"<kafka.version>(.+?)</kafka.version>", KAFKA_POM.read_text()).group(1)  # type: ignore[union-attr]
JAVA = os.environ.get("DTI_JAVA", "java")

# Applied to every test broker. Compaction needs a closed segment: roll one every second (or 1 MB), clean
# as soon as 1% of a log is dirty, and look every 200 ms. Production keeps Kafka's defaults.
TEST_BROKER_CONFIG: dict[str, str] = {
    "log.segment.bytes": str(1024 * 1024),  # the least Kafka 4 accepts
    "log.roll.ms": "1000",
    "log.cleaner.min.cleanable.ratio": "0.01",
    "log.cleaner.backoff.ms": "200",
    "log.cleaner.min.compaction.lag.ms": "0",
    "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
    "log.cleaner.threads": "1",
    "log.segment.delete.delay.ms": "1000",
    "log.retention.check.interval.ms": "1000",
    "group.initial.rebalance.delay.ms": "0",
    # as a production cluster should be: a topic appears only as its creator specified it (a consumer's
    # metadata request would otherwise create dti.scores with the default policy, delete, not compact)
    "auto.create.topics.enable": "false",
    "num.partitions": "4",
    "num.network.threads": "2",
    "num.io.threads": "2",
    "num.recovery.threads.per.data.dir": "1",
    "log.flush.interval.messages": str(2**62),
}


def kafka_libs() -> Path:
    """The folder of Kafka's jars (scripts/kafka-dist installs them on first use; instant afterwards)."""
    out = subprocess.run(
        [str(ROOT / "scripts" / "kafka-dist")], capture_output=True, text=True, timeout=600, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"scripts/kafka-dist failed:\n{out.stderr[-3000:]}")
    return Path(out.stdout.strip().splitlines()[-1])


def java_cmd(libs: Path, main: str, *args: str, heap: str = "256m", for_tests: bool = True) -> list[str]:
    """A JVM for Kafka's classes. For tests: the serial collector (two cores shared by everything) and the
    first JIT tier only (starts fast; tests measure nothing). For the benchmark: the JVM's defaults, as
    Kafka's own scripts run it."""
    tuning = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"] if for_tests else ["-XX:+UseG1GC"]
    return [
        JAVA,
        f"-Xmx{heap}",
        f"-Xms{heap}",
        *tuning,
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={ROOT / 'deploy' / 'kafka' / 'log4j2.properties'}",
        "-cp",
        f"{libs}/*",
        main,
        *args,
    ]


class KafkaNode:
    """One Kafka process: broker and controller in one (KRaft combined mode)."""

    def __init__(self, cluster: KafkaCluster, node_id: int) -> None:
        self.cluster = cluster
        self.node_id = node_id
        self.port = free_port()
        self.controller_port = free_port()
        self.dir = cluster.base / f"node-{node_id}"
        self.data = self.dir / "data"
        self.config = self.dir / "server.properties"
        self.log_path = cluster.base / f"kafka-{node_id}-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def write_config(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        c = self.cluster
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in c.nodes)
        rf = min(3, len(c.nodes))
        props = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data),
            "offsets.topic.replication.factor": str(rf),
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.replication.factor": str(rf),
            "transaction.state.log.min.isr": str(min(2, rf)),
            "default.replication.factor": str(rf),
            "min.insync.replicas": str(min(2, rf)),
            **(TEST_BROKER_CONFIG if c.for_tests else {"num.partitions": "4"}),
            **c.overrides,
        }
        self.config.write_text("".join(f"{k}={v}\n" for k, v in props.items()))

    def format(self) -> subprocess.Popen[bytes]:
        self.write_config()
        return subprocess.Popen(
            java_cmd(
                self.cluster.libs,
                "kafka.tools.StorageTool",
                "format",
                "--cluster-id",
                self.cluster.cluster_id,
                "--config",
                str(self.config),
                heap="128m",
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def start(self) -> None:
        c = self.cluster
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                java_cmd(
                    self.cluster.libs, "kafka.Kafka", str(self.config), heap=self.cluster.heap, for_tests=c.for_tests
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no controlled shutdown, no flush; the node's data stays on disk for a restart."""
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(timeout=20)

    def pause(self) -> None:
        """SIGSTOP: the node hangs with its connections open — the worst case for a client."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""


def new_cluster_id() -> str:
    """A KRaft cluster id as Kafka's own `Uuid.randomUuid` makes them: never starting with "-", which
    `kafka-storage format --cluster-id` would read as an option (1 id in 64 did, and the session's broker
    failed to format)."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


class KafkaCluster:
    """Apache Kafka in KRaft mode: `nodes` combined broker+controller processes on this host. `for_tests`
    False (the benchmark): Kafka's own broker defaults and JVM settings instead of the test settings."""

    def __init__(
        self, base: Path, nodes: int = 1, heap: str = "384m", for_tests: bool = True, **overrides: str
    ) -> None:
        self.for_tests = for_tests
        self.base = base
        self.base.mkdir(parents=True, exist_ok=True)
        self.libs = kafka_libs()
        self.heap = heap
        self.overrides = {k.replace("_", "."): v for k, v in overrides.items()}
        self.cluster_id = new_cluster_id()
        self.nodes: list[KafkaNode] = []
        self.nodes = [KafkaNode(self, i + 1) for i in range(nodes)]

    @property
    def bootstrap(self) -> str:
        return ",".join(n.address for n in self.nodes)

    def start(self, timeout: float = 90.0) -> KafkaCluster:
        formats = [n.format() for n in self.nodes]  # side by side: each is a JVM start
        for n, f in zip(self.nodes, formats, strict=True):
            out, _ = f.communicate(timeout=120)
            if f.returncode != 0:
                raise RuntimeError(f"kafka storage format of node {n.node_id} failed:\n{out.decode()[-3000:]}")
        for n in self.nodes:
            n.start()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 90.0, nodes: list[KafkaNode] | None = None) -> None:
        """Until every (given) node listens and the cluster reports them all as brokers."""
        deadline = time.monotonic() + timeout
        want = nodes or self.nodes
        while time.monotonic() < deadline:
            for n in want:
                if not n.alive():
                    raise RuntimeError(f"kafka node {n.node_id} exited:\n{n.tail()}")
            if all(n.listening() for n in want) and self.broker_ids() >= {n.node_id for n in self.nodes if n.alive()}:
                return
            time.sleep(0.2)
        raise RuntimeError(f"kafka not ready after {timeout}s:\n" + "\n".join(n.tail() for n in want))

    def broker_ids(self) -> set[int]:
        import asyncio

        from aiokafka.admin import AIOKafkaAdminClient

        async def ask() -> set[int]:
            alive = [n.address for n in self.nodes if n.alive()]
            admin = AIOKafkaAdminClient(bootstrap_servers=alive, request_timeout_ms=3000)
            try:
                await admin.start()
                cluster = await admin.describe_cluster()
                return {int(b["node_id"]) for b in cluster["brokers"]}
            finally:
                await admin.close()

        try:
            return asyncio.run(ask())
        except Exception:
            return set()

    def node(self, node_id: int) -> KafkaNode:
        return next(n for n in self.nodes if n.node_id == node_id)

    def restart(self, node: KafkaNode, timeout: float = 90.0) -> None:
        """Start a killed node again on its data."""
        node.start()
        self.wait_ready(timeout, [node])

    def stop(self) -> None:
        for n in self.nodes:
            if n.alive():
                assert n.proc is not None
                n.proc.send_signal(signal.SIGCONT)
                n.proc.terminate()
        for n in self.nodes:
            if n.proc is not None:
                try:
                    n.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    n.proc.kill()
                    n.proc.wait(timeout=10)

    # the single-node cluster's node, as the tests that stop "the broker" name it
    def pause(self) -> None:
        self.nodes[0].pause()

    def resume(self) -> None:
        self.nodes[0].resume()


def kafka_env(broker: KafkaCluster, rules: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DTI_KAFKA_BROKERS": broker.bootstrap,
        "DTI_KAFKA_PARTITIONS": "4",
        "DTI_RULES": str(rules),
        "DTI_ADMIN_TOKEN": "test-admin-token",
        "DTI_LOG_LEVEL": "INFO",
        # a killed worker gives its partitions back after this (Faust's default is 60 s)
        "DTI_SCORING_SESSION_TIMEOUT_SECONDS": "6",
        **extra,
    }


class Service:
    """One `dti ingest|scoring|alerts` process."""

    def __init__(self, command: str, data_dir: Path, env: dict[str, str]) -> None:
        self.command = command
        self.data_dir = data_dir
        self.env = env
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{command}-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> Service:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [*DTI, self.command, "--port", str(self.port), "--data-dir", str(self.data_dir)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 90.0) -> Service:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"dti {self.command} exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"dti {self.command} not ready after {timeout}s:\n{self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def get(self, path: str, **params: Any) -> Any:
        r = httpx.get(self.url + path, params=params, timeout=30.0)
        r.raise_for_status()
        return r.json()

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0)


def create_key(env: dict[str, str], source: str) -> str:
    out = subprocess.run(
        [*DTI, "keys", "create", "--source", source], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]
