"""One way to start Debian's headless Chromium for the browser tests, and to leave nothing behind.

Every browser test module wants the same flags (no background networking: this machine's network is closed,
and Chromium's own connections would be refused many at a time), its own profile, and a check that no
Chromium, renderer or crashpad process of that profile outlives the module.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
BASE_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-crash-reporter",
    "--disable-breakpad",
)


def processes_of(profile: str) -> list[int]:
    """Processes whose command line holds this browser's own --user-data-dir: ours and only ours."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if profile.encode() in cmdline:
            pids.append(int(entry.name))
    return pids


@contextmanager
def chromium(
    *args: str, logs: dict[str, str] | None = None, prefs: dict[str, Any] | None = None
) -> Iterator[WebDriver]:
    """A headless Chromium with BASE_ARGS and `args`, its console (and any other `logs`) kept, `prefs` set;
    on exit it is quit, and a process of its profile still alive after 5 s is killed and fails the test."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("chromium and chromium-driver are not installed (run scripts/system-deps as root)")
    profile = tempfile.mkdtemp(prefix="dti-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in (*BASE_ARGS, *args, f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", **(logs or {})})  # shown when a check fails
    if prefs:
        opts.add_experimental_option("prefs", prefs)
    driver = WebDriver(options=opts, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        deadline = time.monotonic() + 5
        while processes_of(profile) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = processes_of(profile)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(profile, ignore_errors=True)
        assert not left, f"chromium processes left behind: {left}"
