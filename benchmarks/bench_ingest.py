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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.synthetic import ROOT
from shared.periods import PROVINCE_TZ
from shared.rules.loader import load_ruleset
from shared.rules.model import Latest, RuleSet

_ids = itertools.count()


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


def start_dti(data: Path, rules: Path) -> tuple[subprocess.Popen[bytes], str]:
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
    _wait_ready(url, proc)
    return proc, url


def start_bare() -> tuple[subprocess.Popen[bytes], str]:
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
    _wait_ready(url, proc)
    return proc, url


def make_key(data: Path, rules: Path, source: str) -> str:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli",
            "keys",
            "create",
            "--source",
            source,
            "--data-dir",
            str(data),
            "--rules",
            str(rules),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def batch_body(rules: RuleSet, source: str, n: int) -> bytes:
    metrics = sorted(
        rules.catalog.sources[source] & {m for m, x in rules.catalog.metrics.items() if x.type == "counter"}
    )
    units = [u.code for u in rules.org_tree.units]
    when = (datetime.now(PROVINCE_TZ) - timedelta(days=1)).isoformat()
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
) -> list[float]:
    fw, code, metric, unit = probe_indicator(rules)
    stop = time.monotonic() + seconds
    samples: list[float] = []

    async def background(client: httpx.AsyncClient) -> None:
        # 1,000 events/s as 20 requests/s of 50 events
        headers = {"Authorization": f"Bearer {lgsp_key}", "Content-Type": "application/json"}
        interval = 50 / rate
        nxt = time.monotonic()
        while time.monotonic() < stop:
            await client.post("/v1/events", content=batch_body(rules, "lgsp", 50), headers=headers)
            nxt += interval
            await asyncio.sleep(max(0.0, nxt - time.monotonic()))

    async def probes(client: httpx.AsyncClient) -> None:
        headers = {"Authorization": f"Bearer {dept_key}"}
        value = 1000.0
        while time.monotonic() < stop:
            value += 1
            ev = {
                "event_id": f"p-{os.getpid()}-{next(_ids)}",
                "source": "department",
                "org_unit": unit,
                "metric": metric,
                "value": value,
                "occurred_at": datetime.now(PROVINCE_TZ).isoformat(),
            }
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

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await asyncio.gather(background(client), probes(client))
    return samples


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def run(quick: bool) -> dict[str, Any]:
    seconds = 5.0 if quick else 15.0
    rules_path = ROOT / "rules"
    rules = load_ruleset(rules_path)
    out: dict[str, Any] = {}
    bare, bare_url = start_bare()
    try:
        out["ceiling_events_per_s"] = asyncio.run(throughput(bare_url, "none", rules, seconds))
    finally:
        bare.terminate()
        bare.wait()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        lgsp = make_key(data, rules_path, "lgsp")
        dept = make_key(data, rules_path, "department")
        proc, url = start_dti(data, rules_path)
        try:
            out["ingest_events_per_s"] = asyncio.run(throughput(url, lgsp, rules, seconds))
            samples = asyncio.run(latency(url, lgsp, dept, rules, seconds))
        finally:
            proc.terminate()
            proc.wait()
    out["ingest_ratio"] = out["ingest_events_per_s"] / out["ceiling_events_per_s"]
    out["latency_p50_ms"] = pct(samples, 50) * 1000
    out["latency_p99_ms"] = pct(samples, 99) * 1000
    out["latency_samples"] = len(samples)
    out["latency_mean_ms"] = statistics.fmean(samples) * 1000
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    r = run(args.quick)
    print(f"ingest (embedded, batches of 100): {r['ingest_events_per_s']:,.0f} events/s")
    print(f"ceiling (bare FastAPI endpoint, same body): {r['ceiling_events_per_s']:,.0f} events/s")
    print(f"ratio: {r['ingest_ratio']:.2f} (goal >= 0.50): {'met' if r['ingest_ratio'] >= 0.5 else 'NOT met'}")
    print(
        f"event-to-score latency at ~1,000 events/s: p50 {r['latency_p50_ms']:.1f} ms, "
        f"p99 {r['latency_p99_ms']:.1f} ms over {r['latency_samples']} probes (goal p99 < 250 ms): "
        f"{'met' if r['latency_p99_ms'] < 250 else 'NOT met'}"
    )
    if args.json:
        args.json.write_text(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
