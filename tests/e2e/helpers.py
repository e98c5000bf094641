from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from tests.e2e.server import DtiServer

_ids = itertools.count(1)


def ev(
    unit: str,
    metric: str,
    value: float = 1,
    when: str = "2025-03-14T09:30:00+07:00",
    source: str = "lgsp",
    event_id: str | None = None,
) -> dict[str, Any]:
    return {
        "event_id": event_id or f"t-{time.time_ns()}-{next(_ids)}",
        "source": source,
        "org_unit": unit,
        "metric": metric,
        "value": value,
        "occurred_at": when,
    }


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Scores follow a 202 asynchronously (well under a second); poll instead of sleeping a fixed time."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")


def indicator(server: DtiServer, unit: str, period: str, code: str) -> dict[str, Any]:
    tree = server.get("/v1/scores", org_unit=unit, period=period)
    return next(i for m in tree["main_indicators"] for i in m["indicators"] if i["code"] == code)


def data(server: DtiServer, unit: str, period: str) -> dict[str, float]:
    return server.get("/v1/data", org_unit=unit, period=period)["values"]  # type: ignore[no-any-return]
