"""The test broker's KRaft cluster id never reads as an option to `kafka-storage format`."""

from __future__ import annotations

import uuid

import pytest

from tests.kafka import cluster


def test_an_id_starting_with_a_dash_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x04" + bytes(15))])
    monkeypatch.setattr(cluster.uuid, "uuid4", lambda: next(drawn))
    cid = cluster.new_cluster_id()
    assert cid == "BAAAAAAAAAAAAAAAAAAAAA"
    assert len(cid) == 22 and not cid.startswith("-")
