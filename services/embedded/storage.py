"""The durable event log of the embedded mode: SQLite in WAL mode, written by one thread with group commit.

A request's events are acknowledged (202) only after the transaction holding them has committed. Every
pending request's batch is written in the same transaction, so one fsync serves many concurrent requests.
The log is the source of truth: scoring state is derived from it (snapshot + replay of what came after).
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import structlog

from services.kernel import Observation, connect
from shared.events import AcceptedEvent
from shared.periods import PROVINCE_TZ
from shared.scoring import DEDUP_FIELDS, OwnEntry, correction

log = structlog.get_logger(__name__)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    org_unit TEXT NOT NULL,
    value REAL NOT NULL,
    occurred_at TEXT NOT NULL,
    ts REAL NOT NULL,
    received_at REAL NOT NULL,
    UNIQUE ({", ".join(DEDUP_FIELDS)})
);
CREATE TABLE IF NOT EXISTS observations (
    org_unit TEXT NOT NULL,
    metric TEXT NOT NULL,
    period TEXT NOT NULL,
    value REAL NOT NULL,
    evidence_url TEXT,
    reported_by TEXT,
    source TEXT NOT NULL,
    revision INTEGER NOT NULL,
    received_at REAL NOT NULL,
    PRIMARY KEY (org_unit, metric, period)
);
CREATE TABLE IF NOT EXISTS snapshot (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    created_at REAL NOT NULL,
    data BLOB NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    seq: int
    event: AcceptedEvent


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What one write to the log took: the new entries with their sequence numbers, and the repeats."""

    logged: list[LoggedEvent]
    duplicates: int


class EventLog:
    def __init__(self, path: Path, synchronous: str = "full") -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(path, synchronous)
        self._conn.executescript(SCHEMA)
        self._jobs: queue.Queue[tuple[str, Any, Future[Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="dti-event-log", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ async API (from the event loop)
    async def append(self, events: list[AcceptedEvent]) -> AppendResult:
        return await self._submit("events", events)  # type: ignore[no-any-return]

    async def observe(self, observations: list[Observation]) -> AppendResult:
        return await self._submit("observations", observations)  # type: ignore[no-any-return]

    async def save_snapshot(self, seq: int, entries: list[OwnEntry]) -> None:
        await self._submit("snapshot", (seq, entries))

    async def _submit(self, kind: str, payload: Any) -> Any:
        fut: Future[Any] = Future()
        self._jobs.put((kind, payload, fut))
        return await asyncio.wrap_future(fut)

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=10)
        self._conn.close()

    # ------------------------------------------------------------------ writer thread
    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            batch = [job]
            while True:  # group commit: take whatever else is waiting
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._jobs.put(None)
                    break
                batch.append(more)
            self._write(batch)

    def _write(self, batch: list[tuple[str, Any, Future[Any]]]) -> None:
        results: list[Any] = []
        cur = self._conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            for kind, payload, _fut in batch:
                if kind == "events":
                    results.append(self._insert_events(cur, payload))
                elif kind == "observations":
                    results.append(self._upsert_observations(cur, payload))
                else:
                    seq, entries = payload
                    rows = [(e.metric, e.unit, e.year, e.quarter, e.value, e.events, e.ts, e.seq) for e in entries]
                    blob = orjson.dumps(rows)
                    cur.execute(
                        "INSERT OR REPLACE INTO snapshot (id, seq, created_at, data) VALUES (1, ?, ?, ?)",
                        (seq, time.time(), blob),
                    )
                    results.append(None)
            cur.execute("COMMIT")
        except BaseException as exc:
            try:
                cur.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            log.error("event_log_write_failed", error=str(exc))
            for _kind, _payload, fut in batch:
                fut.set_exception(exc)
            return
        for (_kind, _payload, fut), res in zip(batch, results, strict=True):
            fut.set_result(res)

    @staticmethod
    def _insert_events(cur: sqlite3.Cursor, events: list[AcceptedEvent]) -> AppendResult:
        logged: list[LoggedEvent] = []
        dup = 0
        now = time.time()
        for ev in events:
            cur.execute(
                "INSERT OR IGNORE INTO events (source, event_id, metric, org_unit, value, occurred_at, ts, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ev.source,
                    ev.event_id,
                    ev.metric,
                    ev.org_unit,
                    ev.value,
                    ev.occurred_at.isoformat(),
                    ev.occurred_at.timestamp(),
                    now,
                ),
            )
            if cur.rowcount == 1:
                assert cur.lastrowid is not None
                logged.append(LoggedEvent(cur.lastrowid, ev))
            else:
                dup += 1
        return AppendResult(logged, dup)

    @staticmethod
    def _upsert_observations(cur: sqlite3.Cursor, observations: list[Observation]) -> AppendResult:
        logged: list[LoggedEvent] = []
        dup = 0
        now = time.time()
        for ob in observations:
            row = cur.execute(
                "SELECT value, revision FROM observations WHERE org_unit=? AND metric=? AND period=?",
                (ob.org_unit, ob.metric, ob.period),
            ).fetchone()
            change = correction(None if row is None else row[0], ob.value, ob.counter)
            if change is None:
                dup += 1  # the same figure again: a retry, not news
                continue
            revision = 1 if row is None else row[1] + 1
            cur.execute(
                "INSERT OR REPLACE INTO observations (org_unit, metric, period, value, evidence_url, reported_by,"
                " source, revision, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ob.org_unit,
                    ob.metric,
                    ob.period,
                    ob.value,
                    ob.evidence_url,
                    ob.reported_by,
                    ob.source,
                    revision,
                    now,
                ),
            )
            ev = AcceptedEvent(
                ob.source,
                f"obs:{ob.org_unit}:{ob.metric}:{ob.period}:r{revision}",
                ob.org_unit,
                ob.metric,
                change,
                ob.occurred_at,
            )
            result = EventLog._insert_events(cur, [ev])
            logged.extend(result.logged)
        return AppendResult(logged, dup)

    # ------------------------------------------------------------------ reads (start-up, tests)
    def load_snapshot(self) -> tuple[int, list[OwnEntry]] | None:
        conn = connect(self.path)
        try:
            row = conn.execute("SELECT seq, data FROM snapshot WHERE id = 1").fetchone()
        finally:
            conn.close()
        if row is None:
            return None
        return int(row[0]), [OwnEntry(*t) for t in orjson.loads(row[1])]

    def read_after(self, seq: int, chunk: int = 50_000) -> Iterator[LoggedEvent]:
        conn = connect(self.path)
        try:
            last = seq
            while True:
                rows = conn.execute(
                    "SELECT seq, source, event_id, metric, org_unit, value, occurred_at FROM events"
                    " WHERE seq > ? ORDER BY seq LIMIT ?",
                    (last, chunk),
                ).fetchall()
                if not rows:
                    return
                for r in rows:
                    yield LoggedEvent(r[0], AcceptedEvent(r[1], r[2], r[4], r[3], r[5], datetime.fromisoformat(r[6])))
                last = rows[-1][0]
        finally:
            conn.close()

    def last_data(self) -> dict[tuple[str, str], datetime]:
        """Newest occurred_at per (metric, org unit), for stale-data alerts after a restart."""
        conn = connect(self.path)
        try:
            rows = conn.execute("SELECT metric, org_unit, MAX(ts) FROM events GROUP BY metric, org_unit").fetchall()
        finally:
            conn.close()
        return {(m, u): datetime.fromtimestamp(ts, PROVINCE_TZ) for m, u, ts in rows}

    def last_by_source(self) -> dict[str, datetime]:
        """Newest occurred_at per source system, for silent-source alerts after a restart."""
        conn = connect(self.path)
        try:
            rows = conn.execute("SELECT source, MAX(ts) FROM events GROUP BY source").fetchall()
        finally:
            conn.close()
        return {s: datetime.fromtimestamp(ts, PROVINCE_TZ) for s, ts in rows}

    def observations(self, year: int) -> list[tuple[str, str, str, float, str | None, str | None, str, float]]:
        """Departments' figures for a year and its quarters (org_unit, metric, period, value, evidence_url,
        reported_by, source, received_at): what the reports cite as evidence and check against deadlines."""
        conn = connect(self.path)
        try:
            rows = conn.execute(
                "SELECT org_unit, metric, period, value, evidence_url, reported_by, source, received_at"
                " FROM observations WHERE period = ? OR period LIKE ? ORDER BY org_unit, metric, period",
                (str(year), f"{year}-%"),
            ).fetchall()
        finally:
            conn.close()
        return [tuple(r) for r in rows]

    def own_entries_as_of(self, cutoff: float, quarters: list[float], gauges: set[str]) -> list[OwnEntry]:
        """Every unit's own figures per quarter of one year as the log knew them at `cutoff` (a timestamp):
        what the scores looked like on a past day, recomputed from the log. `quarters`: the year's five
        quarter boundaries (1 January, 1 April, 1 July, 1 October, next 1 January, as timestamps).

        An event counts from the earlier of when it occurred and when it was received: a department's figure
        for a quarter (dated the quarter's last day) counts from the day it was filed, a replayed or simulated
        event from its own date. Counters carry the quarter's sum and count; gauges the quarter's latest level
        (SQLite takes the bare columns of the row with the MAX(ts)). One pass over the year's events.
        """
        conn = connect(self.path)
        try:
            rows = conn.execute(
                "SELECT metric, org_unit,"
                " CASE WHEN ts < ? THEN 1 WHEN ts < ? THEN 2 WHEN ts < ? THEN 3 ELSE 4 END AS q,"
                " SUM(value), COUNT(*), MAX(ts), value, seq"
                " FROM events WHERE MIN(ts, received_at) < ? AND ts >= ? AND ts < ?"
                " GROUP BY metric, org_unit, q",
                (quarters[1], quarters[2], quarters[3], cutoff, quarters[0], quarters[4]),
            ).fetchall()
        finally:
            conn.close()
        year = datetime.fromtimestamp(quarters[0], PROVINCE_TZ).year
        return [
            OwnEntry(m, u, year, q, level, 1, ts, seq) if m in gauges else OwnEntry(m, u, year, q, total, n, 0.0, 0)
            for m, u, q, total, n, ts, level, seq in rows
        ]
