"""`dti demo` tells the truth: it plays the year being assessed up to today quickly, then goes on in real time,
says so in plain words, and the departments' quarterly figures arrive within the first minutes."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from datetime import date, datetime

import httpx
import pytest

from services.cli.demo_cmd import explain_demo
from shared.periods import PROVINCE_TZ
from tests.conftest import ROOT
from tests.e2e.server import free_port
from tests.simulate.test_demo_e2e import read_lines, wait_for


def test_explain_demo_in_plain_words() -> None:
    begins = datetime(2025, 1, 2, 7, 0, tzinfo=PROVINCE_TZ)
    now = datetime(2025, 12, 4, 7, 0, tzinfo=PROVINCE_TZ)  # 336 days later
    speed = 336 * 86400 / 150  # the year so far in 150 s
    natural = 0.2  # events a simulated second at volume 1
    text = "\n".join(explain_demo(begins, now, speed, 3000.0, ("LC", "dti-2022"), natural))
    assert "từ 02/01/2025 đến hôm nay (04/12/2025) trong khoảng 2 min 30 s" in text
    assert "then runs in real time" in text
    # 3000 / (193,536 × 0.2) = 7.75 % of the province's volume
    assert "bằng 8% của tỉnh thật" in text and "at 8% of the real province's volume" in text
    # Q1's figures are sent on 10/04 (day 100; 02/01 is day 2): 97 d 17 h after the start x 150/336 = 43.6 s
    assert "quý 1 sau ~44 s" in text
    # Q2's on 10/07 (day 191): 188 d 17 h x 150/336 = 84.2 s
    assert "quý 2 sau ~1 min 24 s" in text
    assert "'Chậm lộ trình'" in text and "(dti-2022)" in text


pytestmark = pytest.mark.e2e


def test_demo_catches_up_with_today_and_brings_quarterly_figures_early() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "demo", "--port", str(port), "--no-progress", "--seed", "3",
         "--catch-up", "40"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "DTI_ADMIN_TOKEN": "demo-test"},
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    reader = threading.Thread(target=read_lines, args=(proc, lines), daemon=True)
    reader.start()
    try:
        wait_for(lines, seen, r"^ready: ", 120)
        wait_for(lines, seen, r"then runs in real time", 10)
        today = httpx.get(f"{url}/v1/scores", timeout=10).json()["as_of"]
        t0 = time.monotonic()
        # a figure only the departments report (steering meetings, NT.01) arrives within the first minute
        got = None
        while got is None and time.monotonic() - t0 < 90:
            tree = httpx.get(f"{url}/v1/scores", params={"framework": "dti-2025"}, timeout=10).json()
            got = next(i["value"] for m in tree["main_indicators"] for i in m["indicators"] if i["code"] == "NT.01")
            time.sleep(1)
        assert got is not None, "no quarterly figure from the departments within 90 s"
        # the replay reaches today (the date the server judges by): the status line says real time, and the
        # data's date is today's or, in the quiet hours after midnight, the day before
        wait_for(lines, seen, r"thời gian thực / real time", 150)
        # (asked of today's year: from January to March the page shows last year, whose data ends on 31 December)
        through = httpx.get(f"{url}/v1/scores", params={"period": today[:4]}, timeout=10).json().get("data_through")
        assert through is not None
        assert (date.fromisoformat(today) - date.fromisoformat(through)).days <= 1, (through, today)
        proc.send_signal(2)
        assert proc.wait(timeout=30) == 0
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
    assert "Traceback" not in out
    assert "real time" in out
