"""Where the incremental cost grows with the number of units: `ScoringEngine.apply` at 10 and 10,000 units in
one process, sizes in turns, CPU time per phase (µs/event, median over the rounds).

Run: .venv/bin/python -m benchmarks.phases_scoring [--rounds 40] [--block 1000]

Each phase is timed by a wrapper around it (the wrappers add a constant to both sizes, so read the extra at
10,000 units, not the totals). `update_indicators` contains the indicators, main indicators and composites of
the root (the units below it keep scores computed when read, `_LazyScore`); what it holds beyond those three
is writing the new results into the root's score (and dropping the old ones). `update_lazy` is the units below
the root (their indicators, the comparison with the kept values, marking the score stale). `store` is the store
write of the unit and its ancestors.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import shared.scoring.engine as engine_module
from benchmarks.synthetic import events, province, seed_every_unit
from services.common.gc_tuning import tune_for_long_lived_state
from shared.periods import year_quarter

SIZES = (10, 10_000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--block", type=int, default=1000)
    args = ap.parse_args()
    clock = time.process_time_ns
    spent: defaultdict[tuple[int, str], int] = defaultdict(int)
    size = [0]

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            t = clock()
            try:
                return fn(*a, **k)
            finally:
                spent[(size[0], name)] += clock() - t

        return wrapper

    for attr, name in (("evaluate_main_from_row", "main indicators"), ("evaluate_planned_composite", "composites")):
        setattr(engine_module, attr, timed(name, getattr(engine_module, attr)))
    engines: dict[int, Any] = {}
    evs: dict[int, list[Any]] = {}
    for n in SIZES:
        rules = province(n)
        eng = engine_module.ScoringEngine(rules)
        by_code = rules.org_tree.by_code
        for seq, ev in enumerate(seed_every_unit(rules), 1):
            y, q = year_quarter(ev.occurred_at)
            eng.store.add(ev.metric, by_code[ev.org_unit], y, q, ev.value, ts=ev.occurred_at.timestamp(), seq=seq)
        eng.rescore_all()
        setattr(eng.store, "add", timed("store", eng.store.add))  # noqa: B010 (the wrapper is the point)
        for cf in eng.compiled.values():
            for lv in rules.org_tree.levels:
                plan = cf.level_plan(lv)
                where = "indicators, " + ("bottom level" if lv == rules.org_tree.levels[-1] else "upper levels")
                for c in list(plan.evaluators):
                    plan.evaluators[c] = timed(where, plan.evaluators[c])
        setattr(eng, "_update_indicators", timed("update_indicators (all of it)", eng._update_indicators))  # noqa: B010
        setattr(eng, "_update_lazy", timed("update_lazy (below the root)", eng._update_lazy))  # noqa: B010
        engines[n] = eng
        evs[n] = events(rules, (args.rounds + 1) * args.block)
    tune_for_long_lived_state()
    for n in SIZES:
        for ev in evs[n][: args.block]:
            engines[n].apply(ev)
    spent.clear()
    per: defaultdict[tuple[int, str], list[float]] = defaultdict(list)
    for r in range(args.rounds):
        for n in SIZES if r % 2 == 0 else SIZES[::-1]:
            before = dict(spent)
            size[0] = n
            eng = engines[n]
            chunk = evs[n][(r + 1) * args.block : (r + 2) * args.block]
            t = clock()
            for ev in chunk:
                eng.apply(ev)
            per[(n, "apply (all of it)")].append((clock() - t) / args.block / 1000)
            for (m, name), ns in spent.items():
                if m == n:
                    per[(n, name)].append((ns - before.get((m, name), 0)) / args.block / 1000)
    print(f"{'phase':32} {'10 units':>9} {'10,000':>9} {'extra':>8}   CPU µs/event, median of {args.rounds} rounds")
    for name in sorted({k[1] for k in per}):
        a, b = (statistics.median(per[(n, name)] or [0.0]) for n in SIZES)
        print(f"{name:32} {a:9.2f} {b:9.2f} {b - a:+8.2f}")


if __name__ == "__main__":
    main()
