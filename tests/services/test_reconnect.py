"""services.kernel.with_reconnect: retries what it is told to, passes the rest through."""

from __future__ import annotations

import asyncio

import pytest

from services.kernel import with_reconnect


def test_retries_the_listed_errors_until_work_returns() -> None:
    calls = []

    async def work() -> str:
        calls.append(len(calls))
        if len(calls) < 3:
            raise ConnectionRefusedError("broker not up yet")
        return "connected"

    assert asyncio.run(with_reconnect(work, "test", (OSError,))) == "connected"
    assert len(calls) == 3


def test_other_errors_are_not_retried() -> None:
    calls = []

    async def work() -> None:
        calls.append(1)
        raise ValueError("a bug, not a broker")

    with pytest.raises(ValueError, match="a bug"):
        asyncio.run(with_reconnect(work, "test", (OSError,)))
    assert calls == [1]


def test_a_lambda_returning_a_coroutine_is_awaited() -> None:
    """The callers pass `lambda: ensure_topics(settings)`: its coroutine must run, not come back unawaited."""
    ran = []

    async def ensure(n: int) -> int:
        ran.append(n)
        return n * 2

    assert asyncio.run(with_reconnect(lambda: ensure(21), "test", (OSError,))) == 42
    assert ran == [21]
