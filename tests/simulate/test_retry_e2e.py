"""Nothing is lost when the server answers 503, drops connections, or stores a batch but the answer is lost:
`dti simulate` retries with backoff, and the event ids make the resent batches duplicates, counted as such.

A small proxy in front of a real `dti up` misbehaves on a fixed schedule. Batches, in the order it first sees
them, take turns at four schedules; each attempt at a batch gets the next step of its schedule:
  - forwarded at once;
  - 503 with Retry-After: 0 (nothing forwarded), then forwarded;
  - "lost ack": forwarded (the server stores the batch) but answered 503 anyway, then forwarded again;
  - the connection closed without an answer, a 503, a lost ack, then forwarded.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from shared.rules.loader import load_ruleset
from tests.e2e.helpers import eventually
from tests.e2e.server import DtiServer, dti, free_port

pytestmark = pytest.mark.e2e


SCHEDULES = (
    ("forward",),
    ("503", "forward"),
    ("lost ack", "forward"),
    ("drop", "503", "lost ack", "forward"),
)


class Flaky(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", free_port()), Handler)
        self.upstream = httpx.Client(base_url=upstream, timeout=30.0)
        self.lock = threading.Lock()
        self.batches: dict[str, list[int]] = {}  # first event id -> [schedule, attempts so far]
        self.steps: Counter[str] = Counter()
        self.lost_ack: dict[tuple[str, ...], int] = {}  # batches stored but answered 503: ids -> size

    def step(self, ids: tuple[str, ...]) -> str:
        with self.lock:
            state = self.batches.setdefault(ids[0], [len(self.batches) % len(SCHEDULES), 0])
            schedule = SCHEDULES[state[0]]
            step = schedule[min(state[1], len(schedule) - 1)]
            state[1] += 1
            self.steps[step] += 1
            if step == "lost ack":
                self.lost_ack[ids] = len(ids)
            return step


class Handler(BaseHTTPRequestHandler):
    server: Flaky
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _forward(self, method: str, body: bytes | None) -> httpx.Response:
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
        return self.server.upstream.request(method, self.path, content=body, headers=headers)

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        r = self._forward("GET", None)
        self._answer(r.status_code, r.content)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/v1/events":
            r = self._forward("POST", body)
            self._answer(r.status_code, r.content)
            return
        step = self.server.step(tuple(e["event_id"] for e in orjson.loads(body)["events"]))
        if step == "503":
            self._answer(503, b'{"message": "unavailable"}', {"Retry-After": "0"})
        elif step == "lost ack":
            r = self._forward("POST", body)
            assert r.status_code == 202, r.text
            self._answer(503, b'{"message": "unavailable"}')
        elif step == "forward":
            r = self._forward("POST", body)
            self._answer(r.status_code, r.content)
        else:
            self.close_connection = True  # no answer at all: the client sees the connection closed


@pytest.fixture
def flaky(province_server: DtiServer) -> Iterator[Flaky]:
    proxy = Flaky(province_server.url)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()
    proxy.upstream.close()


def summary_figure(out: str, what: str) -> int:
    line = next(line for line in out.splitlines() if line.startswith("events: "))
    m = re.search(rf"{what} ([\d,]+)", line)
    assert m, out
    return int(m.group(1).replace(",", ""))


def test_retries_lose_nothing_and_count_duplicates(province_server: DtiServer, flaky: Flaky, tmp_path: Path) -> None:
    srv = province_server
    rec = tmp_path / "flaky.jsonl"
    url = f"http://127.0.0.1:{flaky.server_address[1]}"
    run = dti(
        "simulate", "--url", url, "--data-dir", str(srv.data_dir), "--rules", str(srv.rules),
        "--year", "2023", "--seed", "5", "--rate", "400", "--duration", "4", "--batch-size", "100",
        "--record", str(rec), "--no-progress",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    events = [orjson.loads(line) for line in rec.read_bytes().splitlines()]
    assert len(flaky.batches) >= 8 and flaky.steps["drop"], flaky.steps

    # every event delivered once: the batches whose answer was lost were stored the first time, so their
    # resending came back as duplicates; the others were accepted
    lost = sum(flaky.lost_ack.values())
    assert lost > 0
    assert summary_figure(run.stdout, "duplicates") == lost
    assert summary_figure(run.stdout, "accepted") == len(events) - lost
    assert summary_figure(run.stdout, "rejected") == 0
    assert summary_figure(run.stdout, "not delivered") == 0
    assert summary_figure(run.stdout, "retries") == sum(flaky.steps[m] for m in ("503", "lost ack", "drop"))

    # and the server's totals for the year are exactly the recorded events'
    rules = load_ruleset(srv.rules)
    sums: Counter[str] = Counter()
    for e in events:
        if rules.catalog.metrics[e["metric"]].type == "counter":
            sums[e["metric"]] += e["value"]
    values = eventually(lambda: srv.get("/v1/data", org_unit="LC", period="2023")["values"])
    assert {m: values.get(m) for m in sums} == dict(sums)
