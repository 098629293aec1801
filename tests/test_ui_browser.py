"""The operator page (/ui) in a real headless Chromium (Debian's chromium + chromedriver, via selenium).

Loads the page, creates a trunk through the API, sees it appear live (from the event feed), and
keeps a screenshot in the test's tmp output.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.feature_support import ports, report, vlan
from tests.support import IN_CI, Api, Server, error_type, throwaway_database
from tests.test_agents_binding import heartbeat, new_host

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000"]


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("ui")
    with throwaway_database("sqlite", workdir) as url:
        srv = Server(database=url, workdir=workdir).start()
        try:
            yield srv
        finally:
            srv.stop()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        message = "chromium and chromedriver are needed (scripts/ensure-chromium.sh installs them)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_page_shows_a_new_trunk_live_with_its_subports_and_agents(
        ui_server: Server, browser: object, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait

    driver: WebDriver = browser  # type: ignore[assignment]
    admin = Api(ui_server.url)
    host = new_host()
    assert heartbeat(admin, host).status_code == 201
    driver.get(ui_server.url + "/ui?wait=2")  # short long-polls: the server stops fast afterwards
    # the page re-renders on every event: read elements inside the waits
    wait = WebDriverWait(driver, 20, ignored_exceptions=[NoSuchElementException, StaleElementReferenceException])

    def shows(selector: str, *texts: str) -> bool:
        found = driver.find_element(By.CSS_SELECTOR, selector).text
        return all(t in found for t in texts)

    wait.until(lambda d: d.find_element(By.ID, "feed-status").text == "live")
    assert host in driver.find_element(By.ID, "agents").text

    name = f"ui-{uuid.uuid4().hex[:6]}"
    net = admin.network(name=f"{name}-net")
    a, b = ports(admin, 2, net["id"])
    trunk = admin.trunk(name=name, sub_ports=[vlan(a, 100), vlan(b, 200)])
    row = f"tr[data-trunk-id='{trunk['id']}']"
    wait.until(lambda d: shows(row, name, "DOWN", "VLAN 100", "VLAN 200", f"{name}-net"))
    report(admin, trunk["id"], "DEGRADED", reason="subport b failed",
           sub_ports=[{"port_id": a, "status": "ACTIVE"}, {"port_id": b, "status": "ERROR", "reason": "no wire"}])
    wait.until(lambda d: shows(f"{row} [data-subport='{b}']", "VLAN 200", "ERROR", "no wire"))
    wait.until(lambda d: shows(row, "DEGRADED", "subport b failed") and shows(f"{row} [data-subport='{a}']", "ACTIVE"))
    wait.until(lambda d: d.find_element(By.ID, "feed-lag").text == "0")

    shot = tmp_path / "operator-page.png"
    assert driver.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")


def test_page_is_for_admins_only(ui_server: Server) -> None:
    r = Api(ui_server.url, "some-project").get("/ui")
    assert (r.status_code, error_type(r)) == (403, "PolicyNotAuthorized")
    page = Api(ui_server.url).get("/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "trunkd operator page" in page.text
