"""Trunk requests that must fail, and how: neutron-tempest-plugin's test_trunk_negative.py (SPEC §2.2),
the per-subport validation order of SPEC §1.5 and the error catalogue of SPEC §1.11."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support import Api, Server, error_type, force_status, fresh_vlan


def vlan(port_id: str, segmentation_id: Any) -> dict[str, Any]:
    return {"port_id": port_id, "segmentation_type": "vlan", "segmentation_id": segmentation_id}


def random_id() -> str:
    return str(uuid.uuid4())


def add(api: Api, trunk_id: str, sub_ports: Any) -> httpx.Response:
    return api.put(f"/v2.0/trunks/{trunk_id}/add_subports", {"sub_ports": sub_ports})


def remove(api: Api, trunk_id: str, sub_ports: Any) -> httpx.Response:
    return api.put(f"/v2.0/trunks/{trunk_id}/remove_subports", {"sub_ports": sub_ports})


def create(api: Api, port_id: str, sub_ports: Any = None) -> httpx.Response:
    body: dict[str, Any] = {"port_id": port_id}
    if sub_ports is not None:
        body["sub_ports"] = sub_ports
    return api.post("/v2.0/trunks", {"trunk": body})


def message(r: httpx.Response) -> str:
    return str(r.json()["NeutronError"]["message"])


def sub_ports_of(api: Api, trunk_id: str) -> list[dict[str, Any]]:
    r = api.get(f"/v2.0/trunks/{trunk_id}")
    assert r.status_code == 200, r.text
    return list(r.json()["trunk"]["sub_ports"])


def disabled_trunk(api: Api, **attrs: Any) -> dict[str, Any]:
    trunk = api.trunk(admin_state_up=False, **attrs)
    assert trunk["admin_state_up"] is False
    return trunk



def trunk_count(api: Api) -> int:
    r = api.get("/v2.0/trunks")
    assert r.status_code == 200, r.text
    return len(r.json()["trunks"])


# -- SPEC §2.2 items 1-4: not found ------------------------------------------------------------
def test_create_trunk_on_a_nonexistent_parent_port_is_404_port_not_found(member: Api) -> None:
    missing = random_id()
    r = create(member, missing)
    assert r.status_code == 404 and error_type(r) == "PortNotFound"
    assert missing in message(r)


def test_create_trunk_with_a_nonexistent_subport_is_404_port_not_found(member: Api) -> None:
    missing = random_id()
    r = create(member, member.port()["id"], [vlan(missing, 2)])
    assert r.status_code == 404 and error_type(r) == "PortNotFound"
    assert missing in message(r)
    assert trunk_count(member) == 0


def test_add_a_nonexistent_subport_is_404_port_not_found(member: Api) -> None:
    trunk = member.trunk()
    missing = random_id()
    r = add(member, trunk["id"], [vlan(missing, 2)])
    assert r.status_code == 404 and error_type(r) == "PortNotFound"
    assert missing in message(r)
    assert sub_ports_of(member, trunk["id"]) == []


def test_add_subports_to_a_nonexistent_trunk_is_404_trunk_not_found(member: Api) -> None:
    missing = random_id()
    r = add(member, missing, [vlan(member.port()["id"], 2)])
    assert r.status_code == 404 and error_type(r) == "TrunkNotFound"
    assert missing in message(r)


def test_trunk_lookup_comes_before_sub_ports_shape_on_add(member: Api) -> None:
    r = add(member, random_id(), {"port_id": random_id()})
    assert r.status_code == 404 and error_type(r) == "TrunkNotFound"


def test_another_projects_trunk_is_404_trunk_not_found(admin: Api, member: Api) -> None:
    theirs = admin.trunk()
    for r in (member.get(f"/v2.0/trunks/{theirs['id']}"),
              add(member, theirs["id"], [vlan(member.port()["id"], 2)]),
              remove(member, theirs["id"], []),
              member.get(f"/v2.0/trunks/{theirs['id']}/get_subports"),
              member.delete(f"/v2.0/trunks/{theirs['id']}")):
        assert r.status_code == 404 and error_type(r) == "TrunkNotFound"


# -- items 5-10: body validation ---------------------------------------------------------------
def test_add_subport_missing_segmentation_id_is_400_invalid_input(member: Api) -> None:
    trunk = member.trunk()
    r = add(member, trunk["id"], [{"port_id": member.port()["id"], "segmentation_type": "vlan"}])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert "segmentation" in message(r)
    assert sub_ports_of(member, trunk["id"]) == []


def test_create_with_subport_missing_segmentation_id_is_400_before_port_lookup(member: Api) -> None:
    r = create(member, member.port()["id"], [{"port_id": random_id(), "segmentation_type": "vlan"}])
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert "sub_ports" in message(r)


def test_create_with_subport_missing_segmentation_type_is_400(member: Api) -> None:
    r = create(member, member.port()["id"], [{"port_id": random_id(), "segmentation_id": 3}])
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert "sub_ports" in message(r)


def test_create_with_subport_missing_port_id_is_400(member: Api) -> None:
    r = create(member, member.port()["id"], [{"segmentation_type": "vlan", "segmentation_id": 100}])
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert "sub_ports" in message(r)


def test_inherit_from_a_vxlan_network_is_400_invalid_input(admin: Api, member: Api, project: str) -> None:
    vxlan = admin.network(**{"provider:network_type": "vxlan", "project_id": project})
    parent = member.port(vxlan["id"])
    sub = member.port()
    r = create(member, parent["id"],
               [{"port_id": sub["id"], "segmentation_type": "inherit", "segmentation_id": -1}])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert "vxlan" in message(r)
    assert trunk_count(member) == 0


def test_duplicate_vlan_in_one_request_is_400_before_port_lookup(member: Api) -> None:
    not_a_port = random_id()  # tempest passes the trunk's own id as the "parent"
    r = create(member, not_a_port, [vlan(random_id(), 2), vlan(random_id(), 2)])
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert "not unique" in message(r)


def test_duplicate_subport_port_id_in_one_request_is_400(member: Api) -> None:
    sub = random_id()
    r = create(member, random_id(), [vlan(sub, 2), vlan(sub, 3)])
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert "Non unique" in message(r)


def test_duplicate_port_id_in_remove_is_400_invalid_input(member: Api) -> None:
    sub = member.port()
    trunk = member.trunk(sub_ports=[vlan(sub["id"], 2)])
    r = remove(member, trunk["id"], [{"port_id": sub["id"]}, {"port_id": sub["id"]}])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert sub_ports_of(member, trunk["id"]) == [vlan(sub["id"], 2)]


# -- items 11-15: conflicts --------------------------------------------------------------------
def test_adding_the_parent_as_a_subport_is_409_parent_port_in_use(member: Api) -> None:
    trunk = member.trunk()
    r = add(member, trunk["id"], [vlan(trunk["port_id"], 2)])
    assert r.status_code == 409 and error_type(r) == "ParentPortInUse"
    assert trunk["port_id"] in message(r)


def test_creating_with_the_parent_as_a_subport_is_409_parent_port_in_use(member: Api) -> None:
    parent = member.port()
    r = create(member, parent["id"], [vlan(parent["id"], 2)])
    assert r.status_code == 409 and error_type(r) == "ParentPortInUse"
    assert trunk_count(member) == 0


def test_adding_the_parent_to_a_disabled_trunk_is_409(member: Api) -> None:
    """Tempest's case: the per-subport checks run before the disabled check, so the parent wins."""
    trunk = disabled_trunk(member)
    r = add(member, trunk["id"], [vlan(trunk["port_id"], 2)])
    assert r.status_code == 409 and error_type(r) == "ParentPortInUse"


def test_add_subports_on_a_disabled_trunk_is_409_trunk_disabled(member: Api) -> None:
    trunk = disabled_trunk(member)
    r = add(member, trunk["id"], [vlan(member.port()["id"], 2)])
    assert r.status_code == 409 and error_type(r) == "TrunkDisabled"
    assert trunk["id"] in message(r) and "disabled" in message(r)
    assert sub_ports_of(member, trunk["id"]) == []


def test_remove_subports_on_a_disabled_trunk_is_409_trunk_disabled(member: Api) -> None:
    sub = member.port()
    trunk = disabled_trunk(member, sub_ports=[vlan(sub["id"], 2)])
    r = remove(member, trunk["id"], [{"port_id": sub["id"]}])
    assert r.status_code == 409 and error_type(r) == "TrunkDisabled"
    assert sub_ports_of(member, trunk["id"]) == [vlan(sub["id"], 2)]


def test_remove_on_a_disabled_trunk_is_409_before_body_validation(member: Api) -> None:
    trunk = disabled_trunk(member)
    r = remove(member, trunk["id"], {"port_id": random_id()})
    assert r.status_code == 409 and error_type(r) == "TrunkDisabled"


def test_delete_of_a_disabled_trunk_is_409_trunk_disabled(member: Api) -> None:
    trunk = disabled_trunk(member)
    r = member.delete(f"/v2.0/trunks/{trunk['id']}")
    assert r.status_code == 409 and error_type(r) == "TrunkDisabled"
    assert member.get(f"/v2.0/trunks/{trunk['id']}").status_code == 200


def test_a_disabled_trunk_can_be_reenabled_and_then_deleted(member: Api) -> None:
    trunk = disabled_trunk(member)
    r = member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"admin_state_up": True}})
    assert r.status_code == 200 and r.json()["trunk"]["admin_state_up"] is True
    assert member.delete(f"/v2.0/trunks/{trunk['id']}").status_code == 204


def test_vlan_already_used_on_the_trunk_is_409_duplicate_subport(member: Api) -> None:
    first = member.port()
    trunk = member.trunk(sub_ports=[vlan(first["id"], 2)])
    r = add(member, trunk["id"], [vlan(member.port()["id"], 2)])
    assert r.status_code == 409 and error_type(r) == "DuplicateSubPort"
    assert message(r) == (
        f"segmentation_type vlan and segmentation_id 2 already in use on trunk {trunk['id']}."
    )
    assert sub_ports_of(member, trunk["id"]) == [vlan(first["id"], 2)]


def test_same_vlan_on_two_different_trunks_is_allowed(member: Api) -> None:
    a = member.trunk(sub_ports=[vlan(member.port()["id"], 2)])
    b = member.trunk(sub_ports=[vlan(member.port()["id"], 2)])
    assert a["sub_ports"][0]["segmentation_id"] == b["sub_ports"][0]["segmentation_id"] == 2


def test_add_subports_on_a_trunk_in_error_is_409_trunk_in_error_state(server: Server, member: Api) -> None:
    trunk = member.trunk()
    force_status(server, trunk["id"], "ERROR")
    r = add(member, trunk["id"], [vlan(member.port()["id"], 2)])
    assert r.status_code == 409 and error_type(r) == "TrunkInErrorState"
    assert trunk["id"] in message(r)
    assert sub_ports_of(member, trunk["id"]) == []


def test_remove_subports_is_the_way_out_of_error(server: Server, member: Api) -> None:
    sub = member.port()
    trunk = member.trunk(sub_ports=[vlan(sub["id"], 2)])
    force_status(server, trunk["id"], "ERROR")
    r = remove(member, trunk["id"], [{"port_id": sub["id"]}])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "DOWN" and r.json()["sub_ports"] == []


# -- items 16-18: remove / shapes --------------------------------------------------------------
def test_add_subports_given_as_an_object_is_400_invalid_input(member: Api) -> None:
    trunk = member.trunk()
    r = add(member, trunk["id"], vlan(member.port()["id"], 2))
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert "not a list" in message(r)


def test_remove_subports_given_as_an_object_is_400_invalid_input(member: Api) -> None:
    sub = member.port()
    trunk = member.trunk(sub_ports=[vlan(sub["id"], 2)])
    r = remove(member, trunk["id"], {"port_id": sub["id"]})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert sub_ports_of(member, trunk["id"]) == [vlan(sub["id"], 2)]


def test_removing_a_port_not_on_the_trunk_is_404_subport_not_found(member: Api) -> None:
    trunk = member.trunk()
    stranger = member.port()
    r = remove(member, trunk["id"], [{"port_id": stranger["id"]}])
    assert r.status_code == 404 and error_type(r) == "SubPortNotFound"
    assert message(r) == f"SubPort {stranger['id']} on trunk {trunk['id']} could not be found."


def test_remove_is_atomic_when_one_port_is_not_on_the_trunk(member: Api) -> None:
    sub = member.port()
    trunk = member.trunk(sub_ports=[vlan(sub["id"], 2)])
    r = remove(member, trunk["id"], [{"port_id": sub["id"]}, {"port_id": random_id()}])
    assert r.status_code == 404 and error_type(r) == "SubPortNotFound"
    assert sub_ports_of(member, trunk["id"]) == [vlan(sub["id"], 2)]


def test_removing_a_subport_of_another_trunk_is_404_subport_not_found(member: Api) -> None:
    sub = member.port()
    member.trunk(sub_ports=[vlan(sub["id"], 2)])
    other = member.trunk()
    r = remove(member, other["id"], [{"port_id": sub["id"]}])
    assert r.status_code == 404 and error_type(r) == "SubPortNotFound"


# -- items 19-20: port deletion ----------------------------------------------------------------
def test_deleting_a_trunk_parent_port_is_409_port_in_use_as_trunk_parent(member: Api) -> None:
    parent = member.port()
    trunk = member.trunk(parent["id"])
    r = member.delete(f"/v2.0/ports/{parent['id']}")
    assert r.status_code == 409 and error_type(r) == "PortInUseAsTrunkParent"
    assert message(r) == f"Port {parent['id']} is currently a parent port for trunk {trunk['id']}."
    assert member.get(f"/v2.0/ports/{parent['id']}").status_code == 200


def test_deleting_a_subport_port_is_409_port_in_use_as_subport(member: Api) -> None:
    sub = member.port()
    trunk = member.trunk(sub_ports=[vlan(sub["id"], 2)])
    r = member.delete(f"/v2.0/ports/{sub['id']}")
    assert r.status_code == 409 and error_type(r) == "PortInUseAsSubPort"
    assert message(r) == f"Port {sub['id']} is currently a subport for trunk {trunk['id']}."
    assert sub_ports_of(member, trunk["id"]) == [vlan(sub["id"], 2)]


# -- items 21-22: MTU --------------------------------------------------------------------------
def vlan_port(admin: Api, member: Api) -> dict[str, Any]:
    """The member's port on an admin-made VLAN provider network (ML2 gives it MTU 1500)."""
    net = admin.network(**{"provider:network_type": "vlan", "provider:physical_network": "physnet1",
                           "project_id": member.project})
    assert net["mtu"] == 1500
    return member.port(net["id"])


def mtu_pair(admin: Api, member: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """A parent on a tenant VXLAN network (1450) and a subport on a VLAN provider network (1500)."""
    net = member.network()
    assert net["mtu"] == 1450
    return member.port(net["id"]), vlan_port(admin, member)


def test_create_with_subport_mtu_greater_than_parent_is_409(admin: Api, member: Api) -> None:
    parent, sub = mtu_pair(admin, member)
    r = create(member, parent["id"], [vlan(sub["id"], 2)])
    assert r.status_code == 409 and error_type(r) == "SubPortMtuGreaterThanTrunkPortMtu"
    assert sub["id"] in message(r) and parent["id"] not in message(r)
    assert trunk_count(member) == 0


def test_add_subport_with_mtu_greater_than_the_trunk_is_409_naming_the_trunk(admin: Api, member: Api) -> None:
    parent, sub = mtu_pair(admin, member)
    trunk = member.trunk(parent["id"])
    r = add(member, trunk["id"], [vlan(sub["id"], 2)])
    assert r.status_code == 409 and error_type(r) == "SubPortMtuGreaterThanTrunkPortMtu"
    text = message(r)
    assert sub["id"] in text and "1500" in text and "1450" in text
    assert trunk["id"] in text and parent["id"] not in text
    assert sub_ports_of(member, trunk["id"]) == []


# -- segmentation values -----------------------------------------------------------------------
BAD_VLAN_IDS = [0, 4095, -1, "abc", 5.5, True, [5], {"id": 5}, None]


@pytest.mark.parametrize("segmentation_id", BAD_VLAN_IDS, ids=repr)
def test_invalid_vlan_id_on_add_is_400_invalid_input(member: Api, segmentation_id: Any) -> None:
    trunk = member.trunk()
    r = add(member, trunk["id"], [vlan(member.port()["id"], segmentation_id)])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert sub_ports_of(member, trunk["id"]) == []


@pytest.mark.parametrize("segmentation_id", BAD_VLAN_IDS, ids=repr)
def test_invalid_vlan_id_on_create_is_400(member: Api, segmentation_id: Any) -> None:
    r = create(member, member.port()["id"], [vlan(member.port()["id"], segmentation_id)])
    assert r.status_code == 400
    assert error_type(r) in {"InvalidInput", "HTTPBadRequest"}
    assert trunk_count(member) == 0


@pytest.mark.parametrize("segmentation_id", [1, 4094])
def test_vlan_range_edges_are_accepted(member: Api, segmentation_id: int) -> None:
    sub = member.port()
    trunk = member.trunk(sub_ports=[vlan(sub["id"], segmentation_id)])
    assert trunk["sub_ports"] == [vlan(sub["id"], segmentation_id)]


@pytest.mark.parametrize("segmentation_type", ["fake", "vxlan", "", 5])
def test_unknown_segmentation_type_is_400_invalid_input(member: Api, segmentation_type: Any) -> None:
    trunk = member.trunk()
    item = {"port_id": member.port()["id"], "segmentation_type": segmentation_type, "segmentation_id": 2}
    r = add(member, trunk["id"], [item])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"


@pytest.mark.parametrize("segmentation_type", [["vlan"], {"vlan": 1}], ids=["list", "object"])
def test_non_string_segmentation_type_is_400_not_500(member: Api, segmentation_type: Any) -> None:
    item = {"port_id": member.port()["id"], "segmentation_type": segmentation_type, "segmentation_id": 2}
    trunk = member.trunk()
    r = add(member, trunk["id"], [item])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    r = create(member, member.port()["id"], [item])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert sub_ports_of(member, trunk["id"]) == []


def test_unknown_segmentation_type_message_names_it(member: Api) -> None:
    trunk = member.trunk()
    item = {"port_id": member.port()["id"], "segmentation_type": "fake", "segmentation_id": 2}
    r = add(member, trunk["id"], [item])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert "Unknown segmentation_type 'fake'" in message(r)


def test_out_of_range_message_names_the_id(member: Api) -> None:
    r = add(member, member.trunk()["id"], [vlan(member.port()["id"], 5000)])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert "Segmentation ID '5000' is not in range" in message(r)


# -- ports already in use ----------------------------------------------------------------------
def test_parent_that_is_a_subport_elsewhere_is_409_trunk_port_in_use(member: Api) -> None:
    sub = member.port()
    member.trunk(sub_ports=[vlan(sub["id"], 2)])
    r = create(member, sub["id"])
    assert r.status_code == 409 and error_type(r) == "TrunkPortInUse"
    assert sub["id"] in message(r)


def test_parent_that_is_already_a_parent_is_409_parent_port_in_use(member: Api) -> None:
    parent = member.port()
    member.trunk(parent["id"])
    r = create(member, parent["id"])
    assert r.status_code == 409 and error_type(r) == "ParentPortInUse"


def test_subport_already_on_another_trunk_is_409_trunk_port_in_use(member: Api) -> None:
    sub = member.port()
    member.trunk(sub_ports=[vlan(sub["id"], 2)])
    other = member.trunk()
    r = add(member, other["id"], [vlan(sub["id"], 3)])
    assert r.status_code == 409 and error_type(r) == "TrunkPortInUse"
    assert sub_ports_of(member, other["id"]) == []


def test_subport_already_on_the_same_trunk_is_409_trunk_port_in_use(member: Api) -> None:
    sub = member.port()
    trunk = member.trunk(sub_ports=[vlan(sub["id"], 2)])
    r = add(member, trunk["id"], [vlan(sub["id"], 3)])
    assert r.status_code == 409 and error_type(r) == "TrunkPortInUse"
    assert sub_ports_of(member, trunk["id"]) == [vlan(sub["id"], 2)]


def test_subport_that_is_another_trunks_parent_is_409_parent_port_in_use(member: Api) -> None:
    other = member.trunk()
    trunk = member.trunk()
    r = add(member, trunk["id"], [vlan(other["port_id"], 2)])
    assert r.status_code == 409 and error_type(r) == "ParentPortInUse"


def test_subport_with_a_device_id_is_409_port_in_use(member: Api) -> None:
    sub = member.port(device_id="some-vm")
    trunk = member.trunk()
    r = add(member, trunk["id"], [vlan(sub["id"], 2)])
    assert r.status_code == 409 and error_type(r) == "PortInUse"
    assert "some-vm" in message(r)
    r = create(member, member.port()["id"], [vlan(sub["id"], 2)])
    assert r.status_code == 409 and error_type(r) == "PortInUse"


def test_another_projects_port_as_subport_is_404_port_not_found(admin: Api, member: Api) -> None:
    theirs = admin.port()
    r = add(member, member.trunk()["id"], [vlan(theirs["id"], 2)])
    assert r.status_code == 404 and error_type(r) == "PortNotFound"


def test_another_projects_port_as_parent_is_404_port_not_found(admin: Api, member: Api) -> None:
    r = create(member, admin.port()["id"])
    assert r.status_code == 404 and error_type(r) == "PortNotFound"


# -- the per-subport order of SPEC §1.5 step 6 -------------------------------------------------
def test_order_parent_as_subport_comes_before_segmentation_checks(member: Api) -> None:
    trunk = member.trunk()
    for item in ({"port_id": trunk["port_id"]}, vlan(trunk["port_id"], 5000),
                 {"port_id": trunk["port_id"], "segmentation_type": "fake", "segmentation_id": 2}):
        r = add(member, trunk["id"], [item])
        assert r.status_code == 409 and error_type(r) == "ParentPortInUse", item


def test_order_mtu_comes_before_segmentation_checks(admin: Api, member: Api) -> None:
    parent, sub = mtu_pair(admin, member)
    trunk = member.trunk(parent["id"])
    for item in ({"port_id": sub["id"]}, vlan(sub["id"], 5000),
                 {"port_id": sub["id"], "segmentation_type": "fake", "segmentation_id": 2}):
        r = add(member, trunk["id"], [item])
        assert r.status_code == 409 and error_type(r) == "SubPortMtuGreaterThanTrunkPortMtu", item


def test_order_mtu_comes_before_in_use(admin: Api, member: Api) -> None:
    parent, sub = mtu_pair(admin, member)
    big_parent = vlan_port(admin, member)
    member.trunk(big_parent["id"], sub_ports=[vlan(sub["id"], 2)])
    r = add(member, member.trunk(parent["id"])["id"], [vlan(sub["id"], 3)])
    assert r.status_code == 409 and error_type(r) == "SubPortMtuGreaterThanTrunkPortMtu"


def test_order_missing_segmentation_comes_before_unknown_type(member: Api) -> None:
    r = add(member, member.trunk()["id"], [{"port_id": member.port()["id"]}])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert "missing segmentation" in message(r)


def test_order_segmentation_checks_come_before_in_use(member: Api) -> None:
    sub = member.port()
    member.trunk(sub_ports=[vlan(sub["id"], 2)])
    trunk = member.trunk()
    for item in (vlan(sub["id"], 5000), vlan(sub["id"], "abc"),
                 {"port_id": sub["id"], "segmentation_type": "fake", "segmentation_id": 2}):
        r = add(member, trunk["id"], [item])
        assert r.status_code == 400 and error_type(r) == "InvalidInput", item


def test_order_segmentation_checks_come_before_not_found(member: Api) -> None:
    r = add(member, member.trunk()["id"], [vlan(random_id(), 5000)])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"


def test_order_not_found_comes_before_in_use(admin: Api, member: Api) -> None:
    """A port the caller cannot see is PortNotFound even when it is already a subport: an in-use
    answer would tell another project that the port exists (SPEC.md §1.11)."""
    theirs = admin.port()
    admin.trunk(sub_ports=[vlan(theirs["id"], 2)])
    r = add(member, member.trunk()["id"], [vlan(theirs["id"], 3)])
    assert r.status_code == 404 and error_type(r) == "PortNotFound"


def test_order_in_use_comes_before_device_id(member: Api) -> None:
    sub = member.port()
    member.trunk(sub_ports=[vlan(sub["id"], 2)])
    r = member.put(f"/v2.0/ports/{sub['id']}", {"port": {"device_id": "some-vm"}})
    assert r.status_code == 200, r.text
    r = add(member, member.trunk()["id"], [vlan(sub["id"], 3)])
    assert r.status_code == 409 and error_type(r) == "TrunkPortInUse"


def test_order_not_found_comes_before_device_id(admin: Api, member: Api) -> None:
    theirs = admin.port(device_id="their-vm")
    r = add(member, member.trunk()["id"], [vlan(theirs["id"], 2)])
    assert r.status_code == 404 and error_type(r) == "PortNotFound"


def test_items_are_checked_in_request_order(member: Api) -> None:
    trunk = member.trunk()
    missing, parent_item = vlan(random_id(), 2), vlan(trunk["port_id"], 3)
    r = add(member, trunk["id"], [missing, parent_item])
    assert r.status_code == 404 and error_type(r) == "PortNotFound"
    r = add(member, trunk["id"], [parent_item, missing])
    assert r.status_code == 409 and error_type(r) == "ParentPortInUse"


def test_per_subport_checks_come_before_the_disabled_check(member: Api) -> None:
    trunk = disabled_trunk(member)
    r = add(member, trunk["id"], [vlan(member.port()["id"], 5000)])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    r = add(member, trunk["id"], [vlan(random_id(), 2)])
    assert r.status_code == 404 and error_type(r) == "PortNotFound"


def test_parent_checks_come_before_subport_checks_on_create(member: Api) -> None:
    r = create(member, random_id(), [vlan(random_id(), 5000)])
    assert r.status_code == 404 and error_type(r) == "PortNotFound"


def test_same_vlan_as_int_and_string_in_one_add_request_is_400_invalid_input(member: Api) -> None:
    trunk = member.trunk()
    r = add(member, trunk["id"], [vlan(member.port()["id"], 2), vlan(member.port()["id"], "2")])
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert "not unique" in message(r)
    assert sub_ports_of(member, trunk["id"]) == []


def test_two_inherit_subports_resolving_to_one_vlan_are_409_duplicate_subport(admin: Api) -> None:
    """One VLAN id on two physical networks: both inherit vlan/<id>, which clash on one trunk."""
    vlan_id = fresh_vlan()
    subs = [
        admin.port(admin.network(**{"provider:network_type": "vlan", "provider:physical_network": physnet,
                                    "provider:segmentation_id": vlan_id})["id"])
        for physnet in ("physnet1", "physnet2")
    ]
    inherit = [{"port_id": s["id"], "segmentation_type": "inherit"} for s in subs]
    parent_net = admin.network(**{"provider:network_type": "vlan", "provider:physical_network": "physnet1"})
    r = create(admin, admin.port(parent_net["id"])["id"], inherit)
    assert r.status_code == 409 and error_type(r) == "DuplicateSubPort"
    trunk = admin.trunk(admin.port(parent_net["id"])["id"])
    r = add(admin, trunk["id"], inherit)
    assert r.status_code == 409 and error_type(r) == "DuplicateSubPort"
    assert sub_ports_of(admin, trunk["id"]) == []
