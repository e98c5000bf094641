"""SIGKILL `dti up` while a client posts batches; after each restart the totals equal exactly the events
that got a 202 — nothing acknowledged is lost, nothing is counted twice."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import e2e_rules
from tests.e2e.helpers import data, eventually
from tests.e2e.server import DtiServer

UNITS = ["P.D1.C1", "P.D1.C2", "P.D2.C1", "P.D2", "P.T1.C1", "P.T2.C2"]


class Poster(threading.Thread):
    """Posts batches of counter events until stopped; remembers which events were acknowledged."""

    def __init__(self, url: str, key: str, seed: int, start_id: int) -> None:
        super().__init__(daemon=True)
        self.url, self.key, self.rng = url, key, random.Random(seed)
        self.next_id = start_id
        self.acked: dict[str, tuple[str, float]] = {}
        self.in_flight: list[dict[str, object]] | None = None
        self.stop_flag = threading.Event()

    def batch(self) -> list[dict[str, object]]:
        out = []
        for _ in range(self.rng.randint(1, 60)):
            self.next_id += 1
            out.append(
                {
                    "event_id": f"crash-{self.next_id}",
                    "source": "lgsp",
                    "org_unit": self.rng.choice(UNITS),
                    "metric": "tthc.records_total",
                    "value": float(self.rng.randint(1, 3)),
                    "occurred_at": "2025-05-05T10:00:00+07:00",
                }
            )
        return out

    def run(self) -> None:
        with httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=10) as c:
            while not self.stop_flag.is_set():
                self.in_flight = self.batch()
                try:
                    r = c.post("/v1/events", json={"events": self.in_flight})
                except httpx.HTTPError:
                    return  # the server died mid-request: the batch stays in flight, to be retried
                assert r.status_code == 202, r.text
                self.acked.update(_ids(self.in_flight))
                self.in_flight = None


def _ids(batch: list[dict[str, object]]) -> dict[str, tuple[str, float]]:
    return {str(e["event_id"]): (str(e["org_unit"]), float(e["value"])) for e in batch}  # type: ignore[arg-type]


@pytest.fixture
def crash_server(tmp_path: Path) -> DtiServer:
    rules = e2e_rules(tmp_path / "rules")
    # frequent snapshots so kills land before, during and after them
    return DtiServer(tmp_path / "data", rules, env={"DTI_SNAPSHOT_INTERVAL_SECONDS": "0.3"})


def test_sigkill_at_random_moments_loses_and_doubles_nothing(crash_server: DtiServer) -> None:
    rng = random.Random(20251)
    srv = crash_server.start()
    key = srv.key("lgsp")
    acked: dict[str, tuple[str, float]] = {}
    next_id = 0
    try:
        for round_ in range(4):
            poster = Poster(srv.url, key, seed=round_, start_id=next_id)
            poster.start()
            time.sleep(rng.uniform(0.3, 2.0))
            srv.kill()
            poster.stop_flag.set()
            poster.join(timeout=15)
            acked.update(poster.acked)
            next_id = poster.next_id
            srv.start()
            # the client retries what it never got an answer for: same event ids, so no double count
            if poster.in_flight:
                with srv.client(key) as c:
                    r = c.post("/v1/events", json={"events": poster.in_flight})
                assert r.status_code == 202
                acked.update(_ids(poster.in_flight))
            expected = sum(v for _unit, v in acked.values())
            assert len(acked) > 0
            eventually(lambda e=expected: data(srv, "P", "2025").get("tthc.records_total") == e, timeout=20)
            # per district too: its communes' events and its own, rolled up
            for district in ("P.D1", "P.D2"):
                want = sum(v for unit, v in acked.values() if unit == district or unit.startswith(district + "."))
                assert data(srv, district, "2025").get("tthc.records_total", 0.0) == want
    finally:
        srv.stop()
