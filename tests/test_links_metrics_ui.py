"""Issue 19, item 10: what the edge trusts.

- `Host` and `X-Forwarded-Proto` go into pagination links (and the version document) only when well formed;
  anything else is replaced by the server's own address and scheme, never echoed.
- `/metrics`: the `get_metrics` rule (admin or service) by default, in noauth and keystone mode alike;
  `metrics_auth = open` serves it to anyone, without a token.
- `/ui/session`, the operator page's first call: a system-scoped admin token is refused clearly (403
  SystemScopeNotSupported), a project-scoped admin token works (real Keystone, tests/keystone.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.keystone import ADMIN_PASSWORD, Keystone, TokenApi, authtoken_config
from tests.support import Api, Server, error_type, throwaway_database


def links_of(server: Server, headers: dict[str, str]) -> list[str]:
    api = Api(server.url)
    api.network()
    api.network()
    r = api.get("/v2.0/networks", params={"limit": 1}, headers=headers)
    assert r.status_code == 200, r.text
    hrefs = [link["href"] for link in r.json()["networks_links"]]
    assert hrefs
    version = api.get("/", headers=headers).json()["versions"][0]["links"][0]["href"]
    return [*hrefs, version]


@pytest.mark.parametrize(("headers", "base"), [
    ({"Host": "api.example.com:8443", "X-Forwarded-Proto": "https"}, "https://api.example.com:8443/"),
    ({"Host": "[2001:db8::1]:9696", "X-Forwarded-Proto": "HTTP"}, "http://[2001:db8::1]:9696/"),
    ({"X-Forwarded-Proto": "https, http"}, "https://127.0.0.1:{port}/"),  # a proxy chain: the first
])
def test_well_formed_host_and_proto_make_the_links(server: Server, headers: dict[str, str], base: str) -> None:
    for href in links_of(server, headers):
        assert href.startswith(base.format(port=server.port)), href


@pytest.mark.parametrize("headers", [
    {"Host": "evil.example/<script>"},
    {"Host": "a b"},
    {"Host": "user@evil.example"},
    {"Host": "evil.example:99999"},
    {"Host": "x" * 300},
    {"X-Forwarded-Proto": "javascript"},
    {"X-Forwarded-Proto": "https://evil.example/"},
])
def test_a_malformed_host_or_proto_is_replaced_by_the_servers_own(server: Server, headers: dict[str, str]) -> None:
    for href in links_of(server, headers):
        assert href.startswith(f"http://127.0.0.1:{server.port}/"), href
        assert "evil" not in href and "<" not in href and "javascript" not in href


# -- /metrics ----------------------------------------------------------------------------------
def test_metrics_follow_the_policy_in_noauth(server: Server) -> None:
    assert Api(server.url).get("/metrics").status_code == 200  # the operator (no headers): admin
    assert Api(server.url, "p-metrics", "service").get("/metrics").status_code == 200
    r = Api(server.url, "p-metrics", "member,reader").get("/metrics")
    assert r.status_code == 403 and error_type(r) == "PolicyNotAuthorized", r.text


def test_open_metrics_in_noauth(tmp_path: Path) -> None:
    srv = Server(database=f"sqlite:///{tmp_path}/t.db", workdir=tmp_path, env={"TRUNKD_METRICS_AUTH": "open"}).start()
    try:
        r = Api(srv.url, "p-metrics", "member,reader").get("/metrics")
        assert r.status_code == 200 and "trunkd_http_requests_total" in r.text
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def keystone_servers(keystone: Keystone, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    """Two keystone-mode servers: metrics_auth policy (the default) and open."""
    keystone.user("trunkd", "service", "service")
    keystone.user("agent", "service", "service")
    keystone.user("alice", "project-a", "member")
    workdir = tmp_path_factory.mktemp("edge-keystone")
    conf = authtoken_config(keystone, workdir / "trunkd.conf", "trunkd")
    servers: dict[str, Server] = {}
    with throwaway_database("sqlite", workdir) as url:
        try:
            for mode in ("policy", "open"):
                servers[mode] = Server(url, workdir, args=["--auth-strategy", "keystone", "--config-file", str(conf)],
                                       env={"TRUNKD_METRICS_AUTH": mode}).start()
            yield servers
        finally:
            for srv in servers.values():
                srv.stop()


def test_metrics_in_keystone_mode(keystone: Keystone, keystone_servers: dict[str, Server]) -> None:
    guarded, open_ = keystone_servers["policy"], keystone_servers["open"]
    assert httpx.get(f"{guarded.url}/metrics", timeout=30).status_code == 401
    member = keystone.token("alice", project="project-a")
    r = TokenApi(guarded.url, member).get("/metrics")
    assert r.status_code == 403 and error_type(r) == "PolicyNotAuthorized", r.text
    assert TokenApi(guarded.url, keystone.token("agent", project="service")).get("/metrics").status_code == 200
    r = httpx.get(f"{open_.url}/metrics", timeout=30)  # no token at all
    assert r.status_code == 200 and "trunkd_http_requests_total" in r.text
    assert httpx.get(f"{open_.url}/v2.0/networks", timeout=30).status_code == 401  # only /metrics opens


# -- /ui with a system-scoped token -------------------------------------------------------------
def test_a_system_scoped_admin_token_is_refused_clearly_by_the_ui(keystone: Keystone,
                                                                 keystone_servers: dict[str, Server]) -> None:
    srv = keystone_servers["policy"]
    with keystone.admin() as c:
        admin_id = c.get("/users", params={"name": "admin"}).json()["users"][0]["id"]
        role_id = c.get("/roles", params={"name": "admin"}).json()["roles"][0]["id"]
        assert c.put(f"/system/users/{admin_id}/roles/{role_id}").status_code in (201, 204)
    system = TokenApi(srv.url, keystone.token("admin", ADMIN_PASSWORD, system=True))
    assert system.get("/ui").status_code == 200  # the HTML holds no data: anyone gets it
    r = system.get("/ui/session")
    assert r.status_code == 403 and error_type(r) == "SystemScopeNotSupported", r.text
    assert "Log in with a project-scoped token" in r.json()["NeutronError"]["message"]
    project_admin = TokenApi(srv.url, keystone.token("admin", ADMIN_PASSWORD, "admin"))
    r = project_admin.get("/ui/session")
    assert r.status_code == 200 and r.json()["session"]["admin"] is True, r.text
    for path in ("/v2.0/networks", "/v2.0/trunks", "/v2.0/agents", "/v2.0/events?after=0&limit=1"):
        assert project_admin.get(path).status_code == 200, path  # every call the page makes
    assert httpx.get(f"{srv.url}/ui/session", timeout=30).status_code == 401


def test_ui_session_in_noauth(server: Server) -> None:
    assert Api(server.url).get("/ui/session").json()["session"]["admin"] is True
    r = Api(server.url, "p-ui", "member,reader").get("/ui/session")
    assert r.status_code == 403 and error_type(r) == "PolicyNotAuthorized"
