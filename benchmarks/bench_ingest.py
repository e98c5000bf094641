"""Embedded ingest benchmarks against real processes on loopback:

- sustained events/s through POST /v1/events (batches of 100) beside the ceiling measured in the same run,
  a bare FastAPI endpoint validating the same body and doing nothing (goal: >= 50% of the ceiling);
- event-to-score latency (POST until the new value is visible in /v1/scores) at ~1,000 events/s
  of background load: p50 and p99 (goal: p99 < 250 ms).

Run: .venv/bin/python -m benchmarks.bench_ingest [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.figures import Figure, load_figure
from benchmarks.synthetic import ROOT
from shared import clock
from shared.rules.loader import load_ruleset
from shared.rules.model import Latest, RuleSet

_ids = itertools.count()
GOALS = {"ingest_ratio": 0.5, "latency_p99_ms": 250.0}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server not ready")


def start_dti(data: Path, rules: Path, wait: bool = True) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "DTI_LOG_LEVEL": "WARNING", "DTI_WATCH_RULES": "false"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.cli",
            "up",
            "--port",
            str(port),
            "--data-dir",
            str(data),
            "--rules",
            str(rules),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    if wait:
        _wait_ready(url, proc)
    return proc, url


def start_bare(wait: bool = True) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.bare_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    if wait:
        _wait_ready(url, proc)
    return proc, url


def make_key(data: Path, source: str) -> str:
    """A source key in the data directory's key store, as `dti keys create` makes it (in-process: a second
    Python start-up per key is set-up time the quick run cannot spare)."""
    from services.ingest.keys import KeyStore

    data.mkdir(parents=True, exist_ok=True)
    _info, key = KeyStore(data / "keys.sqlite").create(source, None)
    return key


def batch_body(rules: RuleSet, source: str, n: int) -> bytes:
    metrics = sorted(
        rules.catalog.sources[source] & {m for m, x in rules.catalog.metrics.items() if x.type == "counter"}
    )
    units = [u.code for u in rules.org_tree.units]
    when = (clock.now() - timedelta(days=1)).isoformat()
    events = [
        {
            "event_id": f"b-{os.getpid()}-{next(_ids)}",
            "source": source,
            "org_unit": units[i % len(units)],
            "metric": metrics[i % len(metrics)],
            "value": 1,
            "occurred_at": when,
        }
        for i in range(n)
    ]
    return json.dumps({"events": events}).encode()


async def throughput(url: str, key: str, rules: RuleSet, seconds: float, concurrency: int = 16) -> float:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    sent = 0
    stop = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal sent
        while time.monotonic() < stop:
            r = await client.post("/v1/events", content=batch_body(rules, "lgsp", 100), headers=headers)
            if r.status_code != 202:
                raise RuntimeError(f"{r.status_code}: {r.text[:300]}")
            sent += 100

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        t0 = time.monotonic()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return sent / (time.monotonic() - t0)


def probe_event(unit: str, metric: str, value: float) -> dict[str, Any]:
    """A latency probe: a new level of a department gauge, stamped now."""
    return {
        "event_id": f"p-{os.getpid()}-{next(_ids)}",
        "source": "department",
        "org_unit": unit,
        "metric": metric,
        "value": value,
        "occurred_at": clock.now().isoformat(),
    }


def probe_indicator(rules: RuleSet) -> tuple[str, str, str, str]:
    """A province-level indicator read straight from one gauge: (framework, indicator, metric, unit)."""
    root = rules.org_tree.roots[0]
    for fw in rules.frameworks.values():
        for ind in fw.indicators.values():
            if (
                isinstance(ind.formula, Latest)
                and root.level in ind.levels
                and ind.formula.scale == 1.0
                and rules.catalog.metrics[ind.formula.metric].type == "gauge"
                and ind.formula.metric in rules.catalog.sources.get("department", frozenset())
            ):
                return fw.code, ind.code, ind.formula.metric, root.code
    raise RuntimeError("no gauge indicator at the province to probe")


async def latency(
    url: str, lgsp_key: str, dept_key: str, rules: RuleSet, seconds: float, rate: int = 1000
) -> tuple[list[float], float]:
    """Event-to-score latency under `rate` events/s of background load: (samples in seconds, the background
    rate actually achieved). A probe POSTs a new level of a department gauge at the province and polls
    GET /v1/scores until the indicator shows it; the time runs from just before the POST to the response
    that shows it. Background requests are sent on a fixed schedule (not one after the other), so a slow
    response does not lower the load."""
    fw, code, metric, unit = probe_indicator(rules)
    stop = time.monotonic() + seconds
    samples: list[float] = []
    sent = 0
    per_request = 50

    async def background(client: httpx.AsyncClient) -> None:
        nonlocal sent
        headers = {"Authorization": f"Bearer {lgsp_key}", "Content-Type": "application/json"}
        interval = per_request / rate
        pending: set[asyncio.Task[None]] = set()

        async def post(body: bytes) -> None:
            nonlocal sent
            r = await client.post("/v1/events", content=body, headers=headers)
            if r.status_code != 202:
                raise RuntimeError(f"{r.status_code}: {r.text[:300]}")
            sent += per_request

        nxt = time.monotonic()
        while time.monotonic() < stop:
            task = asyncio.create_task(post(batch_body(rules, "lgsp", per_request)))
            pending.add(task)
            task.add_done_callback(pending.discard)
            nxt += interval
            await asyncio.sleep(max(0.0, nxt - time.monotonic()))
        if pending:
            await asyncio.gather(*pending)

    async def probes(client: httpx.AsyncClient) -> None:
        headers = {"Authorization": f"Bearer {dept_key}"}
        value = 1000.0
        await asyncio.sleep(0.5)  # let the background load reach its rate
        while time.monotonic() < stop:
            value += 1
            ev = probe_event(unit, metric, value)
            t0 = time.perf_counter()
            r = await client.post("/v1/events", json=ev, headers=headers)
            assert r.status_code == 202, r.text
            while True:
                tree = (await client.get("/v1/scores", params={"org_unit": unit, "framework": fw})).json()
                got = next(i["value"] for m in tree["main_indicators"] for i in m["indicators"] if i["code"] == code)
                if got == value:
                    break
                await asyncio.sleep(0.002)
            samples.append(time.perf_counter() - t0)
            await asyncio.sleep(0.1)

    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        t0 = time.monotonic()
        await asyncio.gather(background(client), probes(client))
        achieved = sent / (time.monotonic() - t0)
    return samples, achieved


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def measure(quick: bool) -> dict[str, Any]:
    """Both servers run side by side; the ceiling and ingest phases alternate (one pair in a quick run,
    three in a full one) so that both see the same machine, and the medians are compared."""
    seconds = 3.0 if quick else 5.0
    rounds = 1 if quick else 3
    rules_path = ROOT / "rules"
    rules = load_ruleset(rules_path)
    out: dict[str, Any] = {"seconds_per_phase": seconds, "rounds": rounds}
    ceilings: list[float] = []
    ingests: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        lgsp = make_key(data, "lgsp")
        dept = make_key(data, "department")
        # both start at once (start-up is not measured), then both must answer
        proc, url = start_dti(data, rules_path, wait=False)
        bare, bare_url = start_bare(wait=False)
        try:
            _wait_ready(url, proc)
            _wait_ready(bare_url, bare)
            for _ in range(rounds):
                ceilings.append(asyncio.run(throughput(bare_url, "none", rules, seconds)))
                ingests.append(asyncio.run(throughput(url, lgsp, rules, seconds)))
            samples, achieved = asyncio.run(latency(url, lgsp, dept, rules, 3.0 if quick else 15.0))
        finally:
            for p in (proc, bare):
                p.terminate()
                p.wait()
    out["ceiling_runs"] = ceilings
    out["ingest_runs"] = ingests
    out["ceiling_events_per_s"] = statistics.median(ceilings)
    out["ingest_events_per_s"] = statistics.median(ingests)
    out["ingest_ratio"] = out["ingest_events_per_s"] / out["ceiling_events_per_s"]
    out["latency_load_events_per_s"] = achieved
    out["latency_p50_ms"] = pct(samples, 50) * 1000
    out["latency_p99_ms"] = pct(samples, 99) * 1000
    out["latency_max_ms"] = max(samples) * 1000
    out["latency_samples"] = len(samples)
    out["latency_mean_ms"] = statistics.fmean(samples) * 1000
    return out


def figures(r: dict[str, Any]) -> list[Figure]:
    return [
        Figure(
            "ingest.events_per_s",
            r["ingest_events_per_s"],
            "events/s",
            ceiling=r["ceiling_events_per_s"],  # a bare FastAPI endpoint validating the same body
            ratio=r["ingest_ratio"],
            goal=f"≥ {GOALS['ingest_ratio']:.2f} of the ceiling",
            met=r["ingest_ratio"] >= GOALS["ingest_ratio"],
        ),
        load_figure("latency.load_events_per_s", r["latency_load_events_per_s"]),
        Figure("latency.p50_ms", r["latency_p50_ms"], "ms"),
        Figure(
            "latency.p99_ms",
            r["latency_p99_ms"],
            "ms",
            goal=f"< {GOALS['latency_p99_ms']:g} ms ({r['latency_samples']} probes)",
            met=r["latency_p99_ms"] < GOALS["latency_p99_ms"],
        ),
    ]


def run(quick: bool) -> list[Figure]:
    return figures(measure(quick))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    r = measure(args.quick)
    runs = ", ".join(f"{i:,.0f}/{c:,.0f}" for i, c in zip(r["ingest_runs"], r["ceiling_runs"], strict=True))
    print(f"ingest (embedded, batches of 100): {r['ingest_events_per_s']:,.0f} events/s (median)")
    print(f"ceiling (bare FastAPI endpoint, same body): {r['ceiling_events_per_s']:,.0f} events/s (median)")
    print(f"phases of {r['seconds_per_phase']:g} s, ingest/ceiling in turn: {runs}")
    print(
        f"ratio: {r['ingest_ratio']:.2f} (goal >= {GOALS['ingest_ratio']:.2f}): "
        f"{'met' if r['ingest_ratio'] >= GOALS['ingest_ratio'] else 'NOT met'}"
    )
    print(
        f"event-to-score latency at {r['latency_load_events_per_s']:,.0f} events/s of background load: "
        f"p50 {r['latency_p50_ms']:.1f} ms, p99 {r['latency_p99_ms']:.1f} ms, max {r['latency_max_ms']:.1f} ms "
        f"over {r['latency_samples']} probes (goal p99 < {GOALS['latency_p99_ms']:g} ms): "
        f"{'met' if r['latency_p99_ms'] < GOALS['latency_p99_ms'] else 'NOT met'}"
    )
    if args.json:
        args.json.write_text(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
