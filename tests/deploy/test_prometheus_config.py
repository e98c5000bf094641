"""Prometheus and Alertmanager configuration, checked by their own tools: config and rules syntax, the
alerting rules' unit tests (real `for:` and rate semantics), Alertmanager's routing and templates."""

from __future__ import annotations

import yaml

from tests.deploy.tools import DEPLOY, amtool, promtool, run

PROM = DEPLOY / "prometheus"


def test_prometheus_configs_are_valid() -> None:
    for name in ("prometheus.yml", "prometheus-embedded.yml"):
        out = run(promtool(), "check", "config", name, cwd=PROM)
        assert out.returncode == 0, out.stdout + out.stderr
        # both rule files were found and checked along with the config
        assert "SUCCESS: 2 rule files found" in out.stdout, out.stdout


def test_rules_are_valid() -> None:
    files = sorted(str(p) for p in (PROM / "rules").glob("*.yml"))
    assert len(files) == 2
    out = run(promtool(), "check", "rules", *files)
    assert out.returncode == 0, out.stdout + out.stderr


def test_alerting_rules_unit_tests() -> None:
    tests = sorted(str(p) for p in (PROM / "tests").glob("*.test.yml"))
    assert tests
    out = run(promtool(), "test", "rules", *tests)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("SUCCESS") == len(tests), out.stdout


def test_every_alert_has_a_unit_test_and_bilingual_annotations() -> None:
    rules = yaml.safe_load((PROM / "rules" / "dti-alerts.yml").read_text(encoding="utf-8"))
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    assert len(alerts) >= 10
    tested: set[str] = set()
    for p in (PROM / "tests").glob("*.test.yml"):
        for t in yaml.safe_load(p.read_text(encoding="utf-8"))["tests"]:
            for a in t.get("alert_rule_test", []):
                if a["exp_alerts"]:  # a test that shows it firing, not only silent
                    tested.add(a["alertname"])
    names = {a["alert"] for a in alerts}
    assert names - tested == set(), f"alerts without a firing unit test: {sorted(names - tested)}"
    runbook = (DEPLOY.parent / "docs" / "operations.md").read_text(encoding="utf-8").lower()
    for a in alerts:
        ann = a["annotations"]
        assert {"summary", "summary_en", "description", "description_en", "runbook_url"} <= set(ann), a["alert"]
        assert a["labels"]["severity"] in {"critical", "warning", "info"}
        anchor = ann["runbook_url"].split("#", 1)[1]
        assert anchor == a["alert"].lower() and f"### {a['alert'].lower()}" in runbook, a["alert"]


def test_alertmanager_config_and_templates() -> None:
    am = DEPLOY / "alertmanager"
    out = run(amtool(), "check-config", "alertmanager.yml", cwd=am)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 templates" in out.stdout, out.stdout
    rendered = run(
        amtool(),
        "template",
        "render",
        "--template.glob=templates/*.tmpl",
        '--template.text={{ template "dti.subject" . }}\n{{ template "dti.text" . }}',
        cwd=am,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert "Đã hết / Resolved" in rendered.stdout or "Đang cảnh báo / Firing" in rendered.stdout


def test_routing_sends_platform_and_indicator_alerts_to_their_receivers() -> None:
    am = DEPLOY / "alertmanager"

    def receivers(*labels: str) -> str:
        out = run(amtool(), "config", "routes", "test", "--config.file=alertmanager.yml", *labels, cwd=am)
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout.strip()

    assert receivers("alertname=DtiTargetDown", "severity=critical", "job=dti-ingest") == "operators-oncall"
    assert receivers("alertname=DtiSourceSilent", "severity=warning", "source=lgsp") == "operators"
    assert receivers("alertname=below_target", "severity=warning", "department=SO_CONGTHUONG") == "dti-departments"
    assert receivers("alertname=off_trajectory", "severity=critical", "department=SO_KHCN") == "so-khcn"
