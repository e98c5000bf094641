"""The rules in force in one process, reloaded when the rules directory changes; both modes hold them here.

Why a watched directory and not a `dti.rules` topic: officials edit the files in place (a bind mount in
docker-compose, a ConfigMap on Kubernetes), every process validates them itself and logs FILE:LINE:COL when
an edit is refused, and there is no publishing step to forget. Every score carries the version that produced
it and every process exports `dti_rules_info{version}`, so one still on an older version is visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from services.common.metrics import ServiceMetrics
from shared.rules import RuleSet, RulesInvalid, load_ruleset, resolve_manifest
from shared.settings import Settings

log = structlog.get_logger(__name__)
OnSwap = Callable[[RuleSet], None]


@dataclass(slots=True)
class RulesState:
    """The rules in force and, when the last edit was refused, why (FILE:LINE:COL lines)."""

    current: RuleSet
    loaded_at: float
    last_error: list[str] = field(default_factory=list)
    last_error_at: float | None = None


class RulesHolder:
    """The rules in force, `reload()` on request or on a file change (`start()` watches when
    `DTI_WATCH_RULES`); each callback in `on_swap` moves its part of the process to the new rules before
    they count as loaded. Invalid files keep the last good rules."""

    def __init__(self, settings: Settings, metrics: ServiceMetrics, rules: RuleSet | None = None) -> None:
        self.settings = settings
        self.metrics = metrics
        current = rules if rules is not None else load_ruleset(resolve_manifest(settings.rules))
        self.state = RulesState(current, time.time())
        self.on_swap: list[OnSwap] = []
        self._task: asyncio.Task[None] | None = None
        metrics.set_rules_version(current.version)
        metrics.rules_loaded_at.set(self.state.loaded_at)

    @property
    def current(self) -> RuleSet:
        return self.state.current

    async def reload(self) -> tuple[bool, list[str]]:
        """Load the files again; keep the last good rules when the new ones are invalid."""
        try:
            new = await asyncio.to_thread(load_ruleset, resolve_manifest(self.settings.rules))
        except RulesInvalid as exc:
            lines = [str(p) for p in exc.problems] or ["rules could not be loaded"]
            self.state.last_error, self.state.last_error_at = lines, time.time()
            self.metrics.rules_reloads.labels("failure").inc()
            self.metrics.rules_ok.set(0)
            for line in lines:
                log.error("rules_invalid", problem=line, kept_version=self.current.version)
            return False, lines
        self.metrics.rules_ok.set(1)
        if new.version == self.current.version:
            self.state.last_error, self.state.last_error_at = [], None
            return True, []
        old = self.current.version
        for fn in self.on_swap:
            fn(new)
        self.state = RulesState(new, time.time())
        self.metrics.rules_reloads.labels("success").inc()
        self.metrics.rules_loaded_at.set(self.state.loaded_at)
        self.metrics.set_rules_version(new.version)
        log.info("rules_reloaded", old_version=old, version=new.version)
        return True, []

    def start(self) -> None:
        if self.settings.watch_rules:
            self._task = asyncio.create_task(self._watch(), name="rules-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        from watchfiles import awatch

        directory = resolve_manifest(self.settings.rules).parent
        async for _changes in awatch(directory, debounce=300, step=100):
            await self.reload()
