"""A thin async HTTP adapter: posts batches with the source's key and retries what may be retried.

503 (the store or the Kafka broker unavailable; honouring Retry-After), 502/504/429 and connection errors are
retried with exponential backoff and jitter, as long as the run goes on: event ids make a resent batch
idempotent (ids already stored come back as duplicates). Any other refusal (401, 403, 413, 415, 422, 500)
is counted as rejected with the server's first message, never retried and never dropped silently.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_delay,
    stop_never,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 60.0


class Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(slots=True)
class Stats:
    generated: int = 0  # events taken from the stream
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    failed: int = 0  # given up on (the run was stopped while they were still being retried)
    observations_accepted: int = 0
    observations_duplicates: int = 0
    observations_rejected: int = 0
    requests: int = 0
    retries: int = 0
    retrying: int = 0  # requests waiting to be retried now
    problems: Counter[str] = field(default_factory=Counter)
    last_retry: str = ""

    @property
    def delivered(self) -> int:
        return self.accepted + self.duplicates


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value)))
    except ValueError:
        return None  # an HTTP date: fall back to the backoff


def first_problem(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            e = errors[0]
            return str(e.get("message_en") or e.get("message") or e)
        detail = body.get("message_en") or body.get("message") or body.get("detail")
        if detail:
            return str(detail)
    return str(body)[:200]


class _Aborted(stop_base):
    def __init__(self, sender: Sender) -> None:
        self.sender = sender

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.sender.aborted


class Sender:
    def __init__(
        self,
        url: str,
        keys: dict[str, str],
        *,
        client: httpx.AsyncClient | None = None,
        max_in_flight: int = 4,
        max_wait: float = 5.0,
        give_up_after: float | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.keys = keys
        self.client = client or httpx.AsyncClient(base_url=self.url, timeout=timeout)
        self.stats = Stats()
        self.aborted = False
        self._slots = asyncio.Semaphore(max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._max_wait = max_wait
        self._give_up_after = give_up_after
        self._backoff = wait_exponential_jitter(multiplier=0.1, max=max_wait, jitter=0.2)

    # ------------------------------------------------------------------ submitting
    async def submit_events(self, source: str, events: list[dict[str, Any]]) -> None:
        """Queue a batch; waits while `max_in_flight` requests are already under way (backpressure)."""
        payload = orjson.dumps({"events": events})
        await self._submit(self._post("/v1/events", source, payload, len(events), observations=False))

    async def submit_observations(self, source: str, body: dict[str, Any]) -> None:
        payload = orjson.dumps(body)
        count = len(body.get("observations", ()))
        await self._submit(self._post("/v1/observations", source, payload, count, observations=True))

    async def _submit(self, coro: Any) -> None:
        await self._slots.acquire()
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait for every request under way; on timeout stop retrying them. True when all finished."""
        if not self._tasks:
            return True
        done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        if pending:
            self.aborted = True
            await asyncio.wait(pending, timeout=2.0)  # answers already on their way; retries stop
            for t in pending:
                t.cancel()
        return not pending

    async def close(self) -> None:
        await self.client.aclose()

    # ------------------------------------------------------------------ one request, retried
    def _wait(self, state: RetryCallState) -> float:
        backoff = self._backoff(state)
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return max(exc.retry_after, backoff)
        return backoff

    def _before_sleep(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        exc = state.outcome.exception() if state.outcome is not None else None
        self.stats.last_retry = exc.reason if isinstance(exc, Retryable) else type(exc).__name__

    async def _post(self, path: str, source: str, payload: bytes, count: int, observations: bool) -> None:
        key = self.keys.get(source)
        stats = self.stats
        if key is None:
            self._reject(count, observations, f"no key for source '{source}'")
            return
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        stop = _Aborted(self) | (stop_after_delay(self._give_up_after) if self._give_up_after else stop_never)
        retrying = False
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type((Retryable, httpx.TransportError)),
                wait=self._wait,
                stop=stop,
                before_sleep=self._before_sleep,
                reraise=True,
            ):
                with attempt:
                    if attempt.retry_state.attempt_number > 1 and not retrying:
                        retrying = True
                        stats.retrying += 1
                    stats.requests += 1
                    r = await self.client.post(path, content=payload, headers=headers)
                    if r.status_code in RETRY_STATUSES:
                        raise Retryable(f"HTTP {r.status_code}", retry_after_seconds(r.headers.get("Retry-After")))
        except (Retryable, httpx.TransportError) as exc:
            reason = exc.reason if isinstance(exc, Retryable) else type(exc).__name__
            self._lost(count, observations, f"not delivered ({reason}), given up while retrying")
            return
        except asyncio.CancelledError:
            self._lost(count, observations, "not delivered: the run stopped while it was under way")
            raise
        finally:
            if retrying:
                stats.retrying -= 1
        if r.status_code == 202:
            body = r.json()
            acc, dup = int(body.get("accepted", 0)), int(body.get("duplicates", 0))
            if observations:
                stats.observations_accepted += acc
                stats.observations_duplicates += dup
            else:
                stats.accepted += acc
                stats.duplicates += dup
            return
        self._reject(count, observations, f"HTTP {r.status_code}: {first_problem(r)}")

    def _lost(self, count: int, observations: bool, problem: str) -> None:
        if observations:
            self.stats.observations_rejected += count
        else:
            self.stats.failed += count
        self.stats.problems[problem] += count

    def _reject(self, count: int, observations: bool, problem: str) -> None:
        if observations:
            self.stats.observations_rejected += count
        else:
            self.stats.rejected += count
        self.stats.problems[problem] += count
