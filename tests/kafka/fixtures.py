"""The session's Apache Kafka clusters, as fixtures every test package can ask for (tests/conftest.py loads
this module as a plugin): `kafka`, one node shared by all Kafka-mode tests (tests/kafka, the deploy checks of
Kafka mode); `kafka3`, three nodes, for the replication test only. Started on first use, once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.kafka.cluster import KafkaCluster


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """Apache Kafka, one node (broker and controller), shared by every Kafka-mode test of the session."""
    broker = KafkaCluster(tmp_path_factory.mktemp("kafka-1")).start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """Apache Kafka, three nodes (replication 3, min.insync.replicas 2), for the replication test only."""
    cluster = KafkaCluster(tmp_path_factory.mktemp("kafka-3"), nodes=3, heap="256m").start()
    try:
        yield cluster
    finally:
        cluster.stop()
