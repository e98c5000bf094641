"""The embedded key store as `dti up` and `dti keys` share it: two connections to one SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.ingest.keys import KeyStore, KeyStoreUnavailable


def test_revocation_and_new_keys_count_at_once_across_connections(tmp_path: Path) -> None:
    cli, server = KeyStore(tmp_path / "keys.sqlite"), KeyStore(tmp_path / "keys.sqlite")
    try:
        info, key = cli.create("lgsp")
        assert server.source_of(key) == "lgsp"  # created by another connection: known on the next check
        other_info, other = cli.create("eoffice")
        assert server.source_of(other) == "eoffice"
        for _ in range(3):  # served from the cache while nothing changes
            assert server.source_of(key) == "lgsp"
        assert cli.revoke(info.id)
        assert server.source_of(key) is None  # the first check after revoke() returns refuses it
        assert server.source_of(other) == "eoffice"
        assert server.revoke(other_info.id) and server.source_of(other) is None  # its own revocation too
        assert server.source_of(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    finally:
        cli.close()
        server.close()


def test_an_unreadable_store_is_a_retry_not_a_bad_key(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.sqlite")
    _info, key = store.create("lgsp")
    store.close()  # any sqlite3.Error from the check, here a closed connection
    with pytest.raises(KeyStoreUnavailable):
        store.source_of(key)
