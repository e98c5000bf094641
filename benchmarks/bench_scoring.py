"""Scoring core benchmarks: per-event incremental cost at 10 / 1,000 / 10,000 units, full rescoring of
10,000 units under dti-2022.yaml, and the resident memory of that state.

Run: .venv/bin/python -m benchmarks.bench_scoring [--quick] [--json FILE]
Each size runs in its own process so that memory figures do not mix.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS = {"flatness": 1.3, "full_rescore_s": 1.0, "rss_mb": 300.0}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(n_units: int, n_events: int) -> dict[str, float]:
    from benchmarks.synthetic import events, load, seed_every_unit
    from services.common.gc_tuning import tune_for_long_lived_state
    from shared.scoring.engine import ScoringEngine

    with tempfile.TemporaryDirectory() as tmp:
        rules = load(Path(tmp), n_units)
    rss0 = _rss_mb()
    engine = ScoringEngine(rules)
    for ev in seed_every_unit(rules):
        engine.apply(ev)
    rss_loaded = _rss_mb()
    tune_for_long_lived_state()  # as the services do after recovery
    evs = events(rules, n_events)
    for ev in evs[: n_events // 10]:  # warm-up
        engine.apply(ev)
    t0 = time.perf_counter()
    for ev in evs:
        engine.apply(ev)
    per_event_us = (time.perf_counter() - t0) / len(evs) * 1e6
    t0 = time.perf_counter()
    engine.rescore_all()
    full_s = time.perf_counter() - t0
    return {
        "units": n_units,
        "per_event_us": per_event_us,
        "full_rescore_s": full_s,
        "state_rss_mb": rss_loaded - rss0,
        "rss_mb": _rss_mb(),
        "scored_units": len(engine.results) / max(1, len(engine.compiled)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer events")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    n_events = 5_000 if args.quick else 30_000
    if args.one:
        print(json.dumps(measure(args.one, n_events)))
        return
    rows = []
    for n in (10, 1_000, 10_000):
        cmd = [sys.executable, "-m", "benchmarks.bench_scoring", "--one", str(n)] + (["--quick"] if args.quick else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    base = rows[0]["per_event_us"]
    print(f"{'units':>7} {'µs/event':>10} {'× vs 10':>8} {'full rescore s':>15} {'state MB':>9} {'RSS MB':>7}")
    for r in rows:
        print(
            f"{r['units']:>7} {r['per_event_us']:>10.1f} {r['per_event_us'] / base:>8.2f} "
            f"{r['full_rescore_s']:>15.3f} {r['state_rss_mb']:>9.1f} {r['rss_mb']:>7.1f}"
        )
    big = rows[-1]
    flat = big["per_event_us"] / base
    print(
        f"\nincremental cost 10 -> 10,000 units: {flat:.2f}× (goal ≤ {GOALS['flatness']}×): "
        f"{'met' if flat <= GOALS['flatness'] else 'NOT met'}"
    )
    print(
        f"full rescoring of 10,000 units: {big['full_rescore_s']:.3f} s (goal < {GOALS['full_rescore_s']} s): "
        f"{'met' if big['full_rescore_s'] < GOALS['full_rescore_s'] else 'NOT met'}"
    )
    print(
        f"resident memory with 10,000 units: {big['rss_mb']:.0f} MB (goal < {GOALS['rss_mb']:.0f} MB): "
        f"{'met' if big['rss_mb'] < GOALS['rss_mb'] else 'NOT met'}"
    )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "flatness": flat}, indent=2))


if __name__ == "__main__":
    main()
