"""A real `dti up` process: events in over HTTP, hand-computed scores and metrics out."""

from __future__ import annotations

import re

import httpx

from shared import clock
from tests.e2e.helpers import data, ev, eventually, indicator
from tests.e2e.server import DtiServer


def this_year() -> int:
    """The province's year by the clock the server runs on too (the real one, or faketime's for the suite)."""
    return clock.today().year


def test_district_ratio_and_province_sum_of_numerators(server: DtiServer, lgsp_key: str) -> None:
    with server.client(lgsp_key) as c:
        # P.T1.C1: 3 online records out of 4 received (2025)
        batch = [ev("P.T1.C1", "tthc.records_total") for _ in range(4)] + [
            ev("P.T1.C1", "tthc.records_online") for _ in range(3)
        ]
        r = c.post("/v1/events", json={"events": batch})
        assert r.status_code == 202 and r.json() == {"accepted": 7, "duplicates": 0}
        # 2024 is reserved to this test at province level: T2.C1 1 of 2, T3 (district itself) 3 of 3
        r = c.post(
            "/v1/events",
            json={
                "events": [
                    ev("P.T2.C1", "tthc.records_total", 2, when="2024-05-02T10:00:00+07:00"),
                    ev("P.T2.C1", "tthc.records_online", 1, when="2024-05-02T10:00:00+07:00"),
                    ev("P.T3", "tthc.records_total", 3, when="2024-06-02T10:00:00+07:00"),
                    ev("P.T3", "tthc.records_online", 3, when="2024-06-02T10:00:00+07:00"),
                ]
            },
        )
        assert r.status_code == 202
    # 3 / 4 = 0.75 for the commune and for its district
    eventually(lambda: indicator(server, "P.T1", "2025", "A1")["value"] == 0.75)
    assert indicator(server, "P.T1.C1", "2025", "A1")["value"] == 0.75
    # province 2024: (1 + 3) / (2 + 3) = 0.8, not the mean of 0.5 and 1.0 (0.75)
    eventually(lambda: indicator(server, "P", "2024", "A1")["value"] == 0.8)


def test_metrics_show_current_year_scores(server: DtiServer, lgsp_key: str) -> None:
    year = this_year()
    with server.client(lgsp_key) as c:
        # this year: P.T4.C2 1 online of 4 (at its first moment, never in the future)
        r = c.post(
            "/v1/events",
            json={
                "events": [
                    ev("P.T4.C2", "tthc.records_total", 4, when=f"{year}-01-01T00:00:00+07:00"),
                    ev("P.T4.C2", "tthc.records_online", 1, when=f"{year}-01-01T00:00:00+07:00"),
                ]
            },
        )
        assert r.status_code == 202

    def scraped() -> bool:
        text = httpx.get(f"{server.url}/metrics").text
        m = re.search(
            rf'^dti_indicator_value\{{framework="mini",indicator="A1",org_unit="P.T4",year="{year}"\}} (\S+)$',
            text,
            re.M,
        )
        return m is not None and float(m.group(1)) == 0.25

    eventually(scraped)
    text = httpx.get(f"{server.url}/metrics").text
    # mini's targets: 80% in 2025, 100% in 2030, on a straight line between (and 100% after 2030)
    target = min(1.0, 0.8 + 0.2 * (year - 2025) / 5)
    m = re.search(
        rf'^dti_indicator_target\{{framework="mini",indicator="A1",org_unit="P.T4",year="{year}"\}} (\S+)$', text, re.M
    )
    assert m is not None and abs(float(m.group(1)) - target) < 1e-9, text[:2000]
    assert re.search(r'^dti_ingest_events_total\{outcome="accepted",source="lgsp"\} \d', text, re.M)
    assert f'dti_index_value{{framework="mini",org_unit="P",year="{year}"}}' in text


def test_duplicates_count_once(server: DtiServer, lgsp_key: str) -> None:
    batch = [ev("P.T5.C1", "tthc.records_total", 2, event_id=f"dup-{i}") for i in range(5)]
    with server.client(lgsp_key) as c:
        assert c.post("/v1/events", json={"events": batch}).json() == {"accepted": 5, "duplicates": 0}
        assert c.post("/v1/events", json={"events": batch}).json() == {"accepted": 0, "duplicates": 5}
        single = c.post("/v1/events", json=batch[0])
        assert single.status_code == 202 and single.json() == {"accepted": 0, "duplicates": 1}
    # five events of 2 each, counted once: 10
    eventually(lambda: data(server, "P.T5.C1", "2025").get("tthc.records_total") == 10)


def test_ndjson(server: DtiServer, lgsp_key: str) -> None:
    import json

    body = "\n".join(json.dumps(ev("P.T5.C2", "tthc.records_total", 1)) for _ in range(3)) + "\n"
    r = httpx.post(
        f"{server.url}/v1/events",
        content=body,
        headers={"Authorization": f"Bearer {lgsp_key}", "Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 202 and r.json() == {"accepted": 3, "duplicates": 0}
    eventually(lambda: data(server, "P.T5.C2", "2025").get("tthc.records_total") == 3)


def test_metrics_pass_promtool(server: DtiServer, lgsp_key: str) -> None:
    """Debian's promtool lints the real /metrics output (names, units, _total suffixes, help texts)."""
    import shutil
    import subprocess

    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: scripts/system-deps installs Debian's prometheus package"
    with server.client(lgsp_key) as c:
        c.post("/v1/events", json=ev("P.T4.C1", "tthc.records_total", 1, when=f"{this_year()}-01-01T00:00:00+07:00"))
    text = httpx.get(f"{server.url}/metrics").text
    assert "dti_index_value{" in text and "dti_alerts_firing{" in text
    out = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "" and out.stderr.strip() == "", out.stdout + out.stderr
