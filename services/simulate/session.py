"""One simulation run, shared by `dti simulate` and `dti demo`: rules, keys, the plan, and playing it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from rich.console import Console
from ruamel.yaml import YAML

from services.ingest.keys import KeyStore
from services.simulate.generator import Generator, Item
from services.simulate.model import BASELINE_DTI, ProvinceModel, default_framework
from services.simulate.rhythm import DAY, ICT, first_working_morning
from services.simulate.runner import Pace, Runner, read_items, show_progress, sources_in, summary
from services.simulate.sender import Sender, Stats
from shared import bilingual, clock
from shared.events import years_covered
from shared.rules import RuleSet, load_ruleset, resolve_manifest

DEFAULT_RATE = 100.0


class SimulationError(Exception):
    """A problem with the options or the environment, said in one line."""


def load_rules(rules: Path, org_units: Path | None = None) -> RuleSet:
    """The rule set, optionally with another org-unit file in place of the manifest's."""
    manifest = resolve_manifest(rules)
    if org_units is None:
        return load_ruleset(manifest)
    doc = YAML(typ="safe").load(manifest.read_text(encoding="utf-8"))
    base = manifest.parent.resolve()
    for key in ("catalog", "alerts", "history", "peers"):
        if key in doc:
            doc[key] = str(base / doc[key])
    doc["frameworks"] = [str(base / f) for f in doc.get("frameworks", [])]
    doc["org_units"] = str(org_units.resolve())
    for key in ("former_org_units", "org_units_from"):  # another tree replaces the reform's pair of trees
        doc.pop(key, None)
    with tempfile.TemporaryDirectory(prefix="dti-sim-rules-") as tmp:
        path = Path(tmp) / "ruleset.yaml"
        path.write_text(json.dumps(doc), encoding="utf-8")  # JSON is YAML
        return load_ruleset(path)


def resolve_keys(
    needed: set[str], pairs: list[str], keys_file: Path | None, data_dir: Path | None
) -> tuple[dict[str, str], list[str]]:
    """Keys by source from --keys-file and --key; missing ones created in the instance's data dir.

    Returns the keys and the sources whose key was created here.
    """
    keys: dict[str, str] = {}
    if keys_file is not None:
        try:
            loaded = json.loads(keys_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SimulationError(f"cannot read keys file {keys_file}: {exc}") from exc
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            raise SimulationError(f'{keys_file}: expected a JSON object {{"source": "key", …}}')
        keys.update(loaded)
    for pair in pairs:
        source, sep, key = pair.partition("=")
        if not sep or not source or not key:
            raise SimulationError(f"--key expects SOURCE=KEY, got '{pair}'")
        keys[source] = key
    missing = sorted(needed - keys.keys())
    if missing and data_dir is None:
        raise SimulationError(
            bilingual.join(
                f"thiếu khóa cho nguồn {', '.join(missing)}",
                f"no key for source(s) {', '.join(missing)}: give --key SOURCE=KEY, --keys-file FILE, or --data-dir "
                "of the running instance to create them",
            )
        )
    created: list[str] = []
    if missing and data_dir is not None:
        store = KeyStore(data_dir / "keys.sqlite")
        try:
            for source in missing:
                _info, keys[source] = store.create(source, "dti simulate")
                created.append(source)
        finally:
            store.close()
    return keys, created


@dataclass(slots=True)
class Plan:
    """What will be played: a generated stream (with its model) or a recorded one."""

    items: Iterator[Item]
    sources: set[str]
    pace: Pace
    scores: tuple[str, str] | None  # (org unit, framework) of the live DTI
    header: list[str] = field(default_factory=list)
    model: ProvinceModel | None = None
    start_year: int | None = None


def start_of(year: int | None, start: str | None, now: datetime) -> datetime:
    if start is not None:
        try:
            when = datetime.fromisoformat(start)
        except ValueError as exc:
            raise SimulationError(f"--start: {exc}") from exc
        return when if when.tzinfo else when.replace(tzinfo=ICT)
    return first_working_morning(year if year is not None else now.year)


def plan_generated(
    rules: RuleSet,
    *,
    seed: int,
    rate: float | None,
    speed: float | None,
    year: int | None = None,
    start: str | None = None,
    improvement: float = 0.05,
    start_dti: float = BASELINE_DTI,
    framework: str | None = None,
    now: datetime | None = None,
) -> Plan:
    now = now or clock.now()
    when = start_of(year, start, now)
    first, last = years_covered(rules)
    if not first <= when.year <= last:
        raise SimulationError(f"year {when.year} is outside the years the rules cover ({first}–{last})")
    if when > now:
        raise SimulationError(f"the simulated clock cannot start in the future ({when.isoformat()})")
    if rate is not None and rate <= 0 or speed is not None and speed <= 0:
        raise SimulationError("--rate and --speed must be positive")
    try:
        model = ProvinceModel(rules, when, framework=framework, start_dti=start_dti, improvement=improvement)
    except ValueError as exc:
        raise SimulationError(str(exc)) from exc
    natural = model.natural_rate()
    if natural <= 0:
        raise SimulationError("the catalogue has no flow metric this simulator knows (records, documents, …)")
    volume = 1.0
    if speed is None:
        # a steady `rate`: the simulated clock slows down in office hours and races through nights and
        # weekends, a simulated day every DAY * natural / rate seconds on average
        rate = rate or DEFAULT_RATE
        pace = Pace(rate=rate)
        pacing = f"clock ×{rate / natural:,.0f} on average (faster at night and on weekends)"
    else:
        # a steady clock: the rate follows office hours; --rate (if given) scales the province's volume
        if rate is not None:
            volume = rate / (speed * natural)
        pace = Pace(speed=speed)
        pacing = f"clock ×{speed:,.0f}, about {speed * natural * volume:,.0f} events/s over a week (office hours more)"
        rate = speed * natural * volume
    gen = Generator(model, seed, volume)
    header = [
        f"Simulating {rules.org_tree.roots[0].name} ({len(rules.org_tree.units)} units) from "
        f"{when:%d/%m/%Y %H:%M}, seed {seed}",
        f"{rate:,.0f} events/s; {pacing}; a simulated day every {DAY * natural * volume / rate:,.0f} s",
        f"{model.framework}: DTI {start_dti:.4f} at the start (maturity {model.m0:.3f}), "
        f"{improvement:+.3f} a simulated year",
    ]
    return Plan(gen.items(), set(gen.sources), pace, (model.root.code, model.framework), header, model, when.year)


def plan_replay(path: Path, rules: RuleSet | None, *, rate: float | None, speed: float | None) -> Plan:
    if not path.is_file():
        raise SimulationError(f"no such file: {path}")
    try:
        sources = sources_in(path)
    except ValueError as exc:
        raise SimulationError(str(exc)) from exc
    pace = Pace(speed=speed) if speed else Pace(rate=rate or DEFAULT_RATE)
    scores = None
    if rules is not None:
        scores = (rules.org_tree.roots[0].code, default_framework(rules, clock.now().year))
    how = f"×{speed:,.0f} on its own clock" if speed else f"{pace.rate:,.0f} events/s"
    return Plan(read_items(path), sources, pace, scores, [f"Replaying {path} at {how}"])


@dataclass(slots=True)
class Outcome:
    stats: Stats
    lines: list[str]
    stopped_by_signal: bool


async def play(
    plan: Plan,
    url: str | None,
    keys: dict[str, str],
    *,
    console: Console,
    duration: float | None = None,
    max_events: int | None = None,
    record: IO[bytes] | None = None,
    batch_size: int = 500,
    give_up_after: float | None = None,
    drain_timeout: float = 30.0,
    progress: bool = True,
) -> Outcome:
    """Play a plan until it ends, `duration` passes, `max_events` are sent, or SIGINT/SIGTERM arrives (a
    second signal stops retrying what is still under way). `url=None` only records (a dry run)."""
    sender = Sender(url, keys, give_up_after=give_up_after) if url else None
    runner = Runner(
        plan.items,
        sender,
        plan.pace if sender else Pace(),
        batch_size=batch_size,
        max_events=max_events,
        record=record,
        scores=plan.scores,
    )
    loop = asyncio.get_running_loop()
    signals = 0

    def on_signal() -> None:
        nonlocal signals
        signals += 1
        runner.stop.set()
        if signals == 1 and sender is not None and (sender.in_flight or sender.stats.retrying):
            console.print(
                bilingual.join(
                    "đang dừng: hoàn tất phần đang gửi (nhấn lần nữa để dừng ngay)",
                    "stopping: finishing what is under way (again to stop now)",
                ),
                highlight=False,
            )
        if signals > 1 and sender is not None:
            sender.aborted = True

    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
    timer = loop.call_later(duration, runner.stop.set) if duration else None
    display = (
        asyncio.ensure_future(show_progress(runner, console, duration)) if progress and sender is not None else None
    )
    try:
        await runner.run()
        if sender is not None:
            await sender.drain(drain_timeout)
            if not sender.aborted:
                await asyncio.sleep(0.5)  # scores follow an accepted batch within a moment
                await runner.poll_dti()
    finally:
        if timer is not None:
            timer.cancel()
        if display is not None:
            display.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await display
        if sender is not None:
            await sender.close()
        for sig in installed:
            loop.remove_signal_handler(sig)
    return Outcome(runner.stats, summary(runner.stats, runner.live), signals > 0)
