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

from services.embedded.storage import connect

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
_REFRESH_SECONDS = 2.0
_MISS_REFRESH_SECONDS = 0.2


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
    """SQLite-backed; the running server sees keys created or revoked by `dti keys` within ~2 s."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = connect(path)
        self._conn.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, str]] = {}  # key id -> (hash, source), active keys only
        self._loaded_at = 0.0

    def create(self, source: str, label: str | None = None) -> tuple[KeyInfo, str]:
        info, key = new_key(source, label)
        with self._lock:
            self._conn.execute(
                "INSERT INTO source_keys (id, source, hash, label, created_at) VALUES (?, ?, ?, ?, ?)",
                (info.id, source, digest(key), label, info.created_at),
            )
            self._loaded_at = 0.0
        return info, key

    def revoke(self, key_id: str) -> bool:
        with self._lock:
            cur = self._conn.execute(
                "UPDATE source_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (time.time(), key_id)
            )
            self._loaded_at = 0.0
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
        now = time.monotonic()
        if now - self._loaded_at > _REFRESH_SECONDS:
            self._reload(now)
        hit = self._cache.get(key_id)
        if hit is None and now - self._loaded_at > _MISS_REFRESH_SECONDS:
            # a key created a moment ago by `dti keys create`; rate-limited so bad keys cannot flood SQLite
            self._reload(now)
            hit = self._cache.get(key_id)
        if hit is None:
            return None
        return hit[1] if hmac.compare_digest(hit[0], digest(key)) else None

    def _reload(self, now: float) -> None:
        with self._lock:
            try:
                rows = self._conn.execute(
                    "SELECT hash, source, id FROM source_keys WHERE revoked_at IS NULL"
                ).fetchall()
            except sqlite3.Error:
                return
            self._cache = {i: (h, s) for h, s, i in rows}
            self._loaded_at = now

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
