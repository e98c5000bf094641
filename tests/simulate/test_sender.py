"""The sender against a scripted server (httpx's mock transport): what is retried, what is rejected, and
that nothing leaves the counts unaccounted for."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import orjson

from services.simulate.sender import Sender

EVENTS = [{"event_id": f"e{i}", "source": "lgsp"} for i in range(3)]


def sender(handler: Callable[[httpx.Request], httpx.Response], **kw: float) -> Sender:
    client = httpx.AsyncClient(base_url="http://dti.test", transport=httpx.MockTransport(handler))
    return Sender("http://dti.test", {"lgsp": "dti_k_secret"}, client=client, **kw)  # type: ignore[arg-type]


def run(s: Sender, events: list[dict[str, object]] = EVENTS, source: str = "lgsp", drain: float = 10) -> None:
    async def go() -> None:
        await s.submit_events(source, events)
        await s.drain(drain)
        await s.close()

    asyncio.run(go())


def test_503_is_retried_after_retry_after_and_then_accepted() -> None:
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        assert request.headers["Authorization"] == "Bearer dti_k_secret"
        assert orjson.loads(request.content) == {"events": EVENTS}
        if len(calls) < 3:
            return httpx.Response(503, headers={"Retry-After": "0.3"}, json={"message": "unavailable"})
        return httpx.Response(202, json={"accepted": 3, "duplicates": 0})

    s = sender(handler)
    run(s)
    assert (s.stats.accepted, s.stats.retries, s.stats.failed, s.stats.rejected) == (3, 2, 0, 0)
    assert calls[1] - calls[0] >= 0.3 and calls[2] - calls[1] >= 0.3


def test_connection_errors_are_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(202, json={"accepted": 1, "duplicates": 2})

    s = sender(handler)
    run(s)
    assert (s.stats.accepted, s.stats.duplicates, s.stats.retries) == (1, 2, 1)


def test_a_refused_batch_is_counted_with_the_servers_reason_and_not_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        problem = {"pointer": "/events/1/metric", "code": "unknown_metric", "message_en": "unknown metric 'x'"}
        return httpx.Response(422, json={"message": "invalid", "errors": [problem]})

    s = sender(handler)
    run(s)
    assert calls == 1
    assert (s.stats.rejected, s.stats.accepted, s.stats.retries) == (3, 0, 0)
    assert s.stats.problems == {"HTTP 422: unknown metric 'x'": 3}


def test_a_source_without_key_is_rejected_without_a_request() -> None:
    s = sender(lambda request: httpx.Response(500))
    run(s, source="eoffice")
    assert s.stats.rejected == 3 and s.stats.requests == 0
    assert "no key for source 'eoffice'" in next(iter(s.stats.problems))


def test_giving_up_counts_the_events_as_not_delivered() -> None:
    s = sender(lambda request: httpx.Response(503), give_up_after=0.3)
    run(s)
    assert s.stats.failed == 3 and s.stats.accepted == 0 and s.stats.retries >= 1


def test_stopping_while_retrying_counts_the_events_as_not_delivered() -> None:
    s = sender(lambda request: httpx.Response(503, headers={"Retry-After": "30"}))
    started = time.monotonic()
    run(s, drain=0.2)
    assert s.stats.failed == 3
    assert time.monotonic() - started < 5  # the drain's timeout, 2 s of grace, then what is left is cancelled
