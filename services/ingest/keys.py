"""Source keys: one per provincial system, stored hashed, checked in constant time.

The key decides the source: an event claiming another source is refused. Keys are high-entropy random
tokens, so a plain SHA-256 is the right hash (a slow password hash would only slow every request).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from services.kernel import connect
from shared.errors import Unavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS source_keys (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    label TEXT,
    created_at REAL NOT NULL,
    revoked_at REAL
);
"""


class KeyStoreUnavailable(Unavailable):
    """The key store cannot be read just now; the request should be retried (503), not refused (401)."""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    id: str
    source: str
    label: str | None
    created_at: float
    revoked_at: float | None


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key(source: str, label: str | None = None) -> tuple[KeyInfo, str]:
    """A fresh key `dti_<id>_<secret>` and its public record; only the caller ever sees the secret."""
    key_id = "k_" + secrets.token_hex(4)
    key = f"dti_{key_id[2:]}_{secrets.token_urlsafe(32)}"
    return KeyInfo(key_id, source, label, time.time(), None), key


def key_id_of(key: str) -> str | None:
    """The public id inside a presented key, or None when it is not shaped like one of ours."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "dti":
        return None
    return "k_" + parts[1]


class KeyStore:
    """SQLite-backed; a key created or revoked by `dti keys` counts from the moment the command returns.

    Active keys are cached in memory, and each check asks SQLite for `PRAGMA data_version`, which changes
    when another connection (the `dti keys` process) commits to the file: the cache is read again only then.
    The pragma reads the WAL index in shared memory, no disk I/O; it replaced a cache refreshed every 2 s,
    with which a revoked key kept working for up to 2 s (benchmarks/bench_keys.py measures both).
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = connect(path)
        self._conn.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, str]] = {}  # key id -> (hash, source), active keys only
        self._version: int | None = None  # data_version the cache was read at; None: read it again

    def create(self, source: str, label: str | None = None) -> tuple[KeyInfo, str]:
        info, key = new_key(source, label)
        with self._lock:
            self._conn.execute(
                "INSERT INTO source_keys (id, source, hash, label, created_at) VALUES (?, ?, ?, ?, ?)",
                (info.id, source, digest(key), label, info.created_at),
            )
            self._version = None  # our own commits do not change our connection's data_version
        return info, key

    def revoke(self, key_id: str) -> bool:
        with self._lock:
            cur = self._conn.execute(
                "UPDATE source_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (time.time(), key_id)
            )
            self._version = None
            return cur.rowcount == 1

    def list(self) -> list[KeyInfo]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, source, label, created_at, revoked_at FROM source_keys ORDER BY created_at"
            ).fetchall()
        return [KeyInfo(*r) for r in rows]

    def source_of(self, key: str) -> str | None:
        """The source a presented key belongs to, or None (unknown, malformed or revoked).

        Keys look like `dti_<id>_<secret>`: the public id finds the row, then the hashes are compared in
        constant time, so response timing says nothing about the secret.
        """
        key_id = key_id_of(key)
        if key_id is None:
            return None
        with self._lock:
            try:
                version = self._conn.execute("PRAGMA data_version").fetchone()[0]
                if version != self._version:
                    rows = self._conn.execute(
                        "SELECT hash, source, id FROM source_keys WHERE revoked_at IS NULL"
                    ).fetchall()
                    self._cache = {i: (h, s) for h, s, i in rows}
                    self._version = version
            except sqlite3.Error as exc:
                # the file is unreadable for a moment (disk trouble): answer 503 (retry) rather than trust a
                # cache that may still hold a revoked key, or call a good key bad
                raise KeyStoreUnavailable(str(exc)) from exc
            hit = self._cache.get(key_id)
        if hit is None:
            return None
        return hit[1] if hmac.compare_digest(hit[0], digest(key)) else None

    def close(self) -> None:
        self._conn.close()


def admin_token(data_dir: Path, configured: str | None) -> str:
    """The admin token: DTI_ADMIN_TOKEN if set, else one generated once into the data dir (mode 0600)."""
    if configured:
        return configured
    path = data_dir / "admin-token"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    path.write_text(token + "\n", encoding="utf-8")
    path.chmod(0o600)
    return token
