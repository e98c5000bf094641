"""The simulator's status lines in a log: they follow what moves and stay quiet when nothing does."""

from __future__ import annotations

import asyncio
import contextlib
import io
from types import SimpleNamespace

from rich.console import Console

from services.simulate.runner import Live, show_progress
from services.simulate.sender import Stats


def test_a_quiet_night_prints_no_screen_of_equal_lines_and_the_rate_is_recent() -> None:
    async def run() -> list[str]:
        out = io.StringIO()
        console = Console(file=out, force_terminal=False, no_color=True, width=300)
        loop = asyncio.get_running_loop()
        runner = SimpleNamespace(stats=Stats(), live=Live(), started=loop.time())
        task = asyncio.ensure_future(show_progress(runner, console, None, every=0.02, quiet_every=10.0))  # type: ignore[arg-type]
        runner.stats.generated = runner.stats.accepted = 3000  # the catch-up: 3,000 events at once
        await asyncio.sleep(0.5)  # then 25 ticks with nothing new
        runner.stats.generated = runner.stats.accepted = 3001  # one more event
        await asyncio.sleep(0.1)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return out.getvalue().splitlines()

    lines = asyncio.run(run())
    # one line when 3,000 arrived, one when the 3,001st did: not one per tick (about 30 ticks ran)
    assert len(lines) == 2, lines
    assert "accepted 3,000" in lines[0] and "accepted 3,001" in lines[1]
    # the second line's rate is over the last window (a few events a second at most), not the run's average
    rate = int(lines[1].split(" ev/s")[0].rsplit("· ", 1)[1].replace(",", ""))
    assert rate < 3000 / 0.6, lines[1]
