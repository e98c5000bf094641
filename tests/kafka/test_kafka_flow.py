"""Events posted to `dti ingest` come out of `dti.scores` with hand-computed values; a breach fires an alert."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.kafka.messages import partition_for
from shared import clock
from tests.e2e.helpers import ev, eventually
from tests.kafka.conftest import Stack, latest_scores


def a1(update: dict[str, object]) -> object:
    return update["indicators"]["A1"]["value"]  # type: ignore[index]


def test_scores_on_the_topic_roll_up_across_partitions(stack: Stack) -> None:
    # the two reporting units live in different partitions of dti.events (4 partitions), so the province
    # value needs cells folded in two partitions: the read model of the worker must see both
    assert partition_for("P.T2.C1", 4) != partition_for("P.T3", 4)
    with stack.ingest.client(stack.key) as c:
        r = c.post(
            "/v1/events",
            json={
                "events": [
                    ev("P.T2.C1", "tthc.records_total", 2, when="2024-05-02T10:00:00+07:00"),
                    ev("P.T2.C1", "tthc.records_online", 1, when="2024-05-02T10:00:00+07:00"),
                    ev("P.T3", "tthc.records_total", 3, when="2024-06-02T10:00:00+07:00"),
                    ev("P.T3", "tthc.records_online", 3, when="2024-06-02T10:00:00+07:00"),
                ]
            },
        )
        assert r.status_code == 202 and r.json() == {"accepted": 4, "duplicates": 0}
    # province 2024: (1 + 3) / (2 + 3) = 0.8 (Σ numerators / Σ denominators), T2.C1 alone 1/2 = 0.5
    # each unit's update goes out in its own emit round (one per partition's owner): wait for all three
    want = ("P|mini|2024", "P.T2.C1|mini|2024", "P.T3|mini|2024")
    scores = eventually(
        lambda: (
            (s := latest_scores(stack.broker.bootstrap))
            and all(k in s for k in want)
            and a1(s["P|mini|2024"]) == 0.8
            and s
        ),
        timeout=20,
    )
    assert a1(scores["P.T2.C1|mini|2024"]) == 0.5
    assert a1(scores["P.T3|mini|2024"]) == 1.0
    version = stack.scoring.get("/v1/rules")["version"]
    assert scores["P|mini|2024"]["rules_version"] == version
    # the worker's read API agrees with the topic
    tree = stack.scoring.get("/v1/scores", org_unit="P", period="2024", framework="mini")
    got = next(i for m in tree["main_indicators"] for i in m["indicators"] if i["code"] == "A1")
    assert got["value"] == 0.8


def test_retried_event_ids_count_once(stack: Stack) -> None:
    batch = [
        ev("P.T4.C1", "tthc.records_total", 2, when="2025-02-02T10:00:00+07:00", event_id=f"k-dup-{i}")
        for i in range(3)
    ]
    online = [ev("P.T4.C1", "tthc.records_online", 3, when="2025-02-02T10:00:00+07:00", event_id="k-dup-on")]
    with stack.ingest.client(stack.key) as c:
        for _ in range(3):  # a client retrying the whole batch: ingest cannot know, scoring counts once
            assert c.post("/v1/events", json={"events": batch + online}).status_code == 202
    # 3 online of 6 total = 0.5; counting the retries would still give 0.5, so check the raw sums too
    eventually(
        lambda: (
            stack.scoring.get("/v1/data", org_unit="P.T4.C1", period="2025")["values"].get("tthc.records_total") == 6.0
        ),
        timeout=20,
    )
    values = stack.scoring.get("/v1/data", org_unit="P.T4.C1", period="2025")["values"]
    assert values == {"tthc.records_total": 6.0, "tthc.records_online": 3.0}
    # the totals show once the first copy is folded; the retries' records may be folded a batch or two later
    eventually(lambda: stack.scoring.get("/v1/worker")["duplicates"] >= 8, timeout=20)
    # and operators see them on /metrics (the exposition read with prometheus_client's own parser)
    eventually(lambda: skipped(stack, "duplicate") >= 8, timeout=10)


def skipped(stack: Stack, reason: str) -> float:
    text = httpx.get(stack.scoring.url + "/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        if family.name == "dti_scoring_events_skipped":
            return sum(s.value for s in family.samples if s.name.endswith("_total") and s.labels["reason"] == reason)
    return 0.0


def test_breach_fires_an_alert_from_the_scores_topic(stack: Stack) -> None:
    with stack.ingest.client(stack.key) as c:
        # this year at P.T5.C2: 1 of 10 records online -> A1 = 0.1 at the district P.T5, below its target
        # (84% in 2026, 80% in 2025 to 100% in 2030)
        r = c.post(
            "/v1/events",
            json={
                "events": [
                    ev("P.T5.C2", "tthc.records_total", 10, when=f"{clock.today().year}-01-01T00:00:00+07:00"),
                    ev("P.T5.C2", "tthc.records_online", 1, when=f"{clock.today().year}-01-01T00:00:00+07:00"),
                ]
            },
        )
        assert r.status_code == 202

    def firing() -> list[dict[str, object]]:
        alerts = httpx.get(f"{stack.alerts.url}/v1/alerts", params={"status": "firing"}, timeout=10).json()["alerts"]
        return [
            a
            for a in alerts
            if a["labels"].get("org_unit") == "P.T5"
            and a["labels"].get("indicator") == "A1"
            and a["labels"].get("alertname") == "below_target"
        ]

    found = eventually(firing, timeout=30)
    assert found[0]["labels"]["severity"] == "warning"  # type: ignore[index]
    metrics = httpx.get(f"{stack.alerts.url}/metrics", timeout=10).text
    assert 'dti_alerts_firing{severity="warning"}' in metrics
