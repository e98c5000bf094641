"""Reconnect with backoff: a service started before its broker waits for it, one whose broker goes away
comes back when it does. tenacity (a dependency already) does the waiting; this names the policy once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_never, wait_exponential

log = structlog.get_logger(__name__)
T = TypeVar("T")

FIRST_DELAY = 0.2  # seconds, doubling up to MAX_DELAY
MAX_DELAY = 5.0


async def with_reconnect(work: Callable[[], Awaitable[T]], what: str, errors: tuple[type[BaseException], ...]) -> T:
    """Run `work` until it returns; on one of `errors` log it and run it again after 0.2 s, doubling to 5 s.
    For a long-running reader `work` never returns and this is its restart loop. Other exceptions (and
    cancellation) pass through."""

    def note(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else None
        log.warning("reconnecting", what=what, error=str(exc), retry_in=wait)

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(errors),
        wait=wait_exponential(multiplier=FIRST_DELAY, max=MAX_DELAY),
        stop=stop_never,
        before_sleep=note,
        reraise=True,
    )

    async def attempt() -> T:
        # tenacity tells sync from async by inspecting the callable: a lambda returning a coroutine would
        # count as sync and its coroutine would be returned unawaited, so every attempt is awaited here
        return await work()

    return await retrying(attempt)
