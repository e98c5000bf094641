"""The embedded app (`dti up`) in process: its lifespan run by hand and requests through httpx's ASGITransport,
on a temporary data directory and a copy of the mini rules. Route contracts are tested here in milliseconds;
what needs a real process (a crash, Kafka, a browser, the CLI) stays in tests/e2e and tests/kafka."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from services.embedded.app import create_app
from shared.periods import PROVINCE_TZ
from shared.settings import Settings

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"
ADMIN = "admin-token"


def at(year: int, month: int, day: int, hour: int = 10) -> str:
    return datetime(year, month, day, hour, 0, tzinfo=PROVINCE_TZ).isoformat()


def event(i: str, source: str, unit: str, metric: str, value: Any, when: str) -> dict[str, Any]:
    return {"event_id": i, "source": source, "org_unit": unit, "metric": metric, "value": value, "occurred_at": when}


class Client:
    """Synchronous calls into the app on its own event loop (the tests stay plain functions)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, http: httpx.AsyncClient, app: Any) -> None:
        self.loop, self.http, self.app = loop, http, app

    def key(self, source: str) -> str:
        return str(self.app.state.backend.keys.create(source)[1])

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.http.get(path, params=params, headers=headers))

    def post(self, path: str, key: str | None, body: Any = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.loop.run_until_complete(self.http.post(path, json=body, headers=headers, **kw))

    def settle(self) -> None:
        """Wait until the scoring engine has applied everything accepted (the 202 comes before scoring)."""
        rt = self.app.state.backend
        assert self.loop.run_until_complete(rt.settle())


@contextmanager
def embedded_app(base: Path, edit_rules: Callable[[Path], None] | None = None, **settings: Any) -> Iterator[Client]:
    """The app on `base`/rules (a copy of the mini rules, edited by `edit_rules` if given) and `base`/data;
    `settings` override the defaults (e.g. alerts_interval_seconds)."""
    rules = base / "rules"
    shutil.copytree(MINI, rules)
    if edit_rules is not None:
        edit_rules(rules)
    app = create_app(Settings(data_dir=base / "data", rules=rules, watch_rules=False, admin_token=ADMIN, **settings))
    loop = asyncio.new_event_loop()

    async def enter() -> tuple[httpx.AsyncClient, Any]:
        cm = app.router.lifespan_context(app)
        await cm.__aenter__()
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dti"), cm

    http, cm = loop.run_until_complete(enter())
    try:
        yield Client(loop, http, app)
    finally:

        async def leave() -> None:
            await http.aclose()
            await cm.__aexit__(None, None, None)

        loop.run_until_complete(leave())
        loop.close()
