"""The operator page logs in against a real Keystone (tests/keystone.py), in a real headless Chromium.

The form's password login goes through trunkd's /ui/v3/auth/tokens to Keystone; the page then follows
the feed with the token. A pasted token works too; a wrong password shows the form again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.keystone import ADMIN_PASSWORD, PASSWORD, Keystone, TokenApi, authtoken_config
from tests.support import Server, throwaway_database
from tests.test_ui_browser import browser  # noqa: F401  (the headless Chromium fixture)


@pytest.fixture(scope="module")
def ks_server(keystone: Keystone, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    keystone.user("trunkd-ui", "service", "service")
    workdir = tmp_path_factory.mktemp("ui-keystone")
    conf = authtoken_config(keystone, workdir / "trunkd.conf", "trunkd-ui")
    with throwaway_database("sqlite", workdir) as url:
        srv = Server(url, workdir, args=["--auth-strategy", "keystone", "--config-file", str(conf)]).start()
        try:
            yield srv
        finally:
            srv.stop()


def _login_form_shown(driver: object) -> bool:
    from selenium.webdriver.common.by import By

    return bool(driver.find_element(By.ID, "login").is_displayed())  # type: ignore[attr-defined]


def test_password_login_then_live_page(ks_server: Server, keystone: Keystone, browser: object) -> None:  # noqa: F811
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait

    driver: WebDriver = browser  # type: ignore[assignment]
    wait = WebDriverWait(driver, 30, ignored_exceptions=[NoSuchElementException, StaleElementReferenceException])
    driver.get(ks_server.url + "/ui?wait=2")
    wait.until(_login_form_shown)  # no token: the API said 401, the page asks for a login

    def fill(password: str) -> None:
        for field, value in (("login-user", "admin"), ("login-password", password), ("login-project", "admin")):
            box = driver.find_element(By.ID, field)
            box.clear()
            box.send_keys(value)
        driver.find_element(By.ID, "login-submit").click()

    fill("wrong-password")
    wait.until(lambda d: "401" in d.find_element(By.ID, "login-error").text)
    fill(ADMIN_PASSWORD)
    wait.until(lambda d: d.find_element(By.ID, "feed-status").text == "live")
    assert not _login_form_shown(driver)
    token = driver.execute_script("return sessionStorage.getItem('trunkd-token')")
    assert token and TokenApi(ks_server.url, token).get("/v2.0/trunks").status_code == 200

    name = f"ui-ks-{uuid.uuid4().hex[:6]}"
    admin = TokenApi(ks_server.url, token)
    net = admin.network(name=f"{name}-net")
    port = admin.port(network_id=net["id"])
    trunk = admin.trunk(name=name, port_id=port["id"])
    wait.until(lambda d: name in d.find_element(By.CSS_SELECTOR, f"tr[data-trunk-id='{trunk['id']}']").text)

    driver.find_element(By.ID, "logout").click()  # the token leaves the session: the form again
    wait.until(_login_form_shown)
    assert driver.execute_script("return sessionStorage.getItem('trunkd-token')") is None


def test_pasted_token(ks_server: Server, keystone: Keystone, browser: object) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait

    driver: WebDriver = browser  # type: ignore[assignment]
    wait = WebDriverWait(driver, 30)
    driver.get(ks_server.url + "/ui?wait=2")
    wait.until(_login_form_shown)
    driver.find_element(By.ID, "login-token").send_keys(keystone.token("admin", ADMIN_PASSWORD, "admin"))
    driver.find_element(By.ID, "login-use-token").click()
    wait.until(lambda d: d.find_element(By.ID, "feed-status").text == "live")


def test_pasted_system_scoped_token_is_refused_clearly(ks_server: Server, keystone: Keystone,
                                                       browser: object) -> None:  # noqa: F811
    """A system-scoped admin token: the page's first call (/ui/session) says why, on the login form."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait

    with keystone.admin() as c:
        admin_id = c.get("/users", params={"name": "admin"}).json()["users"][0]["id"]
        role_id = c.get("/roles", params={"name": "admin"}).json()["roles"][0]["id"]
        assert c.put(f"/system/users/{admin_id}/roles/{role_id}").status_code in (201, 204)
    driver: WebDriver = browser  # type: ignore[assignment]
    wait = WebDriverWait(driver, 30)
    driver.get(ks_server.url + "/ui?wait=2")
    driver.execute_script("sessionStorage.clear()")
    driver.get(ks_server.url + "/ui?wait=2")
    wait.until(_login_form_shown)
    driver.find_element(By.ID, "login-token").send_keys(keystone.token("admin", ADMIN_PASSWORD, system=True))
    driver.find_element(By.ID, "login-use-token").click()
    wait.until(lambda d: "system-scoped" in d.find_element(By.ID, "login-error").text)
    assert _login_form_shown(driver)
    assert "Log in with a project-scoped token" in driver.find_element(By.ID, "login-error").text


def test_login_proxy_and_page_without_token(ks_server: Server, keystone: Keystone) -> None:
    keystone.user("ui-member", "ui-project", "member")
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "ui-member", "password": PASSWORD, "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": "ui-project", "domain": {"name": "Default"}}}}}
    r = httpx.post(ks_server.url + "/ui/v3/auth/tokens", json=body, timeout=60)
    assert r.status_code == 201 and r.headers["X-Subject-Token"]
    assert r.json()["token"]["project"]["name"] == "ui-project"
    member = TokenApi(ks_server.url, r.headers["X-Subject-Token"])
    assert member.get("/v2.0/trunks").status_code == 200
    assert member.get("/v2.0/events").status_code == 403  # the feed stays admin-only
    page = httpx.get(ks_server.url + "/ui")
    assert page.status_code == 200 and 'id="login"' in page.text
    assert httpx.get(ks_server.url + "/v2.0/trunks").status_code == 401  # only the page and the login are open


def test_no_login_proxy_in_noauth(tmp_path: Path) -> None:
    srv = Server(f"sqlite:///{tmp_path / 'db'}", tmp_path).start()
    try:
        assert httpx.post(srv.url + "/ui/v3/auth/tokens", json={}).status_code == 404
    finally:
        srv.stop()
