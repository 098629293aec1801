"""Identity and authorisation (SPEC §1.13): noauth headers, project scoping, reader/member/admin rules."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support import Api, error_type

NETWORK_ADMIN_KEYS = {"provider:network_type", "provider:physical_network", "provider:segmentation_id"}
PORT_ADMIN_KEYS = {"binding:host_id", "binding:vif_type", "binding:vif_details", "binding:profile"}


def fresh_project() -> str:
    return f"project-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def other(admin: Api) -> Api:
    """A member of another fresh project."""
    return admin.as_(fresh_project())


@pytest.fixture
def reader(member: Api, project: str) -> Api:
    """A reader (and nothing else) of the member's project."""
    return member.as_(project, "reader")


def sub(port_id: str, vlan: int) -> dict[str, Any]:
    return {"port_id": port_id, "segmentation_type": "vlan", "segmentation_id": vlan}


def assert_forbidden(r: httpx.Response, rule: str) -> None:
    assert r.status_code == 403, r.text
    assert error_type(r) == "PolicyNotAuthorized"
    assert r.json()["NeutronError"]["message"] == f"rule:{rule} is disallowed by policy"


def assert_not_found(r: httpx.Response, kind: str) -> None:
    assert r.status_code == 404, r.text
    assert error_type(r) == kind


# -- noauth identity ---------------------------------------------------------------------------
def test_project_comes_from_x_project_id(member: Api, project: str) -> None:
    net = member.network()
    port = member.port(net["id"])
    trunk = member.trunk(port["id"])
    for resource in (net, port, trunk):
        assert resource["project_id"] == project
        assert resource["tenant_id"] == project


def test_no_headers_means_admin_in_fake_project_id(admin: Api, member: Api) -> None:
    theirs = member.trunk()
    mine = admin.trunk()
    assert mine["project_id"] == "fake_project_id"
    assert admin.get(f"/v2.0/trunks/{theirs['id']}").status_code == 200
    net = admin.network(**{"provider:network_type": "vxlan"})
    assert net["provider:network_type"] == "vxlan"


def test_default_roles_are_member_and_reader(admin: Api, project: str) -> None:
    """X-Project-Id without X-Roles: may create and read its own, but is no admin."""
    caller = admin.as_(project)
    trunk = caller.trunk()
    assert caller.get(f"/v2.0/trunks/{trunk['id']}").status_code == 200
    assert caller.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "n"}}).status_code == 200
    assert_not_found(caller.get(f"/v2.0/trunks/{admin.trunk()['id']}"), "TrunkNotFound")


def test_roles_header_is_comma_separated(admin: Api, project: str) -> None:
    caller = admin.as_(project, "reader, member")
    trunk = caller.trunk()
    assert caller.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "n"}}).status_code == 200


def test_admin_role_header_with_a_project_sees_every_project(admin: Api, member: Api) -> None:
    theirs = member.trunk()
    project_admin = admin.as_(fresh_project(), "admin")
    assert project_admin.get(f"/v2.0/trunks/{theirs['id']}").status_code == 200


def test_manager_role_implies_member(admin: Api, project: str) -> None:
    manager = admin.as_(project, "manager")
    trunk = manager.trunk()
    assert manager.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "m"}}).status_code == 200


def test_no_role_at_all_may_not_even_read(member: Api, project: str) -> None:
    trunk = member.trunk()
    nobody = member.as_(project, "")
    assert_forbidden(nobody.get(f"/v2.0/trunks/{trunk['id']}"), "get_trunk")
    assert_forbidden(nobody.post("/v2.0/networks", {"network": {}}), "create_network")


def test_no_role_at_all_lists_nothing(member: Api, project: str) -> None:
    trunk = member.trunk()
    nobody = member.as_(project, "")
    for collection in ("trunks", "ports", "networks"):
        r = nobody.get(f"/v2.0/{collection}")
        assert r.status_code == 200 and r.json()[collection] == [], collection
    assert member.get("/v2.0/trunks").json()["trunks"] == [trunk]


# -- other projects' resources are invisible -----------------------------------------------------
def test_another_projects_trunk_is_404_for_every_call(member: Api, other: Api) -> None:
    spare = member.port()
    trunk = member.trunk()
    tid = trunk["id"]
    calls = [
        other.get(f"/v2.0/trunks/{tid}"),
        other.put(f"/v2.0/trunks/{tid}", {"trunk": {"name": "stolen"}}),
        other.delete(f"/v2.0/trunks/{tid}"),
        other.put(f"/v2.0/trunks/{tid}/add_subports", {"sub_ports": [sub(spare["id"], 10)]}),
        other.put(f"/v2.0/trunks/{tid}/remove_subports", {"sub_ports": [{"port_id": spare["id"]}]}),
        other.get(f"/v2.0/trunks/{tid}/get_subports"),
    ]
    for r in calls:
        assert_not_found(r, "TrunkNotFound")
        assert r.json()["NeutronError"]["message"] == f"Trunk {tid} could not be found."
    assert member.get(f"/v2.0/trunks/{tid}").json()["trunk"] == trunk


def test_another_projects_port_is_404_for_every_call(member: Api, other: Api) -> None:
    port = member.port()
    for r in (other.get(f"/v2.0/ports/{port['id']}"),
              other.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "stolen"}}),
              other.delete(f"/v2.0/ports/{port['id']}")):
        assert_not_found(r, "PortNotFound")
    assert member.get(f"/v2.0/ports/{port['id']}").json()["port"]["name"] == ""


def test_another_projects_network_is_404_for_every_call(member: Api, other: Api) -> None:
    net = member.network()
    for r in (other.get(f"/v2.0/networks/{net['id']}"),
              other.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "stolen"}}),
              other.delete(f"/v2.0/networks/{net['id']}"),
              other.post("/v2.0/ports", {"port": {"network_id": net["id"]}})):
        assert_not_found(r, "NetworkNotFound")
    assert member.get(f"/v2.0/networks/{net['id']}").status_code == 200


def test_lists_are_project_scoped_for_non_admins(member: Api, other: Api) -> None:
    mine = member.trunk()
    theirs = other.trunk()
    for collection in ("trunks", "ports", "networks"):
        got = member.get(f"/v2.0/{collection}").json()[collection]
        assert {r["project_id"] for r in got if not r.get("shared")} == {member.project}, collection
    trunk_ids = [t["id"] for t in member.get("/v2.0/trunks").json()["trunks"]]
    assert mine["id"] in trunk_ids and theirs["id"] not in trunk_ids
    port_ids = [p["id"] for p in member.get("/v2.0/ports").json()["ports"]]
    assert mine["port_id"] in port_ids and theirs["port_id"] not in port_ids


def test_filtering_on_another_project_id_finds_nothing_for_non_admins(member: Api, other: Api) -> None:
    other.trunk()
    r = member.get("/v2.0/trunks", params={"project_id": other.project})
    assert r.status_code == 200 and r.json()["trunks"] == []


def test_member_cannot_use_another_projects_port_as_parent(member: Api, other: Api) -> None:
    theirs = other.port()
    r = member.post("/v2.0/trunks", {"trunk": {"port_id": theirs["id"]}})
    assert_not_found(r, "PortNotFound")
    assert theirs["id"] in r.json()["NeutronError"]["message"]


def test_member_cannot_use_another_projects_port_as_subport(member: Api, other: Api) -> None:
    theirs = other.port()
    r = member.post("/v2.0/trunks", {"trunk": {"port_id": member.port()["id"], "sub_ports": [sub(theirs["id"], 7)]}})
    assert_not_found(r, "PortNotFound")
    trunk = member.trunk()
    r = member.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [sub(theirs["id"], 7)]})
    assert_not_found(r, "PortNotFound")
    assert member.get(f"/v2.0/trunks/{trunk['id']}/get_subports").json() == {"sub_ports": []}


# -- reader ---------------------------------------------------------------------------------------
def test_reader_can_read_its_projects_trunk(member: Api, reader: Api) -> None:
    port = member.port()
    trunk = member.trunk(sub_ports=[sub(port["id"], 5)])
    member.put(f"/v2.0/trunks/{trunk['id']}/tags/t")
    assert reader.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]["id"] == trunk["id"]
    assert [t["id"] for t in reader.get("/v2.0/trunks").json()["trunks"]] == [trunk["id"]]
    assert reader.get(f"/v2.0/trunks/{trunk['id']}/get_subports").json() == {"sub_ports": [sub(port["id"], 5)]}
    assert reader.get(f"/v2.0/trunks/{trunk['id']}/tags").json() == {"tags": ["t"]}
    assert reader.get(f"/v2.0/trunks/{trunk['id']}/tags/t").status_code == 204
    assert reader.get(f"/v2.0/ports/{port['id']}").status_code == 200


def test_reader_cannot_write_its_projects_trunk(member: Api, reader: Api) -> None:
    attached, spare = member.port(), member.port()
    trunk = member.trunk(sub_ports=[sub(attached["id"], 5)])
    tid = trunk["id"]
    writes: list[tuple[Callable[[], httpx.Response], str]] = [
        (lambda: reader.post("/v2.0/trunks", {"trunk": {"port_id": spare["id"]}}), "create_trunk"),
        (lambda: reader.put(f"/v2.0/trunks/{tid}", {"trunk": {"name": "x"}}), "update_trunk"),
        (lambda: reader.delete(f"/v2.0/trunks/{tid}"), "delete_trunk"),
        (lambda: reader.put(f"/v2.0/trunks/{tid}/add_subports", {"sub_ports": [sub(spare["id"], 6)]}),
         "add_subports"),
        (lambda: reader.put(f"/v2.0/trunks/{tid}/remove_subports",
                            {"sub_ports": [{"port_id": attached["id"]}]}), "remove_subports"),
        (lambda: reader.put(f"/v2.0/trunks/{tid}/tags", {"tags": ["a"]}), "update_trunk:tags"),
        (lambda: reader.put(f"/v2.0/trunks/{tid}/tags/a"), "update_trunk:tags"),
        (lambda: reader.post(f"/v2.0/trunks/{tid}/tags", {"tags": ["a"]}), "create_trunk:tags"),
        (lambda: reader.delete(f"/v2.0/trunks/{tid}/tags"), "delete_trunk:tags"),
        (lambda: reader.delete(f"/v2.0/trunks/{tid}/tags/a"), "delete_trunk:tags"),
    ]
    for call, rule in writes:
        assert_forbidden(call(), rule)
    assert member.get(f"/v2.0/trunks/{tid}").json()["trunk"] == trunk
    assert member.get("/v2.0/trunks", params={"port_id": spare["id"]}).json()["trunks"] == []


def test_reader_cannot_create_networks_or_ports(member: Api, reader: Api) -> None:
    net = member.network()
    assert_forbidden(reader.post("/v2.0/networks", {"network": {}}), "create_network")
    assert_forbidden(reader.post("/v2.0/ports", {"port": {"network_id": net["id"]}}), "create_port")
    port = member.port(net["id"])
    assert_forbidden(reader.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "x"}}), "update_port")
    assert_forbidden(reader.delete(f"/v2.0/networks/{net['id']}"), "delete_network")


def test_reader_of_another_project_gets_404_not_403(member: Api) -> None:
    trunk = member.trunk()
    stranger = member.as_(fresh_project(), "reader")
    assert_not_found(stranger.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "x"}}), "TrunkNotFound")


# -- member -----------------------------------------------------------------------------------------
def test_member_actions_are_authorised(member: Api) -> None:
    port = member.port()
    trunk = member.trunk()
    tid = trunk["id"]
    r = member.put(f"/v2.0/trunks/{tid}/add_subports", {"sub_ports": [sub(port["id"], 9)]})
    assert r.status_code == 200 and r.json()["sub_ports"] == [sub(port["id"], 9)]
    r = member.get(f"/v2.0/trunks/{tid}/get_subports")
    assert r.status_code == 200 and r.json() == {"sub_ports": [sub(port["id"], 9)]}
    r = member.put(f"/v2.0/trunks/{tid}/remove_subports", {"sub_ports": [{"port_id": port["id"]}]})
    assert r.status_code == 200 and r.json()["sub_ports"] == []
    assert member.delete(f"/v2.0/trunks/{tid}").status_code == 204


def test_member_role_alone_may_act(admin: Api, project: str) -> None:
    only_member = admin.as_(project, "member")
    port = only_member.port()
    trunk = only_member.trunk()
    r = only_member.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [sub(port["id"], 3)]})
    assert r.status_code == 200
    assert only_member.get(f"/v2.0/trunks/{trunk['id']}").status_code == 200


# -- admin ------------------------------------------------------------------------------------------
def test_admin_lists_every_projects_trunks(admin: Api, member: Api, other: Api) -> None:
    mine, theirs = member.trunk(), other.trunk()
    r = admin.get("/v2.0/trunks", params=[("id", mine["id"]), ("id", theirs["id"])])
    assert r.status_code == 200
    assert {(t["id"], t["project_id"]) for t in r.json()["trunks"]} == {
        (mine["id"], member.project), (theirs["id"], other.project)}


def test_admin_acts_on_any_projects_trunk(admin: Api, member: Api) -> None:
    port = member.port()
    trunk = member.trunk()
    tid = trunk["id"]
    r = admin.put(f"/v2.0/trunks/{tid}", {"trunk": {"name": "by-admin"}})
    assert r.status_code == 200 and r.json()["trunk"]["name"] == "by-admin"
    r = admin.put(f"/v2.0/trunks/{tid}/add_subports", {"sub_ports": [sub(port["id"], 11)]})
    assert r.status_code == 200 and r.json()["project_id"] == member.project
    assert admin.get(f"/v2.0/trunks/{tid}/get_subports").json() == {"sub_ports": [sub(port["id"], 11)]}
    r = admin.put(f"/v2.0/trunks/{tid}/remove_subports", {"sub_ports": [{"port_id": port["id"]}]})
    assert r.status_code == 200
    assert admin.delete(f"/v2.0/trunks/{tid}").status_code == 204
    assert_not_found(member.get(f"/v2.0/trunks/{tid}"), "TrunkNotFound")


def test_admin_creates_for_another_project(admin: Api, member: Api, project: str) -> None:
    port = member.port()
    r = admin.post("/v2.0/trunks", {"trunk": {"port_id": port["id"], "project_id": project}})
    assert r.status_code == 201, r.text
    trunk = r.json()["trunk"]
    assert trunk["project_id"] == trunk["tenant_id"] == project
    assert member.get(f"/v2.0/trunks/{trunk['id']}").status_code == 200
    net = admin.post("/v2.0/networks", {"network": {"tenant_id": project}}).json()["network"]
    assert net["project_id"] == net["tenant_id"] == project


# -- project_id / tenant_id in bodies ---------------------------------------------------------------
def test_non_admin_create_for_another_project_is_400(member: Api) -> None:
    port = member.port()
    elsewhere = fresh_project()
    calls = [
        member.post("/v2.0/trunks", {"trunk": {"port_id": port["id"], "project_id": elsewhere}}),
        member.post("/v2.0/trunks", {"trunk": {"port_id": port["id"], "tenant_id": elsewhere}}),
        member.post("/v2.0/networks", {"network": {"project_id": elsewhere}}),
        member.post("/v2.0/ports", {"port": {"network_id": port["network_id"], "project_id": elsewhere}}),
    ]
    for r in calls:
        assert r.status_code == 400, r.text
        assert error_type(r) == "HTTPBadRequest"
    assert member.get("/v2.0/trunks", params={"port_id": port["id"]}).json()["trunks"] == []


def test_non_admin_may_name_its_own_project(member: Api, project: str) -> None:
    port = member.port()
    r = member.post("/v2.0/trunks", {"trunk": {"port_id": port["id"], "tenant_id": project}})
    assert r.status_code == 201 and r.json()["trunk"]["project_id"] == project


@pytest.mark.parametrize("who", ["admin", "member"])
def test_project_id_and_tenant_id_that_differ_are_400(admin: Api, member: Api, project: str, who: str) -> None:
    caller = admin if who == "admin" else member
    port = member.port()
    r = caller.post("/v2.0/trunks", {"trunk": {"port_id": port["id"], "project_id": project,
                                               "tenant_id": fresh_project()}})
    assert r.status_code == 400
    assert error_type(r) == "HTTPBadRequest"
    r = caller.post("/v2.0/networks", {"network": {"project_id": project, "tenant_id": "x"}})
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"


def test_project_id_and_tenant_id_that_agree_are_accepted(member: Api, project: str) -> None:
    port = member.port()
    r = member.post("/v2.0/trunks", {"trunk": {"port_id": port["id"], "project_id": project,
                                               "tenant_id": project}})
    assert r.status_code == 201


def test_both_project_keys_appear_in_every_response(admin: Api, member: Api, project: str) -> None:
    net = member.network()
    port, subport = member.port(net["id"]), member.port(net["id"])
    trunk = member.trunk(port["id"])
    bodies: list[dict[str, Any]] = [
        net, port, trunk,
        member.get(f"/v2.0/networks/{net['id']}").json()["network"],
        member.get(f"/v2.0/ports/{port['id']}").json()["port"],
        member.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"],
        *member.get("/v2.0/networks", params={"id": net["id"]}).json()["networks"],
        *member.get("/v2.0/ports", params={"id": port["id"]}).json()["ports"],
        *member.get("/v2.0/trunks", params={"id": trunk["id"]}).json()["trunks"],
        *admin.get("/v2.0/trunks", params={"id": trunk["id"]}).json()["trunks"],
        member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "n"}}).json()["trunk"],
        member.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "n"}}).json()["port"],
        member.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "n"}}).json()["network"],
        member.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [sub(subport["id"], 4)]}).json(),
    ]
    for body in bodies:
        assert body["project_id"] == body["tenant_id"] == project, body


# -- admin-only attributes ----------------------------------------------------------------------------
@pytest.mark.parametrize("attrs", [
    {"provider:network_type": "vxlan"},
    {"provider:network_type": "vlan", "provider:physical_network": "physnet1", "provider:segmentation_id": 5},
    {"provider:segmentation_id": 5},
    {"provider:physical_network": "physnet1"},
    {"shared": True},
])
def test_only_admins_set_network_provider_attributes_or_shared(member: Api, attrs: dict[str, Any]) -> None:
    r = member.post("/v2.0/networks", {"network": attrs})
    assert r.status_code == 403, r.text
    assert error_type(r) == "PolicyNotAuthorized"
    assert member.get("/v2.0/networks").json()["networks"] == []


def test_only_admins_share_an_existing_network(member: Api) -> None:
    net = member.network()
    r = member.put(f"/v2.0/networks/{net['id']}", {"network": {"shared": True}})
    assert_forbidden(r, "update_network:shared")


@pytest.mark.parametrize("attrs", [{"binding:host_id": "host-a"}, {"binding:profile": {"k": "v"}}])
def test_only_admins_set_port_binding_host_or_profile(member: Api, attrs: dict[str, Any]) -> None:
    net = member.network()
    r = member.post("/v2.0/ports", {"port": {"network_id": net["id"], **attrs}})
    assert r.status_code == 403 and error_type(r) == "PolicyNotAuthorized"
    port = member.port(net["id"])
    r = member.put(f"/v2.0/ports/{port['id']}", {"port": attrs})
    assert r.status_code == 403 and error_type(r) == "PolicyNotAuthorized"
    assert member.get("/v2.0/ports", params={"network_id": net["id"]}).json()["ports"] == [
        member.get(f"/v2.0/ports/{port['id']}").json()["port"]]


def test_non_admins_do_not_see_provider_attributes(admin: Api, member: Api) -> None:
    net = member.network()
    views = [net, member.get(f"/v2.0/networks/{net['id']}").json()["network"],
             *member.get("/v2.0/networks", params={"id": net["id"]}).json()["networks"],
             member.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "x"}}).json()["network"]]
    for view in views:
        assert not NETWORK_ADMIN_KEYS & set(view), view
    r = member.get(f"/v2.0/networks/{net['id']}", params={"fields": "provider:network_type"})
    assert r.json() == {"network": {}}
    as_admin = admin.get(f"/v2.0/networks/{net['id']}").json()["network"]
    assert set(as_admin) >= NETWORK_ADMIN_KEYS
    assert as_admin["provider:network_type"] == "vxlan"


def test_non_admins_do_not_see_binding_attributes(admin: Api, member: Api) -> None:
    port = member.port()
    views = [port, member.get(f"/v2.0/ports/{port['id']}").json()["port"],
             *member.get("/v2.0/ports", params={"id": port["id"]}).json()["ports"],
             member.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "x"}}).json()["port"]]
    for view in views:
        assert not PORT_ADMIN_KEYS & set(view), view
        assert view["binding:vnic_type"] == "normal"
    as_admin = admin.get(f"/v2.0/ports/{port['id']}").json()["port"]
    assert set(as_admin) >= PORT_ADMIN_KEYS
    assert as_admin["binding:vif_type"] == "unbound"


def test_provider_filters_of_a_non_admin_match_its_own_networks_only(admin: Api, member: Api) -> None:
    """Neutron applies a member's filter on provider:* (admin-only to read) to every network the member
    sees: its answers reveal a shared network's VLAN one guess at a time. trunkd applies it to the
    member's own networks only (the upstream test_list_network_filter_provider_attributes passes)."""
    vlan = {"provider:network_type": "vlan", "provider:physical_network": "physnet1"}
    shared = admin.network(shared=True, **vlan)
    external = admin.network(**{"router:external": True, **vlan})
    own = [admin.network(project_id=member.project, **vlan) for _ in range(2)]
    plain = member.network()
    assert {n["id"] for n in member.get("/v2.0/networks").json()["networks"]} >= {shared["id"], external["id"]}
    own_ids = sorted(n["id"] for n in own)
    for params in ({"provider:network_type": "vlan"}, {"provider:physical_network": "physnet1"},
                   [("provider:segmentation_id", n["provider:segmentation_id"]) for n in (*own, shared, external)],
                   [("provider:network_type", "vlan"), ("project_id", member.project)]):
        r = member.get("/v2.0/networks", params=params)
        assert r.status_code == 200, r.text
        found = r.json()["networks"]
        assert sorted(n["id"] for n in found) == own_ids, params
        assert not {k for n in found for k in n} & NETWORK_ADMIN_KEYS
    for vid in (shared["provider:segmentation_id"], external["provider:segmentation_id"]):
        assert member.get("/v2.0/networks", params={"provider:segmentation_id": vid}).json()["networks"] == []
    tunnels = member.get("/v2.0/networks", params={"provider:network_type": "vxlan"}).json()["networks"]
    assert [n["id"] for n in tunnels] == [plain["id"]]
    page = member.get("/v2.0/networks", params={"provider:network_type": "vlan", "limit": 1,
                                                "marker": shared["id"]}).json()["networks"]
    assert len(page) == 1 and page[0]["id"] in own_ids
    found = admin.get("/v2.0/networks", params={"provider:segmentation_id": shared["provider:segmentation_id"],
                                                 "provider:physical_network": "physnet1"})  # the server is shared
    assert [n["id"] for n in found.json()["networks"]] == [shared["id"]]


def test_binding_filters_of_a_non_admin_match_its_own_ports_only(admin: Api, member: Api) -> None:
    other = admin.as_(fresh_project())
    mine, theirs = member.port(), other.port()
    for port in (mine, theirs):
        assert admin.put(f"/v2.0/ports/{port['id']}", {"port": {"binding:host_id": "host-a"}}).status_code == 200
    vif_type = admin.get(f"/v2.0/ports/{mine['id']}").json()["port"]["binding:vif_type"]
    for params in ({"binding:host_id": "host-a"}, {"binding:vif_type": vif_type, "binding:host_id": "host-a"}):
        r = member.get("/v2.0/ports", params=params)
        assert r.status_code == 200, r.text
        assert [p["id"] for p in r.json()["ports"]] == [mine["id"]], params
        assert not PORT_ADMIN_KEYS & set(r.json()["ports"][0])
    assert member.get("/v2.0/ports", params={"binding:host_id": "host-b"}).json()["ports"] == []
    assert len(admin.get("/v2.0/ports", params={"binding:host_id": "host-a", "id": [mine["id"], theirs["id"]]})
               .json()["ports"]) == 2


def test_admin_filters_on_provider_and_binding_attributes(admin: Api) -> None:
    net = admin.network(**{"provider:network_type": "vlan", "provider:physical_network": "physnet1"})
    found = admin.get("/v2.0/networks", params=[("provider:segmentation_id", net["provider:segmentation_id"]),
                                                ("provider:physical_network", "physnet1")]).json()["networks"]
    assert [n["id"] for n in found] == [net["id"]]


# -- shared networks ---------------------------------------------------------------------------------
def test_shared_network_is_visible_to_other_projects(admin: Api, member: Api) -> None:
    shared = admin.network(shared=True)
    private = admin.network()
    assert member.get(f"/v2.0/networks/{shared['id']}").json()["network"]["shared"] is True
    listed = [n["id"] for n in member.get("/v2.0/networks", params=[("id", shared["id"]),
                                                                   ("id", private["id"])]).json()["networks"]]
    assert listed == [shared["id"]]
    assert_not_found(member.get(f"/v2.0/networks/{private['id']}"), "NetworkNotFound")


def test_other_projects_create_ports_and_trunks_on_a_shared_network(admin: Api, member: Api, other: Api) -> None:
    shared = admin.network(shared=True)
    port = member.port(shared["id"])
    assert port["project_id"] == member.project and port["network_id"] == shared["id"]
    trunk = member.trunk(port["id"], sub_ports=[sub(member.port(shared["id"])["id"], 12)])
    assert trunk["port_id"] == port["id"]
    # the other project sees the shared network, not the member's ports on it
    assert other.get(f"/v2.0/networks/{shared['id']}").status_code == 200
    assert_not_found(other.get(f"/v2.0/ports/{port['id']}"), "PortNotFound")
    assert other.get("/v2.0/ports", params={"network_id": shared["id"]}).json()["ports"] == []


def test_non_owner_cannot_update_or_delete_a_shared_network(admin: Api, member: Api) -> None:
    shared = admin.network(shared=True)
    assert_forbidden(member.put(f"/v2.0/networks/{shared['id']}", {"network": {"name": "x"}}), "update_network")
    assert_forbidden(member.delete(f"/v2.0/networks/{shared['id']}"), "delete_network")
    assert admin.get(f"/v2.0/networks/{shared['id']}").json()["network"]["name"] == shared["name"]


def test_non_owner_cannot_choose_a_mac_on_a_shared_network(admin: Api, member: Api) -> None:
    shared = admin.network(shared=True)
    r = member.post("/v2.0/ports", {"port": {"network_id": shared["id"], "mac_address": "fa:16:3e:00:00:01"}})
    assert_forbidden(r, "create_port:mac_address")
