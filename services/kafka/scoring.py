"""`dti scoring`: the Faust aggregation agent, the read model every worker keeps, scores out, reads served.

Flow: `dti.events` -> (agent, this worker's partitions) -> cells table changelog -> (read model, all
partitions, every worker) -> scores -> `dti.scores` for the units this worker owns, `/v1/scores` and
`/metrics` for all units. A unit is owned by the worker holding its `dti.events` partition; after a
rebalance a worker re-sends the scores of the units it gained, so no update falls between two owners.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from typing import Any

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from fastapi import FastAPI

from services.common import ops, rules_routes
from services.common.metrics import ServiceMetrics
from services.ingest.keys import admin_token
from services.kafka.bus import brokers, ensure_topics
from services.kafka.faust_app import ScoringFaust
from services.kafka.messages import encode_score, partition_for, score_key
from services.kafka.read_model import ReadModel
from services.kernel import MetricsView, RulesHolder, RulesState, scores_for_metrics, service_app, with_reconnect
from services.reports import routes as reports_routes
from services.scoring.routes import read
from shared.rules import RuleSet
from shared.scoring import ScoringEngine, UnitScore
from shared.settings import Settings

log = structlog.get_logger(__name__)


def settle_heap() -> None:
    """Move what the worker holds for good (the read model's cells and scores, the rules) out of the garbage
    collector's sight. Left in, every full collection walked them: 55–88 ms pauses, twice in a 15 s latency
    pass at 1,000 events/s, which held every batch and score round behind them. Frozen, full collections
    took 6–7 ms and the POST-to-`dti.scores` p99 fell from 196–219 to 135–144 ms
    (`bench_kafka --latency-only`, BENCHMARKS.md). Unfreezing first lets a collection free what was
    frozen before and is garbage now (an engine replaced by a rules reload)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class KafkaScoring:
    def __init__(self, settings: Settings, metrics: ServiceMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.holder = RulesHolder(settings, metrics)
        self.holder.on_swap.append(self._swap_rules)
        self.admin_token = admin_token(settings.data_dir, settings.admin_token)
        self.model = ReadModel(self.holder.current)
        self.faust = ScoringFaust(settings)
        self.faust.fresher = lambda key: self.model.raw.get(key)  # type: ignore[assignment,return-value]
        self.faust.on_assigned = self._find_changelog_end
        self.faust.continuity.folded_through = self.model.folded_through
        self.caught_up = False
        self._end_wanted = False  # an assignment happened: find the changelog's end again and read up to it
        self.owned: set[int] = set()
        self._owner_cache: set[int] = set()
        self._owned_for: tuple[frozenset[int], int] | None = None  # the (partitions, tree) it was computed for
        self._dirty: dict[tuple[str, int, int], UnitScore] = {}  # changed since the last round of updates
        self._wake = asyncio.Event()
        self.sent = 0
        self._counted = 0
        self._skipped: dict[str, int] = {}  # the AgentStats counts already added to the Prometheus counters
        self._producer: AIOKafkaProducer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        metrics.serve_scores(self._scores_for_metrics)

    # ------------------------------------------------------------------ Backend protocol
    @property
    def rules(self) -> RulesState:
        return self.holder.state

    @property
    def engine(self) -> ScoringEngine:
        return self.model.engine

    @property
    def ready(self) -> bool:
        return self.faust.stats.recovered and self.caught_up

    async def reload_rules(self) -> tuple[bool, list[str]]:
        return await self.holder.reload()

    def _swap_rules(self, rules: RuleSet) -> None:
        self.model.swap_rules(rules)
        settle_heap()  # the old engine is garbage now: collected once, and the new one frozen
        self.owned = set()  # re-send every owned unit's scores under the new version
        self._owned_for = None
        self._wake.set()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        changelogs = self.faust.changelog_specs()  # before the app joins its group (see changelog_specs)
        await with_reconnect(lambda: ensure_topics(self.settings, changelogs), "topics", (KafkaError, OSError))
        self._producer = AIOKafkaProducer(
            bootstrap_servers=brokers(self.settings),
            acks="all",
            enable_idempotence=self.settings.kafka_idempotence,
            linger_ms=0,  # a round's updates are sent together anyway; a linger only delays them
        )
        await with_reconnect(self._producer.start, "producer", (KafkaError, OSError))
        await self.faust.app.start()
        self._tasks = [
            asyncio.create_task(self._follow(), name="read-model"),
            asyncio.create_task(self._emitter(), name="scores-out"),
        ]
        self.holder.start()

    async def stop(self) -> None:
        await self.holder.stop()
        for t in self._tasks:
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await t
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.faust.app.stop(), 15)
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._producer.stop(), 5)

    # ------------------------------------------------------------------ read model
    async def _follow(self) -> None:
        await with_reconnect(self._read_changelog, "read_model_consumer", (KafkaError, OSError))

    async def _read_changelog(self) -> None:
        topic = self.faust.cells_changelog
        consumer = AIOKafkaConsumer(
            bootstrap_servers=brokers(self.settings),
            enable_auto_commit=False,
            fetch_max_wait_ms=20,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        await consumer.start()
        try:
            parts: set[int] | None = None
            while not parts:
                await consumer._client.force_metadata_update()
                parts = consumer.partitions_for_topic(topic)
                if not parts:
                    await asyncio.sleep(0.2)  # Faust creates the changelog topic as it starts
            tps = [TopicPartition(topic, p) for p in sorted(parts)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            self._end_wanted = False
            end: dict[TopicPartition, int] | None = await consumer.end_offsets(tps)
            t0 = time.perf_counter()
            while True:
                data = await consumer.getmany(timeout_ms=100, max_records=10_000)
                records: list[tuple[str, Any]] = []
                for msgs in data.values():
                    for m in msgs:
                        if m.key is not None:
                            records.append((orjson.loads(m.key), orjson.loads(m.value) if m.value else None))
                changed = self.model.apply(records) if records else []
                if self._end_wanted:
                    self._end_wanted = False
                    end = await consumer.end_offsets(tps)
                if end is not None:
                    # positions move past whole batches and compacted gaps, so this holds once every
                    # record up to the end is read
                    if all([await consumer.position(tp) >= end[tp] for tp in tps]):
                        end = None
                        self.faust.read_model_current.set()  # the agent may fold again
                        if not self.caught_up:
                            self.caught_up = True
                            settle_heap()
                            log.info(
                                "read_model_caught_up",
                                cells=len(self.model.cells),
                                seconds=round(time.perf_counter() - t0, 3),
                            )
                    elif not self.caught_up:
                        continue
                lag = 0
                for tp in tps:
                    lag += max(0, (consumer.highwater(tp) or 0) - await consumer.position(tp))
                self.metrics.kafka_lag.labels(topic).set(lag)
                self._worker_metrics()
                for us in changed:
                    self._dirty[(us.framework, us.unit, us.year)] = us
                self._wake.set()  # also without changes: a rebalance may have given this worker new units
        finally:
            await consumer.stop()

    def _find_changelog_end(self) -> None:
        self._end_wanted = True

    def _worker_metrics(self) -> None:
        """The agent's lag and counts onto the Prometheus metrics (counters advance by what changed)."""
        fa = self.faust
        try:
            consumer = fa.app.consumer
            lag = 0
            for tp in consumer.assignment():
                if tp.topic == self.settings.topic_events:
                    hw = consumer.highwater(tp)
                    if hw is not None:
                        lag += max(0, hw - fa.stats.next_offset.get(tp.partition, hw))
        except Exception:
            return
        self.metrics.kafka_lag.labels(self.settings.topic_events).set(lag)
        self.metrics.scoring_lag.set(lag)
        self.metrics.scoring_events.inc(fa.stats.processed - self._counted)
        self._counted = fa.stats.processed
        st = fa.stats
        skipped = {"duplicate": st.duplicates, "replayed": st.replayed, "dead_letter": st.dead_letters}
        for reason, now in skipped.items():
            self.metrics.scoring_skipped.labels(reason).inc(now - self._skipped.get(reason, 0))
        self.metrics.kafka_rereads.labels(self.settings.topic_events).inc(st.rereads - self._skipped.get("reread", 0))
        self._skipped = {**skipped, "reread": st.rereads}
        if fa.stats.last_batch_at:
            self.metrics.scoring_last.set(fa.stats.last_batch_at)

    # ------------------------------------------------------------------ scores out
    def _owner_units(self, partitions: set[int]) -> set[int]:
        key = (frozenset(partitions), id(self.engine.tree))
        if self._owned_for != key:  # computed once per assignment and rules version, not once per round
            n = self.settings.kafka_partitions
            self._owner_cache = {u.index for u in self.engine.tree.units if partition_for(u.code, n) in partitions}
            self._owned_for = key
        return self._owner_cache

    async def _emitter(self) -> None:
        """Rounds of score updates: every unit whose scores changed since the last round, once.

        Decoupled from the read model: while a round is being sent and acknowledged, and for a pause as
        long as that round took (at most `DTI_SCORING_EMIT_INTERVAL_SECONDS`), changes accumulate, so under
        load a unit gets one update per round however many batches touched it. Sending one update per
        changed unit per changelog read cost more than the folding itself (about 1.8 updates per event,
        profiled). The pause follows the load: after a round of a few updates (a few ms) the next change
        goes out almost at once; a fixed 100 ms pause held most updates at 1,000 events/s for up to 100 ms.
        """
        interval = self.settings.scoring_emit_interval_seconds
        while True:
            await self._wake.wait()
            self._wake.clear()
            started = time.monotonic()
            await self._emit_round()
            await asyncio.sleep(min(interval, time.monotonic() - started))

    async def _emit_round(self) -> None:
        owned = self._owner_units(self.faust.assigned_partitions())
        gained = owned - self.owned
        self.owned = owned
        dirty, self._dirty = self._dirty, {}
        out = [us for us in dirty.values() if us.unit in owned]
        if gained:
            out += [us for k, us in self.engine.results.items() if us.unit in gained and k not in dirty]
        if not out or self._producer is None:
            return
        rules = self.holder.current
        tree = rules.org_tree
        now = time.time()
        futures = []
        for us in out:
            code = tree.units[us.unit].code
            value = encode_score(
                us, code, rules.frameworks[us.framework].scale, rules.version, self.model.latest.get(code, {}), now
            )
            futures.append(
                await self._producer.send(
                    self.settings.topic_scores, key=score_key(code, us.framework, us.year), value=value
                )
            )
        try:
            await asyncio.gather(*futures)
            self.sent += len(futures)
        except KafkaError as exc:
            self.metrics.kafka_produce_failures.labels(self.settings.topic_scores).inc()
            self.owned = set()  # send everything again on the next round
            self._wake.set()
            log.warning("scores_send_failed", error=str(exc))

    def _scores_for_metrics(self) -> MetricsView:
        return scores_for_metrics(self.settings, self.holder.current, self.engine.results.values())

    def status(self) -> dict[str, Any]:
        st = self.faust.stats
        return {
            "processed": st.processed,
            "records": st.records,
            "applied": st.applied,
            "duplicates": st.duplicates,
            "replayed": st.replayed,
            "dead_letters": st.dead_letters,
            "rereads": st.rereads,
            "partitions": sorted(self.faust.assigned_partitions()),
            "owned_units": len(self.owned),
            "scores_sent": self.sent,
            "cells": len(self.model.cells),
            "rules_version": self.holder.current.version,
            "ready": self.ready,
        }


def create_scoring_app(settings: Settings) -> FastAPI:
    metrics = ServiceMetrics()
    runtime = KafkaScoring(settings, metrics)

    app = service_app(
        "DTI Monitor — scoring",
        "Tính điểm DTI từ Kafka / scores the DTI from Kafka (Faust); serves the scores of every unit.",
        metrics,
        lambda: runtime,
        [ops.router, rules_routes.router, read.router, reports_routes.router],
    )

    @app.get("/v1/worker", tags=["operations"])
    def worker() -> dict[str, Any]:
        """This worker's partitions and counts (events processed, duplicates, scores sent)."""
        return runtime.status()

    return app
