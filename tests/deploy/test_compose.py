"""docker-compose.yml without Docker: what `docker compose config` would check, done offline.

- the file, raw and after compose's variable interpolation, validates against the official compose-spec
  JSON schema (vendored, with its licence, in the check-jsonschema package that uv.lock installs; run both
  through its CLI and with the jsonschema package);
- every service has an image or a build context with a Dockerfile; third-party images are pinned;
- every bind-mounted file exists; named volumes are declared; depends_on points at services;
- the DTI services' environment variables are real settings, their health checks hit /readyz on the port
  their command listens on, the rules are mounted read-only;
- Prometheus' scrape targets, Grafana's provisioning and Kafka's topics agree with the services."""

from __future__ import annotations

import json
import os
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from services.kafka.bus import topic_specs
from shared.settings import Settings
from tests.deploy.tools import ROOT, run, tool

COMPOSE = ROOT / "docker-compose.yml"
DTI_SERVICES = {"ingest": 8080, "scoring-1": 8081, "scoring-2": 8081, "alerts": 8082}
REQUIRED_VARIABLES = {"DTI_ADMIN_TOKEN", "GRAFANA_ADMIN_PASSWORD"}


def compose_schema() -> dict[str, Any]:
    path = files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


_VAR = re.compile(r"\$(?:(\$)|\{(\w+)(?:(:?[-?+])([^}]*))?\}|(\w+))")


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation: ${VAR}, $VAR, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error},
    ${VAR:+alt}, ${VAR+alt}, and $$ for a literal $. Values only, never keys."""
    if isinstance(node, dict):
        return {k: interpolate(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, env) for v in node]
    if not isinstance(node, str):
        return node

    def repl(m: re.Match[str]) -> str:
        dollar, name, op, arg, bare = m.groups()
        if dollar:
            return "$"
        if bare:
            return env.get(bare, "")
        value = env.get(name)
        if op is None:
            return value or ""
        empty_counts = op.startswith(":")
        missing = value is None or (empty_counts and value == "")
        kind = op[-1]
        if kind == "-":
            return arg if missing else str(value)
        if kind == "?":
            if missing:
                raise KeyError(f"{name}: {arg}")
            return str(value)
        return "" if missing else arg  # "+"

    return _VAR.sub(repl, node)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    env = {"DTI_ADMIN_TOKEN": "t" * 32, "GRAFANA_ADMIN_PASSWORD": "p" * 16}
    return interpolate(raw, env)  # type: ignore[no-any-return]


def test_schema_with_the_check_jsonschema_cli() -> None:
    cli = tool("check-jsonschema", "the dev dependency check-jsonschema (uv.lock) installs it into .venv")
    out = run(cli, "--builtin-schema", "vendor.compose-spec", str(COMPOSE))
    assert out.returncode == 0, out.stdout + out.stderr


def test_schema_before_and_after_interpolation(raw: dict[str, Any], compose: dict[str, Any]) -> None:
    validator = jsonschema.Draft7Validator(compose_schema())
    for doc in (raw, compose):
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
        assert errors == []
    # the schema has teeth: a misspelt key and a wrong type are refused
    broken = json.loads(json.dumps(compose))
    broken["services"]["ingest"]["healthchek"] = broken["services"]["ingest"].pop("healthcheck")
    broken["services"]["kafka"]["ports"] = "9092"
    assert len(list(validator.iter_errors(broken))) >= 2


def test_only_the_secrets_must_be_given(raw: dict[str, Any]) -> None:
    for var in REQUIRED_VARIABLES:
        with pytest.raises(KeyError, match=var):
            interpolate(raw, {v: "x" for v in REQUIRED_VARIABLES - {var}})
    interpolate(raw, {v: "x" for v in REQUIRED_VARIABLES})  # nothing else is needed
    assert "DTI_ADMIN_TOKEN" in (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def test_services_images_volumes_and_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(DTI_SERVICES) | {"kafka", "kafka-init", "prometheus", "alertmanager", "grafana"} <= set(services)
    declared_volumes = set(compose["volumes"])
    for name, svc in services.items():
        assert "image" in svc or "build" in svc, name
        if "build" in svc:
            context = ROOT / svc["build"]["context"]
            assert (context / svc["build"].get("dockerfile", "Dockerfile")).is_file(), name
        else:
            assert re.fullmatch(r"[\w./\-]+:v?\d+\.\d+\.\d+", svc["image"]), f"{name}: pin the image: {svc['image']}"
        for mount in svc.get("volumes", []):
            source, target, *mode = mount.split(":")
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in declared_volumes, f"{name}: volume {source} is not declared"
        for dep, cond in svc.get("depends_on", {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert cond["condition"] in ("service_started", "service_healthy", "service_completed_successfully")
            if cond["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep} to be healthy, it has no check"
        if name != "kafka-init":
            assert "healthcheck" in svc, f"{name} has no health check"
    host_ports = [p.split(":")[0] for s in services.values() for p in s.get("ports", [])]
    assert len(host_ports) == len(set(host_ports)), "a host port is used twice"
    # state on volumes: Kafka's log, each scoring worker's tables, the alerts book, Grafana
    mounts = {n: {m.split(":")[1]: m.split(":")[0] for m in s.get("volumes", [])} for n, s in services.items()}
    assert mounts["kafka"][services["kafka"]["environment"]["KAFKA_LOG_DIRS"]] == "kafka-data"
    assert mounts["scoring-1"]["/var/lib/dti"] != mounts["scoring-2"]["/var/lib/dti"]
    assert mounts["grafana"]["/var/lib/grafana"] == "grafana-data"
    assert mounts["alerts"]["/var/lib/dti"] == "alerts-data"


def test_dti_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    settings = {f"DTI_{name.upper()}" for name in Settings.model_fields}
    for name, port in DTI_SERVICES.items():
        svc = services[name]
        command = svc["command"]
        assert command[0] in ("ingest", "scoring", "alerts") and command[command.index("--port") + 1] == str(port)
        env = svc["environment"]
        unknown = {k for k in env if k.startswith("DTI_")} - settings
        assert unknown == set(), f"{name}: not settings of shared/settings.py: {unknown}"
        assert env["DTI_KAFKA_BROKERS"] == "kafka:9092" and env["DTI_RULES"] == "/app/rules"
        Settings.model_validate({k[4:].lower(): v for k, v in env.items() if k.startswith("DTI_") and v != ""})
        assert "./rules:/app/rules:ro" in svc["volumes"], f"{name}: mount the rules read-only at /app/rules"
        check = " ".join(svc["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/readyz" in check, f"{name}: the health check must hit its own /readyz"
        assert svc["depends_on"]["kafka-init"]["condition"] == "service_completed_successfully"
    assert services["scoring-1"]["environment"]["DTI_SCORING_STORE"].startswith("memory://")  # no RocksDB binding yet
    # the advertised listener is what the services dial
    assert services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"


def test_kafka_is_kraft_and_the_topics_match_the_services(compose: dict[str, Any]) -> None:
    assert "zookeeper" not in json.dumps(compose).lower()  # comments aside
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert set(kafka["environment"]["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    init = compose["services"]["kafka-init"]
    assert init["image"] == kafka["image"] and init["depends_on"]["kafka"]["condition"] == "service_healthy"
    created = {}
    for spec in init["environment"]["TOPICS"].split():
        topic, partitions, policy = spec.split(":")
        created[topic] = (int(partitions), policy)
    for t in topic_specs(Settings()):  # what the services themselves create when a topic is missing
        policy = (t.topic_configs or {}).get("cleanup.policy", "delete")
        assert created.get(t.name) == (t.num_partitions, policy), t.name
    assert created["dti.keys"][1] == "compact" and created["dti.scores"][1] == "compact"
    assert "$TOPICS" in init["command"][0] and "--if-not-exists" in init["command"][0]


def test_prometheus_targets_are_the_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    prom = services["prometheus"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in prom["volumes"]}
    config_path = next(a.split("=", 1)[1] for a in prom["command"] if a.startswith("--config.file="))
    config = yaml.safe_load((ROOT / mounts[config_path]).read_text(encoding="utf-8"))
    assert (ROOT / mounts["/etc/prometheus/rules"] / "dti-alerts.yml").is_file()
    assert config["rule_files"] == ["rules/*.yml"]
    ports = {**DTI_SERVICES, "alertmanager": 9093, "prometheus": 9090}
    jobs = {}
    for job in config["scrape_configs"]:
        targets = [t for sc in job.get("static_configs", []) for t in sc["targets"]]
        targets += [f"{n}:{sd['port']}" for sd in job.get("dns_sd_configs", []) for n in sd["names"]]
        jobs[job["job_name"]] = targets
        for target in targets:
            host, port = target.rsplit(":", 1)
            host = "prometheus" if host == "localhost" else host
            assert host in services and int(port) == ports[host], f"{job['job_name']}: {target}"
    assert sorted(jobs["dti-scoring"]) == ["scoring-1:8081", "scoring-2:8081"]
    assert jobs["dti-ingest"] == ["ingest:8080"] and jobs["dti-alerts"] == ["alerts:8082"]
    [am] = config["alerting"]["alertmanagers"][0]["static_configs"]
    assert am["targets"] == ["alertmanager:9093"]
    assert services["alerts"]["environment"]["DTI_ALERTMANAGER_URL"] == "http://alertmanager:9093"
    amc = services["alertmanager"]
    am_mounts = {m.split(":")[1]: m.split(":")[0] for m in amc["volumes"]}
    am_config = next(a.split("=", 1)[1] for a in amc["command"] if a.startswith("--config.file="))
    assert (ROOT / am_mounts[os.path.dirname(am_config)] / os.path.basename(am_config)).is_file()


def test_grafana_provisioning_is_mounted_where_it_is_read(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in grafana["volumes"]}
    provisioning = ROOT / mounts["/etc/grafana/provisioning"]
    providers = yaml.safe_load((provisioning / "dashboards" / "dti.yml").read_text(encoding="utf-8"))["providers"]
    for p in providers:
        source = Path(mounts[p["options"]["path"]])
        assert list((ROOT / source).glob("*.json")), p
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (ROOT / mounts[os.path.dirname(home)] / os.path.basename(home)).is_file()
    [ds] = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text(encoding="utf-8"))["datasources"]
    assert ds["url"] == "http://prometheus:9090" and "prometheus" in compose["services"]
