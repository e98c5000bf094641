"""An in-process `dti up` app (lifespan run by hand, requests through httpx's ASGITransport) on a copy of the
mini rules, with one year of data whose scores are computed by hand in the tests. The year is a past one
(2025): the reports judge it at its end whatever the machine's date."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.embedded.app import create_app
from shared.periods import PROVINCE_TZ
from shared.settings import Settings

MINI = Path(__file__).resolve().parents[2] / "fixtures" / "mini"
YEAR = 2025


def at(month: int, day: int) -> str:
    return datetime(YEAR, month, day, 10, 0, tzinfo=PROVINCE_TZ).isoformat()


def report_rules(directory: Path) -> Path:
    """The mini rules with reporting deadlines: B1 (communes networked) and B2 (LGSP systems) quarterly."""
    shutil.copytree(MINI, directory)
    fw = directory / "mini.yaml"
    text = fw.read_text(encoding="utf-8")
    text = text.replace(
        "    points: 20\n    owner: KHCN\n",
        "    points: 20\n    owner: KHCN\n    reporting: {frequency: quarterly, deadline_days: 10}\n",
    )
    fw.write_text(text, encoding="utf-8")
    return directory


class Client:
    """Synchronous calls into the app on its own event loop (tests stay plain functions)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient, app: Any) -> None:
        self.loop, self.client, self.app = loop, client, app

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.get(path, params=params))

    def post(self, path: str, key: str, body: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"}
        return self.loop.run_until_complete(self.client.post(path, json=body, headers=headers))

    def settle(self) -> None:
        assert self.loop.run_until_complete(self.app.state.backend.settle())


@pytest.fixture(scope="package")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    base = tmp_path_factory.mktemp("reports")
    rules = report_rules(base / "rules")
    settings = Settings(data_dir=base / "data", rules=rules, watch_rules=False, admin_token="t")
    app = create_app(settings)
    loop = asyncio.new_event_loop()

    async def enter() -> tuple[httpx.AsyncClient, Any]:
        cm = app.router.lifespan_context(app)
        await cm.__aenter__()
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dti"), cm

    client, cm = loop.run_until_complete(enter())
    c = Client(loop, client, app)
    seed(c)
    yield c

    async def leave() -> None:
        await client.aclose()
        await cm.__aexit__(None, None, None)

    loop.run_until_complete(leave())
    loop.close()


def seed(c: Client) -> None:
    """Q3: 5 of 10 records online in commune C1 of D1. Q4: 9 of 10 more, and 9 of 10 work records at the
    province. The department files B2 (LGSP systems: 6) for Q4 with evidence; being filed now, after the
    deadline of 10 January, it is late. B1 has no data: a missing report."""
    keys = c.app.state.backend.keys
    lgsp = keys.create("lgsp")[1]
    eoffice = keys.create("eoffice")[1]
    dep = keys.create("department")[1]

    def ev(i: str, metric: str, unit: str, value: float, when: str) -> dict[str, Any]:
        src = "eoffice" if metric.startswith("work.") else "lgsp"
        return {"event_id": i, "source": src, "org_unit": unit, "metric": metric, "value": value, "occurred_at": when}

    r = c.post(
        "/v1/events",
        lgsp,
        {
            "events": [
                ev("q3-t", "tthc.records_total", "P.D1.C1", 10, at(8, 5)),
                ev("q3-o", "tthc.records_online", "P.D1.C1", 5, at(8, 5)),
                ev("q4-t", "tthc.records_total", "P.D1.C1", 10, at(11, 5)),
                ev("q4-o", "tthc.records_online", "P.D1.C1", 9, at(11, 5)),
            ]
        },
    )
    assert r.status_code == 202, r.text
    r = c.post(
        "/v1/events",
        eoffice,
        {
            "events": [
                ev("w-t", "work.records_total", "P", 10, at(11, 6)),
                ev("w-o", "work.records_online", "P", 9, at(11, 6)),
            ]
        },
    )
    assert r.status_code == 202, r.text
    r = c.post(
        "/v1/observations",
        dep,
        {
            "observations": [
                {
                    "org_unit": "P",
                    "indicator": "b2",  # B2 reads lgsp.systems_connected; codes are matched as typed (case, Đ)
                    "period": f"{YEAR}-Q4",
                    "value": 6,
                    "evidence_url": "https://example.gov.vn/bc-lgsp-q4.pdf",
                    "reported_by": "Nguyễn Văn A",
                }
            ]
        },
    )
    assert r.status_code in (200, 202), r.text
    c.settle()


@pytest.fixture(scope="package")
def scores(app_client: Client) -> dict[str, Any]:
    r = app_client.get("/v1/scores", org_unit="P", period=f"{YEAR}-Q4", framework="mini")
    assert r.status_code == 200
    return dict(r.json())
