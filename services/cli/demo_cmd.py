"""`dti demo`: a first look in one command — `dti up` in a child process, keys, and the simulator.

Ctrl-C (SIGINT) or SIGTERM stops the simulator, then the server, and exits 0. The server runs in its own
session so that Ctrl-C reaches only this process, which stops things in order; on Linux it is also told to
stop if this process dies without cleaning up.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from services.cli.simulate_cmd import (
    Framework,
    Improvement,
    OrgUnits,
    Rate,
    RulesOpt,
    Seed,
    Speed,
    Start,
    StartDti,
    Year,
    run_plan,
)
from services.simulate.profile import BASELINE_DTI

if TYPE_CHECKING:
    from rich.console import Console

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _start_server(host: str, port: int, data_dir: Path, rules: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DTI_LOG_LEVEL": os.environ.get("DTI_LOG_LEVEL", "WARNING"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    }
    cmd = [sys.executable, "-m", "services.cli", "up", "--host", host, "--port", str(port)]
    cmd += ["--data-dir", str(data_dir), "--rules", str(rules)]
    with log.open("ab") as out:
        return subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )


def _wait_ready(proc: subprocess.Popen[bytes], url: str, timeout: float, stopped: Callable[[], bool]) -> bool:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stopped():
        if proc.poll() is not None:
            return False
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


def _stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def demo(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="port (default 8080, or a free one if it is taken)")] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="keep the state here (default: a temporary dir, removed)")
    ] = None,
    rules: RulesOpt = None,
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
    no_progress: Annotated[bool, typer.Option("--no-progress", help="status lines instead of a progress bar")] = False,
) -> None:
    """A first look: starts `dti up`, creates keys, runs the simulator, and says where to look. Ctrl-C stops."""
    from rich.console import Console

    from services.simulate.session import SimulationError, load_rules, plan_generated, resolve_keys
    from shared.rules.problems import RulesInvalid
    from shared.settings import Settings

    console = Console(no_color=no_progress or None, force_terminal=False if no_progress else None)
    rules_path = rules or Settings().rules
    run_seed = seed if seed is not None else int.from_bytes(os.urandom(3), "big") % 10**6
    if port is None:
        port = 8080 if _port_free(host, 8080) else _free_port(host)
    elif not _port_free(host, port):
        typer.echo(f"dti demo: port {port} is taken / cổng {port} đang được dùng", err=True)
        raise typer.Exit(2)
    temporary = data_dir is None
    state = Path(tempfile.mkdtemp(prefix="dti-demo-")) if data_dir is None else data_dir
    state.mkdir(parents=True, exist_ok=True)
    url = f"http://{host}:{port}"
    log = state / "dti-up.log"
    stop_requested = False

    def early_stop(signum: int, _frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    previous = {sig: signal.signal(sig, early_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    console.print(f"starting DTI Monitor on {url} … (log: {log})", highlight=False, soft_wrap=True)
    proc = _start_server(host, port, state, rules_path, log)

    def run() -> int:
        # calibrating the simulated province takes a moment: meanwhile the server starts
        try:
            plan = plan_generated(
                load_rules(rules_path, org_units),
                seed=run_seed,
                rate=rate,
                speed=speed,
                year=year,
                start=start,
                improvement=improvement,
                start_dti=start_dti,
                framework=framework,
            )
        except (RulesInvalid, OSError, SimulationError) as exc:
            typer.echo(f"dti demo: {exc}", err=True)
            return 2
        if not _wait_ready(proc, url, 60.0, lambda: stop_requested):
            if stop_requested:
                return 0
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
            typer.echo(f"dti demo: the server did not start:\n{tail}", err=True)
            return 1
        keys, _created = resolve_keys(plan.sources, [], None, state)
        _reopen_for_demo(console, url, state, plan.start_year)
        _where_to_look(console, url, plan.scores, plan.start_year, state, temporary)
        if stop_requested:
            return 0
        for sig, handler in previous.items():  # the simulator installs its own handlers while it runs
            signal.signal(sig, handler)
        try:
            run_plan(
                plan,
                url,
                keys,
                console=console,
                duration=duration,
                max_events=None,
                record=None,
                batch_size=500,
                give_up_after=None,
                progress=True,
            )
        except KeyboardInterrupt:  # a Ctrl-C in the moment the simulator's own handlers are not installed
            pass
        return 0

    try:
        code = run()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        console.print("stopping DTI Monitor … / đang dừng", highlight=False)
        _stop_server(proc)
        if temporary:
            shutil.rmtree(state, ignore_errors=True)
        console.print("stopped / đã dừng", highlight=False)
    raise typer.Exit(code)


def _reopen_for_demo(console: Console, url: str, state: Path, year: int | None) -> None:
    """A past year's assessment is closed (shared/years.py): the demo reopens it in its own data directory,
    as an admin would, so the simulated events are accepted; the audit trail says so."""
    import httpx

    if year is None:
        return
    admin = state / "admin-token"
    token = os.environ.get("DTI_ADMIN_TOKEN") or (admin.read_text(encoding="utf-8").strip() if admin.exists() else "")
    years = httpx.get(f"{url}/v1/years", timeout=10).json()["years"]
    if not any(y["year"] == year and y["status"] == "closed" for y in years):
        return
    r = httpx.post(
        f"{url}/v1/years/{year}/reopen",
        json={"by": "dti demo", "reason": "mô phỏng số liệu của một năm đã khóa sổ / simulating a closed year"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    if r.status_code == 200:
        console.print(f"year {year} is closed: reopened for the demo / đã mở lại năm {year} (/v1/years/audit)")


def _where_to_look(
    console: Console,
    url: str,
    scores: tuple[str, str] | None,
    year: int | None,
    state: Path,
    temporary: bool,
) -> None:
    unit, framework = scores or ("", "")
    dti = f"{url}/v1/scores?org_unit={unit}&period={year}&framework={framework}"
    lines = [
        "",
        "DTI Monitor demo — where to look / xem ở đâu:",
        f"  page for officials / trang cho lãnh đạo:  {url}/",
        f"  API docs (OpenAPI):                       {url}/docs",
        f"  province's DTI / DTI của tỉnh:            {dti}",
        f"  units side by side / so sánh đơn vị:      {url}/v1/scores/units?period={year}&framework={framework}",
        f"  Prometheus metrics:                       {url}/metrics",
    ]
    grafana = os.environ.get("DTI_GRAFANA_URL")
    if grafana:
        lines.append(f"  Grafana:                                  {grafana}")
    admin = state / "admin-token"
    lines += [
        f"  data: {state}" + (" (temporary, removed on exit)" if temporary else ""),
        f"  admin token: {admin}" if admin.exists() else "",
        "",
        f"ready: simulating the province against {url} — Ctrl-C to stop / nhấn Ctrl-C để dừng",
    ]
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)
