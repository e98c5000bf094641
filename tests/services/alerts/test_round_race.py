"""Alert rounds beside a scorer that keeps applying events from another thread (issue 14, item 6).

The embedded runtime's scorer mutates the engine's results and the newest-data map in place; a round that
read them from the alerts thread failed now and then with "dictionary changed size during iteration".
Here a thread applies events through the runtime's own `_apply_chunk` (new years and units add unit
scores, new metrics newest-data keys, and a rescore as after a rules reload drops and recomputes them all)
while the event loop runs a thousand rounds: every round must succeed and see each batch whole or not at
all. Without the lock the same test fails with that RuntimeError within a few hundred rounds.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from services.embedded.runtime import EmbeddedRuntime
from services.embedded.storage import LoggedEvent
from shared.events import AcceptedEvent
from shared.periods import PROVINCE_TZ
from shared.rules.model import RuleSet
from shared.settings import Settings

ROUNDS = 1000
YEARS = range(2000, 2005)


def test_thousands_of_rounds_while_events_are_applied(tmp_path: Path, mini_rules: RuleSet) -> None:
    settings = Settings(data_dir=tmp_path / "data", rules=tmp_path, watch_rules=False, admin_token="x" * 32)
    rt = EmbeddedRuntime(settings, mini_rules)
    rt.alerts._years = lambda now: YEARS  # every year the scorer touches below is evaluated
    metrics = sorted(mini_rules.catalog.metrics)
    units = [u.code for u in mini_rules.org_tree.units]
    stop = threading.Event()
    applied = [0]

    def scorer() -> None:
        seq = 0
        n = 0
        while not stop.is_set():
            year = YEARS[n % len(YEARS)]  # a year not seen before adds unit scores; later ones change them
            n += 1
            chunk = []
            for i, unit in enumerate(units):
                seq += 1
                metric = metrics[(seq + i) % len(metrics)]
                when = datetime(year, 3, 1, tzinfo=PROVINCE_TZ) + timedelta(seconds=seq % 86400)
                chunk.append(LoggedEvent(seq, AcceptedEvent("test", f"e{seq}", unit, metric, 1.0, when)))
            rt._apply_chunk(chunk)
            applied[0] += len(chunk)
            if n % 10 == 0:  # as a rules reload does: every score is dropped and computed again
                with rt.scores_lock:
                    rt.engine.rescore_all()
            time.sleep(0.0005)  # as a scorer between batches; a hot loop would only starve the rounds of the GIL

    async def rounds() -> int:
        ok = 0
        now = datetime(2025, 6, 1, tzinfo=PROVINCE_TZ)
        for i in range(ROUNDS):
            result = await rt.alerts.run_round(now + timedelta(minutes=i))
            assert result.errors == ()
            ok += 1
        return ok

    thread = threading.Thread(target=scorer, daemon=True)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so an unguarded read would meet a write mid-way
    thread.start()
    try:
        done = asyncio.run(rounds())
    finally:
        sys.setswitchinterval(interval)
        stop.set()
        thread.join()
        rt.alerts.store.close()
        rt.log.close()
        rt.keys.close()
    assert done == ROUNDS
    assert applied[0] > 0  # the scorer really ran beside the rounds
    assert rt.metrics.registry.get_sample_value("dti_alert_rounds_total", {"outcome": "ok"}) == ROUNDS
    assert rt.metrics.registry.get_sample_value("dti_alert_rounds_total", {"outcome": "error"}) in (None, 0.0)


def test_snapshot_holds_the_scorer_lock(tmp_path: Path, mini_rules: RuleSet) -> None:
    """The copy is taken under the scorer's lock: while a batch is being applied, a snapshot waits."""
    settings = Settings(data_dir=tmp_path / "data", rules=tmp_path, watch_rules=False, admin_token="x" * 32)
    rt = EmbeddedRuntime(settings, mini_rules)
    try:
        got: list[int] = []
        with rt.scores_lock:
            t = threading.Thread(target=lambda: got.append(len(rt.alerts.snapshot(datetime.now(PROVINCE_TZ))[1])))
            t.start()
            t.join(0.2)
            assert t.is_alive() and not got  # blocked behind the "batch"
        t.join()
        assert got == [len(rt.last_data)]
    finally:
        rt.alerts.store.close()
        rt.log.close()
        rt.keys.close()


def test_rounds_between_full_ones_evaluate_what_changed(tmp_path: Path, mini_rules: RuleSet) -> None:
    settings = Settings(data_dir=tmp_path / "data", rules=tmp_path, watch_rules=False, admin_token="x" * 32)
    rt = EmbeddedRuntime(settings, mini_rules)
    now = datetime(2025, 6, 1, 9, 0, tzinfo=PROVINCE_TZ)
    rt.alerts._years = lambda now: (2025,)
    when = datetime(2025, 3, 1, tzinfo=PROVINCE_TZ)

    def apply(seq: int, unit: str, metric: str = "work.records_total") -> None:
        rt._apply_chunk([LoggedEvent(seq, AcceptedEvent("test", f"e{seq}", unit, metric, 1.0, when))])

    async def rounds() -> list[tuple[bool, int]]:
        out = []
        apply(1, "P.D1.C1")
        apply(2, "P.D2.C1")
        # full (first), changed-only with nothing changed, changed-only with C1's chain, full again later
        for minutes, change in ((0, None), (1, None), (2, "P.D1.C1"), (11, None)):
            if change:  # A2 moves from 0/1 to 1/1 at C1, D1 and P
                apply(100 + minutes, change, "work.records_online")
            at = now + timedelta(minutes=minutes)
            full = rt.alerts.full_due(at)
            out.append((full, (await rt.alerts.run_round(at)).facts))
        return out

    try:
        got = asyncio.run(rounds())
    finally:
        rt.alerts.store.close()
        rt.log.close()
        rt.keys.close()
    (f0, n0), (f1, n1), (f2, n2), (f3, n3) = got
    assert (f0, f1, f2, f3) == (True, False, False, True)
    # nothing changed: only the scopes of pending alerts (below_target has `for: 2`), to count their evaluations
    pending = {a.scope for a in rt.alerts.book.alerts.values() if a.rule == "below_target"}
    assert pending and 0 < n1 < n0
    assert 0 < n2 < n0  # C1, D1 and P changed: fewer facts than the full round (no stale rules, fewer units)
    assert n3 > n2  # everything again (the sudden-drop rule now has readings to compare with)
