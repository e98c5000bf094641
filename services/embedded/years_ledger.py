"""Reopened assessment years and their audit trail (who, when, why), in SQLite under the data directory.

A closed year refuses late data (shared/years.py); an admin reopens it with a reason and closes it again.
Every action is one row, never updated: the trail is the list of rows, the state is the last action per year.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

Action = Literal["reopen", "close"]


@dataclass(frozen=True, slots=True)
class YearAction:
    year: int
    action: Action
    by: str
    reason: str
    at: str  # ISO 8601, province time

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class YearLedger:
    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS year_actions (id INTEGER PRIMARY KEY AUTOINCREMENT, year INTEGER NOT NULL, "
            "action TEXT NOT NULL, by TEXT NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL)"
        )
        self._reopened = self._load()

    def _load(self) -> frozenset[int]:
        state: dict[int, str] = {}
        for year, action in self._db.execute("SELECT year, action FROM year_actions ORDER BY id"):
            state[int(year)] = str(action)
        return frozenset(y for y, a in state.items() if a == "reopen")

    def reopened(self) -> frozenset[int]:
        """Years an admin reopened and has not closed again (kept in memory: read on every ingest request)."""
        return self._reopened

    def record(self, year: int, action: Action, by: str, reason: str, at: datetime) -> YearAction:
        entry = YearAction(year, action, by, reason, at.isoformat(timespec="seconds"))
        with self._lock:
            self._db.execute(
                "INSERT INTO year_actions (year, action, by, reason, at) VALUES (?, ?, ?, ?, ?)",
                (entry.year, entry.action, entry.by, entry.reason, entry.at),
            )
            self._reopened = self._load()
        return entry

    def entries(self) -> list[YearAction]:
        rows = self._db.execute("SELECT year, action, by, reason, at FROM year_actions ORDER BY id").fetchall()
        return [YearAction(int(y), a, b, r, t) for y, a, b, r, t in rows]

    def close(self) -> None:
        self._db.close()
