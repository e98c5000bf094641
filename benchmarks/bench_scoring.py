"""Scoring core benchmarks: per-event incremental cost at 10 / 1,000 / 10,000 units, full rescoring of
10,000 units under dti-2022.yaml (alone, and as part of a rules reload), and the resident memory of that state.

Run: .venv/bin/python -m benchmarks.bench_scoring [--quick] [--json FILE]

How, so that the ratios mean something on a shared machine:
- One process holds a scored province of each size at once (built and seeded first, then the garbage
  collector tuned as the services tune it), and the events go to the sizes in turns: blocks of events for
  10, 1,000 and 10,000 units one after the other, round after round. Whatever else the machine is doing
  hits every size alike, and the ratio of the 10,000-unit cost to the 10-unit cost is taken within a round.
- Times are the process's CPU time (what the code costs), with the wall-clock time beside it in the
  detailed table: with other work on the machine the wall clock also counts time spent waiting for a core.
- The per-event figure is `ScoringEngine.apply` one event at a time, every event doing its real work: the
  store update of the unit and its ancestors and the recomputation of what depends on the metric there.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.figures import Figure

SIZES = (10, 1_000, 10_000)
GOALS = {"flatness": 1.3, "full_rescore_s": 1.0, "rss_mb": 300.0}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _timed(fn: Any) -> tuple[float, float]:
    c, w = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c, time.perf_counter() - w


def measure(quick: bool, mix: str = "level") -> dict[str, Any]:
    """Runs in a process of its own (see `run`); returns the raw samples."""
    from benchmarks.synthetic import events, province, seed_every_unit
    from services.common.gc_tuning import tune_for_long_lived_state
    from shared.periods import year_quarter
    from shared.scoring.engine import ScoringEngine

    rounds, block = (8, 400) if quick else (16, 2_000)
    warmup = block
    engines: dict[int, ScoringEngine] = {}
    evs: dict[int, list[Any]] = {}
    setup_s: dict[int, float] = {}
    rss_before = _rss_mb()
    for n in sorted(SIZES, reverse=True):  # the biggest first: its memory is measured before the others exist
        t0 = time.perf_counter()
        rules = province(n)
        engine = ScoringEngine(rules)
        # every unit reports what it should: written to the store, then scored once (the same state as
        # applying the events one by one: the property tests show incremental == full)
        by_code = rules.org_tree.by_code
        for seq, ev in enumerate(seed_every_unit(rules), 1):
            year, q = year_quarter(ev.occurred_at)
            engine.store.add(ev.metric, by_code[ev.org_unit], year, q, ev.value, ts=ev.occurred_at.timestamp(), seq=seq)
        engine.rescore_all()
        engines[n] = engine
        evs[n] = events(rules, warmup + rounds * block, mix=mix)
        setup_s[n] = time.perf_counter() - t0
        if n == max(SIZES):
            state_mb = _rss_mb() - rss_before
    tune_for_long_lived_state()  # as the services do after recovery
    for n, engine in engines.items():
        for ev in evs[n][:warmup]:
            engine.apply(ev)
    cpu: dict[int, list[float]] = {n: [] for n in SIZES}
    wall: dict[int, list[float]] = {n: [] for n in SIZES}
    for r in range(rounds):
        for n in SIZES if r % 2 == 0 else tuple(reversed(SIZES)):
            engine = engines[n]
            chunk = evs[n][warmup + r * block : warmup + (r + 1) * block]

            def apply_chunk(engine: ScoringEngine = engine, chunk: list[Any] = chunk) -> None:
                for ev in chunk:
                    engine.apply(ev)

            c, w = _timed(apply_chunk)
            cpu[n].append(c / block * 1e6)
            wall[n].append(w / block * 1e6)
    big = engines[max(SIZES)]
    rescore = [_timed(big.rescore_all) for _ in range(2 if quick else 3)]
    rss_mb = _rss_mb()  # all three provinces scored, before a reload makes garbage
    reload_rules = province(max(SIZES))  # a rules reload: a new RuleSet object for the same files
    reload = [_timed(lambda: big.swap_rules(reload_rules)) for _ in range(1 if quick else 2)]
    return {
        "mix": mix,
        "rounds": rounds,
        "block": block,
        "cpu_us": cpu,
        "wall_us": wall,
        "rescore_cpu_s": [c for c, _ in rescore],
        "rescore_wall_s": [w for _, w in rescore],
        "reload_cpu_s": [c for c, _ in reload],
        "reload_wall_s": [w for _, w in reload],
        "scored_units": len(big.results) / max(1, len(big.compiled)),
        "state_mb": state_mb,
        "rss_mb": rss_mb,
        "setup_s": setup_s,
    }


def _sample(quick: bool, mix: str = "level") -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.bench_scoring", "--worker", "--mix", mix] + (["--quick"] if quick else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    raw: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    for k in ("cpu_us", "wall_us", "setup_s"):
        raw[k] = {int(n): v for n, v in raw[k].items()}
    return raw


def figures(raw: dict[str, Any]) -> list[Figure]:
    med = {n: statistics.median(v) for n, v in raw["cpu_us"].items()}
    base = med[SIZES[0]]
    out = [Figure(f"scoring.incremental_us.{SIZES[0]}", med[SIZES[0]], "µs/event")]
    for n in SIZES[1:]:
        flat = med[n] / base
        last = n == max(SIZES)
        out.append(
            Figure(
                f"scoring.incremental_us.{n}",
                med[n],
                "µs/event",
                ceiling=base,  # the same events' cost with 10 units, in the same rounds
                ratio=flat,
                goal=f"≤ {GOALS['flatness']}× the cost at 10 units" if last else "",
                met=flat <= GOALS["flatness"] if last else None,
            )
        )
    full = statistics.median(raw["rescore_cpu_s"])
    out.append(
        Figure(
            f"scoring.full_rescore_s.{max(SIZES)}",
            full,
            "s",
            goal=f"< {GOALS['full_rescore_s']:g} s",
            met=full < GOALS["full_rescore_s"],
        )
    )
    out.append(Figure(f"scoring.rules_reload_s.{max(SIZES)}", statistics.median(raw["reload_cpu_s"]), "s"))
    out.append(
        Figure(
            f"scoring.rss_mb.{max(SIZES)}",
            raw["rss_mb"],
            "MB",
            goal=f"< {GOALS['rss_mb']:g} MB",
            met=raw["rss_mb"] < GOALS["rss_mb"],
        )
    )
    return out


def run(quick: bool) -> list[Figure]:
    return figures(_sample(quick))


def _per_round_ratios(raw: dict[str, Any], n: int) -> list[float]:
    return [a / b for a, b in zip(raw["cpu_us"][n], raw["cpu_us"][SIZES[0]], strict=True)]


def report(raw: dict[str, Any]) -> str:
    lines = [
        f"{raw['rounds']} rounds of {raw['block']:,} events per size ({raw['mix']} mix); "
        "CPU time (wall clock in brackets), median and range over the rounds",
        f"{'units':>7} {'µs/event':>10} {'range':>15} {'wall':>8} {'× vs 10':>8} {'× range (per round)':>21}",
    ]
    for n in SIZES:
        c = raw["cpu_us"][n]
        w = raw["wall_us"][n]
        ratios = _per_round_ratios(raw, n)
        lines.append(
            f"{n:>7,} {statistics.median(c):>10.1f} {min(c):>7.1f}–{max(c):<7.1f} ({statistics.median(w):>6.1f}) "
            f"{statistics.median(c) / statistics.median(raw['cpu_us'][SIZES[0]]):>8.2f} "
            f"{min(ratios):>10.2f}–{max(ratios):<10.2f}"
        )
    rc, rw = raw["rescore_cpu_s"], raw["rescore_wall_s"]
    lines.append(
        f"full rescoring of {raw['scored_units']:,.0f} units: {statistics.median(rc):.3f} s "
        f"(runs {', '.join(f'{x:.3f}' for x in rc)}; wall {', '.join(f'{x:.3f}' for x in rw)})"
    )
    lc, lw = raw["reload_cpu_s"], raw["reload_wall_s"]
    lines.append(
        f"rules reload (store copied or rebuilt, then full rescoring): {statistics.median(lc):.3f} s "
        f"(runs {', '.join(f'{x:.3f}' for x in lc)}; wall {', '.join(f'{x:.3f}' for x in lw)})"
    )
    lines.append(
        f"memory: state of 10,000 units {raw['state_mb']:.0f} MB, process RSS at the end {raw['rss_mb']:.0f} MB"
    )
    lines.append("")
    for f in figures(raw):
        if f.goal:
            shown = f"{f.ratio:.2f}×" if f.ratio is not None else f"{f.value:.3g} {f.unit}"
            lines.append(f"{f.name}: {shown} (goal {f.goal}): {'met' if f.met else 'NOT met'}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer rounds and events")
    ap.add_argument("--json", type=Path, help="also write the raw samples here")
    ap.add_argument(
        "--mix",
        choices=("level", "all"),
        default="level",
        help="level: events carry metrics their units report (default); all: any metric (see synthetic.events)",
    )
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(measure(args.quick, args.mix)))
        return
    raw = _sample(args.quick, args.mix)
    print(report(raw))
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
