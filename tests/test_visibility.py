"""Another project's port is answered as a port that does not exist, whatever it is used for.

Visibility comes before every in-use rule (SPEC.md §1.11): naming project A's port, project B gets
404 PortNotFound, never an in-use 409 that would tell it the port exists. Checked for parents and
subports, on create and add_subports, for every pair (own, other, absent port) by (free, parent, subport, bound),
and byte for byte against a non-existent port for every route that takes a port id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support import Api, error_type

STATES = ("free", "parent", "subport", "bound")
OWNERS = ("own", "other", "absent")
CASES = [(owner, state) for owner in ("own", "other") for state in STATES] + [("absent", "-")]


@pytest.fixture
def other(admin: Api) -> Api:
    """A member of project A, whose ports the caller (the `member` fixture, project B) cannot see."""
    return admin.as_(f"project-a-{uuid.uuid4().hex[:8]}")


def vlan(port_id: str, segmentation_id: int) -> dict[str, Any]:
    return {"port_id": port_id, "segmentation_type": "vlan", "segmentation_id": segmentation_id}


def port_in_state(admin: Api, owner: Api, state: str) -> str:
    """A port of `owner` that is free, a trunk parent, a subport, or bound to a host."""
    port = owner.port()
    if state == "parent":
        owner.trunk(port["id"])
    elif state == "subport":
        owner.trunk(sub_ports=[vlan(port["id"], 7)])
    elif state == "bound":
        r = admin.put(f"/v2.0/ports/{port['id']}", {"port": {"binding:host_id": f"host-{uuid.uuid4().hex[:6]}"}})
        assert r.status_code == 200, r.text
    return str(port["id"])


def named_port(admin: Api, member: Api, other: Api, owner: str, state: str) -> str:
    if owner == "absent":
        return str(uuid.uuid4())
    return port_in_state(admin, member if owner == "own" else other, state)


def assert_answer(r: httpx.Response, expected: tuple[int, str | None], port_id: str) -> None:
    status, kind = expected
    assert r.status_code == status, r.text
    if kind is not None:
        assert error_type(r) == kind
    if kind == "PortNotFound":
        assert r.json()["NeutronError"]["message"] == f"Port {port_id} could not be found."


# Expected answers: (owner, state) -> (status, type). Another project's port is always not found.
NOT_FOUND = (404, "PortNotFound")
AS_PARENT = {
    ("own", "free"): (201, None),
    ("own", "parent"): (409, "ParentPortInUse"),
    ("own", "subport"): (409, "TrunkPortInUse"),
    ("own", "bound"): (409, "ParentPortInUse"),  # the OVS driver cannot trunk a bound port
}
AS_SUBPORT = {
    ("own", "free"): (201, None),
    ("own", "parent"): (409, "ParentPortInUse"),
    ("own", "subport"): (409, "TrunkPortInUse"),
    ("own", "bound"): (201, None),  # a subport needs no device, its binding does not matter
}


@pytest.mark.parametrize(("owner", "state"), CASES)
def test_parent_port_on_create(admin: Api, member: Api, other: Api, owner: str, state: str) -> None:
    port_id = named_port(admin, member, other, owner, state)
    before = member.get("/v2.0/trunks").json()["trunks"]
    r = member.post("/v2.0/trunks", {"trunk": {"port_id": port_id}})
    expected = AS_PARENT.get((owner, state), NOT_FOUND)
    assert_answer(r, expected, port_id)
    if expected[0] != 201:
        assert member.get("/v2.0/trunks").json()["trunks"] == before


@pytest.mark.parametrize(("owner", "state"), CASES)
def test_subport_on_create(admin: Api, member: Api, other: Api, owner: str, state: str) -> None:
    port_id = named_port(admin, member, other, owner, state)
    parent = member.port()
    r = member.post("/v2.0/trunks", {"trunk": {"port_id": parent["id"], "sub_ports": [vlan(port_id, 100)]}})
    expected = AS_SUBPORT.get((owner, state), NOT_FOUND)
    assert_answer(r, expected, port_id)
    if expected[0] != 201:
        assert member.get("/v2.0/trunks", params={"port_id": parent["id"]}).json()["trunks"] == []


@pytest.mark.parametrize(("owner", "state"), CASES)
def test_subport_on_add_subports(admin: Api, member: Api, other: Api, owner: str, state: str) -> None:
    port_id = named_port(admin, member, other, owner, state)
    trunk = member.trunk()
    r = member.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [vlan(port_id, 100)]})
    status, kind = AS_SUBPORT.get((owner, state), NOT_FOUND)
    assert_answer(r, (200 if status == 201 else status, kind), port_id)
    if status != 201:
        assert member.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"] == trunk


def test_admin_sees_every_project_so_its_answer_is_the_in_use_one(admin: Api, other: Api) -> None:
    theirs = port_in_state(admin, other, "subport")
    r = admin.post("/v2.0/trunks", {"trunk": {"port_id": theirs}})
    assert r.status_code == 409 and error_type(r) == "TrunkPortInUse"


# -- item 5: an invisible port and a missing one get the same bytes, on every route ------------
Request = Callable[[Api, str, dict[str, str]], httpx.Response]


def _trunk_with(member: Api, key: str, ctx: dict[str, str]) -> str:
    if key not in ctx:
        ctx[key] = member.trunk()["id"]
    return ctx[key]


ROUTES: dict[str, Request] = {
    "GET port": lambda m, p, c: m.get(f"/v2.0/ports/{p}"),
    "GET port fields": lambda m, p, c: m.get(f"/v2.0/ports/{p}", params={"fields": "id"}),
    "PUT port": lambda m, p, c: m.put(f"/v2.0/ports/{p}", {"port": {"name": "mine"}}),
    "PUT port if-match": lambda m, p, c: m.put(f"/v2.0/ports/{p}", {"port": {"name": "mine"}},
                                               headers={"If-Match": "revision_number=0"}),
    "DELETE port": lambda m, p, c: m.delete(f"/v2.0/ports/{p}"),
    "GET tags": lambda m, p, c: m.get(f"/v2.0/ports/{p}/tags"),
    "PUT tags": lambda m, p, c: m.put(f"/v2.0/ports/{p}/tags", {"tags": ["a"]}),
    "POST tags": lambda m, p, c: m.post(f"/v2.0/ports/{p}/tags", {"tags": ["a"]}),
    "DELETE tags": lambda m, p, c: m.delete(f"/v2.0/ports/{p}/tags"),
    "GET tag": lambda m, p, c: m.get(f"/v2.0/ports/{p}/tags/a"),
    "PUT tag": lambda m, p, c: m.put(f"/v2.0/ports/{p}/tags/a"),
    "DELETE tag": lambda m, p, c: m.delete(f"/v2.0/ports/{p}/tags/a"),
    "list ports by id": lambda m, p, c: m.get("/v2.0/ports", params={"id": p}),
    "list trunks by port_id": lambda m, p, c: m.get("/v2.0/trunks", params={"port_id": p}),
    "create trunk, parent": lambda m, p, c: m.post("/v2.0/trunks", {"trunk": {"port_id": p}}),
    "bulk create, parent": lambda m, p, c: m.post("/v2.0/trunks", {"trunks": [{"port_id": p}]}),
    "create trunk, subport": lambda m, p, c: m.post("/v2.0/trunks", {"trunk": {
        "port_id": c.setdefault("parent", m.port()["id"]), "sub_ports": [vlan(p, 100)]}}),
    "create trunk, inherit subport": lambda m, p, c: m.post("/v2.0/trunks", {"trunk": {
        "port_id": c.setdefault("parent", m.port()["id"]),
        "sub_ports": [{"port_id": p, "segmentation_type": "inherit"}]}}),
    "add_subports": lambda m, p, c: m.put(f"/v2.0/trunks/{_trunk_with(m, 'trunk', c)}/add_subports",
                                          {"sub_ports": [vlan(p, 100)]}),
    "add_subports, bad vlan": lambda m, p, c: m.put(f"/v2.0/trunks/{_trunk_with(m, 'trunk', c)}/add_subports",
                                                    {"sub_ports": [vlan(p, 5000)]}),
    "remove_subports": lambda m, p, c: m.put(f"/v2.0/trunks/{_trunk_with(m, 'trunk', c)}/remove_subports",
                                             {"sub_ports": [{"port_id": p}]}),
}


def _bytes_without(r: httpx.Response, port_id: str) -> tuple[int, str, bytes]:
    return r.status_code, r.headers.get("content-type", ""), r.content.replace(port_id.encode(), b"<port>")


@pytest.mark.parametrize("state", STATES)
def test_invisible_and_missing_port_get_identical_answers_on_every_route(
    admin: Api, member: Api, other: Api, state: str
) -> None:
    ctx: dict[str, str] = {}
    hidden = port_in_state(admin, other, state)  # every request fails, so one port serves all routes
    for name, send in ROUTES.items():
        missing = str(uuid.uuid4())
        seen_hidden = _bytes_without(send(member, hidden, ctx), hidden)
        seen_missing = _bytes_without(send(member, missing, ctx), missing)
        assert seen_hidden == seen_missing, name
        assert seen_hidden[0] in (200, 400, 404), (name, seen_hidden)
    # nothing the caller sent reached project A's port, nor changed the caller's own trunk
    seen = admin.get(f"/v2.0/ports/{hidden}").json()["port"]
    assert (seen["name"], seen["tags"], seen["revision_number"]) == ("", [], 0 if state != "bound" else 1)
    assert member.get("/v2.0/trunks").json()["trunks"] == [member.get(f"/v2.0/trunks/{ctx['trunk']}").json()["trunk"]]
    assert member.get(f"/v2.0/trunks/{ctx['trunk']}").json()["trunk"]["sub_ports"] == []
