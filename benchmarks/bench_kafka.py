"""Kafka-mode benchmarks on Apache Kafka started here (the jars the tests use, tests/kafka/cluster.py), on this machine:

- scoring throughput of one `dti scoring` worker (a real process) in events/s, beside ceilings from the
  same run, broker and records: Apache Kafka's own `ProducerPerformance` and `ConsumerPerformance` (same
  jars), a bare aiokafka consumer reading them (and the producer's rate writing them), and the naive Faust
  agent of `benchmarks/naive_faust.py` (one table update and one send per event). Goals: at least 10× the
  naive agent and 25% of the bare consumer.
- latency at 1,000 events/s: from `POST /v1/events` on `dti ingest` to the score update on `dti.scores`
  that shows it (p50, p99; goal: p99 under twice the broker's own), beside the broker's own
  produce-to-consume latency and the naive agent's (produce to its output record) at the same rate.

Run: .venv/bin/python -m benchmarks.bench_kafka [--quick] [--json FILE]

How each figure is taken:
- The events are `dti.events` records as `dti ingest` writes them (`messages.encode_event`, keyed by
  org unit): the five LGSP counters of `rules/` spread over the province's 115 units, one event each.
  The worker, the naive agent and ingest start first, side by side, and wait stopped (SIGSTOP) while the
  backlog is produced and each other pass runs: every reader finds the same backlog, and no pass has
  another process running beside it.
- The bare consumer reads the whole backlog three times (median). The naive agent reads a copy of its
  first records (`bench.naive.events`, same keys and partitions) and times itself from its first event to
  its last. The worker is timed twice, from the moment it is resumed (it joined its group and recovered
  before it was stopped; on Apache Kafka its first poll of `GET /v1/worker` may already show the whole
  backlog folded): until every event is folded into the cells table ("folded"), and until the read
  model's province totals (`GET /v1/data`) equal the hand count of the events produced, i.e. the scores
  are computed from all of them ("scored", the figure). Start-up (group join, recovery) is outside both.
- Latency probes POST a new level of a department gauge at the province every 50 ms while LGSP batches
  of 50 are POSTed on a fixed schedule (1,000 events/s), and wait for the first `dti.scores` record of
  the province showing it (a later probe's record also answers an earlier one: never shorter than true).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from benchmarks.bench_ingest import batch_body, pct, probe_event, probe_indicator
from benchmarks.figures import Figure, load_figure, ratio
from benchmarks.synthetic import ROOT
from services.kafka.messages import Record
from shared import clock
from shared.events import AcceptedEvent
from shared.rules.loader import load_ruleset
from shared.rules.model import RuleSet

# one worker against the same records: ≥ 10× the naive agent, ≥ 25% of a bare consumer; POST-to-dti.scores
# p99 under twice the broker's own produce-to-consume p99 at the same rate
GOALS = {"naive_ratio": 10.0, "bare_ratio": 0.25, "latency_vs_broker_p99": 2.0}
PARTITIONS = 6  # the production default (DTI_KAFKA_PARTITIONS)
NAIVE_IN, NAIVE_LATENCY_IN, NAIVE_OUT, BROKER_LATENCY, SMALL, PERF = (
    "bench.naive.events",
    "bench.naive.latency",
    "bench.naive.out",
    "bench.latency",
    "bench.small",
    "bench.perf",
)


REQUEST = 500  # events per request, as `dti simulate` batches a system's events (its default batch size)


def _events(rules: RuleSet, n: int, request: int = REQUEST) -> tuple[list[Record], list[int], Counter[str]]:
    """The `dti.events` records `dti ingest` writes for n events posted in requests of `request` (one record
    per partition per request, `messages.partition_records`): (key, partition, value) records, the number
    of events in each, and the hand count per metric the province total must reach."""
    from services.kafka.messages import encode_event, partition_records

    metrics = sorted(m for m in rules.catalog.sources["lgsp"] if rules.catalog.metrics[m].type == "counter")
    units = [u.code for u in rules.org_tree.units]
    when = clock.now() - timedelta(minutes=1)  # this year, this quarter (the province's clock)
    records: list[Record] = []
    sizes: list[int] = []
    count: Counter[str] = Counter()
    for start in range(0, n, request):
        posted = []
        for i in range(start, min(n, start + request)):
            # every unit in turn, each metric in turn: the spread that gives a batch the fewest repeats
            unit, metric = units[i % len(units)], metrics[(i // len(units)) % len(metrics)]
            ev = AcceptedEvent("lgsp", f"k-{os.getpid()}-{i}", unit, metric, 1.0, when)
            posted.append((unit, encode_event(ev, "c")))
            count[metric] += 1
        for record in partition_records(posted, PARTITIONS):
            records.append(record)
            value = record[2]
            sizes.append(value.count(b'"k":'))
    return records, sizes, count


async def _create_topics(bootstrap: str, names: list[str]) -> None:
    from services.kafka.bus import ensure_topics
    from shared.settings import Settings

    await ensure_topics(Settings(kafka_brokers=bootstrap, kafka_partitions=PARTITIONS))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, PARTITIONS, 1) for n in names])
    finally:
        await admin.close()


def _producer(bootstrap: str) -> AIOKafkaProducer:
    # as `dti ingest` sends: acks=all, idempotent, no linger (services/kafka/bus.py)
    return AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0, enable_idempotence=True)


async def produce(bootstrap: str, topic: str, records: list[Record]) -> float:
    """Writes the records, waits for every acknowledgement; returns records/s."""
    producer = _producer(bootstrap)
    await producer.start()
    try:
        t0 = time.perf_counter()
        futures = [await producer.send(topic, value=v, key=k, partition=p) for k, p, v in records]
        await asyncio.gather(*futures)
        return len(records) / (time.perf_counter() - t0)
    finally:
        await producer.stop()


async def bare_consume(bootstrap: str, topic: str, n: int) -> float:
    """Reads n records from the beginning of every partition with a plain consumer; records/s."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await _partitions(consumer, topic)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        got = 0
        t0 = time.perf_counter()
        while got < n:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            got += sum(len(msgs) for msgs in batch.values())
        return got / (time.perf_counter() - t0)
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """The topic's partitions, once the consumer's metadata knows them (it may not right after start)."""
    for _ in range(100):
        parts = consumer.partitions_for_topic(topic)
        if parts:
            return [TopicPartition(topic, p) for p in sorted(parts)]
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no partitions for {topic}")


def kafka_tools(bootstrap: str, records: list[Record], copies: int, tmp: Path) -> dict[str, float]:
    """Apache Kafka's own ceilings on this machine and broker, with its own tools from the same jars
    (`ProducerPerformance`, `ConsumerPerformance`): the backlog's records written `copies` times over (payloads
    drawn from a file of them, one per line), acks=all and idempotent as `dti ingest` sends, then read back.
    Records/s of each, timed by the tools themselves (the JVM's start is outside)."""
    from tests.kafka.cluster import java_cmd, kafka_libs

    libs = kafka_libs()
    payloads = tmp / "payloads.txt"
    payloads.write_bytes(b"\n".join(v for _k, _p, v in records))
    n = len(records) * copies
    produced = subprocess.run(
        java_cmd(
            libs,
            "org.apache.kafka.tools.ProducerPerformance",
            "--topic", PERF, "--num-records", str(n), "--throughput", "-1", "--payload-file", str(payloads),
            "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all", "enable.idempotence=true",
            "linger.ms=2",
            heap="512m",
            for_tests=False,
        ),
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    # "N records sent, X records/sec (Y MB/sec), ..." is the last line
    summary = [line for line in produced.stdout.splitlines() if "records sent" in line][-1]
    producer_rate = float(summary.split(",")[1].split()[0])
    consumed = subprocess.run(
        java_cmd(
            libs,
            "org.apache.kafka.tools.ConsumerPerformance",
            "--bootstrap-server", bootstrap, "--topic", PERF, "--messages", str(n), "--timeout", "60000",
            heap="512m",
            for_tests=False,
        ),
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    header, row = [line for line in consumed.stdout.splitlines() if line.strip()][-2:]
    fields = dict(zip([h.strip() for h in header.split(",")], [v.strip() for v in row.split(",")], strict=False))
    return {
        "kafka_producer_perf_records_per_s": producer_rate,
        # the consumer's rate over its fetch time (its group join is outside)
        "kafka_consumer_perf_records_per_s": float(fields["fetch.nMsg.sec"]),
        "kafka_perf_records": n,
    }


class Proc:
    """A child process writing to a log file, stopped however the benchmark ends."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str], stdout_pipe: bool = False) -> None:
        self.log = log
        self._log = log.open("ab")
        self.p = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE if stdout_pipe else self._log,
            stderr=self._log,
        )

    def line(self, timeout: float) -> dict[str, Any]:
        """The next JSON line the child prints (the naive agent's timings)."""
        assert self.p.stdout is not None
        deadline = time.monotonic() + timeout
        os.set_blocking(self.p.stdout.fileno(), False)
        buf = b""
        while time.monotonic() < deadline:
            chunk = self.p.stdout.readline()
            if chunk:
                buf += chunk
                if buf.endswith(b"\n"):
                    return dict(orjson.loads(buf))
            elif self.p.poll() is not None:
                break
            else:
                time.sleep(0.02)
        raise RuntimeError(f"{self.p.args!r} said nothing in {timeout:g} s:\n{self.log.read_text()[-3000:]}")

    def pause(self) -> None:
        """SIGSTOP: a process waiting for its pass takes no CPU from the one being measured."""
        os.kill(self.p.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.p.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.p.poll() is None:
            self.resume()  # a stopped process cannot act on SIGTERM
            self.p.terminate()
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self._log.close()


@contextlib.contextmanager
def _spied(proc: Proc, name: str) -> Iterator[None]:
    """With `DTI_BENCH_PYSPY=DIR` set, py-spy samples `proc` during the pass into DIR/NAME.txt (collapsed
    stacks, threads apart, idle left out): where a pass's time goes, on the same run as its figures."""
    folder = os.environ.get("DTI_BENCH_PYSPY")
    if not folder:
        yield
        return
    spy = Path(sys.executable).with_name("py-spy")
    out = Path(folder) / f"{name}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    args = [str(spy), "record", "--nonblocking", "--threads", "--format", "raw", "-o", str(out)]
    rec = subprocess.Popen([*args, "--pid", str(proc.p.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        rec.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            rec.wait(timeout=20)


def _wait_ready(url: str, proc: Proc, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.p.poll() is not None:
            raise RuntimeError(f"{proc.p.args!r} exited:\n{proc.log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready:\n{proc.log.read_text()[-3000:]}")


def worker_throughput(url: str, proc: Proc, n: int, expected: Counter[str], root: str) -> dict[str, float]:
    """Resumes the stopped worker and polls it until it has folded n events and scored all of them."""
    samples: list[tuple[float, int]] = []
    proc.resume()
    t_first, p_first = time.perf_counter(), 0
    folded_at = scored_at = None
    deadline = time.monotonic() + 600
    with httpx.Client(base_url=url, timeout=5) as client:
        while scored_at is None:
            if time.monotonic() > deadline or proc.p.poll() is not None:
                raise RuntimeError(f"worker did not score {n} events:\n{proc.log.read_text()[-3000:]}")
            try:
                processed = int(client.get("/v1/worker").json()["processed"])
            except httpx.HTTPError:
                time.sleep(0.05)
                continue
            now = time.perf_counter()
            if processed:
                samples.append((now, processed))
            if folded_at is None and processed >= n:
                folded_at = now
            if folded_at is not None:
                values = client.get("/v1/data", params={"org_unit": root}).json()["values"]
                if all(values.get(m) == c for m, c in expected.items()):
                    scored_at = time.perf_counter()
            time.sleep(0.05)
    assert folded_at is not None and samples
    return {
        "folded_events_per_s": (n - p_first) / (folded_at - t_first),
        "scored_events_per_s": (n - p_first) / (scored_at - t_first),
        "timed_events": n - p_first,
    }


async def _consume_latency(
    bootstrap: str,
    topic: str,
    ready: asyncio.Event,
    stop: asyncio.Event,
    on_record: Callable[[bytes | None, bytes, float], None],
) -> None:
    """Reads what is written to `topic` from now on, calling on_record(key, value, arrival time)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=100)
    await consumer.start()
    try:
        tps = await _partitions(consumer, topic)
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)  # resolve the end now, before anything is produced
        ready.set()
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=100)
            now = time.time()
            for msgs in batch.values():
                for m in msgs:
                    on_record(m.key, m.value or b"", now)
    finally:
        await consumer.stop()


async def paced_latency(
    bootstrap: str, in_topic: str, out_topic: str, records: list[Record], rate: int, seconds: float
) -> tuple[list[float], float]:
    """Produces `rate` records/s stamped with their send time to in_topic and times each one's arrival on
    out_topic (the same topic: the broker alone; another: through an agent). Returns (latencies in s, the
    rate achieved)."""
    ready, stop = asyncio.Event(), asyncio.Event()
    lat: list[float] = []

    def on_record(_key: bytes | None, value: bytes, now: float) -> None:
        d = orjson.loads(value)
        sent = (d[0] if isinstance(d, list) else d).get("sent")
        if sent is not None:
            lat.append(now - sent)

    reader = asyncio.create_task(_consume_latency(bootstrap, out_topic, ready, stop, on_record))
    await ready.wait()
    producer = _producer(bootstrap)
    await producer.start()
    sent = 0
    try:
        tick = 0.01
        per_tick = max(1, round(rate * tick))
        futures = []
        t0 = nxt = time.monotonic()
        end = t0 + seconds
        it = itertools.cycle(records)
        while time.monotonic() < end:
            for _ in range(per_tick):
                key, partition, value = next(it)
                # a record of one event, stamped with its send time
                stamped = value[:-2] + b',"sent":' + orjson.dumps(time.time()) + b"}]"
                futures.append(await producer.send(in_topic, value=stamped, key=key, partition=partition))
                sent += 1
            nxt += tick
            await asyncio.sleep(max(0.0, nxt - time.monotonic()))
        achieved = sent / (time.monotonic() - t0)
        await asyncio.gather(*futures)
        deadline = time.monotonic() + 30
        while len(lat) < sent and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await reader
        await producer.stop()
    if len(lat) < sent:
        raise RuntimeError(f"only {len(lat)} of {sent} records arrived on {out_topic}")
    return lat, achieved


async def _trace_hops(
    bootstrap: str,
    unit: str,
    metric: str,
    trace: dict[float, dict[str, float]],
    ready: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    """For `--trace`: each probe's record on `dti.events` and its cell's record on the cells changelog, by
    their CreateTime (set by the producer when `send` is called: ingest's, then the worker's after the
    fold), into `trace[value]`. Same clock as the probes' POST and arrival times (one machine)."""
    changelog = "dti-scoring-cells-changelog"
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20)
    await consumer.start()
    try:
        tps = await _partitions(consumer, "dti.events") + await _partitions(consumer, changelog)
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)
        ready.set()
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=100)
            for tp, msgs in batch.items():
                for m in msgs:
                    if tp.topic == "dti.events":
                        if b'"department"' not in (m.value or b""):
                            continue
                        for d in orjson.loads(m.value or b"[]"):
                            if d.get("u") == unit and d.get("m") == metric:
                                trace.setdefault(float(d["v"]), {})["produced"] = m.timestamp / 1000
                    elif m.key and m.value and orjson.loads(m.key).startswith(f"{metric}|{unit}|"):
                        # a cell written once for several probes in one batch answers each of them
                        level = float(orjson.loads(m.value)["v"])
                        for t in [t for v, t in trace.items() if v <= level and "folded" not in t]:
                            t["folded"] = m.timestamp / 1000
    finally:
        await consumer.stop()


def hops(trace: dict[float, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per hop, p50 and p99 in ms over the probes traced end to end: POST -> ingest's send to `dti.events`
    -> the worker's send of the cell to the changelog -> the `dti.scores` record's `emitted_at` -> seen."""
    steps = [("post", "produced"), ("produced", "folded"), ("folded", "emitted"), ("emitted", "seen")]
    whole = [t for t in trace.values() if all(k in t for k in ("post", "produced", "folded", "emitted", "seen"))]
    out: dict[str, dict[str, float]] = {}
    for a, b in steps:
        xs = [t[b] - t[a] for t in whole]
        if xs:
            out[f"{a}->{b}"] = {"p50_ms": pct(xs, 50) * 1000, "p99_ms": pct(xs, 99) * 1000, "n": len(xs)}
    return out


async def dti_latency(
    ingest: str,
    bootstrap: str,
    lgsp_key: str,
    dept_key: str,
    rules: RuleSet,
    seconds: float,
    rate: int = 1000,
    trace: dict[float, dict[str, float]] | None = None,
) -> tuple[list[float], float, int]:
    """POST-to-`dti.scores` latency of probes under `rate` events/s of LGSP batches (see the module doc);
    also the 503s ingest answered (each request sent again until accepted). With `trace`, each probe's
    hops by the records' own timestamps (`hops`)."""
    ready, stop = asyncio.Event(), asyncio.Event()
    fw, code, metric, unit = probe_indicator(rules)
    year = clock.now().year
    want_key = f"{unit}|{fw}|{year}".encode()
    pending: dict[float, float] = {}  # probe value -> time just before its POST
    samples: list[float] = []

    def on_record(key: bytes | None, value: bytes, now: float) -> None:
        if key != want_key or not pending:
            return
        shown = orjson.loads(value)["indicators"][code]["value"]
        for v in [v for v in pending if shown is not None and v <= shown]:
            posted = pending.pop(v)
            samples.append(now - posted)
            if trace is not None:
                trace.setdefault(v, {}).update(post=posted, seen=now, emitted=orjson.loads(value)["emitted_at"])

    reader = asyncio.create_task(_consume_latency(bootstrap, "dti.scores", ready, stop, on_record))
    await ready.wait()
    tracer = None
    if trace is not None:
        traced = asyncio.Event()
        tracer = asyncio.create_task(_trace_hops(bootstrap, unit, metric, trace, traced, stop))
        await traced.wait()
    sent = refused = 0
    per_request = 50
    limits = httpx.Limits(max_connections=64)
    t_stop = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=ingest, timeout=30, limits=limits) as client:

        async def post(body: bytes, key: str) -> None:
            # as a client does: a 503 (the broker did not acknowledge within the send deadline) is sent
            # again after its Retry-After; a probe's latency still counts from its first POST
            nonlocal refused
            while True:
                r = await client.post(
                    "/v1/events",
                    content=body,
                    headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                )
                if r.status_code == 202:
                    return
                if r.status_code != 503:
                    raise RuntimeError(f"{r.status_code}: {r.text[:300]}")
                refused += 1
                await asyncio.sleep(float(r.headers.get("Retry-After", "1")))

        async def background() -> None:
            nonlocal sent
            tasks: set[asyncio.Task[None]] = set()
            nxt = time.monotonic()
            while time.monotonic() < t_stop:
                task = asyncio.create_task(post(batch_body(rules, "lgsp", per_request), lgsp_key))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                sent += per_request
                nxt += per_request / rate
                await asyncio.sleep(max(0.0, nxt - time.monotonic()))
            await asyncio.gather(*tasks)

        async def probes() -> None:
            value = 1000.0 + time.time() % 1000  # above anything an earlier run left on the gauge
            tasks: set[asyncio.Task[None]] = set()
            await asyncio.sleep(0.5)  # let the background load reach its rate
            while time.monotonic() < t_stop:
                value += 1
                pending[value] = time.time()
                task = asyncio.create_task(post(orjson.dumps(probe_event(unit, metric, value)), dept_key))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                await asyncio.sleep(0.05)
            await asyncio.gather(*tasks)

        t0 = time.monotonic()
        await asyncio.gather(background(), probes())
        achieved = sent / (time.monotonic() - t0)
    deadline = time.monotonic() + 30
    while pending and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    await reader
    if tracer is not None:
        await tracer
    if pending:
        raise RuntimeError(f"{len(pending)} probes never showed on dti.scores")
    return samples, achieved, refused


def _percentiles(xs: list[float]) -> dict[str, float]:
    return {"p50_ms": pct(xs, 50) * 1000, "p99_ms": pct(xs, 99) * 1000, "n": len(xs)}


def measure(
    quick: bool,
    latency_only: bool = False,
    trace: bool = False,
    seconds: float | None = None,
    events: int | None = None,
) -> dict[str, Any]:
    """Every pass; with `latency_only` only the broker's and `dti`'s latency passes (no backlog, no naive
    agent), with `trace` the `dti` pass also times each probe's hops (`hops`)."""
    from services.kafka.keys import create_key
    from shared.settings import Settings
    from tests.e2e.server import free_port
    from tests.kafka.cluster import DTI, KAFKA_VERSION, KafkaCluster, kafka_env

    n = events or (30_000 if quick else 200_000)
    n_naive = 6_000 if quick else 30_000
    n_small = 20_000 if quick else 100_000
    lat_seconds = seconds or (3.0 if quick else 15.0)
    rules_dir = ROOT / "rules"
    rules = load_ruleset(rules_dir)
    root = rules.org_tree.roots[0].code
    records, sizes, expected = _events(rules, n)
    naive_records = records[: bisect.bisect_left(list(itertools.accumulate(sizes)), n_naive) + 1]
    out: dict[str, Any] = {
        "events": n,
        "records": len(records),
        "events_per_record": n / len(records),
        "naive_events": n_naive,
        "partitions": PARTITIONS,
    }
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        # Kafka's own broker defaults and JVM settings, not the tests' (1 s segments, eager cleaner, C1 only)
        broker = KafkaCluster(tmp / "kafka", heap="1g", for_tests=False).start()
        procs: list[Proc] = []
        try:
            # a session timeout longer than a stopped process waits for its pass (below): Apache Kafka would
            # otherwise evict it, and its resumed pass would start with a rebalance
            env = kafka_env(
                broker,
                rules_dir,
                DTI_KAFKA_PARTITIONS=str(PARTITIONS),
                DTI_LOG_LEVEL="WARNING",
                DTI_SCORING_SESSION_TIMEOUT_SECONDS="80",
            )
            out["kafka_version"] = KAFKA_VERSION
            topics = [NAIVE_IN, NAIVE_LATENCY_IN, NAIVE_OUT, BROKER_LATENCY, SMALL, PERF]
            asyncio.run(_create_topics(broker.bootstrap, topics))

            # the keys as `dti keys create` makes them (the same function, in-process: two Python start-ups
            # fewer), on the keys topic before ingest reads it
            settings = Settings(kafka_brokers=broker.bootstrap, kafka_partitions=PARTITIONS)
            lgsp, dept = (create_key(settings, source, None)[1] for source in ("lgsp", "department"))

            # Start-up is set-up, not a measured pass: the naive agent, the worker and ingest start side by
            # side (about 10 s here instead of 25 s one after the other). Then each waits stopped (SIGSTOP)
            # until its pass: nothing runs beside the pass being measured. A stopped consumer sends no
            # heartbeats: the session timeouts (80 s here; Faust allows at most its 90 s request timeout)
            # outlast the wait, so it is still a member when resumed. Were it evicted, it would rejoin before
            # its first event: the timings start there.
            t_start = time.monotonic()
            naive = Proc(
                [sys.executable, "-m", "benchmarks.naive_faust", broker.bootstrap,
                 f"{NAIVE_IN},{NAIVE_LATENCY_IN}", NAIVE_OUT, str(PARTITIONS), str(n_naive)],
                tmp / "naive.log", env, stdout_pipe=True,
            ) if not latency_only else None  # fmt: skip
            if naive is not None:
                procs.append(naive)
            port, iport = free_port(), free_port()
            worker = Proc(
                [*DTI, "scoring", "--port", str(port), "--data-dir", str(tmp / "scoring")], tmp / "scoring.log", env
            )
            procs.append(worker)
            ingest = Proc([*DTI, "ingest", "--port", str(iport), "--data-dir", str(tmp / "ingest")], tmp / "i.log", env)
            procs.append(ingest)
            if naive is not None:
                naive.line(120)["ready"]
            _wait_ready(f"http://127.0.0.1:{port}", worker)
            _wait_ready(f"http://127.0.0.1:{iport}", ingest)
            for proc in procs:
                proc.pause()
            out["startup_s"] = time.monotonic() - t_start

            singles = _events(rules, 2_000, request=1)[0]  # as 1,000 separate posts a second would write them
            if latency_only:
                out["broker_latency"] = _percentiles(
                    asyncio.run(
                        paced_latency(broker.bootstrap, BROKER_LATENCY, BROKER_LATENCY, singles, 1000, lat_seconds)
                    )[0]
                )
                _dti_latency_pass(out, worker, ingest, iport, broker.bootstrap, lgsp, dept, rules, lat_seconds, trace)
                out["latency_vs_broker_p99"] = out["dti_latency"]["p99_ms"] / out["broker_latency"]["p99_ms"]
                return out
            assert naive is not None
            # the broker alone: Kafka's own tools, producer, bare consumer, produce-to-consume latency
            out |= kafka_tools(broker.bootstrap, records, 4 if quick else 2, tmp)
            out["kafka_consumer_perf_per_s"] = out["kafka_consumer_perf_records_per_s"] * out["events_per_record"]
            _note(out)
            out["producer_records_per_s"] = asyncio.run(produce(broker.bootstrap, "dti.events", records))
            asyncio.run(produce(broker.bootstrap, NAIVE_IN, naive_records))
            bare = [asyncio.run(bare_consume(broker.bootstrap, "dti.events", len(records))) for _ in range(3)]
            out["bare_records_runs"] = bare
            out["bare_records_per_s"] = statistics.median(bare)
            # in events: the records hold the events the worker is timed on
            out["bare_per_s"] = out["bare_records_per_s"] * out["events_per_record"]
            # and small messages, one event each (what the issue's ~300,000/s ceiling was measured on)
            small = _events(rules, n_small, request=1)[0]
            asyncio.run(produce(broker.bootstrap, SMALL, small))
            out["bare_small_per_s"] = statistics.median(
                [asyncio.run(bare_consume(broker.bootstrap, SMALL, len(small))) for _ in range(3)]
            )
            out["broker_latency"] = _percentiles(
                asyncio.run(
                    paced_latency(broker.bootstrap, BROKER_LATENCY, BROKER_LATENCY, singles, 1000, lat_seconds)
                )[0]
            )

            # the naive agent: its backlog, then its latency
            naive.resume()
            first = naive.line(120)["first"]
            done = naive.line(600)["done"]
            out["naive_per_s"] = (n_naive - 1) / (done - first)
            out["naive_latency"] = _percentiles(
                asyncio.run(paced_latency(broker.bootstrap, NAIVE_LATENCY_IN, NAIVE_OUT, singles, 1000, lat_seconds))[0]
            )
            naive.stop()
            _note(out)

            # the worker on its backlog (it has sat stopped since it was ready: the timing starts when it
            # has folded its first events)
            with _spied(worker, "worker-backlog"):
                out |= worker_throughput(f"http://127.0.0.1:{port}", worker, n, expected, root)
            _note(out)

            _dti_latency_pass(out, worker, ingest, iport, broker.bootstrap, lgsp, dept, rules, lat_seconds, trace)
        finally:
            for proc in reversed(procs):
                proc.stop()
            broker.stop()
    out["naive_ratio"] = out["scored_events_per_s"] / out["naive_per_s"]
    out["bare_ratio"] = out["scored_events_per_s"] / out["bare_per_s"]
    out["bare_small_ratio"] = out["scored_events_per_s"] / out["bare_small_per_s"]
    out["kafka_perf_ratio"] = out["scored_events_per_s"] / out["kafka_consumer_perf_per_s"]
    out["latency_vs_broker_p99"] = out["dti_latency"]["p99_ms"] / out["broker_latency"]["p99_ms"]
    return out


def _dti_latency_pass(
    out: dict[str, Any],
    worker: Proc | None,
    ingest: Proc,
    iport: int,
    bootstrap: str,
    lgsp: str,
    dept: str,
    rules: RuleSet,
    seconds: float,
    trace: bool,
) -> None:
    """The `dti` latency pass: ingest (and, if still stopped, the worker) resumed, probes under load."""
    if worker is not None:
        worker.resume()
    ingest.resume()
    traced: dict[float, dict[str, float]] | None = {} if trace else None
    with _spied(worker or ingest, "worker-latency" if worker else "ingest-latency"):
        samples, achieved, refused = asyncio.run(
            dti_latency(f"http://127.0.0.1:{iport}", bootstrap, lgsp, dept, rules, seconds, trace=traced)
        )
    out["dti_latency"] = _percentiles(samples)
    out["latency_refused_requests"] = refused
    out["latency_load_events_per_s"] = achieved
    if traced is not None:
        out["dti_latency_hops"] = hops(traced)


def _note(out: dict[str, Any]) -> None:
    """Progress on stderr: a long run shows its figures as they come."""
    print({k: round(v) if isinstance(v, float) else v for k, v in out.items()}, file=sys.stderr, flush=True)


def figures(r: dict[str, Any]) -> list[Figure]:
    scored = r["scored_events_per_s"]
    p99, broker_p99 = r["dti_latency"]["p99_ms"], r["broker_latency"]["p99_ms"]
    return [
        Figure(
            "kafka.scoring_events_per_s.vs_naive",
            scored,
            "events/s",
            ceiling=r["naive_per_s"],  # naive per-event Faust agent, same broker and records
            ratio=ratio(scored, r["naive_per_s"]),
            goal=f"≥ {GOALS['naive_ratio']:g}× the naive Faust agent",
            met=r["naive_ratio"] >= GOALS["naive_ratio"],
        ),
        Figure(
            "kafka.scoring_events_per_s.vs_bare",
            scored,
            "events/s",
            ceiling=r["bare_per_s"],  # bare aiokafka consumer reading the same records, in events
            ratio=ratio(scored, r["bare_per_s"]),
            goal=f"≥ {GOALS['bare_ratio']:.0%} of the bare consumer (same records)",
            met=r["bare_ratio"] >= GOALS["bare_ratio"],
        ),
        Figure(
            "kafka.scoring_events_per_s.vs_kafka_consumer_perf",
            scored,
            "events/s",
            ceiling=r["kafka_consumer_perf_per_s"],  # Kafka's ConsumerPerformance on the same records, in events
            ratio=ratio(scored, r["kafka_consumer_perf_per_s"]),
        ),
        Figure(
            "kafka.scoring_events_per_s.vs_bare_small",
            scored,
            "events/s",
            ceiling=r["bare_small_per_s"],  # bare aiokafka consumer reading small one-event records
            ratio=ratio(scored, r["bare_small_per_s"]),
        ),
        Figure("kafka.ceiling.producer_perf_records_per_s", r["kafka_producer_perf_records_per_s"], "records/s"),
        Figure("kafka.ceiling.consumer_perf_records_per_s", r["kafka_consumer_perf_records_per_s"], "records/s"),
        Figure(
            "kafka.latency.p50_ms",
            r["dti_latency"]["p50_ms"],
            "ms",
            ceiling=r["broker_latency"]["p50_ms"],
            ratio=ratio(r["dti_latency"]["p50_ms"], r["broker_latency"]["p50_ms"]),
        ),  # fmt: skip
        Figure(
            "kafka.latency.p99_ms",
            p99,
            "ms",
            ceiling=broker_p99,  # the broker's own produce-to-consume p99 at that rate
            ratio=ratio(p99, broker_p99),
            goal=f"< {GOALS['latency_vs_broker_p99']:g}× the broker's p99 ({r['dti_latency']['n']} probes)",
            met=p99 < GOALS["latency_vs_broker_p99"] * broker_p99,
        ),
        Figure("kafka.latency.naive_p99_ms", r["naive_latency"]["p99_ms"], "ms"),
        load_figure("kafka.latency.load_events_per_s", r["latency_load_events_per_s"]),
    ]


def run(quick: bool) -> list[Figure]:
    return figures(measure(quick))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--latency-only", action="store_true", help="only the broker's and dti's latency passes")
    ap.add_argument("--trace", action="store_true", help="time each latency probe's hops (records' timestamps)")
    ap.add_argument("--seconds", type=float, help="length of each latency pass (3 s quick, 15 s otherwise)")
    ap.add_argument("--events", type=int, help="events in the backlog (30,000 quick, 200,000 otherwise)")
    args = ap.parse_args()
    r = measure(args.quick, args.latency_only, args.trace, args.seconds, args.events)
    if args.latency_only:
        for name in ("broker_latency", "dti_latency"):
            x = r[name]
            print(f"{name}: p50 {x['p50_ms']:.1f} ms, p99 {x['p99_ms']:.1f} ms ({x['n']} samples)")
        for hop, x in r.get("dti_latency_hops", {}).items():
            print(f"  {hop}: p50 {x['p50_ms']:.1f} ms, p99 {x['p99_ms']:.1f} ms ({x['n']})")
        print(f"  p99 = {r['latency_vs_broker_p99']:.2f}x the broker's; load {r['latency_load_events_per_s']:,.0f}/s")
        if args.json:
            args.json.write_text(json.dumps(r, indent=2) + "\n")
        return

    print(
        f"backlog: {r['events']:,} events in {r['records']:,} dti.events records ({r['events_per_record']:.2f} "
        f"events per record: requests of {REQUEST}, one record per partition per request) over "
        f"{r['partitions']} partitions (Apache Kafka {r['kafka_version']})"
    )
    print(
        f"Kafka's own tools ({r['kafka_perf_records']:,} of these records): ProducerPerformance "
        f"{r['kafka_producer_perf_records_per_s']:,.0f} records/s (acks=all, idempotent), ConsumerPerformance "
        f"{r['kafka_consumer_perf_records_per_s']:,.0f} records/s = {r['kafka_consumer_perf_per_s']:,.0f} events/s"
    )
    print(f"aiokafka producer (acks=all, idempotent): {r['producer_records_per_s']:,.0f} records/s")
    bare_runs = ", ".join(f"{x:,.0f}" for x in r["bare_records_runs"])
    print(
        f"bare aiokafka consumer: {r['bare_records_per_s']:,.0f} records/s (median of {bare_runs}) "
        f"= {r['bare_per_s']:,.0f} events/s; small one-event records: {r['bare_small_per_s']:,.0f}/s"
    )
    print(f"naive Faust agent ({r['naive_events']:,} events): {r['naive_per_s']:,.0f} events/s")
    print(
        f"dti scoring, one worker: folded {r['folded_events_per_s']:,.0f} events/s, "
        f"scored {r['scored_events_per_s']:,.0f} events/s ({r['timed_events']:,} events timed)"
    )
    print(
        f"  = {r['naive_ratio']:.1f}x the naive agent (goal >= {GOALS['naive_ratio']:g}x), "
        f"{r['bare_ratio']:.1%} of the bare consumer reading the same records (goal >= {GOALS['bare_ratio']:.0%}), "
        f"{r['kafka_perf_ratio']:.1%} of ConsumerPerformance, {r['bare_small_ratio']:.1%} of the bare consumer's "
        f"rate of small messages"
    )
    for name, what in (
        ("broker_latency", "broker produce-to-consume"),
        ("naive_latency", "naive agent produce-to-output"),
        ("dti_latency", "POST /v1/events to dti.scores"),
    ):
        x = r[name]
        print(f"latency at 1,000/s, {what}: p50 {x['p50_ms']:.0f} ms, p99 {x['p99_ms']:.0f} ms ({x['n']} samples)")
    print(
        f"  p99 = {r['latency_vs_broker_p99']:.1f}x the broker's (goal < {GOALS['latency_vs_broker_p99']:g}x); "
        f"load achieved in the dti pass: {r['latency_load_events_per_s']:,.0f} events/s "
        f"({r['latency_refused_requests']} requests answered 503 and sent again)"
    )
    if args.json:
        args.json.write_text(json.dumps(r, indent=2) + "\n")


if __name__ == "__main__":
    main()
