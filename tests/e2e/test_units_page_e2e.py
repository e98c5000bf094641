"""Units compared with their peers: a commune's index says which main indicators it covers, is never set
against the provincial goal, and is ranked among the communes (API and page in Chromium). Units P.T6.*."""

from __future__ import annotations

from selenium.webdriver.chrome.webdriver import WebDriver

from shared import clock
from tests.e2e.helpers import ev, eventually
from tests.e2e.server import DtiServer
from tests.e2e.test_web_browser import POLL, body, browser, open_page, shown, wait_for

__all__ = ["browser"]


def test_a_commune_is_ranked_among_communes_not_set_against_the_province(
    server: DtiServer, lgsp_key: str, browser: WebDriver
) -> None:
    year = clock.today().year
    when = f"{year}-01-01T00:00:00+07:00"
    with server.client(lgsp_key) as c:
        batch = [
            ev("P.T6.C1", "tthc.records_total", 4, when=when),
            ev("P.T6.C1", "tthc.records_online", 3, when=when),  # A1 = 75%
            ev("P.T6.C2", "tthc.records_total", 4, when=when),
            ev("P.T6.C2", "tthc.records_online", 1, when=when),  # A1 = 25%
        ]
        assert c.post("/v1/events", json={"events": batch}).status_code == 202

    tree = eventually(
        lambda: (t := server.get("/v1/scores", org_unit="P.T6.C1", period=str(year)))["index"]["value"] and t
    )
    # mini.yaml scores A1 and A2 at every level, B1 at province and district, B2 at the province: a commune
    # covers A only, and has no goal (the province's)
    assert tree["index"]["covers"] == ["A"] and tree["index"]["goal"] is None
    units = {u["code"]: u for u in server.get("/v1/scores/units", period=str(year), level="commune")["units"]}
    c1, c2 = units["P.T6.C1"], units["P.T6.C2"]
    assert c1["rank"] is not None and c2["rank"] is not None and c1["rank"] < c2["rank"] and c1["of"] == c2["of"]
    assert c1["of"] == sum(1 for u in units.values() if u["index"] is not None)
    assert c1["covers"] == ["A"]

    open_page(browser, f"{server.url}/{POLL}&unit=P.T6.C1&period={year}")
    wait_for(browser, lambda: body(browser, "loaded") == f"P.T6.C1|{year}|mini")
    covers = wait_for(browser, lambda: shown(browser, "#panels [data-field='covers']"))
    assert covers[0]["value"] == "A" and "1/2" in covers[0]["text"]
    assert shown(browser, "#panels [data-field='goal']") == []
    rows = wait_for(browser, lambda: shown(browser, "#units tr[data-unit^='P.T6.'] td[data-rank]"))
    assert {(r["rank"], r["of"]) for r in rows} == {(str(c1["rank"]), str(c1["of"])), (str(c2["rank"]), str(c2["of"]))}
