"""SQLite as every durable store on local disk opens it (the embedded event log, keys, alerts, years)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(path: Path, synchronous: str = "full") -> sqlite3.Connection:
    """WAL (readers never block the writer), autocommit (transactions are explicit), usable from any thread,
    and a 30 s wait for a lock held by another process (`dti keys` beside a running server)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'full' else 'NORMAL'}")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn
