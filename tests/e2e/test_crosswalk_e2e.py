"""The 2025 reform on a real `dti up` with the province's rules: a unit in force fed through three pre-reform
codes and its own, counted by hand; a district (abolished) refused naming the field."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import httpx
import pytest

from shared import clock
from tests.e2e.helpers import ev, eventually
from tests.e2e.server import ROOT, DtiServer


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DtiServer]:
    base = tmp_path_factory.mktemp("dti-crosswalk")
    shutil.copytree(ROOT / "rules", base / "rules")
    srv = DtiServer(base / "data", base / "rules").start()
    yield srv
    srv.stop()


def test_a_new_unit_counts_the_events_of_the_units_it_was_formed_from(province: DtiServer) -> None:
    year = clock.today().year  # after the reform (1/7/2025) whatever the clock says
    when = f"{year}-01-01T00:00:00+07:00"
    key = province.key("lgsp")
    # Phường Tân Phong (LC.TANPHONG) was formed from, among others, Phường Tân Phong and Phường Đông Phong of
    # the former city and Xã Nùng Nàng of the former Tam Đường district (rules/org-units-2025.yaml)
    sent = [
        ("LC.TPLAICHAU.TANPHONG", 3, 1),
        ("LC.TPLAICHAU.DONGPHONG", 5, 2),
        ("LC.TAMDUONG.NUNGNANG", 7, 3),
        ("LC.TANPHONG", 11, 4),  # its own code
    ]
    batch = [ev(u, "tthc.records_total", total, when=when) for u, total, _ in sent]
    batch += [ev(u, "tthc.records_online", online, when=when) for u, _, online in sent]
    with province.client(key) as c:
        r = c.post("/v1/events", json={"events": batch})
        assert r.status_code == 202, r.text
        # 3 old codes x 2 metrics were mapped; the unit's own 2 events were not
        assert r.json() == {"accepted": 8, "duplicates": 0, "mapped": 6}
        # a former district has no successor: refused, naming the field, and nothing of the batch stored
        bad = [ev("LC.TANPHONG", "tthc.records_total", 100, when=when), ev("LC.TAMDUONG", "tthc.records_total", 1)]
        r = c.post("/v1/events", json={"events": bad})
        assert r.status_code == 422
        [err] = r.json()["detail"]["errors"]
        assert err["pointer"] == "/events/1/org_unit" and err["code"] == "org_unit_abolished"
        assert "LC.TAMDUONG" in err["message_vi"] and "abolished on 2025-07-01" in err["message_en"]

    # by hand: 3 + 5 + 7 + 11 = 26 records, 1 + 2 + 3 + 4 = 10 online
    want = {"tthc.records_total": 26.0, "tthc.records_online": 10.0}

    def values() -> dict[str, float]:
        got = province.get("/v1/data", org_unit="LC.TANPHONG", period=str(year))["values"]
        return {m: got.get(m) for m in want}  # type: ignore[misc]

    eventually(lambda: values() == want)
    assert province.get("/v1/data", org_unit="LC", period=str(year))["values"]["tthc.records_total"] == 26.0
    # the old codes are not units any more
    assert httpx.get(f"{province.url}/v1/data", params={"org_unit": "LC.TAMDUONG.NUNGNANG"}).status_code == 422
    # operators see who still sends old codes
    text = httpx.get(f"{province.url}/metrics").text
    m = re.search(r'^dti_ingest_mapped_events_total\{source="lgsp"\} (\S+)$', text, re.M)
    assert m is not None and float(m.group(1)) == 6.0
