"""Everything `dti up` runs in one process: the event log, the scorer, rules hot reload, snapshots.

Order of work for an accepted batch: the writer thread commits it to SQLite (then the client gets 202),
the scorer task applies it to the engine in log order, the Prometheus gauges follow. On start the engine
is restored from the last snapshot and the log after it is replayed, so each accepted event counts once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from datetime import datetime

import structlog

from services.alerts.runtime import AlertsRuntime
from services.common.gc_tuning import tune_for_long_lived_state
from services.common.metrics import ServiceMetrics
from services.embedded.storage import AppendResult, EventLog, LoggedEvent
from services.embedded.years_ledger import YearLedger
from services.ingest.keys import KeyStore, admin_token
from services.kernel import IngestResult, MetricsView, Observation, RulesHolder, RulesState, scores_for_metrics
from shared.events import AcceptedEvent
from shared.periods import year_quarter
from shared.rules import RuleSet
from shared.scoring import MetricEvent, OwnEntry, ScoringEngine, UnitScore
from shared.settings import Settings

log = structlog.get_logger(__name__)
SCORER_CHUNK = 1000


class EmbeddedRuntime:
    def __init__(self, settings: Settings, rules: RuleSet, metrics: ServiceMetrics | None = None) -> None:
        self.settings = settings
        data = settings.data_dir
        data.mkdir(parents=True, exist_ok=True)
        self.log = EventLog(data / "events.sqlite", settings.sqlite_synchronous)
        self.keys = KeyStore(data / "keys.sqlite")
        self.years = YearLedger(data / "years.sqlite")  # reopened assessment years and their audit trail
        self.admin_token = admin_token(data, settings.admin_token)
        self.metrics = metrics or ServiceMetrics()
        self.engine = ScoringEngine(rules)
        # newest occurred_at per (metric, org unit): what stale-data alerts compare with deadlines
        self.last_data: dict[tuple[str, str], datetime] = self.log.last_data()
        # newest occurred_at per source system: what silent-source alerts compare with each source's silence
        self.last_source: dict[str, datetime] = self.log.last_by_source()
        # held while a batch is applied to the engine and last_data, and while an alert round copies them
        self.scores_lock = threading.Lock()
        # (framework, unit, year) of the unit scores changed since the last alert round took them
        self._changed: dict[tuple[str, int, int], None] = {}
        self.metrics.serve_scores(self._scores_for_metrics)
        self.holder = RulesHolder(settings, self.metrics, rules)
        self.alerts = AlertsRuntime(
            settings,
            rules,
            self.metrics,
            data / "alerts.sqlite",
            scores=lambda: self.engine.results.values(),
            last_data=lambda: self.last_data,
            last_source=lambda: self.last_source,
            changed=self._take_changed,
            inputs_lock=self.scores_lock,
        )
        self._pending: asyncio.Queue[list[LoggedEvent]] = asyncio.Queue()
        self._applied_seq = 0
        self._accepted_seq = 0
        self._snapshot_seq = 0
        self._tasks: list[asyncio.Task[None]] = []
        self.holder.on_swap.append(self._swap_rules)
        self.ready = False
        self._applied = asyncio.Condition()

    @property
    def rules(self) -> RulesState:
        return self.holder.state

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        t0 = time.perf_counter()
        snap = self.log.load_snapshot()
        if snap is not None:
            seq, entries = snap
            skipped = self.engine.restore(entries, seq)
            self._applied_seq = self._snapshot_seq = seq
            log.info("snapshot_restored", seq=seq, entries=len(entries), not_in_rules=skipped)
        replayed = 0
        chunk: list[LoggedEvent] = []
        for le in self.log.read_after(self._applied_seq):
            chunk.append(le)
            if len(chunk) == SCORER_CHUNK:
                self._apply_chunk(chunk)
                replayed += len(chunk)
                chunk = []
        self._apply_chunk(chunk)
        replayed += len(chunk)
        self._accepted_seq = self._applied_seq
        tune_for_long_lived_state()
        log.info(
            "state_recovered",
            replayed=replayed,
            seconds=round(time.perf_counter() - t0, 3),
            rules_version=self.rules.current.version,
        )
        self._tasks = [
            asyncio.create_task(self._scorer(), name="scorer"),
            asyncio.create_task(self._snapshotter(), name="snapshotter"),
        ]
        self.holder.start()
        self.alerts.start()
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        await self.holder.stop()
        await self.alerts.stop()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        # drain what was accepted, then snapshot so the next start replays little
        while not self._pending.empty():
            self._apply_chunk(self._pending.get_nowait())
        with contextlib.suppress(Exception):
            await self._snapshot()
        self.log.close()
        self.keys.close()
        self.years.close()

    # ------------------------------------------------------------------ ingest
    async def append(self, events: list[AcceptedEvent]) -> IngestResult:
        return self._enqueue(await self.log.append(events))

    async def observe(self, observations: list[Observation]) -> IngestResult:
        return self._enqueue(await self.log.observe(observations))

    def _enqueue(self, result: AppendResult) -> IngestResult:
        if result.logged:
            self._accepted_seq = max(self._accepted_seq, result.logged[-1].seq)
            self._pending.put_nowait(result.logged)
            self.metrics.scoring_lag.set(self._accepted_seq - self._applied_seq)
        return IngestResult(len(result.logged), result.duplicates)

    # ------------------------------------------------------------------ scoring
    def _apply_chunk(self, chunk: list[LoggedEvent]) -> None:
        """Apply log entries in order as one scoring batch (each affected score is recomputed once)."""
        with self.scores_lock:  # an alert round copies the scores under it: it sees a batch whole or not at all
            self._apply_chunk_locked(chunk)

    def _apply_chunk_locked(self, chunk: list[LoggedEvent]) -> None:
        tree, metrics = self.engine.tree.by_code, self.engine.store.metrics
        events: list[MetricEvent] = []
        seqs: list[int] = []
        for le in chunk:
            if le.seq <= self._applied_seq:
                continue
            ev = le.event
            heard = self.last_source.get(ev.source)
            if heard is None or ev.occurred_at > heard:
                self.last_source[ev.source] = ev.occurred_at
            if ev.org_unit not in tree or ev.metric not in metrics:
                # accepted under rules that knew them; kept in the store's orphans until rules know them again
                self.engine.store.load([_own(ev, le.seq)])
            else:
                events.append(MetricEvent(ev.metric, ev.org_unit, ev.value, ev.occurred_at))
                seqs.append(le.seq)
                key = (ev.metric, ev.org_unit)
                prev = self.last_data.get(key)
                if prev is None or ev.occurred_at > prev:
                    self.last_data[key] = ev.occurred_at
        if events:
            for us in self.engine.apply_many(events, seqs):
                self._changed[(us.framework, us.unit, us.year)] = None
        if chunk:
            self._applied_seq = max(self._applied_seq, chunk[-1].seq)

    def _take_changed(self) -> list[UnitScore]:
        """The unit scores changed since the last call (an alert round's input; called under scores_lock)."""
        keys, self._changed = self._changed, {}
        results = self.engine.results
        return [us for k in keys if (us := results.get(k)) is not None]

    async def _scorer(self) -> None:
        while True:
            pending = await self._pending.get()
            while not self._pending.empty():  # take everything accepted meanwhile: bigger batches, less work
                pending.extend(self._pending.get_nowait())
            for i in range(0, len(pending), SCORER_CHUNK):
                chunk = pending[i : i + SCORER_CHUNK]
                self._apply_chunk(chunk)
                self.metrics.scoring_events.inc(len(chunk))
                await asyncio.sleep(0)  # let requests through between chunks
            self.metrics.scoring_lag.set(self._accepted_seq - self._applied_seq)
            self.metrics.scoring_last.set(time.time())
            async with self._applied:
                self._applied.notify_all()

    async def settle(self, timeout: float = 10.0) -> bool:
        """Wait until the scorer has applied everything accepted so far; False after `timeout` seconds.
        For in-process tests, which read scores right after posting (the API answers 202 before scoring)."""
        seq = self._accepted_seq
        async with self._applied:
            try:
                await asyncio.wait_for(self._applied.wait_for(lambda: self._applied_seq >= seq), timeout)
            except TimeoutError:
                return False
        return True

    async def _snapshotter(self) -> None:
        while True:
            await asyncio.sleep(self.settings.snapshot_interval_seconds)
            if self._applied_seq != self._snapshot_seq:
                try:
                    await self._snapshot()
                except Exception as exc:  # a failed snapshot only means a longer replay next start
                    log.error("snapshot_failed", error=str(exc))

    async def _snapshot(self) -> None:
        seq = self._applied_seq
        entries = list(self.engine.store.own_entries())
        await self.log.save_snapshot(seq, entries)
        self._snapshot_seq = seq
        log.info("snapshot_saved", seq=seq, entries=len(entries))

    # ------------------------------------------------------------------ rules
    async def reload_rules(self) -> tuple[bool, list[str]]:
        """Load the rules files again; keep the last good rules when the new ones are invalid."""
        return await self.holder.reload()

    def _swap_rules(self, new: RuleSet) -> None:
        with self.scores_lock:  # rescoring empties and refills the results an alert round copies
            skipped = self.engine.swap_rules(new)
        self.alerts.swap_rules(new)
        log.info("rules_swapped", version=new.version, entries_not_in_rules=skipped)

    def _scores_for_metrics(self) -> MetricsView:
        return scores_for_metrics(self.settings, self.rules.current, self.engine.results.values())


def _own(ev: AcceptedEvent, seq: int) -> OwnEntry:
    year, quarter = year_quarter(ev.occurred_at)
    return OwnEntry(ev.metric, ev.org_unit, year, quarter, ev.value, 1, ev.occurred_at.timestamp(), seq)
