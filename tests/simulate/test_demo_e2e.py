"""`dti demo` as a user runs it: it starts the server, says where to look, simulates, and on Ctrl-C (SIGINT)
or SIGTERM stops the simulator and the server and exits 0, without a traceback, leaving nothing behind."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.e2e.server import free_port

pytestmark = pytest.mark.e2e


def read_lines(proc: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put(line)


def wait_for(lines: queue.Queue[str], seen: list[str], pattern: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        if re.search(pattern, line):
            return line
    raise AssertionError(f"no line matching {pattern!r} within {timeout}s:\n{''.join(seen)}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_demo_starts_simulates_and_stops_cleanly(sig: signal.Signals) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "demo", "--port", str(port), "--no-progress", "--seed", "3",
         "--year", "2025", "--rate", "200"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "DTI_ADMIN_TOKEN": "demo-test"},
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    reader = threading.Thread(target=read_lines, args=(proc, lines), daemon=True)
    reader.start()
    try:
        data_line = wait_for(lines, seen, r"^\s+data: ", 120)
        data_dir = Path(data_line.split("data: ", 1)[1].split(" (")[0].strip())
        wait_for(lines, seen, r"^ready: ", 30)
        assert any(f"{url}/docs" in line for line in seen) and any(f"{url}/metrics" in line for line in seen)
        scores = next(line.split()[-1] for line in seen if "/v1/scores?org_unit=LC" in line)

        # the simulator feeds the server: the province's DTI appears
        deadline = time.monotonic() + 30
        value = None
        while value is None and time.monotonic() < deadline:
            r = httpx.get(scores, timeout=5)
            value = r.json()["index"]["value"] if r.status_code == 200 else None
            time.sleep(0.5)
        assert value is not None and 0.3 < value < 0.7, value

        stopping = time.monotonic()
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0
        assert time.monotonic() - stopping < 15  # about 1.5 s on a quiet machine: drain, server shutdown
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
    while not lines.empty():
        seen.append(lines.get())
    out = "".join(seen)
    assert "Traceback" not in out, out
    assert "đã dừng / stopped" in out
    assert re.search(r"^events: sent [\d,]+, accepted [\d,]+", out, re.M), out
    assert not data_dir.exists()  # the temporary data dir is removed
    with pytest.raises(httpx.ConnectError):  # and the server is gone
        httpx.get(f"{url}/healthz", timeout=2)
