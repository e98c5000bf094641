"""The report buttons, the scorecard and "names, not codes" in headless Chromium, against a real `dti up` on
the province's rules with the tree after the 2025 reform (38 communes directly under the province).

Data: e-office and LGSP events for some communes in the year the page shows by default (the server's `period`,
two days before its `as_of` or 29 December when that year is over). Downloads
land in a temporary directory; screenshots in test-artifacts/ (scorecard-1440.png).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from tests.e2e.bare_codes import bare_codes, load_codes
from tests.e2e.chromium import chromium
from tests.e2e.helpers import ev
from tests.e2e.server import ROOT, DtiServer

pytestmark = pytest.mark.e2e

ARTIFACTS = ROOT / "test-artifacts"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
COMMUNES = ["LC.TANPHONG", "LC.DOANKET", "LC.THANUYEN", "LC.MUONGTE"]


@pytest.fixture(scope="module")
def reform_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rules of rules/ with the org-unit tree after 1/7/2025."""
    d = tmp_path_factory.mktemp("rules-2025") / "rules"
    shutil.copytree(ROOT / "rules", d)
    manifest = d / "ruleset.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        "\n".join(
            "org_units: org-units-2025.yaml" if line.startswith("org_units:") else line for line in text.splitlines()
        )
        + "\n",
        encoding="utf-8",
    )
    return d


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, reform_rules: Path) -> Iterator[DtiServer]:
    base = tmp_path_factory.mktemp("dti-reports-e2e")
    s = DtiServer(base / "data", reform_rules, env={"DTI_ALERTS_INTERVAL_SECONDS": "1"}).start()
    try:
        shown = s.get("/v1/scores")
        today = datetime.fromisoformat(shown["as_of"]).replace(hour=9, tzinfo=VN)
        # two days ago, in the year the page shows by default (last year from January until it closes)
        year_end = datetime(int(shown["period"][:4]), 12, 29, 9, tzinfo=VN)
        when = min(today - timedelta(days=2), year_end).isoformat()
        lgsp, eoffice = s.key("lgsp"), s.key("eoffice")
        events = []
        for n, unit in enumerate(COMMUNES):
            events += [
                ev(unit, "tthc.records_total", 10, when),
                ev(unit, "tthc.records_online", 2 + 2 * n, when),
            ]
        with s.client(lgsp) as c:
            assert c.post("/v1/events", json={"events": events}).status_code == 202
        work = [ev(u, "work.records_total", 10, when, "eoffice") for u in COMMUNES]
        work += [ev(u, "work.records_online", 9, when, "eoffice") for u in COMMUNES[:2]]
        with s.client(eoffice) as c:
            assert c.post("/v1/events", json={"events": work}).status_code == 202
        deadline = time.monotonic() + 15
        while s.get("/v1/scores", org_unit="LC.MUONGTE")["index"]["value"] is None:
            assert time.monotonic() < deadline, "scores did not follow the events"
            time.sleep(0.1)
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def downloads() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="dti-downloads-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[WebDriver]:
    prefs = {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    with chromium("--lang=vi-VN", "--window-size=1440,900", prefs=prefs) as driver:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        yield driver


def wait(check: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got = check()
        except Exception:  # a node replaced between two reads: read again
            got = None
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError("condition not met on the page")


def open_page(browser: WebDriver, srv: DtiServer) -> None:
    browser.set_window_size(1440, 900)
    browser.get(srv.url + "/?poll=1000")
    wait(lambda: browser.find_element(By.ID, "scorecard").get_attribute("data-state") == "ready")
    wait(lambda: browser.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")


def test_scorecard_shows_the_38_communes_at_1440_without_scrolling(browser: WebDriver, srv: DtiServer) -> None:
    open_page(browser, srv)
    communes = [u for u in srv.get("/v1/org-units")["units"] if u["level"] == "commune"]
    assert len(communes) == 38
    level = browser.find_element(By.ID, "scorecard-level").get_attribute("value")
    assert level == "commune"
    shown_units = browser.execute_script(
        "return Array.from(document.querySelectorAll('#scorecard tbody tr')).map((t) => t.dataset.unit)"
    )
    assert sorted(shown_units) == sorted(u["code"] for u in communes)
    sizes = browser.execute_script(
        "const b = document.getElementById('scorecard'); const t = b.querySelector('table');"
        "return [document.documentElement.scrollWidth, window.innerWidth, b.clientWidth, t.scrollWidth,"
        " b.scrollWidth];"
    )
    page_w, window_w, box_w, table_w, box_scroll = sizes
    assert page_w <= window_w, sizes  # no horizontal scrolling of the page
    assert table_w <= box_w and box_scroll <= box_w, sizes  # nor of the scorecard
    # cells agree with the API and carry the traffic light
    card = srv.get("/v1/reports/scorecard", level="commune")
    first = card["rows"][0]
    lights = browser.execute_script(
        "const q = `#scorecard tbody tr[data-unit='${arguments[0]}'] td[data-light]`;"
        "return Array.from(document.querySelectorAll(q)).map((t) => t.dataset.light)",
        first["code"],
    )
    assert lights == [c["light"] for c in first["cells"]]
    # sortable: best DTI first, then the unit heading sorts by name (Vietnamese order, Đ after D), twice reversed
    shown = names_shown(browser)
    assert shown == [r["name"] for r in card["rows"]]
    browser.find_element(By.CSS_SELECTOR, '#scorecard button[data-sort="name"]').click()
    names = names_shown(browser)
    assert names != shown and sorted(names) == sorted(shown)
    assert names.index("Xã Bum Nưa") < names.index("Phường Đoàn Kết") < names.index("Phường Tân Phong") or (
        names.index("Phường Đoàn Kết") < names.index("Phường Tân Phong") < names.index("Xã Bum Nưa")
    )
    browser.find_element(By.CSS_SELECTOR, '#scorecard button[data-sort="name"]').click()
    assert names_shown(browser) == names[::-1]
    ARTIFACTS.mkdir(exist_ok=True)
    browser.set_window_size(1440, 2600)  # the whole table in one picture, still 1440 px wide
    time.sleep(0.3)
    browser.find_element(By.ID, "scorecard-section").screenshot(str(ARTIFACTS / "scorecard-1440.png"))
    browser.set_window_size(1440, 900)


def click(browser: WebDriver, element_id: str) -> None:
    """Scroll the element to the middle (the sticky controls cover the top) and click it."""
    el = browser.find_element(By.ID, element_id)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    el.click()


def names_shown(browser: WebDriver) -> list[str]:
    return list(
        browser.execute_script(
            "return Array.from(document.querySelectorAll('#scorecard tbody th')).map((t) => t.textContent)"
        )
    )


def _downloaded(downloads: Path, suffix: str, before: set[Path]) -> Path:
    def done() -> Path | None:
        new = [p for p in downloads.iterdir() if p not in before and p.suffix == suffix]
        return new[0] if new and not list(downloads.glob("*.crdownload")) else None

    return wait(done, 30)  # type: ignore[no-any-return]


def test_report_buttons_download_files(browser: WebDriver, srv: DtiServer, downloads: Path) -> None:
    open_page(browser, srv)
    before = set(downloads.iterdir())
    click(browser, "report-quarterly-xlsx")
    xlsx = _downloaded(downloads, ".xlsx", before)
    wb = load_workbook(BytesIO(xlsx.read_bytes()))
    scores = srv.get("/v1/scores")
    period = browser.find_element(By.ID, "report-quarterly-xlsx").get_attribute("href")
    assert "period=" in period and "format=xlsx" in period
    dti = next(r for r in wb["Tổng hợp"].iter_rows(values_only=True) if r[0] == "Chỉ số DTI")
    year_value = scores["index"]["value"]
    assert dti[1] == pytest.approx(year_value)  # the current quarter's year to date = the year's so far

    before = set(downloads.iterdir())
    click(browser, "report-quarterly-pdf")
    pdf = _downloaded(downloads, ".pdf", before)
    assert pdf.read_bytes().startswith(b"%PDF")

    before = set(downloads.iterdir())
    click(browser, "scorecard-csv")
    csv = _downloaded(downloads, ".csv", before)
    assert csv.read_text(encoding="utf-8-sig").splitlines()[0].startswith("Đơn vị,Mã đơn vị,Chỉ số DTI")


def test_no_bare_code_on_the_page_or_in_the_scorecard(browser: WebDriver, srv: DtiServer, reform_rules: Path) -> None:
    """Every visible text of the page (English too) holds no code of the rules without its name (see
    tests/e2e/bare_codes.py for the rule): the alerts panel, the units table, the indicators and the scorecard."""
    codes = load_codes(reform_rules)
    assert any(c.code == "HDCQS" for c in codes) and any(c.code == "SO_KHCN" for c in codes)
    # the checker itself finds a bare code and accepts one beside its name
    assert bare_codes("Chỉ số: HDCQS.03", codes) and bare_codes("Phụ trách\tSO_NOIVU", codes)
    assert not bare_codes("Nhận thức số NT", codes)
    open_page(browser, srv)
    # the alerts panel holds cards to check (feeds silent since the year began, reports not filed)
    wait(lambda: int(browser.find_element(By.ID, "alerts").get_attribute("data-count") or 0) > 0, timeout=60)
    for lang in ("vi", "en"):
        browser.find_element(By.ID, f"lang-{lang}").click()
        wait(lambda lang=lang: browser.execute_script("return document.documentElement.lang") == lang)
        time.sleep(0.5)
        text = browser.execute_script("return document.body.innerText")
        assert "Bảng điểm" in text or "Scorecard" in text
        assert bare_codes(text, codes) == [], lang
    # a commune's own page: the units table and indicators at commune level
    browser.get(srv.url + "/?unit=LC.MUONGTE&poll=1000")
    wait(lambda: browser.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
    time.sleep(0.5)
    text = browser.execute_script("return document.body.innerText")
    assert bare_codes(text, codes) == []


def test_reports_have_no_bare_codes(srv: DtiServer, reform_rules: Path, tmp_path: Path) -> None:
    import subprocess

    codes = load_codes(reform_rules)
    r = httpx.get(srv.url + "/v1/reports/quarterly", params={"format": "pdf"}, timeout=60)
    assert r.status_code == 200
    (tmp_path / "q.pdf").write_bytes(r.content)
    text = subprocess.run(["pdftotext", str(tmp_path / "q.pdf"), "-"], capture_output=True, text=True).stdout
    # pdftotext interleaves the lines of a table's cells, so the PDF's rule is checked on its layout: a code is
    # printed only in brackets right after its name, "Tên chỉ số (NT.02)"
    flat = " ".join(text.split())
    found = bare_codes(flat, codes)
    assert found, "the report names indicators with their codes in brackets"
    names = {c.code: c.names for c in codes}
    for item in found:
        code = item.split(" ", 1)[0]
        assert f"({code})" in flat, item
        # table cells wrap, so the name's lines may be interleaved with other cells': its last word precedes
        assert any(n and f"{n.split()[-1]} ({code})" in flat for n in names[code]), item
        assert flat.count(code) == flat.count(f"({code})"), item
    for path, params in (
        ("/v1/reports/quarterly", {}),
        ("/v1/reports/assessment", {}),
        ("/v1/reports/scorecard", {"format": "xlsx"}),
    ):
        r = httpx.get(srv.url + path, params=params, timeout=60)
        assert r.status_code == 200, (path, r.text)
        wb = load_workbook(BytesIO(r.content))
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells = [str(v) for v in row if isinstance(v, str)]
                # a code column ("Mã") sits in the row of the name it codes: the row is the unit of the check
                assert bare_codes("\t".join([" ".join(cells)]), codes) == [], (path, ws.title, row)


def test_what_changed_under_each_indicator_and_the_data_date_in_the_footer(browser: WebDriver, srv: DtiServer) -> None:
    open_page(browser, srv)
    click(browser, "lang-vi")
    wait(lambda: browser.execute_script("return document.documentElement.lang") == "vi")
    wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#panels tr[data-indicator] .changes"))
    changes = srv.get("/v1/changes")
    got = browser.execute_script(
        "return Array.from(document.querySelectorAll('#panels tr[data-indicator]')).map((tr) => {"
        " const c = tr.querySelector('.changes'); return [tr.dataset.indicator, c ? c.dataset.latestData : null,"
        " c ? c.dataset.weekAgo : null, c ? c.innerText : null]; })"
    )
    by_code = {i["code"]: i for i in changes["indicators"]}
    assert got
    for code, latest, week, text in got:
        i = by_code[code]
        assert latest == (i["latest_data"] or ""), code
        assert week == ("" if i["week_ago"]["value"] is None else str(i["week_ago"]["value"])) or (
            float(week) == pytest.approx(i["week_ago"]["value"])
        )
        assert "7 ngày trước" in text and "3 tháng trước" in text
    # the events were dated two days before the server's date: the footer shows their date, not today's
    data_day = changes["data_through"]
    assert data_day is not None and data_day < changes["as_of"]
    shown = browser.execute_script(
        "return new Intl.DateTimeFormat('vi-VN', {dateStyle: 'medium'}).format(new Date(arguments[0] + 'T00:00:00'))",
        data_day,
    )
    wait(lambda: browser.find_element(By.ID, "as-of").text == shown)
