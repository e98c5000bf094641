"""Before/after of the scoring core in ONE process: `shared/scoring` as of an older commit (loaded from git as a
second package) beside the working tree's, on the same rules and events, taking turns block by block, so that
whatever else the machine does hits both alike.

Run: .venv/bin/python -m benchmarks.ab_scoring --before COMMIT [--rounds 20] [--block 1000] [--mix level|all]

Prints, per implementation: CPU µs per event with `apply` at 10 and 10,000 units, the ratio of the two, full
rescoring of 10,000 units, the same events with every changed unit score read after each block (what an
alert round or a Kafka emit round does: scores kept below the root are brought up to date when read, so
`apply` alone does not show that cost), and the embedded path (`apply_many` in chunks of 1,000 on the province
rules, with the ingest benchmark's batches and with random events). The older code must work with the current
`shared.rules` and `shared.periods` (it is imported beside them).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.synthetic import ROOT, events, province, seed_every_unit

BEFORE_PACKAGE = "shared_before"


def load_before(commit: str, where: Path) -> ModuleType:
    """`shared/scoring` at `commit` as the package `shared_before.scoring`; returns its engine module."""
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{commit}:shared/scoring"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    pkg = where / BEFORE_PACKAGE / "scoring"
    pkg.mkdir(parents=True)
    (where / BEFORE_PACKAGE / "__init__.py").write_text("")
    for name in names:
        if not name.endswith(".py"):
            continue
        text = subprocess.run(
            ["git", "show", f"{commit}:shared/scoring/{name}"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
        text = text.replace("from shared.scoring.", f"from {BEFORE_PACKAGE}.scoring.")
        (pkg / name).write_text(text)
    sys.path.insert(0, str(where))
    return importlib.import_module(f"{BEFORE_PACKAGE}.scoring.engine")


def _seeded(mod: ModuleType, rules: Any) -> Any:
    from shared.periods import year_quarter

    engine = mod.ScoringEngine(rules)
    by_code = rules.org_tree.by_code
    for i, ev in enumerate(seed_every_unit(rules), 1):
        year, q = year_quarter(ev.occurred_at)
        engine.store.add(ev.metric, by_code[ev.org_unit], year, q, ev.value, ts=ev.occurred_at.timestamp(), seq=i)
    engine.rescore_all()
    return engine


def per_event(impls: dict[str, ModuleType], rounds: int, block: int, mix: str) -> None:
    from services.common.gc_tuning import tune_for_long_lived_state

    sizes = (10, 10_000)
    engines: dict[tuple[str, int], Any] = {}
    evs: dict[tuple[str, int], list[Any]] = {}
    for n in sizes:
        rules = province(n)
        raw = events(rules, block * (rounds + 1), mix=mix)
        for name, mod in impls.items():
            engines[(name, n)] = _seeded(mod, rules)
            evs[(name, n)] = [mod.MetricEvent(e.metric, e.org_unit, e.value, e.occurred_at) for e in raw]
    tune_for_long_lived_state()
    for k, engine in engines.items():
        for ev in evs[k][:block]:
            engine.apply(ev)
    res: dict[tuple[str, int], list[float]] = {k: [] for k in engines}
    keys = list(engines)
    for r in range(rounds):
        for k in keys if r % 2 == 0 else keys[::-1]:
            engine, chunk = engines[k], evs[k][block * (r + 1) : block * (r + 2)]
            t = time.process_time()
            for ev in chunk:
                engine.apply(ev)
            res[k].append((time.process_time() - t) / block * 1e6)
    med = {k: statistics.median(v) for k, v in res.items()}
    print(f"apply, one event at a time ({mix} mix, {rounds} rounds of {block:,}; CPU µs/event, medians)")
    for name in impls:
        ratios = sorted(a / b for a, b in zip(res[(name, 10_000)], res[(name, 10)], strict=True))
        print(
            f"  {name:>6}: 10 units {med[(name, 10)]:6.1f}, 10,000 units {med[(name, 10_000)]:6.1f}, "
            f"× {med[(name, 10_000)] / med[(name, 10)]:.2f} (per round: median {statistics.median(ratios):.2f}, "
            f"quartiles {ratios[len(ratios) // 4]:.2f}–{ratios[3 * len(ratios) // 4]:.2f})"
        )
    rescore: dict[str, list[float]] = {name: [] for name in impls}
    for _ in range(3):
        for name in impls:
            t = time.process_time()
            engines[(name, 10_000)].rescore_all()
            rescore[name].append(time.process_time() - t)
    print(
        "full rescoring of 10,000 units (CPU s, median of 3): "
        + ", ".join(f"{name} {statistics.median(v):.3f}" for name, v in rescore.items())
    )


def with_reads(impls: dict[str, ModuleType], rounds: int, block: int, mix: str) -> None:
    """`apply` one event at a time, then a copy of every unit score the block changed (as the alert rounds
    copy them): the cost of reading included, for the worst cadence (every changed score read after each
    block; with 10,000 units most of a block's events are at units no other event of the block touched)."""
    from services.alerts.runtime import copy_score
    from services.common.gc_tuning import tune_for_long_lived_state

    sizes = (10, 10_000)
    engines: dict[tuple[str, int], Any] = {}
    evs: dict[tuple[str, int], list[Any]] = {}
    for n in sizes:
        rules = province(n)
        raw = events(rules, block * (rounds + 1), seed=11, mix=mix)
        for name, mod in impls.items():
            engines[(name, n)] = _seeded(mod, rules)
            evs[(name, n)] = [mod.MetricEvent(e.metric, e.org_unit, e.value, e.occurred_at) for e in raw]
    tune_for_long_lived_state()
    res: dict[tuple[str, int], list[tuple[float, float, int]]] = {k: [] for k in engines}
    keys = list(engines)
    for r in range(rounds + 1):
        for k in keys if r % 2 == 0 else keys[::-1]:
            engine, chunk = engines[k], evs[k][block * r : block * (r + 1)]
            t = time.process_time()
            changed = {}
            for ev in chunk:
                for us in engine.apply(ev):
                    changed[(us.framework, us.unit, us.year)] = us
            applied = time.process_time() - t
            t = time.process_time()
            for us in changed.values():
                copy_score(us)
            read = time.process_time() - t
            if r:  # the first block warms up
                res[k].append((applied / block * 1e6, read / block * 1e6, len(changed)))
    print(f"apply, then a copy of every changed unit score after each block of {block:,} (CPU µs/event, medians)")
    for name in impls:
        parts = []
        for n in sizes:
            got = res[(name, n)]
            a, rd = statistics.median(x[0] for x in got), statistics.median(x[1] for x in got)
            total = statistics.median(x[0] + x[1] for x in got)
            changed_units = statistics.median(x[2] for x in got)
            parts.append(
                f"{n:,} units: apply {a:.1f} + read {rd:.1f} = {total:.1f} ({changed_units:.0f} scores read a block)"
            )
        print(f"  {name:>6}: " + "; ".join(parts))


def batched(impls: dict[str, ModuleType], rounds: int) -> None:
    from services.common.gc_tuning import tune_for_long_lived_state
    from shared.periods import PROVINCE_TZ
    from shared.rules.loader import load_ruleset

    rules = load_ruleset(ROOT / "rules")
    units = [u.code for u in rules.org_tree.units]
    counters = {m for m, x in rules.catalog.metrics.items() if x.type == "counter"}
    metrics = sorted(rules.catalog.sources["lgsp"] & counters)
    when = datetime(2025, 11, 20, 9, tzinfo=PROVINCE_TZ)
    n = 1000 * (rounds + 1)
    ingest_like = [(metrics[i % len(metrics)], units[i % len(units)], 1.0, when) for i in range(100)] * (n // 100)
    random_events = [(e.metric, e.org_unit, e.value, e.occurred_at) for e in events(rules, n, seed=5)]
    patterns = {"ingest benchmark's batches": ingest_like, "random events": random_events}
    engines: dict[tuple[str, str], tuple[Any, list[Any]]] = {}
    for name, mod in impls.items():
        for p, raw in patterns.items():
            engine = mod.ScoringEngine(rules)
            evs = [mod.MetricEvent(*x) for x in raw]
            engine.apply_many(evs[:1000])
            engines[(name, p)] = (engine, evs)
    tune_for_long_lived_state()
    res: dict[tuple[str, str], list[float]] = {k: [] for k in engines}
    keys = list(engines)
    for r in range(rounds):
        for k in keys if r % 2 == 0 else keys[::-1]:
            engine, evs = engines[k]
            chunk = evs[1000 * (r + 1) : 1000 * (r + 2)]
            t = time.process_time()
            engine.apply_many(chunk)
            res[k].append((time.process_time() - t) / len(chunk) * 1e6)
    print("apply_many in chunks of 1,000 on the province rules (both frameworks; CPU µs/event, medians)")
    for p in patterns:
        b, a = (statistics.median(res[(name, p)]) for name in impls)
        print(f"  {p}: before {b:.1f}, after {a:.1f} (after/before {a / b:.2f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="the commit whose shared/scoring is 'before'")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--block", type=int, default=1000)
    ap.add_argument("--mix", choices=("level", "all"), default="level")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        impls = {
            "before": load_before(args.before, Path(tmp)),
            "after": importlib.import_module("shared.scoring.engine"),
        }
        per_event(impls, args.rounds, args.block, args.mix)
        with_reads(impls, max(8, args.rounds // 2), args.block, args.mix)
        batched(impls, max(8, args.rounds // 2))


if __name__ == "__main__":
    main()
