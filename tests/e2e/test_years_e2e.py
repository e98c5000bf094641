"""Assessment years on a real `dti up`: a closed year refuses late data until an admin reopens it (with an audit
trail), and local midnight on 31 December changes nothing an operator or official was looking at.

The midnight test runs `dti up` under Debian's `faketime` (scripts/system-deps installs it), started at
16:58:00 UTC on 31 December 2026 — 23:58 in Lai Châu — whatever the real date; the closed-year test takes its
years from the clock (two years back is always closed, this year always open).
"""

from __future__ import annotations

import math
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver

from shared import clock
from tests.e2e.conftest import e2e_rules
from tests.e2e.helpers import ev, eventually
from tests.e2e.server import DtiServer
from tests.e2e.test_web_browser import POLL, body, browser, open_page, shown_one, wait_for

__all__ = ["browser"]  # the module-scoped Chromium of the page tests, shared here

ADMIN = {"Authorization": "Bearer test-admin-token"}
EVIDENCE = "https://laichau.example/evidence/1"


def strict_rules(directory: Path) -> Path:
    """The e2e rules with the default lifecycle: past years close on 31 March and refuse late data."""
    rules = e2e_rules(directory)
    fw = rules / "mini.yaml"
    fw.write_text(fw.read_text(encoding="utf-8").replace("late_data: accept\n", ""), encoding="utf-8")
    return rules


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DtiServer]:
    base = tmp_path_factory.mktemp("dti-years")
    srv = DtiServer(base / "data", strict_rules(base / "rules")).start()
    yield srv
    srv.stop()


def test_a_late_event_gets_409_until_an_admin_reopens_the_year(strict: DtiServer) -> None:
    year = clock.today().year
    late = year - 2  # closed since 31 March of year - 1, whatever today is
    key, dept = strict.key("lgsp"), strict.key("department")
    fresh = ev("P.T1.C1", "tthc.records_total", 1, when=f"{year}-01-01T00:00:00+07:00")
    stale = ev("P.T1.C2", "tthc.records_total", 1, when=f"{late}-06-01T10:00:00+07:00")
    with strict.client(key) as c:
        r = c.post("/v1/events", json={"events": [fresh, stale]})
        assert r.status_code == 409, r.text
        [err] = r.json()["detail"]["errors"]
        assert err["pointer"] == "/events/1/occurred_at" and err["index"] == 1 and err["code"] == "year_closed"
        assert f"năm đánh giá {late} đã khóa sổ từ ngày 31/03/{late + 1}" in err["message_vi"]
        assert f"assessment year {late} closed on {late + 1}-03-31" in err["message_en"]
    # the batch is atomic: the good event was not stored either
    time.sleep(0.5)
    assert strict.get("/v1/data", org_unit="P.T1.C1", period=str(year))["values"] == {}
    # a department's figure for a closed year: the same refusal, naming the row's period
    with strict.client(dept) as c:
        figure = {"org_unit": "P.T2", "metric": "infra.network", "period": f"{late}-Q4", "value": 1}
        r = c.post(
            "/v1/observations", json={"observations": [{**figure, "evidence_url": EVIDENCE, "reported_by": "A"}]}
        )
        assert r.status_code == 409 and r.json()["detail"]["errors"][0]["pointer"] == "/observations/0/period"

    status = {y["year"]: y for y in strict.get("/v1/years")["years"]}
    assert status[late]["status"] == "closed" and status[late]["closes_on"] == f"{late + 1}-03-31"
    assert status[year]["status"] == "open"

    why = {"by": "Nguyễn Văn A, Sở KH&CN", "reason": "Bộ KH&CN yêu cầu bổ sung minh chứng năm trước"}
    assert httpx.post(f"{strict.url}/v1/years/{late}/reopen", json=why).status_code == 401
    assert httpx.post(f"{strict.url}/v1/years/{year}/reopen", json=why, headers=ADMIN).status_code == 409  # open
    r = httpx.post(f"{strict.url}/v1/years/{late}/reopen", json=why, headers=ADMIN)
    assert r.status_code == 200 and r.json()["status"] == "reopened", r.text
    with strict.client(key) as c:
        r = c.post("/v1/events", json={"events": [fresh, stale]})
        assert r.status_code == 202 and r.json()["accepted"] == 2, r.text
    eventually(
        lambda: strict.get("/v1/data", org_unit="P.T1.C2", period=str(late))["values"] == {"tthc.records_total": 1}
    )

    r = httpx.post(f"{strict.url}/v1/years/{late}/close", json={**why, "reason": "đã bổ sung xong"}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    with strict.client(key) as c:
        again = ev("P.T1.C2", "tthc.records_total", 1, when=f"{late}-06-02T10:00:00+07:00")
        assert c.post("/v1/events", json=again).status_code == 409
    # the audit trail: who, when, why, in order
    entries = strict.get("/v1/years/audit")["entries"]
    assert [(e["year"], e["action"]) for e in entries] == [(late, "reopen"), (late, "close")]
    assert entries[0]["by"].startswith("Nguyễn Văn A, Sở KH&CN") and entries[0]["reason"] == why["reason"]
    assert entries[0]["at"].startswith(clock.today().isoformat()) and entries[0]["at"].endswith("+07:00")


# ------------------------------------------------------------------------------------ midnight, 31 December
EVE = "2026-12-31 16:58:00"  # UTC (TZ=UTC below): 23:58 on 31 December in Lai Châu
# Debian's faketime package: the library its wrapper preloads (the path names the machine's architecture)
LIBFAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), Path("/nonexistent"))


@pytest.fixture(scope="module")
def eve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DtiServer]:
    if shutil.which("faketime") is None or not LIBFAKETIME.exists():
        pytest.fail("faketime is missing: scripts/system-deps installs Debian's faketime package")
    base = tmp_path_factory.mktemp("dti-eve")
    # the library faketime(1) preloads, set directly: the server is then the process the test stops (the
    # faketime wrapper would leave it running when signalled)
    # (faketime sets this server's clock, so a session's --clock-at shift must not move it further)
    clock_env = {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": f"@{EVE}", "TZ": "UTC", "DTI_CLOCK_SHIFT_SECONDS": "0"}
    srv = DtiServer(base / "data", e2e_rules(base / "rules"), env={**clock_env, "DTI_ALERTS_INTERVAL_SECONDS": "1"})
    srv.start()
    yield srv
    srv.stop()


def server_today(srv: DtiServer) -> str:
    return str(srv.get("/v1/years")["today"])


def metric(srv: DtiServer, name: str, **labels: str) -> float | None:
    text = httpx.get(f"{srv.url}/metrics", timeout=10).text
    sel = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    m = re.search(rf"^{name}\{{{re.escape(sel)}\}} (\S+)$", text, re.M)
    return None if m is None else float(m.group(1))


def firing_2026(srv: DtiServer) -> dict[str, dict[str, Any]]:
    alerts = srv.get("/v1/alerts", status="firing")["alerts"]
    return {
        a["fingerprint"]: a
        for a in alerts
        if a["labels"].get("period") == "2026" and a["labels"].get("alertname") in ("below_target", "off_trajectory")
    }


def page_dti(driver: WebDriver) -> float | None:
    raw = shown_one(driver, "#panels section.panel[data-framework='mini'] [data-field='dti']").get("value")
    return None if raw in (None, "") else float(raw)


def test_local_midnight_on_31_december_blanks_nothing(eve: DtiServer, browser: WebDriver) -> None:
    srv = eve
    assert server_today(srv) == "2026-12-31"
    with srv.client(srv.key("lgsp")) as c:
        # 2026 at the province: 1 of 10 records online (A1 = 10%), 10 systems on the LGSP (B2 = 10)
        r = c.post(
            "/v1/events",
            json={
                "events": [
                    ev("P.T1.C1", "tthc.records_total", 10, when="2026-12-31T10:00:00+07:00"),
                    ev("P.T1.C1", "tthc.records_online", 1, when="2026-12-31T10:00:00+07:00"),
                    ev("P", "lgsp.systems_connected", 10, when="2026-12-31T10:00:00+07:00"),
                ]
            },
        )
        assert r.status_code == 202, r.text
    # by hand from mini.yaml: A1's 2026 target 80% + 20% x 1/5 = 84%, linear from 0: 40 points x 0.1/0.84;
    # B2 10 systems: 20 points; A2 and B1 without data earn 0. DTI = (40 x 0.1/0.84 + 20) / 100
    dti = (40 * 0.1 / 0.84 + 20) / 100

    def before_and_after(when: str) -> dict[str, Any]:
        scores = srv.get("/v1/scores", org_unit="P")
        assert scores["period"] == "2026" and scores["framework"]["code"] == "mini", when
        assert math.isclose(scores["index"]["value"], dti, abs_tol=1e-6), (when, scores["index"])
        value = metric(srv, "dti_index_value", framework="mini", org_unit="P", year="2026")
        assert value is not None and math.isclose(value, dti, abs_tol=1e-6), when
        return scores

    eventually(lambda: srv.get("/v1/scores", org_unit="P")["index"]["value"])
    before = before_and_after("before")
    assert before["open_years"] == [2026]

    def below_target() -> set[str]:
        return {
            a["labels"]["org_unit"] for a in firing_2026(srv).values() if a["labels"]["alertname"] == "below_target"
        }

    # A1 below target at P and P.T1 (the rule's levels; for: 2 rounds)
    eventually(lambda: below_target() == {"P", "P.T1"}, timeout=20)
    time.sleep(2)  # let every alert of 2026 that will fire do so
    alerts = firing_2026(srv)
    open_page(browser, srv.url + "/" + POLL)
    wait_for(browser, lambda: body(browser, "loaded") == "P|2026|mini")
    wait_for(browser, lambda: page_dti(browser) is not None and math.isclose(page_dti(browser) or 0, dti, abs_tol=1e-6))
    assert server_today(srv) == "2026-12-31", "the checks before midnight took too long to be before it"

    # local midnight passes (the server's faked clock runs on in real time)
    eventually(lambda: server_today(srv) == "2027-01-01", timeout=240)
    time.sleep(3)  # a few alert rounds (every second) and page polls after midnight

    after = before_and_after("after")
    assert after["open_years"] == [2026, 2027]  # the year being assessed beside the one starting
    assert after["index"] == before["index"]
    new_year = metric(srv, "dti_index_value", framework="mini", org_unit="P", year="2027")
    assert new_year is not None and math.isnan(new_year)  # the new year is exported from its first minute: no data
    still = firing_2026(srv)
    assert set(still) == set(alerts), "an alert of the year being assessed resolved because the calendar turned"
    resolved = srv.get("/v1/alerts", status="resolved")["alerts"]
    assert not [a for a in resolved if a["fingerprint"] in alerts]
    # the page, polling across midnight, and a fresh load both still show 2026's DTI
    wait_for(browser, lambda: page_dti(browser) is not None and math.isclose(page_dti(browser) or 0, dti, abs_tol=1e-6))
    open_page(browser, srv.url + "/" + POLL)
    wait_for(browser, lambda: body(browser, "loaded") == "P|2026|mini")
    wait_for(browser, lambda: page_dti(browser) is not None and math.isclose(page_dti(browser) or 0, dti, abs_tol=1e-6))
