"""Monitoring of Kafka mode, on real processes: the session's Apache Kafka (tests/kafka/cluster.py), `dti ingest`,
`dti scoring` and `dti alerts`, and a real Prometheus with the jobs of deploy/prometheus/prometheus.yml.

- `promtool check metrics` passes on each service's real /metrics;
- every metric the dashboard and the rules read is exported by the Kafka-mode services;
- Prometheus scrapes the three jobs, every rule evaluates cleanly, the province's DTI comes from the
  scoring job, and the three services agree on the rules version."""

from __future__ import annotations

import json
import math
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from shared import clock
from tests.deploy.prometheus_server import Prometheus, scrape_config
from tests.deploy.promql import SYNTHETIC, alerting_exprs, dashboard_exprs, exported_names, names_on_metrics_page
from tests.deploy.promql import recording_rules as load_recording_rules
from tests.deploy.tools import DEPLOY, promtool
from tests.e2e.conftest import e2e_rules
from tests.e2e.helpers import ev, eventually
from tests.kafka.cluster import KafkaCluster, Service, create_key, kafka_env

RULE_FILES = sorted((DEPLOY / "prometheus" / "rules").glob("*.yml"))
JOBS = {"dti-ingest": "ingest", "dti-scoring": "scoring", "dti-alerts": "alerts"}


@dataclass
class KafkaMode:
    services: dict[str, Service]  # by job name
    prometheus: Prometheus
    key: str


@pytest.fixture(scope="module")
def kafka_mode(kafka: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaMode]:
    base = tmp_path_factory.mktemp("kafka-monitoring")
    # its own consumer groups and scoring app id: the shared broker also carries the tests/kafka stack
    env = kafka_env(
        kafka,
        e2e_rules(base / "rules"),
        DTI_ALERTS_INTERVAL_SECONDS="1",
        DTI_TOPIC_EVENTS="mon.events",
        DTI_TOPIC_SCORES="mon.scores",
        DTI_TOPIC_ALERTS="mon.alerts",
        DTI_TOPIC_KEYS="mon.keys",
        DTI_SCORING_APP_ID="mon-scoring",
        DTI_ALERTS_GROUP="mon-alerts",
    )
    services = {job: Service(cmd, base / cmd, env) for job, cmd in JOBS.items()}
    prometheus: Prometheus | None = None
    try:
        with ThreadPoolExecutor(len(services)) as pool:
            for f in [pool.submit(s.start) for s in services.values()]:
                f.result()
        targets = {job: [f"127.0.0.1:{s.port}"] for job, s in services.items()}
        prometheus = Prometheus(base, scrape_config("prometheus.yml", targets)).wait_ready()
        yield KafkaMode(services, prometheus, create_key(env, "lgsp"))
    finally:
        if prometheus is not None:
            prometheus.close()
        for s in services.values():
            s.stop()


@pytest.fixture(scope="module")
def scored(kafka_mode: KafkaMode) -> KafkaMode:
    """Events of the current year through ingest, until the scoring worker exports the province's DTI."""
    now = clock.now()
    when = (now - timedelta(minutes=1)).isoformat(timespec="seconds")
    batch = [ev("P.T1.C1", "tthc.records_total", 4, when=when), ev("P.T1.C1", "tthc.records_online", 3, when=when)]
    with kafka_mode.services["dti-ingest"].client(kafka_mode.key) as c:
        r = c.post("/v1/events", json={"events": batch})
        assert r.status_code == 202, r.text
    scoring = kafka_mode.services["dti-scoring"]

    def province_dti() -> float | None:
        series = rf'^dti_index_value\{{framework="mini",org_unit="P",year="{now.year}"\}} (\S+)$'
        m = re.search(series, _metrics(scoring), re.M)
        value = float(m.group(1)) if m else math.nan
        return value if value > 0 else None  # NaN and 0 until the events are scored

    eventually(province_dti, timeout=60)
    return kafka_mode


def _metrics(s: Service) -> str:
    return httpx.get(f"{s.url}/metrics", timeout=10).text


@pytest.mark.parametrize("job", JOBS)
def test_each_service_passes_promtool(scored: KafkaMode, job: str) -> None:
    text = _metrics(scored.services[job])
    assert "dti_rules_info{" in text and "dti_http_request_duration_seconds_bucket{" in text
    out = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "" and out.stderr.strip() == "", out.stdout + out.stderr


def test_monitoring_reads_only_what_kafka_mode_exports(scored: KafkaMode) -> None:
    recording = load_recording_rules(RULE_FILES)
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "dti-monitor.json").read_text(encoding="utf-8"))
    exprs = [e for _, e in dashboard_exprs(dashboard)] + list(alerting_exprs(RULE_FILES).values())
    needed = set().union(*(exported_names(e, recording) for e in exprs)) - SYNTHETIC
    pages = {job: names_on_metrics_page(_metrics(s)) for job, s in scored.services.items()}
    assert needed - set().union(*pages.values()) == set()
    # where each family comes from: scores from scoring, ingest counters from ingest, lag from the consumers
    assert {"dti_index_value", "dti_index_goal", "dti_indicator_target"} <= pages["dti-scoring"]
    assert "dti_ingest_events_total" in pages["dti-ingest"]
    # (the topic this module's services use on the shared broker: DTI_TOPIC_EVENTS)
    assert 'dti_kafka_consumer_lag_messages{topic="mon.events"}' in _metrics(scored.services["dti-scoring"])


def test_prometheus_scrapes_the_three_services(scored: KafkaMode) -> None:
    prom = scored.prometheus
    up = eventually(lambda: {s["metric"]["job"] for s in prom.query("up == 1")} >= set(JOBS) or None, timeout=30)
    assert up
    # this year's (from 1 January to 31 March last year's series stands beside it)
    year = clock.today().year
    [dti] = eventually(
        lambda: prom.query(f'province:dti_index_value:max{{framework="mini",year="{year}"}}'), timeout=30
    )
    assert dti["metric"]["org_unit"] == "P"
    # one rules version across ingest, scoring and alerts: DtiRulesVersionMismatch's expression is empty
    versions = eventually(lambda: prom.query("count by (version) (dti_rules_info)"), timeout=30)
    assert len(versions) == 1 and float(versions[0]["value"][1]) == 3
    assert prom.query("count(count by (version) (dti_rules_info)) > 1") == []
    eventually(lambda: prom.query('job_topic:dti_kafka_consumer_lag_messages:sum{job="dti-scoring"}'), timeout=30)
    health = eventually(lambda: (lambda h: None if h is None else [h])(prom.rules_health()), timeout=30)
    assert health == [{}], health


@pytest.mark.parametrize("job", JOBS)
def test_each_service_logs_json_without_secrets(scored: KafkaMode, job: str) -> None:
    """Faust's and aiokafka's own records go through the same JSON renderer; nothing secret is logged."""
    service = scored.services[job]
    lines = service.log_path.read_text(encoding="utf-8").splitlines()
    assert re.match(rf"^dti {JOBS[job]} on http://", lines[0])  # the CLI's banner, before logging starts
    records = [json.loads(line) for line in lines[1:]]
    assert records and all({"event", "level", "timestamp"} <= set(r) for r in records)
    text = "\n".join(lines)
    for secret in (scored.key, scored.key.split("_", 2)[2], service.env["DTI_ADMIN_TOKEN"]):
        assert secret not in text
