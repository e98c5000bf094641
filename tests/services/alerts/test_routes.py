"""GET /v1/alerts with 10,000 alerts in the store: filtered on the server, paged, gzip on the wire, and a
poll with nothing new answered 304 without a body (issue 14, item 5)."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from services.alerts import routes
from services.alerts.runtime import AlertsRuntime
from services.common.metrics import ServiceMetrics
from shared.alerts.state import Alert
from shared.periods import PROVINCE_TZ
from shared.rules.model import RuleSet
from shared.settings import Settings

N = 10_000
POLL_BUDGET = 100_000  # bytes per poll of the page (gzip), issue 14
T = datetime(2025, 6, 1, 9, 0, tzinfo=PROVINCE_TZ)


class Client:
    """GET requests to the app in process (httpx's ASGI transport), one event loop for the module."""

    def __init__(self, app: FastAPI) -> None:
        self.loop = asyncio.new_event_loop()
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")

    def get(
        self, path: str, params: dict[str, object] | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return self.loop.run_until_complete(self.http.get(path, params=params, headers=headers))  # type: ignore[arg-type]

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()


class Backend:
    def __init__(self, alerts: AlertsRuntime) -> None:
        self.alerts = alerts


def _alert(i: int) -> Alert:
    severity = ("critical", "warning", "info")[i % 3]
    unit = f"U{i % 100:03d}"
    members = [
        {
            "fp": f"m{i}-{j}",
            "scope": "x",
            "framework": "DTI2025",
            "indicator": f"I{i % 7}",
            "name": "Tỷ lệ hồ sơ trực tuyến",
            "org_unit": f"{unit}.{j}",
            "org_unit_name": f"Xã {j}",
            "vi": f"Xã {j} — Tỷ lệ hồ sơ trực tuyến: đạt 42,86%, chỉ tiêu 60%",
            "en": f"Commune {j} — Online records: 42.86%, target 60%",
            "rank": "0.3",
        }
        for j in range(30 if i % 51 == 0 else 1)  # every 51st (critical) lists 30 units
    ]
    return Alert(
        fingerprint=f"fp{i:05d}",
        rule="below_target",
        scope="group",
        labels={
            "alertname": "below_target",
            "severity": severity,
            "framework": "DTI2025",
            "indicator": f"I{i % 7}",
            "org_unit": unit,
        },
        annotations={"summary": f"[CẢNH BÁO] chưa đạt chỉ tiêu — {i}", "description": "x" * 300, "link": "http://x"},
        receivers=("SO_KHCN", f"DEP{i % 5}"),
        state="firing" if i % 10 else "pending",
        updated_at=T + timedelta(seconds=i),
        starts_at=T + timedelta(seconds=i),
        members=members,
    )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, mini_rules: RuleSet) -> Iterator[Client]:
    tmp = tmp_path_factory.mktemp("alerts-api")
    settings = Settings(data_dir=tmp, rules=tmp)

    async def make() -> AlertsRuntime:
        return AlertsRuntime(settings, mini_rules, ServiceMetrics(), Path(tmp) / "a.sqlite", list, dict)

    rt = asyncio.run(make())
    for i in range(N):
        a = _alert(i)
        rt.book.alerts[a.fingerprint] = a
    app = FastAPI()
    app.include_router(routes.router)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.state.backend = Backend(rt)
    c = Client(app)
    yield c
    c.close()
    rt.store.close()


def test_filters_counts_and_pages(client: Client) -> None:
    r = client.get("/v1/alerts", params={"status": "firing", "severity": "critical", "limit": 50})
    body = r.json()
    # firing: i % 10 != 0 (9,000); critical: i % 3 == 0 -> 3,334 of 10,000, of which i % 30 == 0 pending (334)
    assert body["total"] == 3000
    assert len(body["alerts"]) == 50 and all(a["labels"]["severity"] == "critical" for a in body["alerts"])
    assert body["counts"]["by_severity"] == {"critical": 3000}
    assert body["counts"]["by_department"]["SO_KHCN"] == 3000
    # the grouped ones (30 units) come first among equals, their 5 worst members shown; all of them alone
    first = body["alerts"][0]
    assert first["members_total"] == 30 and len(first["members"]) == 5
    full = client.get(f"/v1/alerts/{first['fingerprint']}").json()
    assert len(full["members"]) == 30 and full["inhibits"] == []
    assert first["starts_at"] is not None
    seen = {a["fingerprint"] for a in body["alerts"]}
    nxt = client.get(
        "/v1/alerts", params={"status": "firing", "severity": "critical", "limit": 50, "cursor": body["next_cursor"]}
    )
    assert not seen & {a["fingerprint"] for a in nxt.json()["alerts"]}
    # receiver (and the older `department`), unit (itself or a member), indicator, framework
    assert client.get("/v1/alerts", params={"receiver": "DEP1", "status": "all"}).json()["total"] == 2000
    assert client.get("/v1/alerts", params={"department": "DEP1", "status": "all"}).json()["total"] == 2000
    assert client.get("/v1/alerts", params={"unit": "U050.0", "status": "all"}).json()["total"] == 100
    assert client.get("/v1/alerts", params={"unit": "U050.29", "status": "all"}).json()["total"] == 2  # i=2550, 7650
    assert client.get("/v1/alerts", params={"indicator": "I3", "status": "all"}).json()["total"] == 1429
    assert client.get("/v1/alerts", params={"framework": "DTI2022", "status": "all"}).json()["total"] == 0
    # the existing status values still work
    assert client.get("/v1/alerts", params={"status": "pending"}).json()["total"] == 1000
    assert client.get("/v1/alerts").json()["total"] == N  # active = firing or pending
    assert client.get("/v1/alerts", params={"cursor": "nonsense!"}).status_code == 422


def test_a_poll_is_small_gzipped_and_free_when_nothing_changed(client: Client) -> None:
    # what the page asks: the 20 most important, with the counts
    r = client.get("/v1/alerts", params={"limit": 20}, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    wire = len(gzip.compress(r.content))  # the client decoded it; the server sent about this much
    assert wire < POLL_BUDGET
    assert len(r.content) < POLL_BUDGET
    etag = r.headers["etag"]
    again = client.get("/v1/alerts", params={"limit": 20}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/v1/alerts", params={"limit": 21}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and json.loads(other.content)["alerts"]
