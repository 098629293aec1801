"""The trunk resource on the wire: neutron-tempest-plugin's test_trunk.py and test_trunk_details.py
behaviours (SPEC §2.1 items 1-16, §2.3), plus bulk create, If-Match, revisions and the URL surface."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.support import Api, Server, error_type, force_status

TRUNK_KEYS = {
    "admin_state_up", "id", "project_id", "tenant_id", "name", "port_id", "status", "status_reason",
    "sub_ports", "revision_number", "description", "created_at", "updated_at", "tags",
}


def vlan(port: dict[str, Any], segmentation_id: int) -> dict[str, Any]:
    return {"port_id": port["id"], "segmentation_type": "vlan", "segmentation_id": segmentation_id}


def show(api: Api, trunk_id: str) -> dict[str, Any]:
    r = api.get(f"/v2.0/trunks/{trunk_id}")
    assert r.status_code == 200, r.text
    return r.json()["trunk"]


def add_subports(api: Api, trunk_id: str, sub_ports: list[dict[str, Any]]) -> dict[str, Any]:
    r = api.put(f"/v2.0/trunks/{trunk_id}/add_subports", {"sub_ports": sub_ports})
    assert r.status_code == 200, r.text
    return r.json()


def remove_subports(api: Api, trunk_id: str, sub_ports: list[dict[str, Any]]) -> dict[str, Any]:
    r = api.put(f"/v2.0/trunks/{trunk_id}/remove_subports", {"sub_ports": sub_ports})
    assert r.status_code == 200, r.text
    return r.json()


def by_port(sub_ports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(sub_ports, key=lambda s: s["port_id"])


def vlan_network(admin: Api, **attrs: Any) -> dict[str, Any]:
    """An admin-made VLAN provider network on physnet1 whose VLAN is allocated (as tempest makes them)."""
    return admin.network(**{"provider:network_type": "vlan", "provider:physical_network": "physnet1", **attrs})



# -- create / show / delete (SPEC §2.1 items 1-4) ---------------------------------------------
def test_create_with_empty_sub_ports_list_equals_show(member: Api) -> None:
    trunk = member.trunk(sub_ports=[])
    assert trunk["sub_ports"] == []
    assert show(member, trunk["id"]) == trunk


def test_create_without_sub_ports_defaults_to_empty_list_and_equals_show(member: Api) -> None:
    parent = member.port()
    r = member.post("/v2.0/trunks", {"trunk": {"port_id": parent["id"]}})
    assert r.status_code == 201, r.text
    trunk = r.json()["trunk"]
    assert set(trunk) == TRUNK_KEYS
    assert trunk["sub_ports"] == []
    assert trunk["port_id"] == parent["id"]
    assert show(member, trunk["id"]) == trunk


def test_create_with_subports_equals_show_field_by_field(member: Api) -> None:
    sub_a, sub_b = member.port(), member.port()
    trunk = member.trunk(sub_ports=[vlan(sub_a, 4), vlan(sub_b, 2)])
    shown = show(member, trunk["id"])
    for key in TRUNK_KEYS - {"sub_ports"}:
        assert shown[key] == trunk[key], key
    assert by_port(shown["sub_ports"]) == by_port(trunk["sub_ports"])
    assert shown == trunk


def test_create_show_delete_then_show_is_404(member: Api) -> None:
    trunk = member.trunk()
    assert show(member, trunk["id"]) == trunk
    r = member.delete(f"/v2.0/trunks/{trunk['id']}")
    assert r.status_code == 204 and r.content == b""
    r = member.get(f"/v2.0/trunks/{trunk['id']}")
    assert r.status_code == 404 and error_type(r) == "TrunkNotFound"
    assert trunk["id"] in r.json()["NeutronError"]["message"]


def test_show_has_the_callers_project_id(member: Api, project: str) -> None:
    trunk = show(member, member.trunk()["id"])
    assert trunk["project_id"] == project
    assert trunk["tenant_id"] == project


def test_new_trunk_is_down_with_a_status_reason_field(member: Api) -> None:
    trunk = member.trunk()
    assert trunk["status"] == "DOWN"
    assert isinstance(trunk["status_reason"], str)
    assert trunk["revision_number"] == 0


# -- update (items 5-6) ------------------------------------------------------------------------
def test_defaults_then_update_returns_new_values_and_bumps_revision_strictly(member: Api) -> None:
    trunk = member.trunk()
    assert trunk["admin_state_up"] is True
    assert trunk["name"] == "" and trunk["description"] == ""
    assert show(member, trunk["id"])["revision_number"] == trunk["revision_number"]
    r = member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "foo", "admin_state_up": False}})
    assert r.status_code == 200, r.text
    updated = r.json()["trunk"]
    assert updated["name"] == "foo" and updated["admin_state_up"] is False
    assert updated["revision_number"] > trunk["revision_number"]
    assert updated["status"] == trunk["status"]
    assert show(member, trunk["id"]) == updated


def test_description_given_at_create_is_echoed_and_can_be_cleared(member: Api) -> None:
    trunk = member.trunk(description="trunk description")
    assert trunk["description"] == "trunk description"
    r = member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"description": ""}})
    assert r.status_code == 200, r.text
    assert r.json()["trunk"]["description"] == ""
    assert show(member, trunk["id"])["description"] == ""


def test_update_without_a_real_change_keeps_the_revision(member: Api) -> None:
    trunk = member.trunk(name="same")
    r = member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "same"}})
    assert r.status_code == 200, r.text
    assert r.json()["trunk"]["revision_number"] == trunk["revision_number"]


@pytest.mark.parametrize("attr", ["status", "port_id", "sub_ports", "project_id", "tenant_id", "tags",
                                  "status_reason", "revision_number", "id"])
def test_update_of_a_read_only_attribute_is_400(member: Api, attr: str) -> None:
    trunk = member.trunk()
    r = member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {attr: trunk[attr]}})
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert f"Cannot update read-only attribute {attr}" in r.json()["NeutronError"]["message"]
    assert show(member, trunk["id"]) == trunk


@pytest.mark.parametrize(("body", "text"), [
    ({"trunk": {"colour": "red"}}, "Unrecognized attribute(s) 'colour'"),
    ({"name": "x"}, "Unable to find 'trunk' in request body"),
    ({"trunk": {"name": " padded"}}, "Invalid input for name"),
    ({"trunk": {"name": "x" * 256}}, "Invalid input for name"),
])
def test_bad_update_bodies_are_400(member: Api, body: dict[str, Any], text: str) -> None:
    trunk = member.trunk()
    r = member.put(f"/v2.0/trunks/{trunk['id']}", body)
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert text in r.json()["NeutronError"]["message"]
    assert show(member, trunk["id"]) == trunk


def test_non_boolean_admin_state_up_is_400_invalid_input(member: Api) -> None:
    """Neutron's convert_to_boolean raises InvalidInput (not the API layer's HTTPBadRequest)."""
    trunk = member.trunk()
    r = member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"admin_state_up": "maybe"}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert r.json()["NeutronError"]["message"] == "Invalid input for operation: 'maybe' cannot be converted to boolean."
    assert show(member, trunk["id"]) == trunk


@pytest.mark.parametrize(("extra", "text"), [
    ({"tags": ["red"]}, "tags"),
    ({"status": "ACTIVE"}, "status"),
    ({"colour": "red"}, "Unrecognized attribute(s) 'colour'"),
    ({"project_id": "a", "tenant_id": "b"}, "project_id"),
    ({"sub_ports": {"port_id": str(uuid.uuid4())}}, "Invalid input for sub_ports"),
])
def test_bad_create_bodies_are_400_and_create_nothing(member: Api, extra: dict[str, Any], text: str) -> None:
    r = member.post("/v2.0/trunks", {"trunk": {"port_id": member.port()["id"], **extra}})
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert text in r.json()["NeutronError"]["message"]
    assert member.get("/v2.0/trunks").json()["trunks"] == []


def test_create_without_port_id_is_400_before_anything_else(member: Api) -> None:
    r = member.post("/v2.0/trunks", {"trunk": {"name": "no-parent"}})
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert r.json()["NeutronError"]["message"] == (
        "Failed to parse request. Required attribute 'port_id' not specified"
    )


def test_admin_state_up_accepts_neutron_boolean_spellings(member: Api) -> None:
    assert member.trunk(admin_state_up="false")["admin_state_up"] is False
    assert member.trunk(admin_state_up="1")["admin_state_up"] is True


# -- list (item 7) -----------------------------------------------------------------------------
def test_list_contains_created_trunks_identical_to_their_create_responses(member: Api) -> None:
    first, second = member.trunk(), member.trunk(sub_ports=[vlan(member.port(), 10)])
    r = member.get("/v2.0/trunks")
    assert r.status_code == 200, r.text
    listed = {t["id"]: t for t in r.json()["trunks"]}
    assert listed == {first["id"]: first, second["id"]: second}


# -- add / remove / get subports (items 8-11) --------------------------------------------------
def test_add_subports_returns_a_bare_trunk_whose_sub_ports_equal_the_request(member: Api) -> None:
    trunk = member.trunk()
    request = [vlan(member.port(), 2)]
    body = add_subports(member, trunk["id"], request)
    assert "trunk" not in body
    assert set(body) == TRUNK_KEYS and body["id"] == trunk["id"]
    assert body["sub_ports"] == request
    assert all(len(item) == 3 for item in body["sub_ports"])
    assert show(member, trunk["id"])["sub_ports"] == request


def test_add_subports_lists_old_and_new_entries(member: Api) -> None:
    old = vlan(member.port(), 100)
    trunk = member.trunk(sub_ports=[old])
    new = [vlan(member.port(), 200), vlan(member.port(), 300)]
    body = add_subports(member, trunk["id"], new)
    assert by_port(body["sub_ports"]) == by_port([old, *new])
    assert body == show(member, trunk["id"])


def test_segmentation_id_given_as_a_string_of_digits_is_stored_as_an_int(member: Api) -> None:
    sub = member.port()
    body = add_subports(member, member.trunk()["id"],
                        [{"port_id": sub["id"], "segmentation_type": "vlan", "segmentation_id": "2"}])
    assert body["sub_ports"] == [vlan(sub, 2)]


def test_delete_trunk_with_subport_is_allowed_and_frees_the_ports(member: Api) -> None:
    parent, sub = member.port(), member.port()
    trunk = member.trunk(parent["id"], sub_ports=[vlan(sub, 2)])
    r = member.delete(f"/v2.0/trunks/{trunk['id']}")
    assert r.status_code == 204, r.text
    assert member.get(f"/v2.0/trunks/{trunk['id']}").status_code == 404
    # the ports remain, no longer parent or subport: each may head a new trunk
    assert "trunk_details" not in member.get(f"/v2.0/ports/{parent['id']}").json()["port"]
    assert member.trunk(sub["id"])["port_id"] == sub["id"]
    assert member.trunk(parent["id"])["port_id"] == parent["id"]


def test_deleted_trunk_no_longer_holds_its_ports(member: Api) -> None:
    parent, sub = member.port(), member.port()
    trunk = member.trunk(parent["id"], sub_ports=[vlan(sub, 2)])
    assert member.delete(f"/v2.0/trunks/{trunk['id']}").status_code == 204
    assert member.delete(f"/v2.0/ports/{sub['id']}").status_code == 204
    assert member.delete(f"/v2.0/ports/{parent['id']}").status_code == 204


def test_removed_subport_and_its_vlan_are_free_again(member: Api) -> None:
    sub, other = member.port(), member.port()
    trunk = member.trunk(sub_ports=[vlan(sub, 2)])
    remove_subports(member, trunk["id"], [{"port_id": sub["id"]}])
    # the port may join another trunk, and VLAN 2 may be reused on this one
    assert add_subports(member, member.trunk()["id"], [vlan(sub, 2)])["sub_ports"] == [vlan(sub, 2)]
    assert add_subports(member, trunk["id"], [vlan(other, 2)])["sub_ports"] == [vlan(other, 2)]
    remove_subports(member, trunk["id"], [{"port_id": other["id"]}])
    assert member.delete(f"/v2.0/ports/{other['id']}").status_code == 204


def test_remove_subport_leaves_only_the_other(member: Api) -> None:
    keep, drop = vlan(member.port(), 2), vlan(member.port(), 4)
    trunk = member.trunk(sub_ports=[keep, drop])
    body = remove_subports(member, trunk["id"], [drop])
    assert "trunk" not in body and body["id"] == trunk["id"]
    assert body["sub_ports"] == [keep]
    assert show(member, trunk["id"])["sub_ports"] == [keep]


def test_remove_subports_needs_only_the_port_id(member: Api) -> None:
    sub = member.port()
    trunk = member.trunk(sub_ports=[vlan(sub, 7)])
    body = remove_subports(member, trunk["id"], [{"port_id": sub["id"], "segmentation_id": 9999}])
    assert body["sub_ports"] == []


def test_get_subports_returns_exactly_the_subports_given_at_create(member: Api) -> None:
    given = [vlan(member.port(), 2), vlan(member.port(), 3)]
    trunk = member.trunk(sub_ports=given)
    r = member.get(f"/v2.0/trunks/{trunk['id']}/get_subports")
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"sub_ports"}
    assert by_port(r.json()["sub_ports"]) == by_port(given)


def test_get_subports_ignores_fields(member: Api) -> None:
    given = [vlan(member.port(), 5)]
    trunk = member.trunk(sub_ports=given)
    r = member.get(f"/v2.0/trunks/{trunk['id']}/get_subports", params={"fields": "port_id"})
    assert r.status_code == 200, r.text
    assert r.json() == {"sub_ports": given}


# -- inherit on VLAN provider networks (item 12) -----------------------------------------------
def test_inherit_subports_are_stored_as_vlan_with_their_networks_segmentation_id(admin: Api) -> None:
    net_a, net_b = vlan_network(admin), vlan_network(admin)
    sub_a, sub_b = admin.port(net_a["id"]), admin.port(net_b["id"])
    parent = admin.port(vlan_network(admin)["id"])  # as tempest: a VLAN parent, so the MTUs match (1500)
    trunk = admin.trunk(parent["id"], sub_ports=[
        {"port_id": sub_a["id"], "segmentation_type": "inherit", "segmentation_id": -1},
        {"port_id": sub_b["id"], "segmentation_type": "inherit"},
    ])
    expected = [vlan(sub_a, net_a["provider:segmentation_id"]), vlan(sub_b, net_b["provider:segmentation_id"])]
    assert by_port(trunk["sub_ports"]) == by_port(expected)
    assert by_port(show(admin, trunk["id"])["sub_ports"]) == by_port(expected)


def test_inherit_subport_through_add_subports(admin: Api) -> None:
    net = vlan_network(admin)
    sub = admin.port(net["id"])
    trunk = admin.trunk(admin.port(vlan_network(admin)["id"])["id"])
    body = add_subports(admin, trunk["id"], [{"port_id": sub["id"], "segmentation_type": "inherit"}])
    assert body["sub_ports"] == [vlan(sub, net["provider:segmentation_id"])]


# -- MTU (items 13-16) -------------------------------------------------------------------------
# ML2's MTUs: a VLAN provider network gets the physical network's 1500, a tenant VXLAN one 1450.
def mtu_networks(admin: Api, member: Api, kinds: tuple[str, str]) -> list[dict[str, Any]]:
    """The member's parent and subport networks, each a VLAN provider network or a tenant VXLAN one."""
    nets = [vlan_network(admin, project_id=member.project) if kind == "vlan" else member.network() for kind in kinds]
    assert [n["mtu"] for n in nets] == [1500 if kind == "vlan" else 1450 for kind in kinds]
    return nets


@pytest.mark.parametrize("kinds", [("vlan", "vxlan"), ("vxlan", "vxlan"), ("vlan", "vlan")],
                         ids=["parent-greater", "equal-vxlan", "equal-vlan"])
def test_create_accepts_a_subport_whose_mtu_is_not_greater(admin: Api, member: Api, kinds: tuple[str, str]) -> None:
    parent_net, sub_net = mtu_networks(admin, member, kinds)
    parent, sub = member.port(parent_net["id"]), member.port(sub_net["id"])
    trunk = member.trunk(parent["id"], sub_ports=[vlan(sub, 2)])
    assert trunk["sub_ports"] == [vlan(sub, 2)]


@pytest.mark.parametrize("kinds", [("vlan", "vxlan"), ("vxlan", "vxlan"), ("vlan", "vlan")],
                         ids=["parent-greater", "equal-vxlan", "equal-vlan"])
def test_add_accepts_a_subport_whose_mtu_is_not_greater(admin: Api, member: Api, kinds: tuple[str, str]) -> None:
    parent_net, sub_net = mtu_networks(admin, member, kinds)
    parent, sub = member.port(parent_net["id"]), member.port(sub_net["id"])
    body = add_subports(member, member.trunk(parent["id"])["id"], [vlan(sub, 2)])
    assert body["sub_ports"] == [vlan(sub, 2)]


# -- bulk create -------------------------------------------------------------------------------
def test_bulk_create_returns_201_with_a_trunks_list(member: Api) -> None:
    parents = [member.port(), member.port()]
    sub = member.port()
    r = member.post("/v2.0/trunks", {"trunks": [
        {"port_id": parents[0]["id"], "name": "one"},
        {"port_id": parents[1]["id"], "name": "two", "sub_ports": [vlan(sub, 3)]},
    ]})
    assert r.status_code == 201, r.text
    assert set(r.json()) == {"trunks"}
    made = r.json()["trunks"]
    assert [t["port_id"] for t in made] == [p["id"] for p in parents]
    assert [t["name"] for t in made] == ["one", "two"]
    assert made[1]["sub_ports"] == [vlan(sub, 3)]
    for trunk in made:
        assert show(member, trunk["id"]) == trunk


def test_bulk_create_is_all_or_nothing(member: Api) -> None:
    first_parent = member.port()
    r = member.post("/v2.0/trunks", {"trunks": [
        {"port_id": first_parent["id"]},
        {"port_id": str(uuid.uuid4())},
    ]})
    assert r.status_code == 404 and error_type(r) == "PortNotFound"
    listed = member.get("/v2.0/trunks", params={"port_id": first_parent["id"]}).json()["trunks"]
    assert listed == []
    # the first parent was not claimed either
    assert member.trunk(first_parent["id"])["port_id"] == first_parent["id"]


def test_bulk_create_with_the_same_parent_twice_creates_nothing(member: Api) -> None:
    parent = member.port()
    r = member.post("/v2.0/trunks", {"trunks": [{"port_id": parent["id"]}, {"port_id": parent["id"]}]})
    assert r.status_code == 409 and error_type(r) == "ParentPortInUse"
    assert member.get("/v2.0/trunks", params={"port_id": parent["id"]}).json()["trunks"] == []


# -- If-Match: revision_number=N ---------------------------------------------------------------
def test_update_with_matching_if_match_succeeds(member: Api) -> None:
    trunk = member.trunk()
    r = member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "ok"}},
                   headers={"If-Match": f"revision_number={trunk['revision_number']}"})
    assert r.status_code == 200, r.text
    assert r.json()["trunk"]["name"] == "ok"


def test_update_with_stale_if_match_is_412_and_changes_nothing(member: Api) -> None:
    trunk = member.trunk()
    stale = trunk["revision_number"] + 1
    r = member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "lost"}},
                   headers={"If-Match": f"revision_number={stale}"})
    assert r.status_code == 412 and error_type(r) == "RevisionNumberConstraintFailed"
    assert show(member, trunk["id"]) == trunk


def test_delete_with_stale_if_match_is_412_and_keeps_the_trunk(member: Api) -> None:
    trunk = member.trunk()
    r = member.delete(f"/v2.0/trunks/{trunk['id']}", headers={"If-Match": "revision_number=42"})
    assert r.status_code == 412 and error_type(r) == "RevisionNumberConstraintFailed"
    assert show(member, trunk["id"]) == trunk
    r = member.delete(f"/v2.0/trunks/{trunk['id']}",
                      headers={"If-Match": f"revision_number={trunk['revision_number']}"})
    assert r.status_code == 204, r.text


@pytest.mark.parametrize("header", ["revision_number=abc", "revision_number=1,revision_number=1",
                                    "revision_number="])
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_malformed_if_match_is_400(member: Api, header: str, method: str) -> None:
    trunk = member.trunk()
    body = {"trunk": {"name": "x"}} if method == "PUT" else None
    r = member.request(method, f"/v2.0/trunks/{trunk['id']}", body, headers={"If-Match": header})
    assert r.status_code == 400, r.text
    error_type(r)
    assert show(member, trunk["id"]) == trunk


# -- revision, status and updated_at on membership changes -------------------------------------
def test_add_and_remove_subports_bump_the_revision(member: Api) -> None:
    sub = member.port()
    trunk = member.trunk()
    added = add_subports(member, trunk["id"], [vlan(sub, 2)])
    assert added["revision_number"] > trunk["revision_number"]
    removed = remove_subports(member, trunk["id"], [{"port_id": sub["id"]}])
    assert removed["revision_number"] > added["revision_number"]
    assert show(member, trunk["id"])["revision_number"] == removed["revision_number"]


@pytest.mark.parametrize("action", ["add_subports", "remove_subports"])
def test_membership_change_moves_an_active_trunk_to_down(
    server: Server, member: Api, action: str
) -> None:
    sub = member.port()
    trunk = member.trunk(sub_ports=[vlan(sub, 2)] if action == "remove_subports" else [])
    force_status(server, trunk["id"], "ACTIVE")
    assert show(member, trunk["id"])["status"] == "ACTIVE"
    body = (add_subports(member, trunk["id"], [vlan(sub, 2)]) if action == "add_subports"
            else remove_subports(member, trunk["id"], [{"port_id": sub["id"]}]))
    assert body["status"] == "DOWN"
    assert isinstance(body["status_reason"], str)
    assert show(member, trunk["id"])["status"] == "DOWN"


@pytest.mark.parametrize("action", ["add_subports", "remove_subports"])
def test_empty_membership_change_changes_nothing(server: Server, member: Api, action: str) -> None:
    trunk = member.trunk(sub_ports=[vlan(member.port(), 2)])
    force_status(server, trunk["id"], "ACTIVE")
    before = show(member, trunk["id"])
    time.sleep(1.1)  # timestamps have whole seconds: a write now would show
    r = member.put(f"/v2.0/trunks/{trunk['id']}/{action}", {"sub_ports": []})
    assert r.status_code == 200, r.text
    assert r.json() == before
    after = show(member, trunk["id"])
    assert after == before
    assert after["status"] == "ACTIVE"
    assert after["updated_at"] == before["updated_at"]
    assert after["revision_number"] == before["revision_number"]


# -- trunk_details on ports (SPEC §2.3) --------------------------------------------------------
def test_parent_port_shows_trunk_details_without_subports(member: Api) -> None:
    parent = member.port()
    trunk = member.trunk(parent["id"])
    port = member.get(f"/v2.0/ports/{parent['id']}").json()["port"]
    assert port["trunk_details"] == {"sub_ports": [], "trunk_id": trunk["id"]}


def test_parent_port_trunk_details_lists_subports_with_their_mac(member: Api) -> None:
    parent, sub = member.port(), member.port()
    trunk = member.trunk(parent["id"], sub_ports=[vlan(sub, 100)])
    details = member.get(f"/v2.0/ports/{parent['id']}").json()["port"]["trunk_details"]
    assert details == {"trunk_id": trunk["id"], "sub_ports": [
        {"port_id": sub["id"], "segmentation_type": "vlan", "segmentation_id": 100,
         "mac_address": sub["mac_address"]},
    ]}


def test_plain_port_and_subport_have_no_trunk_details_key(member: Api) -> None:
    plain, sub = member.port(), member.port()
    member.trunk(sub_ports=[vlan(sub, 9)])
    assert "trunk_details" not in member.get(f"/v2.0/ports/{plain['id']}").json()["port"]
    assert "trunk_details" not in member.get(f"/v2.0/ports/{sub['id']}").json()["port"]


def test_port_list_includes_trunk_details_of_parents_only(member: Api) -> None:
    parent, sub = member.port(), member.port()
    trunk = member.trunk(parent["id"], sub_ports=[vlan(sub, 11)])
    r = member.get("/v2.0/ports", params=[("id", parent["id"]), ("id", sub["id"])])
    assert r.status_code == 200, r.text
    ports = {p["id"]: p for p in r.json()["ports"]}
    assert set(ports) == {parent["id"], sub["id"]}
    assert ports[parent["id"]]["trunk_details"] == {"trunk_id": trunk["id"], "sub_ports": [
        {**vlan(sub, 11), "mac_address": sub["mac_address"]},
    ]}
    assert "trunk_details" not in ports[sub["id"]]


def test_fields_trunk_details_selects_only_that_key(member: Api) -> None:
    parent = member.port()
    trunk = member.trunk(parent["id"])
    expected = {"trunk_details": {"trunk_id": trunk["id"], "sub_ports": []}}
    r = member.get(f"/v2.0/ports/{parent['id']}", params={"fields": "trunk_details"})
    assert r.status_code == 200, r.text
    assert r.json()["port"] == expected
    r = member.get("/v2.0/ports", params={"id": parent["id"], "fields": "trunk_details"})
    assert r.status_code == 200, r.text
    assert r.json()["ports"] == [expected]


# -- URL surface -------------------------------------------------------------------------------
def test_responses_carry_an_openstack_request_id(member: Api) -> None:
    ok = member.get("/v2.0/trunks")
    missing = member.get(f"/v2.0/trunks/{uuid.uuid4()}")
    assert ok.headers["X-Openstack-Request-Id"].startswith("req-")
    assert missing.headers["X-Openstack-Request-Id"].startswith("req-")
    assert ok.headers["X-Openstack-Request-Id"] != missing.headers["X-Openstack-Request-Id"]


@pytest.mark.parametrize(("method", "action"), [
    ("GET", "add_subports"), ("POST", "add_subports"), ("DELETE", "add_subports"),
    ("GET", "remove_subports"), ("POST", "remove_subports"),
    ("PUT", "get_subports"), ("POST", "get_subports"), ("DELETE", "get_subports"),
])
def test_other_methods_on_action_urls_are_405(member: Api, method: str, action: str) -> None:
    trunk = member.trunk()
    r = member.request(method, f"/v2.0/trunks/{trunk['id']}/{action}")
    assert r.status_code == 405, r.text
    error_type(r)


def test_unknown_trunk_subresource_is_404(member: Api) -> None:
    trunk = member.trunk()
    for method in ("GET", "PUT"):
        r = member.request(method, f"/v2.0/trunks/{trunk['id']}/xyz")
        assert r.status_code == 404, r.text
        error_type(r)


def test_delete_with_a_body_is_400_and_keeps_the_trunk(member: Api) -> None:
    trunk = member.trunk()
    r = member.delete(f"/v2.0/trunks/{trunk['id']}", raw=b'{"trunk": {}}')
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert show(member, trunk["id"]) == trunk


def test_create_with_a_non_uuid_parent_port_id_is_400(member: Api) -> None:
    r = member.post("/v2.0/trunks", {"trunk": {"port_id": "not-a-uuid"}})
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert "port_id" in r.json()["NeutronError"]["message"]


def test_show_with_a_non_uuid_trunk_id_is_404_trunk_not_found(member: Api) -> None:
    r = member.get("/v2.0/trunks/not-a-uuid")
    assert r.status_code == 404 and error_type(r) == "TrunkNotFound"
