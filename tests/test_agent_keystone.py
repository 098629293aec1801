"""The host agent's HTTP client against `--auth-strategy keystone` with a real Keystone (tests/keystone.py):
`KeystoneIdentity` (service user) heartbeats and follows the event feed, renews a revoked token once on 401,
and is wired to `trunkd agent --os-*`; `NoAuthIdentity` gets 401."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.keystone import ADMIN_PASSWORD, PASSWORD, Keystone, TokenApi, authtoken_config
from tests.support import Server, throwaway_database
from trunkd.agent.api import KeystoneIdentity, NoAuthIdentity, ServerApi, ServerError
from trunkd.agent.command import identity, resolve
from trunkd.agent.feed import EventFeed
from trunkd.cli import parser

GET_TRUNK_FOR_AGENTS = "(rule:admin_only) or (role:reader and project_id:%(project_id)s) or (rule:service_api)"


@dataclass
class Cloud:
    keystone: Keystone
    server: Server


@pytest.fixture(scope="module")
def cloud(keystone: Keystone, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    keystone.user("trunkd", "service", "service")
    keystone.user("agent", "service", "service")  # the service role alone, as Neutron's agents have
    workdir = tmp_path_factory.mktemp("trunkd-agent-keystone")
    conf = authtoken_config(keystone, workdir / "trunkd.conf", "trunkd")
    policy = workdir / "policy.yaml"
    policy.write_text(f"get_trunk: {GET_TRUNK_FOR_AGENTS!r}\n")  # the README's override for service-only agents
    with throwaway_database("sqlite", workdir) as url:
        server = Server(url, workdir, args=["--auth-strategy", "keystone", "--config-file", str(conf),
                                            "--policy-file", str(policy)]).start()
        try:
            yield Cloud(keystone, server)
        finally:
            server.stop()


def agent_identity(keystone: Keystone) -> KeystoneIdentity:
    return KeystoneIdentity(f"{keystone.url}/v3", "agent", PASSWORD, "service")


def test_agent_heartbeats_and_follows_the_feed_with_a_service_token(cloud: Cloud, tmp_path: Path) -> None:
    auth = agent_identity(cloud.keystone)
    api = ServerApi(cloud.server.url, auth)
    try:
        agent = api.heartbeat("kshost", {"tunnel_types": ["vxlan"]}, None)
        assert agent["host"] == "kshost" and agent["alive"] is True
        assert agent["configurations"]["tunnel_types"] == ["vxlan"]
        assert "kshost" in {a["host"] for a in api.agents()}
        # a change by the admin shows in the feed the agent reads with its own client and token
        admin = TokenApi(cloud.server.url, cloud.keystone.token("admin", ADMIN_PASSWORD, "admin"))
        trunk = admin.trunk()
        assert [t["id"] for t in api.trunks([trunk["id"]])] == [trunk["id"]]  # the policy override
        assert api.port(trunk["port_id"])["id"] == trunk["port_id"]
        feed = EventFeed(cloud.server.url, tmp_path / "cursor.json", resync=lambda: None,
                         client=httpx.Client(base_url=cloud.server.url, auth=auth, timeout=30))
        events = feed.poll(wait=0)
        assert trunk["id"] in {e["resource_id"] for e in events if e["resource_type"] == "trunk"}
        feed.commit()
        assert feed.cursor > 0
        api.heartbeat("kshost", {"tunnel_types": ["vxlan"]}, feed.cursor)
        feed.client.close()
    finally:
        api.close()


def test_a_revoked_token_is_replaced_once_on_401(cloud: Cloud) -> None:
    auth = agent_identity(cloud.keystone)
    revoked = auth.token()  # never seen by trunkd, so its middleware has no cached validation of it
    cloud.keystone.revoke(revoked)
    assert TokenApi(cloud.server.url, revoked).get("/v2.0/agents").status_code == 401
    api = ServerApi(cloud.server.url, auth)
    try:
        assert api.heartbeat("kshost-renewed", {}, None)["host"] == "kshost-renewed"
        assert auth.token() != revoked
    finally:
        api.close()


def test_without_a_token_the_agent_gets_401(cloud: Cloud) -> None:
    api = ServerApi(cloud.server.url, NoAuthIdentity())
    try:
        with pytest.raises(ServerError) as err:
            api.heartbeat("kshost", {}, None)
        assert err.value.status_code == 401
        assert api.client.get("/v2.0/events", params={"after": 0}).status_code == 401
    finally:
        api.close()


def test_agent_command_line_picks_keystone_from_os_options(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME"):
        monkeypatch.delenv(var, raising=False)
    assert isinstance(identity(parser().parse_args(["agent"])), NoAuthIdentity)
    monkeypatch.setenv("OS_PASSWORD", PASSWORD)  # the password from the environment, the rest as flags
    args = parser().parse_args(["agent", "--server", cloud.server.url, "--os-auth-url",
                                f"{cloud.keystone.url}/v3", "--os-username", "agent", "--os-project-name", "service"])
    auth = identity(args)
    assert isinstance(auth, KeystoneIdentity)
    api = ServerApi(args.server, auth)
    try:
        assert api.heartbeat("kshost-cli", {}, None)["host"] == "kshost-cli"
    finally:
        api.close()


def test_os_environment_and_flags_before_plug_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """OS_PROJECT_NAME and the domain variables are read; `agent --os-… plug` keeps the flags given before it."""
    monkeypatch.setenv("OS_PROJECT_NAME", "tenant-x")
    monkeypatch.setenv("OS_USER_DOMAIN_NAME", "udom")
    monkeypatch.setenv("OS_PROJECT_DOMAIN_NAME", "pdom")
    args = parser().parse_args(["agent"])
    resolve(args, ())  # flags, then TRUNKD_*/OS_* variables, then the config file
    assert (args.os_project_name, args.os_user_domain_name, args.os_project_domain_name) == (
        "tenant-x", "udom", "pdom")
    args = parser().parse_args(["agent", "--os-auth-url", "http://127.0.0.1:1/v3", "--os-username", "u",
                                "--os-password", "p", "plug", "port-1", "tap1"])
    resolve(args, ())
    assert (args.os_auth_url, args.os_username, args.os_password, args.os_project_name) == (
        "http://127.0.0.1:1/v3", "u", "p", "tenant-x")
    assert (args.agent_command, args.port_id, args.iface) == ("plug", "port-1", "tap1")
    assert isinstance(identity(args), KeystoneIdentity)
