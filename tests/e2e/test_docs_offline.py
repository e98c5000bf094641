"""`/docs` renders in headless Chromium with every request off this machine made impossible
(no host resolves but 127.0.0.1), and the browser asks for nothing but the server's own
files. A screenshot lands in test-artifacts/docs.png."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from tests.e2e.chromium import chromium
from tests.e2e.helpers import eventually
from tests.e2e.server import ROOT, DtiServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def offline_browser() -> Iterator[WebDriver]:
    # the network closed: no host resolves, by name (a CDN's) or by address, except this machine
    with chromium(
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--window-size=1366,900",
        logs={"performance": "ALL"},
    ) as driver:
        yield driver


def requested_urls(driver: WebDriver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):  # type: ignore[no-untyped-call]
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def test_docs_render_offline_from_installed_files(server: DtiServer, offline_browser: WebDriver) -> None:
    driver = offline_browser
    # the browser really is cut off: a CDN does not load, by name or by address
    for url in ("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css", "http://1.1.1.1/"):
        with pytest.raises(WebDriverException, match="ERR_"):
            driver.get(url)
    requested_urls(driver)  # drop that attempt from the log

    driver.get(f"{server.url}/docs")
    title = eventually(lambda: driver.find_elements(By.CSS_SELECTOR, ".swagger-ui .info .title"), timeout=20)
    assert "DTI Monitor" in title[0].text
    n_operations = sum(len(ops) for ops in httpx.get(f"{server.url}/openapi.json").json()["paths"].values())
    blocks = eventually(
        lambda: (b := driver.find_elements(By.CSS_SELECTOR, ".opblock")) and len(b) >= n_operations and b,
        timeout=20,
    )
    assert len(blocks) == n_operations
    assert driver.find_elements(By.CSS_SELECTOR, "button.authorize")  # the Bearer schemes can be entered
    assert "POST/v1/events" in "".join(b.text.replace("\n", "") for b in blocks)
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    driver.save_screenshot(str(ROOT / "test-artifacts" / "docs.png"))
    urls = requested_urls(driver)
    assert urls and all(u.startswith((server.url, "data:", "blob:")) for u in urls), urls
    assert any(u.endswith("/docs/static/swagger-ui-bundle.js") for u in urls), urls
