"""The OpenAPI document says what the server answers, and GET /v1/catalog says what may be sent."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.server import DtiServer


def spec(server: DtiServer) -> dict[str, Any]:
    r = httpx.get(f"{server.url}/openapi.json", timeout=10)
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def test_errors_are_documented_as_they_are_answered(server: DtiServer) -> None:
    doc = spec(server)
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ErrorBody" in schemas
    events = doc["paths"]["/v1/events"]["post"]["responses"]
    assert sorted(events) == ["202", "401", "403", "409", "413", "415", "422", "503"]
    for status in ("401", "403", "409", "413", "415", "422", "503"):
        assert events[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert "Retry-After" in events["503"]["headers"] and "WWW-Authenticate" in events["401"]["headers"]
    # and a real 422 and a real 404 have that shape: detail.message and detail.errors[].pointer
    r = httpx.get(f"{server.url}/v1/scores", params={"period": "2025-Q9"}, timeout=10)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert set(detail) >= {"message", "message_vi", "message_en", "errors"}
    assert detail["errors"][0]["pointer"] == "/period"
    r = httpx.get(f"{server.url}/v1/nothing-here", timeout=10)
    assert r.status_code == 404 and r.json()["detail"]["message_en"] == "Not Found"


def test_security_schemes_and_which_routes_need_them(server: DtiServer) -> None:
    doc = spec(server)
    schemes = doc["components"]["securitySchemes"]
    assert schemes["sourceKey"]["scheme"] == schemes["adminToken"]["scheme"] == "bearer"
    secured = {
        (method, path): op.get("security")
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if op.get("security")
    }
    assert secured[("post", "/v1/events")] == secured[("post", "/v1/observations")] == [{"sourceKey": []}]
    assert secured[("post", "/v1/rules/reload")] == [{"adminToken": []}]
    assert secured[("post", "/v1/silences")] == [{"adminToken": []}]
    assert ("get", "/v1/scores") not in secured  # reading is open


def test_read_routes_are_typed_and_metrics_is_prometheus_text(server: DtiServer) -> None:
    doc = spec(server)

    def ok(path: str) -> dict[str, Any]:
        return doc["paths"][path]["get"]["responses"]["200"]["content"]  # type: ignore[no-any-return]

    expected = {
        "/v1/scores": "ScoreTree",
        "/v1/scores/units": "UnitScores",
        "/v1/gaps": "Gaps",
        "/v1/data": "MetricValues",
        "/v1/org-units": "OrgUnits",
        "/v1/rules": "RulesInfo",
        "/v1/catalog": "Catalog",
    }
    for path, model in expected.items():
        assert ok(path)["application/json"]["schema"] == {"$ref": f"#/components/schemas/{model}"}, path
    (metrics_type,) = ok("/metrics")
    assert metrics_type.startswith("text/plain; version=")
    r = httpx.get(f"{server.url}/metrics", timeout=10)
    assert r.headers["content-type"] == metrics_type


def test_request_schemas_name_the_codes_the_rules_accept(server: DtiServer) -> None:
    doc = spec(server)
    units = {u["code"] for u in httpx.get(f"{server.url}/v1/org-units", timeout=10).json()["units"]}
    body = doc["paths"]["/v1/observations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    item = body["properties"]["observations"]["items"]
    assert set(item["properties"]["org_unit"]["enum"]) == units
    assert "0" not in units  # the generated example that the old schema admitted
    assert item["properties"]["period"]["pattern"] == "^(2024|2025|2026|2027|2028|2029|2030)(-Q[1-4])?$"
    event = doc["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]["anyOf"][0]
    (example,) = event["examples"]
    assert example["org_unit"] in units and example["source"] == "department"  # the first source, by name
    assert example["metric"] == "infra.network"  # the first metric that source may send


def test_catalog_lists_metrics_sources_and_who_may_send_what(server: DtiServer) -> None:
    r = httpx.get(f"{server.url}/v1/catalog", timeout=10)
    assert r.status_code == 200
    cat = r.json()
    metrics = {m["code"]: m for m in cat["metrics"]}
    assert len(metrics) == 7
    # from tests/fixtures/mini: A1 reads tthc.* at every level; B1 (share of communes) reads infra.network at
    # the communes; B2 reads lgsp.systems_connected at the province; no indicator reads epayment accounts
    assert metrics["tthc.records_total"] == {
        "code": "tthc.records_total",
        "name": "Hồ sơ",
        "name_en": "Records",
        "type": "counter",
        "unit": "records",
        "rollup": "sum",
        "levels": ["province", "district", "commune"],
        "sources": ["lgsp"],
    }
    assert metrics["infra.network"]["levels"] == ["commune"]
    assert metrics["infra.network"]["type"] == "gauge"
    assert metrics["lgsp.systems_connected"]["levels"] == ["province"]
    assert metrics["lgsp.systems_connected"]["sources"] == ["department", "lgsp"]
    assert metrics["population.epayment_accounts"]["levels"] == []
    assert {s["code"]: s["metrics"] for s in cat["sources"]} == {
        "department": ["infra.network", "lgsp.systems_connected", "population.epayment_accounts"],
        "eoffice": ["work.records_online", "work.records_total"],
        "lgsp": ["lgsp.systems_connected", "tthc.records_online", "tthc.records_total"],
    }
    assert [d["code"] for d in cat["departments"]] == ["KHCN", "VP"]
