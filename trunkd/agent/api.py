"""The agent's HTTP client for the trunkd server: the calls it makes, and authentication in one place."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from typing import Any

import httpx
from keystoneauth1 import session
from keystoneauth1.identity import v3

AGENT_TYPE = "Open vSwitch agent"
AGENT_BINARY = "trunkd-agent"
CHUNK = 50  # ids per filtered list request (keeps URLs short)

Resource = dict[str, Any]


class NoAuthIdentity(httpx.Auth):
    """noauth mode: the agent presents itself as the admin service user with identity headers.

    This is the one place where the agent authenticates. Keystone mode replaces it with
    `KeystoneIdentity`; nothing else in the agent changes.
    """

    def __init__(self, project: str = "service", roles: str = "admin,service") -> None:
        self.headers = {"X-Project-Id": project, "X-Roles": roles}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self.headers)
        yield request


class KeystoneIdentity(httpx.Auth):
    """Keystone mode: a service user's token (keystoneauth1 password session) in `X-Auth-Token`.

    keystoneauth1 caches the token and renews it before it expires; a 401 (token revoked, or keys rotated)
    invalidates it and the request is sent once more with a fresh one.
    """

    requires_request_body = True  # the body is sent twice on a retry

    def __init__(self, auth_url: str, username: str, password: str, project_name: str,
                 user_domain_name: str = "Default", project_domain_name: str = "Default") -> None:
        self.plugin = v3.Password(auth_url=auth_url, username=username, password=password,
                                  user_domain_name=user_domain_name, project_name=project_name,
                                  project_domain_name=project_domain_name)
        self.session = session.Session(auth=self.plugin)

    def token(self) -> str:
        token = self.session.get_token()
        if not token:
            raise RuntimeError("Keystone returned no token")
        return str(token)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Auth-Token"] = self.token()
        response = yield request
        if response.status_code == 401:
            self.session.invalidate()
            request.headers["X-Auth-Token"] = self.token()
            yield request


class ServerError(RuntimeError):
    """The server answered a call with an unexpected status."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"{response.request.method} {response.request.url.path}: "
                         f"{response.status_code} {response.text[:300]}")
        self.status_code = response.status_code


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(ids))
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


class ServerApi:
    """The server calls the agent makes (Neutron wire format, plus trunkd's agent actions)."""

    def __init__(self, url: str, auth: httpx.Auth | None = None, timeout: float = 30.0) -> None:
        self.url = url
        self.auth = auth or NoAuthIdentity()
        self.client = httpx.Client(base_url=url, auth=self.auth, timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), **kw: Any) -> httpx.Response:
        r = self.client.request(method, path, **kw)
        if r.status_code not in ok:
            raise ServerError(r)
        return r

    def _list(self, collection: str, params: dict[str, Any]) -> list[Resource]:
        body = self._call("GET", f"/v2.0/{collection}", params=params).json()
        return list(body[collection.replace("-", "_")])  # security-groups -> "security_groups"

    def _by_ids(self, collection: str, key: str, ids: Iterable[str]) -> list[Resource]:
        return [item for chunk in _chunks(ids) for item in self._list(collection, {key: chunk})]

    # -- reads ----------------------------------------------------------------------------
    def ports_on_host(self, host: str) -> list[Resource]:
        return self._list("ports", {"binding:host_id": host})

    def ports(self, ids: Iterable[str]) -> list[Resource]:
        return self._by_ids("ports", "id", ids)

    def port(self, port_id: str) -> Resource:
        return dict(self._call("GET", f"/v2.0/ports/{port_id}").json()["port"])

    def trunks(self, ids: Iterable[str]) -> list[Resource]:
        return self._by_ids("trunks", "id", ids)

    def networks(self, ids: Iterable[str]) -> list[Resource]:
        return self._by_ids("networks", "id", ids)

    def security_groups(self, ids: Iterable[str]) -> list[Resource]:
        return self._by_ids("security-groups", "id", ids) if ids else []

    def security_group_rules(self, group_ids: Iterable[str]) -> list[Resource]:
        return self._by_ids("security-group-rules", "security_group_id", group_ids) if group_ids else []

    def ports_in_group(self, group_id: str) -> list[Resource]:
        """Every port in the group (a remote group's members), only the fields that give addresses."""
        fields = ["id", "fixed_ips", "allowed_address_pairs", "security_groups"]
        return self._list("ports", {"security_groups": group_id, "fields": fields})

    def agents(self) -> list[Resource]:
        return self._list("agents", {"agent_type": AGENT_TYPE})

    # -- writes ---------------------------------------------------------------------------
    def heartbeat(self, host: str, configurations: dict[str, Any], event_cursor: int | None) -> Resource:
        agent: dict[str, Any] = {"host": host, "agent_type": AGENT_TYPE, "binary": AGENT_BINARY,
                                 "topic": "N/A", "configurations": configurations}
        if event_cursor is not None:
            agent["event_cursor"] = event_cursor
        return dict(self._call("POST", "/v2.0/agents", ok=(200, 201), json={"agent": agent}).json()["agent"])

    def bind_port(self, port_id: str, host: str) -> Resource:
        body = {"port": {"binding:host_id": host}}
        return dict(self._call("PUT", f"/v2.0/ports/{port_id}", json=body).json()["port"])

    def bind_subports(self, trunk_id: str) -> tuple[Resource, list[Resource]]:
        """Bind every subport of the trunk to the parent's host: (trunk, one outcome per subport)."""
        body = self._call("PUT", f"/v2.0/trunks/{trunk_id}/bind_subports", json={}).json()
        return dict(body["trunk"]), list(body["sub_ports"])

    def report_port_status(self, host: str, statuses: dict[str, str]) -> list[Resource]:
        """ACTIVE/DOWN of ports bound to `host`; one answer per port (`error` for one not bound there)."""
        body = {"ports": [{"port_id": p, "status": s} for p, s in sorted(statuses.items())]}
        return list(self._call("PUT", f"/v2.0/hosts/{host}/port_status", json=body).json()["ports"])

    def report_status(self, trunk_id: str, status: str, reason: str, revision: int,
                      sub_ports: list[Resource] | None = None) -> Resource | None:
        """The agent's verdict for `revision`; None when the trunk moved on (stale) or is gone."""
        body: dict[str, Any] = {"status": status, "reason": reason[:1024], "revision_number": revision}
        if sub_ports is not None:
            body["sub_ports"] = sub_ports
        r = self.client.put(f"/v2.0/trunks/{trunk_id}/status", json=body)
        if r.status_code in (404, 409):
            return None
        if r.status_code != 200:
            raise ServerError(r)
        return dict(r.json()["trunk"])
