"""Schemathesis `--checks all` against Kafka mode's `dti ingest`: the same document, the same truth.

The replica under test produces to a topic of its own (`DTI_TOPIC_EVENTS`), so the events schemathesis gets
accepted never reach the scoring workers the other Kafka tests read; keys come from the shared `dti.keys`."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_fuzz_openapi import (
    assert_every_operation_tested,
    example_source,
    generated_and_passed,
    run_schemathesis,
)
from tests.kafka.cluster import Service, create_key
from tests.kafka.conftest import Stack


def test_every_check_passes_on_dti_ingest(stack: Stack, tmp_path: Path) -> None:
    env = {**stack.env, "DTI_TOPIC_EVENTS": "dti.fuzz.events"}
    ingest = Service("ingest", stack.base / "ingest-fuzz", env).start()
    try:
        key = create_key(stack.env, example_source(ingest.url))
        out = run_schemathesis(ingest.url, key, stack.env["DTI_ADMIN_TOKEN"], tmp_path, 20)
    finally:
        ingest.stop()
    generated, passed = generated_and_passed(out)
    print(f"\nschemathesis --checks all on dti ingest: {generated} generated, {passed} passed")
    assert generated == passed >= 300
    assert_every_operation_tested(out)
