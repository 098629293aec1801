"""DELETE /v2.0/ports/{id}?cascade=trunk: a port leaves with its trunk role, in one transaction."""

from __future__ import annotations

from tests.feature_support import events_since, feed_head, ports, subport_map, vlan
from tests.support import Api, error_type


def test_without_the_flag_neutrons_409s_stay(admin: Api) -> None:
    parent, a = ports(admin, 2)
    admin.trunk(parent, sub_ports=[vlan(a, 10)])
    assert error_type(admin.delete(f"/v2.0/ports/{parent}")) == "PortInUseAsTrunkParent"
    assert error_type(admin.delete(f"/v2.0/ports/{a}")) == "PortInUseAsSubPort"


def test_cascade_deletes_a_parent_with_its_trunk_and_frees_the_subports(admin: Api) -> None:
    parent, a, b = ports(admin, 3)
    trunk = admin.trunk(parent, sub_ports=[vlan(a, 10), vlan(b, 20)])
    head = feed_head(admin)
    r = admin.delete(f"/v2.0/ports/{parent}", params={"cascade": "trunk"})
    assert r.status_code == 204, r.text
    assert admin.get(f"/v2.0/trunks/{trunk['id']}").status_code == 404
    assert admin.get(f"/v2.0/ports/{parent}").status_code == 404
    kinds = [(e["kind"], e["resource_id"]) for e in events_since(admin, head, trunk["id"], parent)]
    assert kinds == [("trunk.deleted", trunk["id"]), ("port.deleted", parent)]
    assert len({e["request_id"] for e in events_since(admin, head, trunk["id"], parent)}) == 1
    for port in (a, b):  # free again: may join another trunk
        admin.trunk(sub_ports=[vlan(port, 5)])


def test_cascade_deletes_a_subport_with_its_membership(admin: Api) -> None:
    a, b = ports(admin, 2)
    trunk = admin.trunk(sub_ports=[vlan(a, 10), vlan(b, 20)])
    head = feed_head(admin)
    assert admin.delete(f"/v2.0/ports/{a}", params={"cascade": "trunk"}).status_code == 204
    assert subport_map(admin, trunk["id"]) == {b: 20}
    shown = admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]
    assert shown["revision_number"] == trunk["revision_number"] + 1 and shown["status"] == "DOWN"
    kinds = [e["kind"] for e in events_since(admin, head, trunk["id"], a)]
    assert kinds == ["trunk.subports_removed", "port.deleted"]


def test_cascade_keeps_the_trunk_rules_and_rejects_other_values(admin: Api) -> None:
    parent = ports(admin, 1)[0]
    trunk = admin.trunk(parent)
    assert admin.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"admin_state_up": False}}).status_code == 200
    r = admin.delete(f"/v2.0/ports/{parent}", params={"cascade": "trunk"})
    assert (r.status_code, error_type(r)) == (409, "TrunkDisabled")
    assert admin.get(f"/v2.0/ports/{parent}").status_code == 200, "nothing half-deleted"
    r = admin.delete(f"/v2.0/ports/{parent}", params={"cascade": "all"})
    assert (r.status_code, error_type(r)) == (400, "HTTPBadRequest")
    plain = ports(admin, 1)[0]
    assert admin.delete(f"/v2.0/ports/{plain}", params={"cascade": "trunk"}).status_code == 204


def test_cascade_respects_visibility_and_policy(admin: Api, member: Api, project: str) -> None:
    theirs = admin.port()["id"]
    admin.trunk(theirs)
    assert error_type(member.delete(f"/v2.0/ports/{theirs}", params={"cascade": "trunk"})) == "PortNotFound"
    own_parent = member.port()["id"]
    member.trunk(own_parent)
    r = member.as_(project, "reader").delete(f"/v2.0/ports/{own_parent}", params={"cascade": "trunk"})
    assert r.status_code == 403
    assert member.delete(f"/v2.0/ports/{own_parent}", params={"cascade": "trunk"}).status_code == 204
