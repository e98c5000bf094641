"""POST /v1/events in process (the embedded app on the mini rules): accepted batches, duplicates, and each
refusal's status and the JSON pointer it names. A refused batch stores nothing. Process behaviour (a crash,
Kafka) is tested in tests/e2e and tests/kafka."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared import clock
from shared.periods import PROVINCE_TZ
from tests.services.inprocess import ADMIN, Client, at, embedded_app, event

YEAR = 2025


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    with embedded_app(tmp_path_factory.mktemp("ingest")) as c:
        yield c


def errors(r: httpx.Response) -> list[dict[str, Any]]:
    return list(r.json()["detail"]["errors"])


def online_share(app: Client, unit: str) -> float | None:
    """A1 (online records ÷ records) of the unit in Q2, the indicator the batches below feed."""
    app.settle()
    r = app.get("/v1/scores", org_unit=unit, period=f"{YEAR}-Q2", framework="mini")
    assert r.status_code == 200, r.text
    (a1,) = [i for m in r.json()["main_indicators"] for i in m["indicators"] if i["code"] == "A1"]
    return a1["value"]  # type: ignore[no-any-return]


def test_a_batch_is_accepted_with_202_and_scored(app: Client) -> None:
    key = app.key("lgsp")
    batch = {
        "events": [
            event("acc-t", "lgsp", "P.D1.C2", "tthc.records_total", 8, at(YEAR, 5, 5)),
            event("acc-o", "lgsp", "P.D1.C2", "tthc.records_online", 2, at(YEAR, 5, 5)),
        ]
    }
    r = app.post("/v1/events", key, batch)
    assert r.status_code == 202, r.text
    assert r.json() == {"accepted": 2, "duplicates": 0}
    assert online_share(app, "P.D1.C2") == pytest.approx(2 / 8)

    again = app.post("/v1/events", key, batch)  # a retry of the same event ids: counted once
    assert again.status_code == 202
    assert again.json() == {"accepted": 0, "duplicates": 2}
    assert online_share(app, "P.D1.C2") == pytest.approx(2 / 8)


def test_a_single_event_is_accepted_too(app: Client) -> None:
    one = event("one", "lgsp", "P.D2.C1", "tthc.records_total", 4, at(YEAR, 4, 2))
    r = app.post("/v1/events", app.key("lgsp"), one)
    assert r.status_code == 202, r.text
    assert r.json() == {"accepted": 1, "duplicates": 0}


def test_a_text_value_is_refused_naming_its_pointer_and_nothing_is_stored(app: Client) -> None:
    good = event("bad-0", "lgsp", "P.D1.C1", "tthc.records_total", 10, at(YEAR, 5, 6))
    bad = event("bad-1", "lgsp", "P.D1.C1", "tthc.records_online", "5", at(YEAR, 5, 6))
    r = app.post("/v1/events", app.key("lgsp"), {"events": [good, bad]})
    assert r.status_code == 422, r.text
    (err,) = errors(r)
    assert (err["pointer"], err["index"]) == ("/events/1/value", 1)
    assert err["message_vi"] and err["message_en"] and err["message_vi"] != err["message_en"]
    assert online_share(app, "P.D1.C1") is None  # the good item of the refused batch was not stored either


def test_a_missing_or_unknown_key_gets_401(app: Client) -> None:
    body = event("nokey", "lgsp", "P.D1.C1", "tthc.records_total", 1, at(YEAR, 5, 7))
    r = app.post("/v1/events", None, body)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert app.post("/v1/events", "not-a-key", body).status_code == 401


def test_a_metric_the_source_may_not_send_gets_403_naming_it(app: Client) -> None:
    """eoffice may send only work.* metrics (catalog.yaml's sources)."""
    key = app.key("eoffice")
    r = app.post(
        "/v1/events",
        key,
        {
            "events": [
                event("f-0", "eoffice", "P", "work.records_total", 10, at(YEAR, 5, 8)),
                event("f-1", "eoffice", "P", "tthc.records_total", 10, at(YEAR, 5, 8)),
            ]
        },
    )
    assert r.status_code == 403, r.text
    assert [(e["pointer"], e["index"]) for e in errors(r)] == [("/events/1/metric", 1)]
    r = app.post("/v1/events", key, event("f-2", "lgsp", "P", "tthc.records_total", 1, at(YEAR, 5, 8)))
    assert r.status_code == 403  # a key sends for its own source only
    assert [e["pointer"] for e in errors(r)] == ["/source"]


def test_an_unknown_unit_is_refused_by_the_rules(app: Client) -> None:
    r = app.post("/v1/events", app.key("lgsp"), event("u", "lgsp", "P.D9", "tthc.records_total", 1, at(YEAR, 5, 9)))
    assert r.status_code == 422, r.text
    assert [e["pointer"] for e in errors(r)] == ["/org_unit"]


def _refuse_late_data(rules: Path) -> None:
    fw = rules / "mini.yaml"
    text = fw.read_text(encoding="utf-8")
    assert "late_data: accept" in text
    fw.write_text(text.replace("late_data: accept", "late_data: refuse"), encoding="utf-8")


def test_a_closed_year_gets_409_until_an_admin_reopens_it(tmp_path: Path) -> None:
    """On 1 June 2026, 2025 closed on 31 March 2026 (the default close date) and 2026 is open."""
    with clock.frozen(datetime(2026, 6, 1, 9, 0, tzinfo=PROVINCE_TZ)), embedded_app(tmp_path, _refuse_late_data) as c:
        key = c.key("lgsp")
        batch = {
            "events": [
                event("y-0", "lgsp", "P.D1.C1", "tthc.records_total", 3, at(2026, 5, 4)),
                event("y-1", "lgsp", "P.D1.C1", "tthc.records_total", 3, at(2025, 12, 30)),
            ]
        }
        r = c.post("/v1/events", key, batch)
        assert r.status_code == 409, r.text
        (err,) = errors(r)
        assert (err["pointer"], err["index"], err["code"]) == ("/events/1/occurred_at", 1, "year_closed")
        assert "2025" in err["message_en"] and "2025" in err["message_vi"]

        admin = {"Authorization": f"Bearer {ADMIN}"}
        reason = {"by": "Sở KH&CN", "reason": "Bộ yêu cầu bổ sung minh chứng"}
        assert c.post("/v1/years/2025/reopen", None, reason).status_code == 401
        reopened = c.loop.run_until_complete(c.http.post("/v1/years/2025/reopen", json=reason, headers=admin))
        assert reopened.status_code == 200, reopened.text
        r = c.post("/v1/events", key, batch)
        assert r.status_code == 202, r.text
        assert r.json() == {"accepted": 2, "duplicates": 0}
