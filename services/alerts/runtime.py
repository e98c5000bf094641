"""Alert rounds, durable state and delivery — the same for `dti up` and the Kafka alerts service.

Rounds run on one dedicated thread (durable-rules is not thread-safe and a round of the province takes
most of a second); the event loop only awaits them. Each round's book, history and outbox rows are saved
in one transaction before anything is sent.

A round never reads what the scorer is changing: before it starts, the runtime copies the scores and the
newest-data map (`RoundInputs`) while holding the lock the scorer holds when it applies a batch, so the
round works on one consistent snapshot and the scorer waits only for the copy (milliseconds), never for
the evaluation. Reading the live dictionaries from the alerts thread is what used to fail with
"dictionary changed size during iteration" while the simulator was sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx
import structlog
from prometheus_client import Counter, Gauge

from services.alerts.delivery import DeliveryFailed, SmtpConfig, deliver_due, post_alertmanager
from services.alerts.outbox import AlertStore, Delivery
from services.common.metrics import ServiceMetrics
from shared import clock
from shared.alerts import (
    Alert,
    AlertBook,
    AlertEngine,
    Matcher,
    Notification,
    RoundResult,
    Silence,
    api_v2_alerts,
    for_alertmanager,
    period_id,
    score_scope,
    webhook_payload,
)
from shared.periods import PROVINCE_TZ, local_date
from shared.rules import RuleSet
from shared.scoring import UnitScore
from shared.settings import Settings
from shared.years import open_years

log = structlog.get_logger(__name__)
T = TypeVar("T")
LastData = dict[tuple[str, str], datetime]


def copy_score(us: UnitScore) -> UnitScore:
    """A copy the scorer cannot change: its results are frozen values, only the dictionaries are mutated."""
    return UnitScore(
        us.framework, us.unit, us.year, us.quarter, dict(us.indicators), dict(us.mains), dict(us.composites)
    )


class AlertsRuntime:
    def __init__(
        self,
        settings: Settings,
        rules: RuleSet,
        metrics: ServiceMetrics,
        path: Path,
        scores: Callable[[], Iterable[UnitScore]],
        last_data: Callable[[], LastData],
        inputs_lock: threading.Lock | None = None,
        years: Callable[[datetime], Sequence[int]] | None = None,
        last_source: Callable[[], Mapping[str, datetime]] | None = None,
        changed: Callable[[], Iterable[UnitScore]] | None = None,
        full_every: timedelta = timedelta(minutes=10),
    ) -> None:
        """`scores` and `last_data` are read under `inputs_lock` (the lock the scorer holds while it applies
        events) and copied before the round; `years` says which assessment years a round evaluates (default: the
        open assessment years of the rules in force, so alerts of the year being assessed outlive 1 January);
        `last_source` (newest event per source system), when given, drives the silent-source rules.

        `changed`, when given, hands over (and forgets) the unit scores changed since it was last called:
        rounds then evaluate only those, and every `full_every` (and after a rules swap, and when the
        province's date turns) a full round evaluates everything with the time-driven kinds (stale data,
        silent sources, trajectories and the goal, which move with the clock, not with the scores)."""
        self.settings = settings
        self.metrics = metrics
        self.store = AlertStore(path)
        saved = self.store.load_book()
        self.book = AlertBook.from_dict(saved) if saved else AlertBook()
        self._scores = scores
        self._last_data = last_data
        self._last_source = last_source
        self._changed = changed
        self.full_every = full_every
        self._last_full: datetime | None = None
        self._inputs_lock = inputs_lock if inputs_lock is not None else threading.Lock()
        self._years = years if years is not None else self._open_years
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dti-alerts")
        self.engine: AlertEngine = self._thread.submit(AlertEngine, rules, settings.public_url).result()
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self.last_round: RoundResult | None = None
        self.on_round: list[Callable[[RoundResult], None]] = []  # after a round is saved (Kafka: dti.alerts)
        r = metrics.registry
        self.notifications = Counter(
            "dti_notifications_total",
            "Alert notifications sent, by channel and outcome",
            ["channel", "outcome"],
            registry=r,
        )
        self.pending = Gauge("dti_notifications_pending", "Notifications in the outbox not yet delivered", registry=r)
        self.rounds = Counter("dti_alert_rounds_total", "Alert evaluation rounds, by outcome", ["outcome"], registry=r)
        self.round_seconds = Gauge("dti_alert_round_duration_seconds", "Duration of the last alert round", registry=r)
        self._smtp = (
            SmtpConfig(
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_from,
                settings.smtp_starttls,
                settings.smtp_user,
                settings.smtp_password,
            )
            if settings.smtp_host
            else None
        )
        self._refresh_gauges()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._rounds(), name="alert-rounds"),
            asyncio.create_task(self._deliver(), name="alert-delivery"),
        ]
        if self.settings.alertmanager_url:
            self._tasks.append(asyncio.create_task(self._alertmanager(), name="alertmanager-resend"))

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._thread.shutdown(wait=True)
        self.store.close()

    def swap_rules(self, rules: RuleSet) -> None:
        self._thread.submit(self.engine.swap_rules, rules).result()
        self._last_full = None  # new rules: the next round evaluates everything

    def _open_years(self, now: datetime) -> tuple[int, ...]:
        return open_years(self.engine.rules, local_date(now))

    # ------------------------------------------------------------------ rounds
    async def run_round(self, now: datetime | None = None) -> RoundResult:
        """One evaluation over the current scores; saved (state, history, outbox) before returning."""
        async with self._lock:
            now = now or clock.now()
            scores, last, heard = self.snapshot(now)
            years = tuple(self._years(now))
            t0 = time.perf_counter()
            loop = asyncio.get_running_loop()
            try:
                result = await loop.run_in_executor(
                    self._thread, self.engine.evaluate, self.book, scores, now, last, heard, years
                )
            except Exception:
                self.rounds.labels("error").inc()
                raise
            self.round_seconds.set(time.perf_counter() - t0)
            self.rounds.labels("ok").inc()
            for err in result.errors:
                log.error("alert_condition_error", error=err)
            deliveries = [d for n in result.notifications for d in self._deliveries(n)]
            history = [(t.fingerprint, t.to_dict()) for t in result.transitions]
            await asyncio.to_thread(self.store.save_round, self.book.to_dict(), history, deliveries)
            self.last_round = result
            self._refresh_gauges()
            for hook in self.on_round:
                hook(result)
            if result.transitions:
                log.info(
                    "alert_round",
                    transitions=len(result.transitions),
                    notifications=len(result.notifications),
                    facts=result.facts,
                    seconds=round(time.perf_counter() - t0, 3),
                )
            return result

    def full_due(self, now: datetime) -> bool:
        """Whether this round evaluates everything (see __init__): always without a `changed` provider."""
        last = self._last_full
        return (
            self._changed is None
            or last is None
            or now - last >= self.full_every
            or now.astimezone(PROVINCE_TZ).date() != last.astimezone(PROVINCE_TZ).date()
        )

    def snapshot(self, now: datetime) -> tuple[list[UnitScore], LastData | None, dict[str, datetime] | None]:
        """The round's inputs, copied under the scorer's lock: nothing the round reads changes under it.
        A changed-only round gets the changed scores and no newest-data maps (its time-driven kinds wait)."""
        years = set(self._years(now))
        full = self.full_due(now)
        with self._inputs_lock:
            changed = list(self._changed()) if self._changed is not None else []
            if not full:
                # pending alerts count evaluations (`for:`): their scopes are evaluated again, changed or not
                waiting = self._pending_scopes()
                picked = {id(s): s for s in changed if s.year in years}
                if waiting:
                    for us in self._scores():
                        if us.year in years and id(us) not in picked and self._scope_of(us) in waiting:
                            picked[id(us)] = us
                return [copy_score(s) for s in picked.values()], None, None
            scores = [copy_score(s) for s in self._scores() if s.year in years]
            last = dict(self._last_data())
            heard = None if self._last_source is None else dict(self._last_source())
        self._last_full = now
        return scores, last, heard

    def _pending_scopes(self) -> set[str]:
        out: set[str] = set()
        for a in self.book.alerts.values():
            if a.state != "pending":
                continue
            if a.members is None:
                out.add(a.scope)
            else:
                out.update(m.get("scope", "") for m in a.members)
        return out

    def _scope_of(self, us: UnitScore) -> str:
        units = self.engine.rules.org_tree.units
        code = units[us.unit].code if 0 <= us.unit < len(units) else ""
        return score_scope(us.framework, code, period_id(us))

    def _deliveries(self, n: Notification) -> list[Delivery]:
        dep = self.engine.rules.catalog.departments.get(n.receiver)
        out = []
        url = (dep.webhook if dep else None) or self.settings.alerts_webhook_url
        if url:
            out.append(Delivery(n.id, "webhook", url, n.receiver, {"webhook": webhook_payload(n)}, 0))
        if dep is not None and dep.email and self._smtp is not None:
            subject, body = n.text()
            out.append(Delivery(n.id, "email", dep.email, n.receiver, {"subject": subject, "body": body}, 0))
        if not out and not self.settings.alertmanager_url:
            log.warning("notification_without_channel", receiver=n.receiver, alerts=len(n.alerts))
        return out

    async def _rounds(self) -> None:
        while True:
            await asyncio.sleep(self.settings.alerts_interval_seconds)
            try:
                await self.run_round()
            except Exception as exc:  # a failed round must not stop the next one
                log.error("alert_round_failed", error=str(exc), exc_info=True)

    # ------------------------------------------------------------------ delivery
    async def _deliver(self) -> None:
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    await deliver_due(self.store, client, self._smtp, self._count)
                except Exception as exc:
                    log.error("delivery_loop_failed", error=str(exc), exc_info=True)
                self.pending.set(self.store.pending())
                await asyncio.sleep(1.0)

    def _count(self, channel: str, ok: bool) -> None:
        self.notifications.labels(channel, "sent" if ok else "failed").inc()

    async def _alertmanager(self) -> None:
        """Alertmanager resolves an alert whose endsAt has passed, so firing alerts are re-posted
        periodically, and resolved ones for a while, so a restarted Alertmanager still hears of them."""
        assert self.settings.alertmanager_url is not None
        every = self.settings.alertmanager_resend_seconds
        async with httpx.AsyncClient() as client:
            while True:
                now = clock.now()
                views = for_alertmanager(self.book, now, timedelta(minutes=15))
                if views:
                    try:
                        await post_alertmanager(
                            client,
                            self.settings.alertmanager_url,
                            api_v2_alerts(views, now, timedelta(seconds=every * 4)),
                        )
                        self._count("alertmanager", True)
                    except DeliveryFailed as exc:
                        self._count("alertmanager", False)
                        log.warning("alertmanager_post_failed", error=str(exc))
                await asyncio.sleep(min(every, 5.0) if not views else every)

    async def change_book(self, change: Callable[[AlertBook], T]) -> T:
        """Apply an admin's change to the alert book between rounds, on the alerts thread (the book is not
        shared across threads), and save the book at once; returns what `change` returned."""
        async with self._lock:
            out = await asyncio.get_running_loop().run_in_executor(self._thread, change, self.book)
            await asyncio.to_thread(self.store.save_round, self.book.to_dict(), [], [])
            self._refresh_gauges()
            return out

    def _refresh_gauges(self) -> None:
        counts = {"critical": 0, "warning": 0, "info": 0}
        for a in self.book.find(["firing"]):
            sev = a.labels.get("severity", "warning")
            counts[sev] = counts.get(sev, 0) + 1
        for sev, n in counts.items():
            self.metrics.alerts_firing.labels(sev).set(n)


class AdminActions:
    """Acknowledge and silence, as an admin asks through the API; each change is saved at once."""

    def __init__(self, rt: AlertsRuntime) -> None:
        self.rt = rt

    async def ack(self, fingerprint: str, by: str, until: datetime, comment: str) -> Alert:
        now = clock.now()
        return await self.rt.change_book(lambda book: book.acknowledge(fingerprint, by, until, now, comment))

    async def unack(self, fingerprint: str) -> Alert:
        return await self.rt.change_book(lambda book: book.unacknowledge(fingerprint))

    async def silence(
        self, matchers: list[str], starts_at: datetime, ends_at: datetime, by: str, comment: str
    ) -> Silence:
        parsed = [Matcher.parse(m) for m in matchers]
        return await self.rt.change_book(lambda book: book.add_silence(parsed, starts_at, ends_at, by, comment))

    async def expire(self, silence_id: str) -> Silence:
        now = clock.now()
        return await self.rt.change_book(lambda book: book.expire_silence(silence_id, now))
