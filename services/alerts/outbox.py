"""Durable alert state and the notification outbox (SQLite).

One evaluation round is saved in one transaction: the alert book, the transitions (history) and one
outbox row per notification and channel. A deliverer then sends due rows and marks them sent; a receiver
that is down keeps its rows pending, retried with backoff, across restarts. Nothing is dropped: rows are
never deleted before they are delivered.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.kernel import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_book (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL,
    saved_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL,
    data TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_history_fp ON alert_history (fingerprint);
CREATE TABLE IF NOT EXISTS outbox (
    notification_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    target TEXT NOT NULL,
    receiver TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    delivered_at REAL,
    last_error TEXT,
    PRIMARY KEY (notification_id, channel, target)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (delivered_at, next_attempt_at);
"""
MAX_BACKOFF_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class Delivery:
    notification_id: str
    channel: str  # webhook | email
    target: str  # URL or e-mail address
    receiver: str
    payload: dict[str, Any]
    attempts: int


class AlertStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(path)
        self._conn.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def load_book(self) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT data FROM alert_book WHERE id = 1").fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def save_round(
        self, book: dict[str, Any], history: list[tuple[str, dict[str, Any]]], deliveries: list[Delivery]
    ) -> None:
        now = time.time()
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                cur.execute(
                    "INSERT OR REPLACE INTO alert_book (id, data, saved_at) VALUES (1, ?, ?)",
                    (json.dumps(book, ensure_ascii=False), now),
                )
                cur.executemany(
                    "INSERT INTO alert_history (fingerprint, data, at) VALUES (?, ?, ?)",
                    [(fp, json.dumps(t, ensure_ascii=False), now) for fp, t in history],
                )
                cur.executemany(
                    "INSERT OR IGNORE INTO outbox (notification_id, channel, target, receiver, payload, created_at,"
                    " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            d.notification_id,
                            d.channel,
                            d.target,
                            d.receiver,
                            json.dumps(d.payload, ensure_ascii=False),
                            now,
                            now,
                        )
                        for d in deliveries
                    ],
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def due(self, now: float, limit: int = 50) -> list[Delivery]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT notification_id, channel, target, receiver, payload, attempts FROM outbox"
                " WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY created_at LIMIT ?",
                (now, limit),
            ).fetchall()
        return [Delivery(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows]

    def mark_sent(self, d: Delivery) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1 WHERE notification_id = ?"
                " AND channel = ? AND target = ?",
                (time.time(), d.notification_id, d.channel, d.target),
            )

    def mark_failed(self, d: Delivery, error: str) -> float:
        """Record a failed attempt; returns the delay before the next one (exponential, capped)."""
        delay = min(MAX_BACKOFF_SECONDS, 2.0**d.attempts)
        with self._lock:
            self._conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
                " WHERE notification_id = ? AND channel = ? AND target = ?",
                (error[:500], time.time() + delay, d.notification_id, d.channel, d.target),
            )
        return delay

    def pending(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL").fetchone()[0])

    def history(self, fingerprint: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        with self._lock:
            if fingerprint:
                rows = self._conn.execute(
                    "SELECT data FROM alert_history WHERE fingerprint = ? ORDER BY seq DESC LIMIT ?",
                    (fingerprint, limit),
                ).fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT data FROM alert_history ORDER BY seq DESC LIMIT ?", (limit,)
                ).fetchall()
        return [json.loads(r[0]) for r in rows]
