"""Plays a stream of items against a running instance: paces them, batches them per source key, records
them, shows progress with the live DTI, and stops cleanly.

Pacing is a steady `rate` of events a second (the simulated clock then slows down in office hours and races
through nights and weekends) or a steady simulated clock `speed` times faster than the real one. Either way
the simulated clock never runs ahead of the real one: an event may not claim to have happened in the future
(the server refuses those), so once the simulation catches up with the present it goes on in real time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import httpx
import orjson
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from services.simulate.generator import EventItem, Item, ObservationItem
from services.simulate.rhythm import iso, local
from services.simulate.sender import Sender, Stats
from shared import clock

WEEKDAYS_VI = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")


@dataclass(slots=True)
class Pace:
    """How items map to real time: by simulated time at `speed`, or `rate` events a second."""

    speed: float | None = None
    rate: float | None = None


@dataclass(slots=True)
class Live:
    sim_ts: float = 0.0
    dti: float | None = None
    dti_period: str = ""
    behind: float = 0.0  # seconds the sender lags behind the pace it was asked for
    live_mode: bool = False  # caught up with the present: real time from now on
    rate_mark: tuple[float, int, float] = (0.0, 0, 0.0)  # (loop time, events delivered, rate since the mark before)


# ---------------------------------------------------------------- record and replay
def record_line(item: Item) -> bytes:
    """One JSON line: the event exactly as posted, or the observations with their source and time."""
    if isinstance(item, EventItem):
        return orjson.dumps(item.body) + b"\n"
    body = {"source": item.source, "at": iso(item.at), "observations": item.body["observations"]}
    return orjson.dumps(body) + b"\n"


def parse_line(line: bytes | str, where: str = "") -> Item:
    obj = orjson.loads(line)
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: expected a JSON object")
    if "observations" in obj:
        at = datetime.fromisoformat(str(obj["at"])).timestamp()
        return ObservationItem(at, str(obj["source"]), {"observations": obj["observations"]})
    try:
        at = datetime.fromisoformat(str(obj["occurred_at"])).timestamp()
        return EventItem(at, str(obj["source"]), obj)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{where}: not an event nor observations: {exc}") from exc


def read_items(path: Path) -> Iterator[Item]:
    with path.open("rb") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                yield parse_line(line, f"{path}:{n}")


def sources_in(path: Path) -> set[str]:
    return {item.source for item in read_items(path)}


# ---------------------------------------------------------------- the run
class Runner:
    def __init__(
        self,
        items: Iterator[Item],
        sender: Sender | None,
        pace: Pace,
        *,
        batch_size: int = 500,
        flush_interval: float = 0.25,
        max_events: int | None = None,
        record: IO[bytes] | None = None,
        scores: tuple[str, str] | None = None,  # (org unit, framework) of the live DTI
        clock: Callable[[], float] | None = None,  # POSIX seconds; default: the province's clock
    ) -> None:
        self.items = items
        self.sender = sender
        self.pace = pace
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_events = max_events
        self.record = record
        self.scores = scores
        self.clock = clock or province_timestamp
        self.stats = sender.stats if sender else Stats()
        self.live = Live()
        self.stop = asyncio.Event()
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self._oldest: dict[str, float] = {}
        self.started = 0.0

    async def run(self) -> Stats:
        loop = asyncio.get_running_loop()
        self.started = loop.time()
        poller = asyncio.ensure_future(self._poll_dti()) if self.sender and self.scores else None
        try:
            await self._play(loop)
        finally:
            if poller is not None:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller
        return self.stats

    async def _play(self, loop: asyncio.AbstractEventLoop) -> None:
        sim0: float | None = None
        real0 = loop.time()
        n = paced = 0
        for item in self.items:
            if self.stop.is_set():
                break
            if sim0 is None:
                sim0 = item.at
            # when it is due on the simulated clock (or by count, for a replay at a rate)
            if self.pace.speed:
                due = real0 + (item.at - sim0) / self.pace.speed
            elif self.pace.rate and item.at > sim0:  # the opening levels go at once
                due = real0 + paced / self.pace.rate
            else:
                due = loop.time()
            ahead = item.at - self.clock()
            if ahead > 0:  # never in the future: from here on the simulation runs in real time
                if self.sender is None:
                    break
                self.live.live_mode = True
                due = max(due, loop.time() + ahead)
            while (now := loop.time()) < due and not self.stop.is_set():
                await self._flush_aged(now)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), timeout=min(due - now, self.flush_interval))
            if self.stop.is_set():
                break
            self.live.behind = max(0.0, loop.time() - due)
            self.live.sim_ts = item.at
            if self.record is not None:
                self.record.write(record_line(item))
            if isinstance(item, EventItem):
                n += 1
                paced += item.at > sim0
                self.stats.generated += 1
                await self._add(item)
            else:
                await self._observe(item)
            if n % 256 == 0:
                await self._flush_aged(loop.time())
                await asyncio.sleep(0)  # let responses and the display in
            if self.max_events is not None and n >= self.max_events:
                break
        await self._flush_all()

    async def _add(self, item: EventItem) -> None:
        buf = self._buffers.setdefault(item.source, [])
        if not buf:
            self._oldest[item.source] = asyncio.get_running_loop().time()
        buf.append(item.body)
        if len(buf) >= self.batch_size:
            await self._flush(item.source)

    async def _observe(self, item: ObservationItem) -> None:
        await self._flush_all()  # the levels before them go first
        if self.sender is not None:
            await self.sender.submit_observations(item.source, item.body)

    async def _flush(self, source: str) -> None:
        batch = self._buffers.pop(source, [])
        self._oldest.pop(source, None)
        if batch and self.sender is not None:
            await self.sender.submit_events(source, batch)

    async def _flush_aged(self, now: float) -> None:
        for source, since in list(self._oldest.items()):
            if now - since >= self.flush_interval:
                await self._flush(source)

    async def _flush_all(self) -> None:
        for source in list(self._buffers):
            await self._flush(source)

    async def poll_dti(self) -> None:
        """Read the live DTI of the simulated clock's year (GET /v1/scores); failures leave the last one."""
        if self.sender is None or self.scores is None or not self.live.sim_ts:
            return
        unit, framework = self.scores
        period = str(local(self.live.sim_ts).year)
        with contextlib.suppress(httpx.HTTPError, ValueError, KeyError, TypeError):
            r = await self.sender.client.get(
                "/v1/scores", params={"org_unit": unit, "period": period, "framework": framework}, timeout=5.0
            )
            if r.status_code == 200:
                value = r.json()["index"]["value"]
                self.live.dti = None if value is None else float(value)
                self.live.dti_period = period

    async def _poll_dti(self) -> None:
        while True:
            await self.poll_dti()
            await asyncio.sleep(1.0)


# ---------------------------------------------------------------- display
def sim_clock(ts: float) -> str:
    if not ts:
        return "—"
    d = local(ts)
    return f"{WEEKDAYS_VI[d.weekday()]} {d:%d/%m/%Y %H:%M}"


def recent_rate(runner: Runner, window: float = 5.0) -> float:
    """Events a second over the last `window` seconds or so: an average since the start would still read
    thousands a second long after the catch-up ended and the province went quiet for the night."""
    now, delivered = asyncio.get_running_loop().time(), runner.stats.delivered
    mark, at_mark, rate = runner.live.rate_mark
    if not mark:  # the first window: the average since the start, until the window is full
        mark = runner.started or now
        rate = delivered / max(1e-9, now - mark)
    if now - mark >= window:
        rate = (delivered - at_mark) / (now - mark)
        runner.live.rate_mark = (now, delivered, rate)
    return rate


def status_fields(runner: Runner, window: float = 5.0) -> dict[str, Any]:
    s, live = runner.stats, runner.live
    dti = f"{live.dti:.4f}" if live.dti is not None else "—"
    mode = " (thời gian thực / real time)" if live.live_mode else ""
    return {
        "sim": sim_clock(live.sim_ts) + mode,
        "sent": f"{s.generated:,}",
        "accepted": f"{s.accepted:,}",
        "dup": f"{s.duplicates:,}",
        "rejected": f"{s.rejected + s.failed:,}",
        "retrying": f"{s.retrying} ({s.last_retry})" if s.retrying else "0",
        "rate": f"{recent_rate(runner, window):,.0f}",
        "dti": dti,
        "period": live.dti_period,
    }


def status_line(runner: Runner, fields: dict[str, Any] | None = None) -> str:
    f = fields or status_fields(runner)
    return (
        f"[{f['sim']}] sent {f['sent']} · accepted {f['accepted']} · duplicates {f['dup']} · "
        f"rejected {f['rejected']} · retrying {f['retrying']} · {f['rate']} ev/s · DTI {f['dti']} {f['period']}"
    )


async def show_progress(
    runner: Runner, console: Console, total_seconds: float | None, every: float = 5.0, quiet_every: float = 60.0
) -> None:
    """A live progress bar on a terminal; elsewhere (a log, a pipe) a status line every `every` s while
    something moves, and every `quiet_every` s while nothing does: a quiet night in real time is not a
    screen of equal lines."""
    if not console.is_terminal:
        loop = asyncio.get_running_loop()
        shown: tuple[Any, ...] = ()
        shown_at = 0.0
        while True:
            await asyncio.sleep(every)
            f = status_fields(runner, window=every)
            moved = tuple(v for k, v in f.items() if k != "rate")
            if moved != shown or loop.time() - shown_at >= quiet_every:
                console.print(status_line(runner, f), highlight=False, soft_wrap=True)
                shown, shown_at = moved, loop.time()
    columns = (
        SpinnerColumn(),
        TextColumn("[cyan]{task.fields[sim]}"),
        BarColumn(bar_width=20),
        TextColumn(
            "sent [bold]{task.fields[sent]}[/] · accepted {task.fields[accepted]} · dup {task.fields[dup]} · "
            "[red]rejected {task.fields[rejected]}[/] · retrying {task.fields[retrying]} · "
            "{task.fields[rate]} ev/s · [bold green]DTI {task.fields[dti]}[/] {task.fields[period]}"
        ),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, refresh_per_second=4) as progress:
        task = progress.add_task("simulate", total=total_seconds, **status_fields(runner))
        loop = asyncio.get_running_loop()
        try:
            while True:
                elapsed = loop.time() - runner.started if runner.started else 0.0
                progress.update(task, completed=elapsed, **status_fields(runner))
                await asyncio.sleep(0.25)
        finally:
            progress.update(task, **status_fields(runner))


def summary(stats: Stats, live: Live) -> list[str]:
    dti = f"{live.dti:.4f} ({live.dti_period})" if live.dti is not None else "—"
    lines = [
        f"events: sent {stats.generated:,}, accepted {stats.accepted:,}, duplicates {stats.duplicates:,}, "
        f"rejected {stats.rejected:,}, not delivered {stats.failed:,}; retries {stats.retries:,}",
        f"observations: accepted {stats.observations_accepted:,}, duplicates {stats.observations_duplicates:,}, "
        f"rejected {stats.observations_rejected:,}",
        f"simulated clock reached {sim_clock(live.sim_ts)}; DTI {dti}",
    ]
    lines += [f"  {count:,} × {problem}" for problem, count in stats.problems.most_common(5)]
    return lines


def province_timestamp() -> float:
    """The province's clock (shared.clock, which tests and `DTI_CLOCK_SHIFT_SECONDS` set) as POSIX seconds:
    the simulation never sends an event dated after it."""
    return clock.now().timestamp()


def now_in_province() -> datetime:
    return clock.now()
