"""The Grafana dashboard is a valid provisioned dashboard: every datasource reference resolves to the
provisioned datasource, panel ids are unique, every panel has a place on the grid, every query parses as
PromQL and uses only defined variables, titles are in Vietnamese and English. (That every metric the
queries read exists in a real /metrics page: tests/e2e/test_prometheus_e2e.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.promql import dashboard_exprs, grafana_variables, parse
from tests.deploy.tools import DEPLOY

GRAFANA = DEPLOY / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
BUILTIN_VARIABLES = {"__rate_interval", "__interval", "__range", "__range_s", "__dashboard", "__from", "__to"}
VIETNAMESE = set("ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ")


def provisioned_datasources() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for f in (GRAFANA / "provisioning" / "datasources").glob("*.yml"):
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        assert doc["apiVersion"] == 1
        for ds in doc["datasources"]:
            assert ds["uid"] not in out
            out[ds["uid"]] = ds
    return out


def all_panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in panels:
        out.append(p)
        out += all_panels(p.get("panels", []))
    return out


def datasource_refs(node: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every `datasource` value anywhere in the dashboard."""
    refs: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "datasource":
                refs.append((path, v))
            refs += datasource_refs(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            refs += datasource_refs(v, f"{path}[{i}]")
    return refs


def test_provisioning_files() -> None:
    sources = provisioned_datasources()
    assert set(sources) == {"dti-prometheus"}
    ds = sources["dti-prometheus"]
    assert ds["type"] == "prometheus" and ds["access"] == "proxy" and ds["url"] == "http://prometheus:9090"
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "dti.yml").read_text(encoding="utf-8"))
    assert providers["apiVersion"] == 1
    [provider] = providers["providers"]
    assert provider["type"] == "file" and provider["options"]["path"] == "/etc/grafana/dashboards/dti"
    assert DASHBOARDS, "no dashboard JSON in deploy/grafana/dashboards"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_is_valid_and_provisionable(path: Path) -> None:
    dash = json.loads(path.read_text(encoding="utf-8"))
    sources = provisioned_datasources()
    # a provisioned dashboard: no numeric id (Grafana assigns it), a fixed uid, a schema version
    assert dash.get("id") is None
    assert dash["uid"] and len(dash["uid"]) <= 40
    assert isinstance(dash["schemaVersion"], int) and dash["schemaVersion"] >= 36
    assert " / " in dash["title"]

    refs = datasource_refs(dash)
    assert refs
    for where, ref in refs:
        assert isinstance(ref, dict) and ref.get("type") == "prometheus", f"{where}: {ref!r}"
        assert ref.get("uid") in sources, f"{where}: datasource uid {ref.get('uid')!r} is not provisioned"

    panels = all_panels(dash["panels"])
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    cells: dict[tuple[int, int], int] = {}
    for p in panels:
        g = p["gridPos"]
        assert {"h", "w", "x", "y"} <= set(g) and all(isinstance(g[k], int) for k in "hwxy"), p["title"]
        assert g["w"] > 0 and g["h"] > 0 and 0 <= g["x"] and g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"panels {cells[(x, y)]} and {p['id']} overlap"
                cells[(x, y)] = p["id"]
        # Vietnamese first, then English
        vi, sep, en = p["title"].partition(" / ")
        assert sep and en and VIETNAMESE & set(vi.lower()), f"title not 'Vietnamese / English': {p['title']!r}"
        if p["type"] != "row":
            assert p.get("targets"), p["title"]
            refids = [t["refId"] for t in p["targets"]]
            assert len(refids) == len(set(refids)), p["title"]

    defined = {v["name"] for v in dash.get("templating", {}).get("list", [])} | BUILTIN_VARIABLES
    for where, expr in dashboard_exprs(dash):
        assert grafana_variables(expr) <= defined, f"{where}: undefined variable in {expr!r}"
        parse(expr)  # raises on anything Prometheus would refuse


def test_panels_cover_what_operators_and_the_dti_department_watch() -> None:
    dash = json.loads((GRAFANA / "dashboards" / "dti-monitor.json").read_text(encoding="utf-8"))
    exprs = " ".join(e for _, e in dashboard_exprs(dash))
    for needed in (
        "province:dti_index_value:max",  # DTI over time
        "province:dti_pillar_value:max",  # pillars
        "framework:dti_index_goal:max",  # the goal line
        "province_indicator:dti_indicator_target:max",  # indicators against targets
        "framework_org_unit:dti_index_value:max",  # units compared
        "source_outcome:dti_ingest_events:rate5m",  # ingest rate by source
        "source_reason:dti_ingest_rejections:rate5m",  # rejections by source
        "job_route:dti_http_request_duration_seconds:p95_rate5m",  # latency
        "job:dti_scoring_lag_events:sum",  # lag
        "severity:dti_alerts_firing:max",  # alerts firing
    ):
        assert needed in exprs, needed
    table = next(p for p in all_panels(dash["panels"]) if p["type"] == "table" and "targets" in p["title"].lower())
    assert len(table["fieldConfig"]["defaults"]["thresholds"]["steps"]) >= 3
