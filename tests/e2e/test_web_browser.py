"""The officials' page in headless Chromium against a real `dti up` fed with events.

The page writes every number it shows, unformatted, into data-* attributes: the tests compare them with what
the read API answers at the same moment. Units and metrics are this module's own: work.records_* (e-office)
on P.T8.C1 and P.T8.C2 in the current year; no other test uses work.records_* or that year at P.T8.
Screenshots land in test-artifacts/ (desktop, phone, compare).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select

from shared import clock
from tests.e2e.chromium import chromium
from tests.e2e.conftest import e2e_rules
from tests.e2e.helpers import ev, eventually
from tests.e2e.server import ROOT, DtiServer

pytestmark = pytest.mark.e2e

ARTIFACTS = ROOT / "test-artifacts"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
POLL = "?poll=300"  # the page polls every 5 s by default; tests do not want to wait that long


# ---------------------------------------------------------------------------------------------- browser
@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium("--force-prefers-reduced-motion", "--lang=vi-VN", "--window-size=1366,900") as driver:
        yield driver


def wait_for(driver: WebDriver, check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll a condition on the page; DOM nodes replaced by a refresh between two reads are simply retried."""

    def safe() -> Any:
        try:
            return check()
        except StaleElementReferenceException:
            return None

    try:
        return eventually(safe, timeout=timeout)
    except AssertionError:
        logs = ""
        try:
            logs = "\n".join(str(e) for e in driver.get_log("browser"))  # type: ignore[no-untyped-call]
        except WebDriverException:
            pass
        raise AssertionError(f"page condition not met; url={driver.current_url}\nbrowser log:\n{logs}") from None


def click(driver: WebDriver, el: WebElement) -> None:
    """Click like a user: the element scrolled to the middle of the window, clear of the sticky controls."""

    def attempt() -> bool:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
        try:
            el.click()
        except ElementClickInterceptedException:
            return False
        return True

    wait_for(driver, attempt, timeout=5)


def js_errors(driver: WebDriver) -> list[str]:
    """Console errors since the last call, but the 404 of GET /v1/alerts (not there yet: a neutral state)."""
    entries = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [
        str(e["message"])
        for e in entries
        if e["level"] == "SEVERE" and not ("/v1/alerts" in str(e["message"]) and "404" in str(e["message"]))
    ]


def body(driver: WebDriver, name: str) -> str:
    return str(driver.execute_script(f"return document.body.dataset.{name} || ''"))


def open_page(driver: WebDriver, url: str) -> None:
    driver.get(url)
    wait_for(driver, lambda: body(driver, "ready") == "1")


def wait_loaded(driver: WebDriver, unit: str, period: str, frameworks: str) -> None:
    """Wait until the page shows this unit, period and framework(s) (body[data-loaded])."""
    want = f"{unit}|{period}|{frameworks}"
    wait_for(driver, lambda: body(driver, "loaded") == want)


def refreshes(driver: WebDriver) -> int:
    return int(body(driver, "refreshes") or 0)


def next_refresh(driver: WebDriver) -> None:
    """Wait for one more completed poll, so what the page shows is at least as new as what the test just read."""
    n = refreshes(driver)
    wait_for(driver, lambda: refreshes(driver) > n)


def num(el: WebElement, attr: str = "data-value") -> float | None:
    return number(el.get_attribute(attr))


def number(raw: str | None) -> float | None:
    return None if raw in (None, "") else float(raw)


def shown(driver: WebDriver, css: str) -> list[dict[str, str]]:
    """Every element matching css as {its data-* attributes (dataset names), "text": its visible text}, read in
    one script call. The page re-renders a list when a poll brings something new (another test's alert, say):
    reading element by element, a node found a moment ago may be gone; one snapshot cannot go stale."""
    script = (
        "return Array.from(document.querySelectorAll(arguments[0]),"
        " (e) => Object.assign({}, e.dataset, {text: e.innerText}))"
    )
    return list(driver.execute_script(script, css))


def shown_one(driver: WebDriver, css: str) -> dict[str, str]:
    found = shown(driver, css)
    assert len(found) == 1, f"{css}: {len(found)} elements"
    return found[0]


def vi4(x: float) -> str:
    """0.5032 -> '0,5032': four decimals with the Vietnamese decimal comma."""
    return f"{x:.4f}".replace(".", ",")


def api(server: DtiServer, path: str, **params: Any) -> Any:
    return server.get(path, **{k: v for k, v in params.items() if v is not None})


def panel(driver: WebDriver, framework: str) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, f"#panels section.panel[data-framework='{framework}']")


def assert_tree_shown(driver: WebDriver, tree: dict[str, Any]) -> None:
    """Every number of a score tree, as the page shows it, equals the API's."""
    fw = tree["framework"]["code"]
    p = panel(driver, fw)
    assert p.get_attribute("data-org-unit") == tree["org_unit"]["code"]
    assert p.get_attribute("data-period") == tree["period"]
    dti = p.find_element(By.CSS_SELECTOR, "[data-field='dti']")
    assert num(dti) == tree["index"]["value"]
    if tree["index"]["value"] is not None:
        assert dti.text == vi4(tree["index"]["value"])
    for pillar in tree["pillars"]:
        el = p.find_element(By.CSS_SELECTOR, f"[data-pillar='{pillar['code']}']")
        assert num(el) == pillar["value"], pillar["code"]
        assert pillar["name"] in el.text  # names come from the rules file
    for main in tree["main_indicators"]:
        row = driver.find_element(By.CSS_SELECTOR, f"[data-framework='{fw}'] tr[data-main='{main['code']}']")
        assert num(row) == main["value"], main["code"]
        assert num(row, "data-earned") == main["earned"], main["code"]
        for ind in main["indicators"]:
            row = driver.find_element(By.CSS_SELECTOR, f"[data-framework='{fw}'] tr[data-indicator='{ind['code']}']")
            assert num(row) == ind["value"], ind["code"]
            assert num(row, "data-target") == ind["target"], ind["code"]
            assert row.get_attribute("data-status") == ind["status"], ind["code"]
            trajectory = (ind["trajectory"] or {}).get("status") or ""
            assert row.get_attribute("data-trajectory") == trajectory, ind["code"]
            assert ind["name"] in row.text, ind["code"]


def shown_tree_matches(driver: WebDriver, server: DtiServer, **params: Any) -> bool:
    """Read the API, let the page poll once more, then compare (both sides are then equally fresh)."""
    tree = api(server, "/v1/scores", **params)
    next_refresh(driver)
    try:
        assert_tree_shown(driver, tree)
    except AssertionError:
        return False
    return True


def screenshot(driver: WebDriver, name: str, width: int) -> Path:
    """A full-page screenshot at this width (the window grows to the page's height first)."""
    ARTIFACTS.mkdir(exist_ok=True)
    driver.set_window_size(width, 900)
    time.sleep(0.3)  # let the layout (and the chart's width) follow the new size
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(width, min(height + 140, 8000))
    time.sleep(0.3)
    path = ARTIFACTS / name
    assert driver.save_screenshot(str(path))
    driver.set_window_size(1366, 900)
    return path


# ---------------------------------------------------------------------------------------------- data
def _times(server: DtiServer) -> tuple[int, str, str]:
    """The year the page shows by default (the server's oldest open assessment year: last year until it closes
    on 31 March, then this one), an instant in its first quarter and one a minute ago."""
    year = int(api(server, "/v1/scores")["period"][:4])
    now = min(clock.now() - timedelta(minutes=1), datetime(year, 12, 31, 23, 0, tzinfo=VN))  # in that year
    q1 = min(datetime(year, 2, 2, 8, 0, tzinfo=VN), now)
    return year, q1.isoformat(), now.isoformat()


@pytest.fixture(scope="module")
def eoffice_key(server: DtiServer) -> str:
    return server.key("eoffice")


@pytest.fixture(scope="module")
def fed(server: DtiServer, eoffice_key: str) -> dict[str, Any]:
    """Work records in the current year: P.T8.C1 7 of 10 online and P.T8.C2 5 of 5 in Q1, so P.T8 = 12/15."""
    year, q1, _now = _times(server)
    batch = [
        ev("P.T8.C1", "work.records_total", 10, when=q1, source="eoffice"),
        ev("P.T8.C1", "work.records_online", 7, when=q1, source="eoffice"),
        ev("P.T8.C2", "work.records_total", 5, when=q1, source="eoffice"),
        ev("P.T8.C2", "work.records_online", 5, when=q1, source="eoffice"),
    ]
    with server.client(eoffice_key) as c:
        r = c.post("/v1/events", json={"events": batch})
        assert r.status_code == 202, r.text

    def a2(unit: str) -> dict[str, Any]:
        tree = api(server, "/v1/scores", org_unit=unit, period=str(year))
        return next(i for m in tree["main_indicators"] for i in m["indicators"] if i["code"] == "A2")

    eventually(lambda: a2("P.T8")["value"] == 0.8)
    assert a2("P.T8.C1")["value"] == 0.7
    return {"year": year, "fw": api(server, "/v1/scores")["framework"]["code"]}


# ---------------------------------------------------------------------------------------------- tests
def test_page_and_assets_are_served_with_their_media_types(server: DtiServer) -> None:
    r = httpx.get(server.url + "/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="vi">' in r.text
    for path, media in [
        ("/static/app.js", "text/javascript"),
        ("/static/style.css", "text/css"),
        ("/static/favicon.svg", "image/svg+xml"),
    ]:
        a = httpx.get(server.url + path)
        assert a.status_code == 200, path
        assert a.headers["content-type"].split(";")[0] == media, path
        # offline: nothing is loaded from another host (the SVG namespace is a name, not a download)
        text = a.text.replace("http://www.w3.org/2000/svg", "")
        assert "http://" not in text and "https://" not in text, path
    assert "http://" not in r.text and "https://" not in r.text
    assert httpx.get(server.url + "/static/missing.js").status_code == 404
    assert "/" not in httpx.get(server.url + "/openapi.json").json()["paths"]  # the page is not part of the API


def test_province_numbers_equal_the_api(browser: WebDriver, server: DtiServer, fed: dict[str, Any]) -> None:
    year, fw = fed["year"], fed["fw"]
    open_page(browser, server.url + "/" + POLL)
    wait_loaded(browser, "P", str(year), fw)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    wait_for(browser, lambda: shown_tree_matches(browser, server, org_unit="P", period=str(year), framework=fw))

    # the trend: one point per previous year and per quarter so far, each equal to /v1/scores for that period
    dots = shown(browser, f"[data-framework='{fw}'] svg.trend circle[data-period]")
    assert dots, "the trend chart has no point"
    for dot in dots:
        scores = api(server, "/v1/scores", org_unit="P", period=dot["period"], framework=fw)
        assert number(dot.get("value")) == scores["index"]["value"], dot["period"]
    assert f"{year}-Q1" in {d["period"] for d in dots}

    # units side by side: the districts of the province, each with the API's index
    units = {u["code"]: u for u in api(server, "/v1/scores/units", period=str(year), framework=fw)["units"]}
    rows = shown(browser, "#units tr[data-unit]")
    assert {r["unit"] for r in rows} == set(units)
    for row in rows:
        assert number(row.get("value")) == units[row["unit"]]["index"], row["unit"]
        assert units[row["unit"]]["name"] in row["text"]

    # the gap ranking per department, in the API's order
    gaps = api(server, "/v1/gaps", org_unit="P", period=str(year), framework=fw)
    listed = shown(browser, "#gaps li[data-department]")
    assert [d["department"] for d in listed] == [d["code"] for d in gaps["departments"]]
    for item, dep in zip(listed, gaps["departments"], strict=True):
        assert number(item.get("gain")) == dep["gain_points"]
        assert dep["name"] in item["text"]

    # one framework only in this rules set: nothing to compare with
    assert not browser.find_element(By.ID, "compare").is_enabled()


def test_click_a_unit_to_see_its_scores(browser: WebDriver, server: DtiServer, fed: dict[str, Any]) -> None:
    year, fw = fed["year"], fed["fw"]
    open_page(browser, server.url + "/" + POLL)
    wait_loaded(browser, "P", str(year), fw)
    click(browser, browser.find_element(By.CSS_SELECTOR, "button[data-unit-link='P.T8']"))
    wait_loaded(browser, "P.T8", str(year), fw)
    assert "unit=P.T8" in browser.current_url
    assert "Huyện T8" in browser.find_element(By.ID, "breadcrumb").text
    a2 = shown_one(browser, f"[data-framework='{fw}'] tr[data-indicator='A2']")
    assert number(a2.get("value")) == 0.8  # (7 + 5) / (10 + 5)
    assert "80%" in a2["text"]
    wait_for(browser, lambda: shown_tree_matches(browser, server, org_unit="P.T8", period=str(year), framework=fw))

    # its communes are compared now; keyboard works too: Enter on the focused button opens P.T8.C1
    communes = {r["unit"] for r in shown(browser, "#units tr[data-unit]")}
    assert communes == {"P.T8.C1", "P.T8.C2"}
    browser.find_element(By.CSS_SELECTOR, "button[data-unit-link='P.T8.C1']").send_keys(Keys.ENTER)
    wait_loaded(browser, "P.T8.C1", str(year), fw)
    assert number(shown_one(browser, f"[data-framework='{fw}'] tr[data-indicator='A2']").get("value")) == 0.7
    # focus moved to the panel's heading, so keyboard and screen-reader users land on the new scores
    assert browser.switch_to.active_element.tag_name == "h2"

    # the breadcrumb leads back to the province
    click(browser, browser.find_element(By.CSS_SELECTOR, "#breadcrumb button"))
    wait_loaded(browser, "P", str(year), fw)


def test_switch_period_and_framework_from_the_selectors(
    browser: WebDriver, server: DtiServer, fed: dict[str, Any]
) -> None:
    year, fw = fed["year"], fed["fw"]
    open_page(browser, server.url + "/?unit=P.T8&poll=300")
    wait_loaded(browser, "P.T8", str(year), fw)

    Select(browser.find_element(By.ID, "quarter")).select_by_value("Q1")
    wait_loaded(browser, "P.T8", f"{year}-Q1", fw)
    assert f"period={year}-Q1" in browser.current_url
    wait_for(browser, lambda: shown_tree_matches(browser, server, org_unit="P.T8", period=f"{year}-Q1", framework=fw))
    a2 = browser.find_element(By.CSS_SELECTOR, "tr[data-indicator='A2']")
    assert num(a2) == 0.8  # the events are in Q1: year to date at Q1 is the same

    Select(browser.find_element(By.ID, "year")).select_by_value(str(year - 1))
    wait_loaded(browser, "P.T8", f"{year - 1}-Q1", fw)
    wait_for(
        browser, lambda: shown_tree_matches(browser, server, org_unit="P.T8", period=f"{year - 1}-Q1", framework=fw)
    )
    assert num(browser.find_element(By.CSS_SELECTOR, "tr[data-indicator='A2']")) is None  # nothing before this year

    # the framework selector lists every framework of /v1/scores
    options = [o.get_attribute("value") for o in Select(browser.find_element(By.ID, "framework")).options]
    assert options == api(server, "/v1/scores")["frameworks"]


def test_updates_live_while_events_arrive(
    browser: WebDriver, server: DtiServer, eoffice_key: str, fed: dict[str, Any]
) -> None:
    year, fw = fed["year"], fed["fw"]
    open_page(browser, server.url + "/?unit=P.T8.C2&poll=300")
    wait_loaded(browser, "P.T8.C2", str(year), fw)

    def a2() -> float | None:
        return num(browser.find_element(By.CSS_SELECTOR, "tr[data-indicator='A2']"))

    assert a2() == 1.0
    _y, _q1, now = _times(server)
    with server.client(eoffice_key) as c:
        r = c.post("/v1/events", json=ev("P.T8.C2", "work.records_total", 5, when=now, source="eoffice"))
        assert r.status_code == 202, r.text
    wait_for(browser, lambda: a2() == 0.5)  # 5 online of 10, without reloading the page
    wait_for(browser, lambda: shown_tree_matches(browser, server, org_unit="P.T8.C2", period=str(year), framework=fw))
    # a screen reader hears that the index changed (aria-live region)
    announce = browser.find_element(By.ID, "announce")
    assert announce.get_attribute("aria-live") == "polite"
    assert "T8-2" in str(announce.get_attribute("textContent"))


def test_language_toggle(browser: WebDriver, server: DtiServer, fed: dict[str, Any]) -> None:
    year, fw = fed["year"], fed["fw"]
    open_page(browser, server.url + "/" + POLL)
    wait_loaded(browser, "P", str(year), fw)
    tree = api(server, "/v1/scores", org_unit="P", period=str(year), framework=fw)
    a1 = next(i for m in tree["main_indicators"] for i in m["indicators"] if i["code"] == "A1")
    assert "Chỉ số chuyển đổi số" in browser.find_element(By.TAG_NAME, "h1").text
    assert a1["name"] in browser.find_element(By.CSS_SELECTOR, "tr[data-indicator='A1']").text
    # why an indicator has no value: the half of the page's language, from the API's reason_vi / reason_en
    unset = next(i for m in tree["main_indicators"] for i in m["indicators"] if i["status"] == "no_data")
    reason_css = f"[data-framework='{fw}'] tr[data-indicator='{unset['code']}'] .reason"
    assert unset["reason"] == f"{unset['reason_vi']} / {unset['reason_en']}"
    assert shown_one(browser, reason_css)["text"] == unset["reason_vi"]

    click(browser, browser.find_element(By.ID, "lang-en"))
    wait_for(browser, lambda: browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert "Digital Transformation Index" in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_element(By.ID, "lang-en").get_attribute("aria-pressed") == "true"
    wait_for(browser, lambda: a1["name_en"] in browser.find_element(By.CSS_SELECTOR, "tr[data-indicator='A1']").text)
    assert shown_one(browser, reason_css)["text"] == unset["reason_en"]
    dti = browser.find_element(By.CSS_SELECTOR, "[data-field='dti']")
    if tree["index"]["value"] is not None:
        assert dti.text == f"{tree['index']['value']:.4f}"  # English decimal point

    click(browser, browser.find_element(By.ID, "lang-vi"))
    wait_for(browser, lambda: browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi")


def test_alert_appears_after_events_breach_a_target(browser: WebDriver, server: DtiServer, fed: dict[str, Any]) -> None:
    year, fw = fed["year"], fed["fw"]
    open_page(browser, server.url + "/" + POLL)
    wait_loaded(browser, "P", str(year), fw)
    assert not [a for a in shown(browser, "#alerts li.alert") if "Huyện T7" in a["text"]]
    # P.T7.C1 this year: 1 of 10 work records online; A2 at the district P.T7 is 10% against its 2026
    # district target 80% + (90% - 80%) × 1/5 = 82%: below target, firing after two rounds (for: 2)
    with server.client(server.key("eoffice")) as c:
        r = c.post(
            "/v1/events",
            json={
                "events": [
                    ev("P.T7.C1", "work.records_total", 10, when=f"{year}-02-03T08:00:00+07:00", source="eoffice"),
                    ev("P.T7.C1", "work.records_online", 1, when=f"{year}-02-03T08:00:00+07:00", source="eoffice"),
                ]
            },
        )
        assert r.status_code == 202, r.text

    def severity() -> str | None:
        """The alert's severity once it is listed."""
        for a in shown(browser, "#alerts li.alert"):
            if "Huyện T7" in a["text"] and "Hồ sơ công việc trên mạng" in a["text"]:
                return a.get("severity", "")
        return None

    wait_for(browser, lambda: severity() is not None, timeout=30)
    assert wait_for(browser, severity, timeout=10) == "warning"
    api_alerts = [
        a
        for a in httpx.get(server.url + "/v1/alerts").json()["alerts"]
        if a["labels"].get("org_unit") == "P.T7" and a["labels"].get("indicator") == "A2"
    ]
    assert api_alerts and api_alerts[0]["status"] == "firing"
    # the summary in the page's language only, from the annotations' summary_vi (not a split of summary)
    ann = api_alerts[0]["annotations"]
    assert ann["summary"] == f"{ann['summary_vi']} / {ann['summary_en']}"
    listed = [a["text"] for a in shown(browser, "#alerts li.alert") if ann["summary_vi"] in a["text"]]
    assert listed and ann["summary_en"] not in listed[0]


def test_screenshots_desktop_and_phone(browser: WebDriver, server: DtiServer, fed: dict[str, Any]) -> None:
    year, fw = fed["year"], fed["fw"]
    open_page(browser, server.url + "/?unit=P.T8&poll=300")
    wait_loaded(browser, "P.T8", str(year), fw)
    desktop = screenshot(browser, "web-desktop.png", 1366)
    phone = screenshot(browser, "web-phone.png", 390)
    assert desktop.stat().st_size > 10_000 and phone.stat().st_size > 10_000
    # on a phone nothing is wider than the screen but the tables that scroll by design
    browser.set_window_size(390, 900)
    wide = browser.execute_script(
        "return [...document.querySelectorAll('body *')].filter(e => !e.closest('.table-wrap'))"
        ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length"
    )
    browser.set_window_size(1366, 900)
    assert wide == 0
    assert js_errors(browser) == []


# ---------------------------------------------------------------------------------------------- two frameworks
@pytest.fixture(scope="module")
def two_frameworks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DtiServer]:
    """A server whose rules hold two frameworks (the mini one and a variant with other weights and a goal)."""
    base = tmp_path_factory.mktemp("dti-web-two")
    rules = e2e_rules(base / "rules")
    mini = (rules / "mini.yaml").read_text(encoding="utf-8")
    variant = (
        mini.replace("code: mini\n", "code: mini-b\n")
        .replace("name: Bộ chỉ số thử\n", "name: Bộ chỉ số thử B\n")
        .replace("name_en: Mini framework\n", "name_en: Mini framework B\n")
        .replace("weights: {A: 60, B: 40}", "weights: {A: 30, B: 70}")
        .replace("trajectory_tolerance: 10%\n", "trajectory_tolerance: 10%\ngoal: {year: 2030, value: 0.9, note: B}\n")
    )
    (rules / "mini-b.yaml").write_text(variant, encoding="utf-8")
    manifest = rules / "ruleset.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("[mini.yaml]", "[mini.yaml, mini-b.yaml]"), encoding="utf-8"
    )
    srv = DtiServer(base / "data", rules).start()
    try:
        yield srv
    finally:
        srv.stop()


def test_two_frameworks_side_by_side(browser: WebDriver, two_frameworks: DtiServer) -> None:
    srv = two_frameworks
    year, q1, _now = _times(srv)
    key = srv.key("lgsp")
    with srv.client(key) as c:
        batch = [ev("P.D1.C1", "tthc.records_total", 4, when=q1), ev("P.D1.C1", "tthc.records_online", 3, when=q1)]
        batch.append(ev("P", "lgsp.systems_connected", 6, when=q1))
        assert c.post("/v1/events", json={"events": batch}).status_code == 202
    eventually(lambda: api(srv, "/v1/scores", framework="mini-b")["index"]["value"] is not None)
    assert api(srv, "/v1/scores")["frameworks"] == ["mini", "mini-b"]

    open_page(browser, srv.url + "/" + POLL)
    wait_loaded(browser, "P", str(year), "mini")
    compare = browser.find_element(By.ID, "compare")
    assert compare.is_enabled()
    click(browser, compare)
    wait_loaded(browser, "P", str(year), "mini,mini-b")
    assert "compare=mini-b" in browser.current_url
    for fw in ("mini", "mini-b"):
        wait_for(browser, partial(shown_tree_matches, browser, srv, org_unit="P", period=str(year), framework=fw))
    a, b = (num(panel(browser, fw).find_element(By.CSS_SELECTOR, "[data-field='dti']")) for fw in ("mini", "mini-b"))
    assert a is not None and b is not None and a != b  # other weights, other value
    goal = panel(browser, "mini-b").find_element(By.CSS_SELECTOR, "[data-field='goal']")
    assert num(goal) == 0.9
    assert panel(browser, "mini").find_elements(By.CSS_SELECTOR, "[data-field='goal']") == []  # no goal: none shown
    assert panel(browser, "mini-b").find_elements(By.CSS_SELECTOR, "svg.trend .goal-line")
    screenshot(browser, "web-compare.png", 1366)
    assert js_errors(browser) == []

    # the primary framework can be switched too
    Select(browser.find_element(By.ID, "framework")).select_by_value("mini-b")
    wait_loaded(browser, "P", str(year), "mini-b,mini")
    compare = browser.find_element(By.ID, "compare")
    click(browser, compare)
    wait_loaded(browser, "P", str(year), "mini-b")
