"""One Apache Kafka version everywhere: the jars the tests and the benchmark run (deploy/kafka/pom.xml), the
image docker-compose.yml starts and the version Strimzi deploys on Kubernetes (deploy/k8s)."""

from __future__ import annotations

import yaml

from tests.kafka.cluster import KAFKA_VERSION, ROOT


def test_compose_and_kubernetes_name_the_tested_kafka_version() -> None:
    assert KAFKA_VERSION.startswith("4.")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    images = {s["image"] for s in compose["services"].values() if str(s.get("image", "")).startswith("apache/kafka")}
    assert images == {f"apache/kafka:{KAFKA_VERSION}"}
    docs = list(yaml.safe_load_all((ROOT / "deploy" / "k8s" / "base" / "kafka.yaml").read_text()))
    (kafka,) = [d for d in docs if d and d["kind"] == "Kafka"]
    assert kafka["spec"]["kafka"]["version"] == KAFKA_VERSION
    major_minor = ".".join(KAFKA_VERSION.split(".")[:2])
    assert kafka["spec"]["kafka"]["metadataVersion"].startswith(f"{major_minor}-IV")
