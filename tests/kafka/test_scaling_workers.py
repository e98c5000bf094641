"""Two scoring workers on Apache Kafka share the partitions and give the same totals as a from-scratch
recomputation, through the faults a group meets in production, each under load (events posted while it
happens) and each ending with exact totals (every acknowledged event counted once, none lost):

- one of two live workers killed with SIGKILL: the other takes its partitions after the session timeout;
  restarted, it rejoins with its static member id and its tables come back from their changelogs;
- a hung worker (SIGSTOP): evicted after its session timeout, its partitions taken over, and fenced when it
  resumes (its member id is gone; it rejoins as a new generation);
- a static member restarted within its session timeout gets its partitions back without a rebalance."""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
import pytest

from shared.periods import parse_period
from shared.rules.loader import load_ruleset, resolve_manifest
from shared.scoring.engine import MetricEvent, ScoringEngine
from tests.e2e.helpers import eventually
from tests.kafka.cluster import Service
from tests.kafka.conftest import Stack, latest_scores

# units only this module reports for in 2025 (the flow tests use P.T2..P.T5)
UNITS = ["P.D1", "P.D1.C1", "P.D1.C2", "P.D2.C1", "P.T6.C1", "P.T6.C2", "P.T7", "P.T7.C1", "P.T8.C2"]
DISTRICTS = ["P.D1", "P.D2", "P.T6", "P.T7", "P.T8"]


def wave(rng: random.Random, tag: str, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        unit = rng.choice(UNITS)
        month = rng.randint(1, 10)
        total = rng.randint(1, 5)
        when = f"2025-{month:02d}-{rng.randint(1, 28):02d}T09:00:00+07:00"
        out.append(_ev(f"{tag}-{i}-t", unit, "tthc.records_total", total, when))
        out.append(_ev(f"{tag}-{i}-o", unit, "tthc.records_online", rng.randint(0, total), when))
    return out


def _ev(event_id: str, unit: str, metric: str, value: float, when: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "source": "lgsp",
        "org_unit": unit,
        "metric": metric,
        "value": value,
        "occurred_at": when,
    }


def post(svc: Service, key: str, events: list[dict[str, Any]]) -> None:
    with svc.client(key) as c:
        for i in range(0, len(events), 200):
            r = c.post("/v1/events", json={"events": events[i : i + 200]})
            assert r.status_code == 202, r.text


def recompute(stack: Stack, events: list[dict[str, Any]]) -> ScoringEngine:
    engine = ScoringEngine(load_ruleset(resolve_manifest(stack.rules)))
    engine.apply_many(
        [
            MetricEvent(e["metric"], e["org_unit"], float(e["value"]), datetime.fromisoformat(e["occurred_at"]))
            for e in events
        ]
    )
    return engine


def a1(svc: Service, unit: str) -> Any:
    tree = svc.get("/v1/scores", org_unit=unit, period="2025", framework="mini")
    return next(i for m in tree["main_indicators"] for i in m["indicators"] if i["code"] == "A1")["value"]


def mismatches(svc: Service, expected: ScoringEngine, flow_extra: tuple[float, float]) -> list[str]:
    """Where the worker's raw sums differ from the recomputation (empty when they agree everywhere)."""
    store, idx = expected.store, expected.tree.by_code
    out = []
    metrics = ("tthc.records_total", "tthc.records_online")
    for unit in [*UNITS, *DISTRICTS, "P"]:
        got = svc.get("/v1/data", org_unit=unit, period="2025")["values"]
        want = {m: store.value(m, idx[unit], 2025, 4) for m in metrics}
        if unit == "P":
            want = {m: (v or 0.0) + extra for (m, v), extra in zip(want.items(), flow_extra, strict=True)}
        if {m: got.get(m) for m in metrics} != want:
            out.append(f"{svc.port} {unit}: got {got} want {want}")
    return out


def _on_topic(svc: Service) -> list[str]:
    """What dti.events holds for the units (diagnostics when the totals differ)."""
    from tests.kafka.conftest import read_events

    env = svc.env
    sums: dict[str, float] = {}
    ids: dict[str, int] = {}
    for v in read_events(env["DTI_KAFKA_BROKERS"]):
        if v["m"] == "tthc.records_total" and v["u"] in UNITS:
            ids[v["id"]] = ids.get(v["id"], 0) + 1
            if ids[v["id"]] == 1:
                sums[v["u"]] = sums.get(v["u"], 0) + v["v"]
    again = sum(1 for n in ids.values() if n > 1)
    return [f"on dti.events (distinct ids): {sums}", f"ids sent more than once: {again}"]


def agree(workers: list[Service], expected: ScoringEngine, flow_extra: tuple[float, float]) -> None:
    deadline = time.monotonic() + 40
    while True:
        problems = [p for w in workers for p in mismatches(w, expected, flow_extra)]
        if not problems:
            return
        if time.monotonic() > deadline:
            status = [str(w.get("/v1/worker")) for w in workers]
            raise AssertionError("\n".join(problems + _on_topic(workers[0]) + status))
        time.sleep(0.2)


class Load:
    """Posts a wave of events in requests of 20 from a thread, a request every 20 ms: ingest keeps
    accepting while a fault happens to the workers. `posted` holds what got a 202."""

    def __init__(self, stack: Stack, events: list[dict[str, Any]]) -> None:
        self.stack = stack
        self.events = events
        self.posted: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.stack.ingest.client(self.stack.key) as c:
            for i in range(0, len(self.events), 20):
                chunk = self.events[i : i + 20]
                r = c.post("/v1/events", json={"events": chunk})
                if r.status_code != 202:
                    self.errors.append(f"{r.status_code} {r.text[:200]}")
                    return
                self.posted += chunk
                time.sleep(0.02)

    def wait_posted(self, n: int, timeout: float = 30) -> None:
        eventually(lambda: len(self.posted) >= n or self.errors, timeout=timeout)
        assert not self.errors, self.errors

    @contextmanager
    def running(self) -> Iterator[Load]:
        self._thread.start()
        try:
            yield self
        finally:
            self._thread.join(timeout=120)
        assert not self.errors, self.errors
        assert len(self.posted) == len(self.events)


def partitions(w: Service) -> set[int]:
    return set(w.get("/v1/worker")["partitions"])


def running(b: Service) -> None:
    """Start b again if a test before left it killed (a failure there must not fail the tests after it)."""
    if b.proc is None or b.proc.poll() is not None:
        b.start()


def sharing(a: Service, b: Service) -> bool:
    pa, pb = partitions(a), partitions(b)
    return bool(pa) and bool(pb) and not (pa & pb) and pa | pb == {0, 1, 2, 3}


@pytest.fixture(scope="module")
def pair(stack: Stack) -> Iterator[tuple[Service, Service, tuple[float, float]]]:
    """The stack's worker and a second one with a static member id, sharing the partitions; and the
    province's sums before this module posted anything (other tests reported in the same year)."""
    a = stack.scoring
    # b is a static member (DTI_SCORING_INSTANCE_ID) with a session long enough for a restart to fit in it
    env = {**stack.env, "DTI_SCORING_INSTANCE_ID": "scoring-b", "DTI_SCORING_SESSION_TIMEOUT_SECONDS": "15"}
    b = Service("scoring", stack.base / "scoring-b", env).start()
    try:
        eventually(lambda: sharing(a, b), timeout=40)
        base = a.get("/v1/data", org_unit="P", period="2025")["values"]
        yield a, b, (base.get("tthc.records_total", 0.0), base.get("tthc.records_online", 0.0))
    finally:
        b.stop()
        if a.proc is None or a.proc.poll() is not None:
            a.start()  # the session's stack keeps its worker for the tests after this module


POSTED: list[dict[str, Any]] = []  # everything this module's tests posted, in order


def test_two_workers_share_partitions_and_exact_totals(stack: Stack, pair: tuple[Service, Service, Any]) -> None:
    a, b, flow_extra = pair
    before_a = a.get("/v1/worker")["processed"]
    first = wave(random.Random(7), "w1", 300)
    post(stack.ingest, stack.key, first)
    POSTED.extend(first)
    expected = recompute(stack, POSTED)
    agree([a, b], expected, flow_extra)
    # both did real work: each folded the events of its own partitions
    assert a.get("/v1/worker")["processed"] > before_a
    assert b.get("/v1/worker")["processed"] > 0
    # district values computed from both workers' cells agree with the recomputation
    for d in DISTRICTS:
        want = expected.score("mini", d, parse_period("2025")).indicators["A1"].value
        assert want is not None and a1(a, d) == a1(b, d) == round(want, 6)  # the API rounds to 6 places


def test_sigkill_one_of_two_live_workers_under_load(stack: Stack, pair: tuple[Service, Service, Any]) -> None:
    a, b, flow_extra = pair
    running(b)
    eventually(lambda: sharing(a, b), timeout=40)
    events = wave(random.Random(11), "w2", 400)  # 800 events, 40 requests over about 2 s
    with Load(stack, events).running() as load:
        load.wait_posted(200)
        b.kill()  # no leave-group, and its last batches' offsets are likely uncommitted
        # the live worker takes every partition once b's session has expired (15 s)
        eventually(lambda: partitions(a) == {0, 1, 2, 3}, timeout=40)
    POSTED.extend(load.posted)
    agree([a], recompute(stack, POSTED), flow_extra)
    # b comes back (the same static member id) and the two share again; its tables come back from the
    # changelogs, and a client's retry of old events is counted once
    b.start()
    eventually(lambda: sharing(a, b), timeout=60)
    post(stack.ingest, stack.key, POSTED[:100])
    more = wave(random.Random(12), "w3", 100)
    post(stack.ingest, stack.key, more)
    POSTED.extend(more)
    expected = recompute(stack, POSTED)
    agree([a, b], expected, flow_extra)
    assert a.get("/v1/worker")["duplicates"] + b.get("/v1/worker")["duplicates"] >= 100
    # the score updates on dti.scores (read with kafka-python) carry the same district values
    for d in DISTRICTS:
        want = expected.score("mini", d, parse_period("2025")).indicators["A1"].value
        eventually(
            lambda d=d, want=want: (
                latest_scores(stack.broker.bootstrap)[f"{d}|mini|2025"]["indicators"]["A1"]["value"] == want
            ),
            timeout=20,
        )
    metrics = httpx.get(f"{b.url}/metrics", timeout=10).text
    assert "dti_scoring_events_total" in metrics and 'dti_kafka_consumer_lag_messages{topic="dti.events"}' in metrics


def test_hung_worker_is_evicted_taken_over_and_fenced(stack: Stack, pair: tuple[Service, Service, Any]) -> None:
    a, b, flow_extra = pair
    running(b)
    eventually(lambda: sharing(a, b), timeout=60)
    assert b.proc is not None
    events = wave(random.Random(13), "w4", 400)
    with Load(stack, events).running() as load:
        load.wait_posted(200)
        b.proc.send_signal(signal.SIGSTOP)  # hung: its sockets stay open, it sends no heartbeats
        try:
            t0 = time.monotonic()
            # evicted after its session timeout (15 s): the live worker takes its partitions and folds them
            eventually(lambda: partitions(a) == {0, 1, 2, 3}, timeout=40)
            evicted_after = time.monotonic() - t0
        finally:
            load.wait_posted(len(events), timeout=60)
            seen_before = len(b.log_path.read_text())
            b.proc.send_signal(signal.SIGCONT)
    POSTED.extend(load.posted)
    # b resumes believing it owns its old partitions; the broker has fenced it (its member id is gone), so it
    # rejoins as a new member and the two share again; nothing it did as a zombie changes the totals
    eventually(lambda: sharing(a, b), timeout=60)
    expected = recompute(stack, POSTED)
    agree([a, b], expected, flow_extra)
    assert evicted_after >= 10.0, evicted_after  # not before its session (15 s) could have expired
    # fenced: the first commit it tried after resuming was refused, its member id being unknown
    assert "UnknownMemberIdError" in b.log_path.read_text()[seen_before:]


def test_static_member_restarted_within_its_session_keeps_its_partitions(
    stack: Stack, pair: tuple[Service, Service, Any]
) -> None:
    """b stops (a static member does not leave the group) and starts again within its 15 s session: the
    coordinator hands it its old assignment and the group does not rebalance, so a never sees its own
    partitions change; events posted meanwhile wait on the topic and are all counted."""
    a, b, flow_extra = pair
    running(b)
    eventually(lambda: sharing(a, b), timeout=60)
    mine, theirs = partitions(a), partitions(b)
    joins_before = a.log_path.read_text().count("Joined group")
    seen: list[set[int]] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.append(partitions(a))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        b.stop()
        more = wave(random.Random(14), "w5", 100)
        post(stack.ingest, stack.key, more)
        POSTED.extend(more)
        b.start()
        eventually(lambda: partitions(b) == theirs, timeout=30)
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert seen and all(p == mine for p in seen), seen
    assert a.log_path.read_text().count("Joined group") == joins_before  # no new generation for a
    agree([a, b], recompute(stack, POSTED), flow_extra)
