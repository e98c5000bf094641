"""Auth and every class of 4xx against a real `dti up`, and what a batch with a bad item does."""

from __future__ import annotations

from datetime import timedelta

import httpx
import orjson
import pytest

from shared import clock
from tests.e2e.helpers import data, ev
from tests.e2e.server import DtiServer, dti


def errors(r: httpx.Response) -> list[dict[str, object]]:
    return r.json()["detail"]["errors"]  # type: ignore[no-any-return]


def test_no_key_bad_key_and_revoked_key_are_401(server: DtiServer) -> None:
    body = {"events": [ev("P.T6.C1", "tthc.records_total")]}
    r = httpx.post(f"{server.url}/v1/events", json=body)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "missing key" in r.json()["detail"]["message"]
    r = httpx.post(f"{server.url}/v1/events", json=body, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    r = httpx.post(f"{server.url}/v1/events", json=body, headers={"Authorization": "Bearer dti_00000000_nope"})
    assert r.status_code == 401 and "invalid or revoked key" in r.json()["detail"]["message"]
    key = server.key("lgsp")
    with server.client(key) as c:
        assert c.post("/v1/events", json={"events": [ev("P.T6.C1", "tthc.records_total")]}).status_code == 202
        key_id = "k_" + key.split("_")[1]
        out = dti("keys", "revoke", key_id, "--data-dir", str(server.data_dir))
        assert out.returncode == 0, out.stderr
        listed = dti("keys", "list", "--data-dir", str(server.data_dir)).stdout
        assert key_id in listed and "revoked" in listed and key not in listed
        # in force when `dti keys revoke` returns: the very next request is refused, no grace period
        assert c.post("/v1/events", json={"events": [ev("P.T6.C1", "tthc.records_total")]}).status_code == 401


def test_source_must_match_key_and_metric_must_be_allowed(server: DtiServer, lgsp_key: str) -> None:
    with server.client(lgsp_key) as c:
        r = c.post("/v1/events", json={"events": [ev("P.T6.C2", "tthc.records_total", source="eoffice")]})
        assert r.status_code == 403
        assert errors(r)[0]["pointer"] == "/events/0/source" and errors(r)[0]["index"] == 0
        r = c.post(
            "/v1/events", json={"events": [ev("P.T6.C2", "tthc.records_total"), ev("P.T6.C2", "work.records_total")]}
        )
        assert r.status_code == 403
        assert [e["pointer"] for e in errors(r)] == ["/events/1/metric"]
        assert "may not report metric 'work.records_total'" in str(errors(r)[0]["message"])
    # nothing from the refused batch was stored
    assert "tthc.records_total" not in data(server, "P.T6.C2", "2025")


@pytest.mark.parametrize(
    ("item", "pointer", "code"),
    [
        (ev("P.NOPE", "tthc.records_total"), "/events/1/org_unit", "unknown_org_unit"),
        (ev("P.T7.C1", "tthc.nope"), "/events/1/metric", "unknown_metric"),
        ({**ev("P.T7.C1", "tthc.records_total"), "value": "many"}, "/events/1/value", "float_type"),
        # strict types: text and true/false are a sender's bug, not numbers to guess at
        ({**ev("P.T7.C1", "tthc.records_total"), "value": "1"}, "/events/1/value", "float_type"),
        ({**ev("P.T7.C1", "tthc.records_total"), "value": "2"}, "/events/1/value", "float_type"),
        ({**ev("P.T7.C1", "tthc.records_total"), "value": True}, "/events/1/value", "float_type"),
        ({**ev("P.T7.C1", "tthc.records_total"), "occurred_at": 1748736000}, "/events/1/occurred_at", "datetime_type"),
        (
            {**ev("P.T7.C1", "tthc.records_total"), "occurred_at": "1748736000"},
            "/events/1/occurred_at",
            "datetime_type",
        ),
        (ev("P.T7.C1", "tthc.records_total", -3), "/events/1/value", "negative_counter"),
        (
            ev("P.T7.C1", "tthc.records_total", when=(clock.now() + timedelta(days=2)).isoformat()),
            "/events/1/occurred_at",
            "in_future",
        ),
        (
            ev("P.T7.C1", "tthc.records_total", when="2019-06-01T00:00:00+07:00"),
            "/events/1/occurred_at",
            "outside_years",
        ),
        (ev("P.T7.C1", "tthc.records_total", when="2025-06-01T00:00:00"), "/events/1/occurred_at", "no_timezone"),
        (
            {k: v for k, v in ev("P.T7.C1", "tthc.records_total").items() if k != "event_id"},
            "/events/1/event_id",
            "missing",
        ),
        ({**ev("P.T7.C1", "tthc.records_total"), "colour": "red"}, "/events/1/colour", "extra_forbidden"),
    ],
)
def test_422_names_the_field_and_stores_nothing(
    server: DtiServer, lgsp_key: str, item: dict[str, object], pointer: str, code: str
) -> None:
    good = ev("P.T7.C2", "tthc.records_total")
    with server.client(lgsp_key) as c:
        r = c.post("/v1/events", json={"events": [good, item]})
    assert r.status_code == 422, r.text
    errs = errors(r)
    assert [(e["pointer"], e["index"], e["code"]) for e in errs] == [(pointer, 1, code)]
    message = str(errs[0]["message"])
    assert " / " in message  # Vietnamese, then English
    # the batch is atomic: the good item was not stored either
    assert "tthc.records_total" not in data(server, "P.T7.C2", "2025")


def test_415_413_and_bad_json(server: DtiServer, lgsp_key: str) -> None:
    h = {"Authorization": f"Bearer {lgsp_key}"}
    r = httpx.post(f"{server.url}/v1/events", content=b"event", headers={**h, "Content-Type": "text/plain"})
    assert r.status_code == 415
    # the test server allows 200 events and 100,000 bytes
    r = httpx.post(f"{server.url}/v1/events", json={"events": [ev("P.T7.C1", "tthc.records_total")] * 201}, headers=h)
    assert r.status_code == 413 and r.json()["detail"]["limit_events"] == 200
    r = httpx.post(
        f"{server.url}/v1/events",
        content=b"[" + b" " * 100_001 + b"]",
        headers={**h, "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["detail"]["limit_bytes"] == 100_000
    r = httpx.post(f"{server.url}/v1/events", content=b"{not json", headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 422 and errors(r)[0]["code"] == "invalid_json"


def test_text_values_are_refused_in_both_languages_in_json_and_ndjson(server: DtiServer, lgsp_key: str) -> None:
    good = ev("P.T7.C2", "tthc.records_total")
    with server.client(lgsp_key) as c:
        r = c.post("/v1/events", json={"events": [good, {**ev("P.T7.C2", "tthc.records_total"), "value": "1"}]})
        assert r.status_code == 422
        (err,) = errors(r)
        assert err["pointer"] == "/events/1/value"
        assert err["message_vi"] == "phải là số JSON (không phải chuỗi ký tự hay true/false)"
        assert err["message_en"] == "must be a JSON number, not text or true/false"
        ndjson = b"\n".join(orjson.dumps(e) for e in (ev("P.T7.C2", "tthc.records_total"), {**good, "value": False}))
        r = c.post("/v1/events", content=ndjson, headers={"Content-Type": "application/x-ndjson"})
        assert r.status_code == 422 and [e["pointer"] for e in errors(r)] == ["/1/value"]
        # an integer is a number
        assert c.post("/v1/events", json={"events": [{**good, "value": 3}]}).status_code == 202
