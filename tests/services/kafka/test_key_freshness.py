"""Kafka mode's key store answers from its copy of dti.keys only while that copy is confirmed recent."""

from __future__ import annotations

import time

import orjson
import pytest

from services.ingest.keys import KeyStoreUnavailable, digest, new_key
from services.kafka.keys import KafkaKeyStore
from shared.settings import Settings


def test_keys_not_confirmed_within_the_bound_are_a_retry_not_an_answer() -> None:
    store = KafkaKeyStore(Settings(kafka_keys_max_lag_seconds=2.0))
    info, key = new_key("lgsp")
    store.apply(orjson.dumps({"id": info.id, "source": "lgsp", "hash": digest(key), "revoked_at": None}))
    with pytest.raises(KeyStoreUnavailable):  # never confirmed: not even a good key is trusted
        store.source_of(key)
    store.fresh_at = time.monotonic()
    assert store.source_of(key) == "lgsp"
    store.fresh_at = time.monotonic() - 2.5  # the reader fell behind (broker away, replica paused)
    with pytest.raises(KeyStoreUnavailable):
        store.source_of(key)
    store.fresh_at = time.monotonic()
    store.apply(orjson.dumps({"id": info.id, "source": "lgsp", "hash": digest(key), "revoked_at": time.time()}))
    assert store.source_of(key) is None
