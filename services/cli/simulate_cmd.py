"""`dti simulate`: the province's systems and departments, played against a running instance."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from services.simulate.profile import BASELINE_DTI

if TYPE_CHECKING:  # the simulator's modules are imported when the command runs: `dti` starts fast
    from rich.console import Console

    from services.simulate.session import Plan
    from shared.rules import RuleSet

Url = Annotated[str, typer.Option(help="the running instance")]
Rate = Annotated[
    float | None, typer.Option(help="mean events per second (default 100; office hours more, nights less)")
]
Speed = Annotated[
    float | None,
    typer.Option(help="simulated seconds per real second (default: from --rate at the province's real volumes)"),
]
Seed = Annotated[int | None, typer.Option(help="same seed and options, same events (default: random, printed)")]
Year = Annotated[
    int | None, typer.Option(help="simulated year; the clock starts on its first working morning (default: this year)")
]
Start = Annotated[str | None, typer.Option(help="start the simulated clock here instead, e.g. 2026-03-02T07:00")]
Improvement = Annotated[float, typer.Option(help="DTI gained per simulated year")]
StartDti = Annotated[
    float, typer.Option("--start-dti", help="the province's DTI at the start (Lai Châu 2022, its latest published)")
]
Framework = Annotated[
    str | None,
    typer.Option(help="framework the start is calibrated on and the DTI shown from (default: the one in force)"),
]
RulesOpt = Annotated[Path | None, typer.Option("--rules", help="rules directory or manifest (DTI_RULES)")]
OrgUnits = Annotated[Path | None, typer.Option("--org-units", help="an org-unit file instead of the manifest's")]


def simulate(
    url: Url = "http://127.0.0.1:8080",
    rate: Rate = None,
    speed: Speed = None,
    duration: Annotated[float | None, typer.Option(help="seconds to run (default: until Ctrl-C)")] = None,
    seed: Seed = None,
    year: Year = None,
    start: Start = None,
    improvement: Improvement = 0.05,
    start_dti: StartDti = BASELINE_DTI,
    framework: Framework = None,
    org_units: OrgUnits = None,
    rules: RulesOpt = None,
    key: Annotated[list[str] | None, typer.Option("--key", help="SOURCE=KEY, repeated")] = None,
    keys_file: Annotated[Path | None, typer.Option("--keys-file", help='JSON {"source": "key", …}')] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="the instance's data dir: create the keys not given there")
    ] = None,
    replay: Annotated[Path | None, typer.Option(help="send the events of a --record file instead")] = None,
    record: Annotated[Path | None, typer.Option(help="write every event sent to this JSONL file")] = None,
    max_events: Annotated[int | None, typer.Option("--max-events", help="stop after this many events")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="events per request and source (max)")] = 500,
    give_up_after: Annotated[
        float | None, typer.Option("--give-up-after", help="seconds to keep retrying a request (default: forever)")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="generate (and --record) without sending")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="status lines instead of a progress bar")] = False,
) -> None:
    """Realistic traffic from the province's systems against a running instance, with a progress bar.

    One-stop records of every unit (online or at the desk, fully online or not, fees cash or cashless).
    E-office documents and work records; reporting-system submissions; the departments' quarterly figures.
    Office hours, weekends and holidays on a simulated clock; the city ahead of the remote districts.
    The province's DTI starts at --start-dti and gains --improvement a simulated year.
    """
    from rich.console import Console

    from services.simulate.session import SimulationError, plan_generated, plan_replay, resolve_keys

    console = Console(no_color=no_progress or None, force_terminal=False if no_progress else None)
    run_seed = seed if seed is not None else secrets.randbelow(10**6)
    try:
        ruleset = _rules(rules, org_units, required=replay is None)
        if replay is not None:
            plan = plan_replay(replay, ruleset, rate=rate, speed=speed)
        else:
            assert ruleset is not None
            plan = plan_generated(
                ruleset,
                seed=run_seed,
                rate=rate,
                speed=speed,
                year=year,
                start=start,
                improvement=improvement,
                start_dti=start_dti,
                framework=framework,
            )
        keys: dict[str, str] = {}
        if not dry_run:
            keys, created = resolve_keys(plan.sources, key or [], keys_file, data_dir)
            if created:
                plan.header.append(f"keys created in {data_dir} for: {', '.join(created)}")
    except SimulationError as exc:
        typer.echo(f"dti simulate: {exc}", err=True)
        raise typer.Exit(2) from exc
    code = run_plan(
        plan,
        None if dry_run else url,
        keys,
        console=console,
        duration=duration,
        max_events=max_events,
        record=record,
        batch_size=batch_size,
        give_up_after=give_up_after,
        progress=True,
    )
    raise typer.Exit(code)


def _rules(rules: Path | None, org_units: Path | None, required: bool) -> RuleSet | None:
    from services.simulate.session import SimulationError, load_rules
    from shared.rules import RulesInvalid
    from shared.settings import get_settings

    path = rules or get_settings().rules
    try:
        return load_rules(path, org_units)
    except (RulesInvalid, OSError) as exc:
        if not required:
            return None
        detail = "; ".join(str(p) for p in exc.problems[:3]) if isinstance(exc, RulesInvalid) else str(exc)
        raise SimulationError(f"cannot load the rules from {path}: {detail}") from exc


def run_plan(
    plan: Plan,
    url: str | None,
    keys: dict[str, str],
    *,
    console: Console,
    duration: float | None,
    max_events: int | None,
    record: Path | None,
    batch_size: int,
    give_up_after: float | None,
    progress: bool,
) -> int:
    """Play a plan and print its summary; the exit code is 1 when events were refused or not delivered."""
    import asyncio
    import contextlib

    from services.simulate.session import play

    for line in plan.header:
        console.print(line, highlight=False, soft_wrap=True)
    with contextlib.ExitStack() as stack:
        out: IO[bytes] | None = stack.enter_context(record.open("wb")) if record is not None else None
        outcome = asyncio.run(
            play(
                plan,
                url,
                keys,
                console=console,
                duration=duration,
                max_events=max_events,
                record=out,
                batch_size=batch_size,
                give_up_after=give_up_after,
                progress=progress,
            )
        )
    for line in outcome.lines:
        console.print(line, highlight=False, soft_wrap=True)
    if record is not None:
        console.print(f"recorded to {record}", highlight=False, soft_wrap=True)
    s = outcome.stats
    return 1 if url is not None and (s.rejected or s.failed or s.observations_rejected) else 0
