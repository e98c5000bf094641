"""`dti bench`: every benchmark in `benchmarks/`, one table, and with `--json` one object of figures.

Each suite runs in a fresh process of its own (one after the other, so they do not compete for the cores),
and reports `benchmarks.figures.Figure`s: a value beside the ceiling measured in the same run, their ratio,
the goal and whether this run met it. The Kafka-mode suite (`benchmarks/bench_kafka.py`) is run when it
exists, unless `--skip-kafka`. The benchmarks live in the source tree: run `dti bench` from a checkout.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import multiprocessing
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from benchmarks.figures import Figure

# in the order they run: the in-process suites first, then the ones driving servers
SUITES = ("scoring", "alerts", "ingest", "kafka")

JsonOut = Annotated[
    Path | None, typer.Option("--json", help="also write {figure: {value, unit, ceiling, ratio, goal, met}} here")
]
Quick = Annotated[bool, typer.Option("--quick", help="shorter runs and smaller sizes: under a minute")]
SkipKafka = Annotated[bool, typer.Option("--skip-kafka", help="leave out the Kafka-mode benchmark")]
Only = Annotated[
    list[str] | None, typer.Option("--only", help=f"run only these suites (repeatable): {', '.join(SUITES)}")
]


def _run_suite(name: str, quick: bool) -> list[Figure]:
    """In the child process: the suite's `run(quick)`, on the province's clock as the parent has it (a spawned
    interpreter starts on the machine's)."""
    from shared import clock
    from shared.settings import get_settings

    clock.shift(get_settings().clock_shift_seconds)
    module = importlib.import_module(f"benchmarks.bench_{name}")
    figures: list[Figure] = module.run(quick)
    return figures


def _available(name: str) -> bool:
    try:
        return importlib.util.find_spec(f"benchmarks.bench_{name}") is not None
    except ModuleNotFoundError:  # no benchmarks package: not a source checkout
        return False


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _fmt(x: float | None) -> str:
    if x is None:
        return "—"
    if x == 0 or abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def bench(json_out: JsonOut = None, quick: Quick = False, skip_kafka: SkipKafka = False, only: Only = None) -> None:
    """Chạy các phép đo hiệu năng / Run the benchmarks, print their figures."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:  # a log or a pipe: no terminal width to fit, keep the table's rows whole
        console = Console(width=150)
    wanted = [s for s in SUITES if not only or s in only]
    unknown = sorted(set(only or ()) - set(SUITES))
    if unknown:
        raise typer.BadParameter(
            f"unknown suite(s) {', '.join(unknown)}; known: {', '.join(SUITES)}", param_hint="--only"
        )
    if skip_kafka and "kafka" in wanted:
        wanted.remove("kafka")
    console.print(
        f"[bold]dti bench[/]{' --quick' if quick else ''}: {os.cpu_count()} CPUs ({_cpu_model()}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
    figures: list[Figure] = []
    failed: list[str] = []
    started = time.monotonic()
    for name in wanted:
        if not _available(name):
            console.print(f"[yellow]{name}: benchmarks/bench_{name}.py not found, skipped[/]")
            if name != "kafka":
                failed.append(name)
            continue
        t0 = time.monotonic()
        console.print(f"{name} …", end=" ")
        try:
            # a fresh interpreter per suite: no heap, collector state or threads left over from the previous
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                got = pool.submit(_run_suite, name, quick).result()
        except Exception as exc:  # one suite failing must not hide the others' figures
            console.print(f"[red]failed: {exc!r}[/]")
            failed.append(name)
            continue
        console.print(f"{len(got)} figures in {time.monotonic() - t0:.1f} s")
        figures += got

    table = Table(title=f"DTI Monitor benchmarks ({time.monotonic() - started:.0f} s)")
    for col, justify in (
        ("figure", "left"),
        ("value", "right"),
        ("unit", "left"),
        ("ceiling", "right"),
        ("ratio", "right"),
        ("goal", "left"),
        ("met", "center"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for f in figures:
        met = "—" if f.met is None else "[green]yes[/]" if f.met else "[red]no[/]"
        table.add_row(f.name, _fmt(f.value), f.unit, _fmt(f.ceiling), _fmt(f.ratio), f.goal, met)
    console.print(table)
    if json_out is not None:
        json_out.write_text(json.dumps({f.name: f.to_json() for f in figures}, indent=2, ensure_ascii=False) + "\n")
        console.print(f"figures written to {json_out}")
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}[/]")
        raise typer.Exit(1)
