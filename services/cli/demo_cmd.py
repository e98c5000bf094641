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
from datetime import date, datetime, timedelta
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
from shared import bilingual

if TYPE_CHECKING:
    from rich.console import Console

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_RATE = 3000.0  # events a second while the demo catches up with today


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
    from shared.settings import get_settings

    env = {
        **os.environ,
        # quieter than a server's default, unless the operator chose a level (the child reads it as DTI_LOG_LEVEL)
        "DTI_LOG_LEVEL": get_settings().log_level if get_settings().given("log_level") else "WARNING",
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
    catch_up: Annotated[
        float,
        typer.Option(
            "--catch-up",
            help="seconds to play the year up to today when neither --rate nor --speed is given (then real time)",
        ),
    ] = 150.0,
) -> None:
    """A first look: starts `dti up`, creates keys, runs the simulator, and says where to look. Ctrl-C stops."""
    from rich.console import Console

    from services.simulate.session import load_rules, plan_generated, resolve_keys  # noqa: F811
    from shared.rules import RulesInvalid
    from shared.settings import get_settings

    console = Console(no_color=no_progress or None, force_terminal=False if no_progress else None)
    rules_path = rules or get_settings().rules
    run_seed = seed if seed is not None else int.from_bytes(os.urandom(3), "big") % 10**6
    if port is None:
        port = 8080 if _port_free(host, 8080) else _free_port(host)
    elif not _port_free(host, port):
        typer.echo("dti demo: " + bilingual.join(f"cổng {port} đang được dùng", f"port {port} is taken"), err=True)
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

    from services.simulate.session import SimulationError, start_of
    from shared import clock

    now = clock.now()
    try:
        ruleset = load_rules(rules_path, org_units)
    except (RulesInvalid, OSError, SimulationError) as exc:
        typer.echo(f"dti demo: {exc}", err=True)
        _stop_server(proc)
        raise typer.Exit(2) from exc
    if year is None and start is None:
        # from 1 January of the year being assessed: in January-March that is last year, which the page shows
        # by default, so the demo plays it too (from the current year alone the first look would be empty)
        from shared.years import default_year

        year = default_year(ruleset, now.date())
    try:
        begins = start_of(year, start, now)
    except SimulationError as exc:
        typer.echo(f"dti demo: {exc}", err=True)
        raise typer.Exit(2) from exc
    if rate is None and speed is None:
        # the year so far in `catch_up` seconds, then real time: the first look is judged by today's date and
        # shows today's data within minutes, the departments' quarterly figures among them
        speed = max(1.0, (now - begins).total_seconds() / max(1.0, catch_up))
        # and at a rate this machine keeps up with: the province's volume is scaled (ratios are unchanged)
        rate = DEMO_RATE

    def run() -> int:
        # calibrating the simulated province takes a moment: meanwhile the server starts
        try:
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
        natural = plan.model.natural_rate() if plan.model is not None else 0.0
        for line in explain_demo(begins, now, speed, rate, plan.scores, natural):
            console.print(line, highlight=False, soft_wrap=True, markup=False)
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
        console.print(bilingual.join("đang dừng DTI Monitor …", "stopping DTI Monitor …"), highlight=False)
        _stop_server(proc)
        if temporary:
            shutil.rmtree(state, ignore_errors=True)
        console.print(bilingual.join("đã dừng", "stopped"), highlight=False)
    raise typer.Exit(code)


def _reopen_for_demo(console: Console, url: str, state: Path, year: int | None) -> None:
    """A past year's assessment is closed (shared/years.py): the demo reopens it in its own data directory,
    as an admin would, so the simulated events are accepted; the audit trail says so."""
    import httpx

    if year is None:
        return
    admin = state / "admin-token"
    from shared.settings import get_settings

    token = get_settings().admin_token or (admin.read_text(encoding="utf-8").strip() if admin.exists() else "")
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
        console.print(
            bilingual.join(
                f"năm {year} đã khóa sổ: đã mở lại cho bản trình diễn", f"year {year} is closed: reopened for the demo"
            )
            + " (/v1/years/audit)"
        )


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
    units = f"{url}/v1/scores/units?period={year}&framework={framework}"

    def row(label: str, link: str) -> str:
        return f"  {label + ':':41} {link}"

    lines = [
        "",
        f"DTI Monitor demo — {bilingual.join('xem ở đâu', 'where to look')}:",
        row(bilingual.join("trang cho lãnh đạo", "page for officials"), f"{url}/"),
        row("API docs (OpenAPI)", f"{url}/docs"),
        row(bilingual.join("DTI của tỉnh", "province's DTI"), dti),
        row(bilingual.join("so sánh đơn vị", "units side by side"), units),
        row("Prometheus metrics", f"{url}/metrics"),
    ]
    from shared.settings import get_settings

    grafana = get_settings().grafana_url
    if grafana:
        lines.append(row("Grafana", grafana))
    admin = state / "admin-token"
    lines += [
        f"  data: {state}" + (" (temporary, removed on exit)" if temporary else ""),
        f"  admin token: {admin}" if admin.exists() else "",
        "",
        "ready: "
        + bilingual.join(
            f"đang mô phỏng tỉnh gửi tới {url} — nhấn Ctrl-C để dừng",
            f"simulating the province against {url} — Ctrl-C to stop",
        ),
    ]
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)


def _duration(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def explain_demo(
    begins: datetime,
    now: datetime,
    speed: float | None,
    rate: float | None,
    scores: tuple[str, str] | None,
    natural: float,
) -> list[str]:
    """What the demo's clock and numbers mean, in plain words (Vietnamese, then English)."""
    from shared.periods import PROVINCE_TZ as ICT

    lines = [""]
    start, today = begins.date(), now.date()
    if speed:
        behind = (now - begins).total_seconds()
        catch = behind / speed
        lines += [
            f"Mô phỏng phát lại từ {start:%d/%m/%Y} đến hôm nay ({today:%d/%m/%Y}) trong khoảng "
            f"{_duration(catch)} (nhanh gấp {speed:,.0f} lần), rồi chạy theo thời gian thực.",
            f"  The simulator replays {start:%d/%m/%Y} → today ({today:%d/%m/%Y}) in about {_duration(catch)} "
            f"(×{speed:,.0f}), then runs in real time.",
        ]
        if rate:
            share = min(1.0, rate / (speed * natural)) if natural > 0 else 1.0
            lines += [
                f"  Khối lượng hồ sơ, văn bản bằng {share:.0%} của tỉnh thật để máy theo kịp"
                f" ({rate:,.0f} sự kiện/giây); các tỷ lệ giữ nguyên.",
                f"  Records and documents at {share:.0%} of the real province's volume so this machine keeps up;"
                " shares and ratios are unchanged.",
            ]
        firsts = []
        for q_end in (date(start.year, 3, 31), date(start.year, 6, 30), date(start.year, 9, 30)):
            due = q_end + timedelta(days=10)
            if start <= due <= today:
                at = (datetime.combine(due, datetime.min.time(), tzinfo=ICT) - begins).total_seconds() / speed
                firsts.append(f"quý {(q_end.month - 1) // 3 + 1} sau ~{_duration(at)}")
        if firsts:
            lines.append(
                "  Số liệu quý của các sở (gửi 10 ngày sau mỗi quý) đến: " + ", ".join(firsts) + " / the departments'"
                " quarterly figures (sent ten days after each quarter) arrive at those times."
            )
        lines += [
            "  Trong lúc phát lại, trang hiển thị số liệu đã nhận (ngày ghi ở chân trang) nhưng chấm lộ trình theo"
            " ngày hôm nay, nên nhiều chỉ số tạm ở trạng thái 'Chậm lộ trình' cho đến khi bắt kịp.",
            "  While it catches up, the page shows the data received so far (dated in its footer) judged against"
            " today's path, so many indicators read 'off track' until the replay reaches today.",
        ]
    elif rate:
        lines.append(f"Mô phỏng gửi {rate:,.0f} sự kiện/giây / the simulator sends {rate:,.0f} events a second.")
    unit, framework = scores or ("", "")
    lines += [
        "Dòng tiến độ / the progress line: [ngày giờ mô phỏng / simulated clock] · sent = sự kiện đã gửi / events"
        " sent · accepted = máy chủ đã nhận / stored by the server · dup = gửi lại đã có / retries already stored · "
        "rejected = bị từ chối / refused · ev/s = sự kiện mỗi giây / events a second · "
        f"DTI = chỉ số DTI của tỉnh từ đầu năm đến nay theo máy chủ ({framework}) / the province's year-to-date DTI"
        " as the server computes it.",
        "",
    ]
    return lines
