"""Desired-state subports (PUT /v2.0/trunks/{id}/sub_ports) and ?idempotent=true on the actions."""

from __future__ import annotations

import pytest

from tests.feature_support import events_since, feed_head, ports, report, subport_map, vlan
from tests.support import Api, Server, error_type
from tests.test_client_sdk import sdk_connection


def put_set(api: Api, trunk_id: str, items: list[dict]) -> dict:
    r = api.put(f"/v2.0/trunks/{trunk_id}/sub_ports", {"sub_ports": items})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_put_applies_only_the_difference_in_one_revision_with_its_events(admin: Api) -> None:
    a, b, c, d = ports(admin, 4)
    trunk = admin.trunk(sub_ports=[vlan(a, 10), vlan(b, 20), vlan(c, 30)])
    report(admin, trunk["id"], "ACTIVE")  # every subport ACTIVE
    before = admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]
    head = feed_head(admin)
    body = put_set(admin, trunk["id"], [vlan(a, 10), vlan(b, 25), vlan(d, 40)])
    changes = body["changes"]
    assert changes["added"] == [vlan(d, 40)]
    assert changes["removed"] == [vlan(c, 30)]
    assert changes["retagged"] == [{**vlan(b, 25), "previous_segmentation_type": "vlan",
                                    "previous_segmentation_id": 20}]
    assert body["trunk"]["revision_number"] == before["revision_number"] + 1
    assert body["trunk"]["status"] == "DOWN"
    assert subport_map(admin, trunk["id"]) == {a: 10, b: 25, d: 40}
    statuses = {s["port_id"]: s["status"] for s in admin.get(
        f"/v2.0/trunks/{trunk['id']}", params={"subport_status": "true"}).json()["trunk"]["sub_ports"]}
    assert statuses == {a: "ACTIVE", b: "DOWN", d: "DOWN"}, "the untouched subport keeps its status"
    kinds = [(e["kind"], sorted(s["port_id"] for s in e["state"]["changed_sub_ports"]))
             for e in events_since(admin, head, trunk["id"])]
    assert kinds == [("trunk.subports_removed", sorted([b, c])), ("trunk.subports_added", sorted([b, d]))]
    assert admin.get(f"/v2.0/ports/{c}").status_code == 200, "a removed subport's port stays"


def test_the_same_put_again_changes_nothing_at_all(admin: Api) -> None:
    a, b = ports(admin, 2)
    trunk = admin.trunk()
    wanted = [vlan(a, 5), vlan(b, 6)]
    put_set(admin, trunk["id"], wanted)
    report(admin, trunk["id"], "ACTIVE")
    settled = admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]
    head = feed_head(admin)
    body = put_set(admin, trunk["id"], list(reversed(wanted)))
    assert body["changes"] == {"added": [], "removed": [], "retagged": []}
    assert body["trunk"] == settled
    assert admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"] == settled
    assert events_since(admin, head, trunk["id"]) == []


def test_put_swaps_two_vlans_and_empties_the_trunk(admin: Api) -> None:
    a, b = ports(admin, 2)
    trunk = admin.trunk(sub_ports=[vlan(a, 100), vlan(b, 200)])
    body = put_set(admin, trunk["id"], [vlan(a, 200), vlan(b, 100)])
    assert len(body["changes"]["retagged"]) == 2
    assert subport_map(admin, trunk["id"]) == {a: 200, b: 100}
    body = put_set(admin, trunk["id"], [])
    assert sorted(s["port_id"] for s in body["changes"]["removed"]) == sorted([a, b])
    assert subport_map(admin, trunk["id"]) == {}


def test_put_validates_everything_and_writes_nothing_on_error(admin: Api) -> None:
    a, b, elsewhere = ports(admin, 3)
    trunk = admin.trunk(sub_ports=[vlan(a, 10)])
    admin.trunk(sub_ports=[vlan(elsewhere, 10)])
    before = admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]
    cases = [
        ({"sub_ports": [vlan(b, 10), vlan(a, 10)]}, 400, "InvalidInput"),  # duplicate segment in the body
        ({"sub_ports": [vlan(b, 5000)]}, 400, "InvalidInput"),
        ({"sub_ports": [vlan(b, 11), vlan(elsewhere, 12)]}, 409, "TrunkPortInUse"),
        ({"sub_ports": [vlan(trunk["port_id"], 12)]}, 409, "ParentPortInUse"),
        ({"sub_ports": {"port_id": b}}, 400, "InvalidInput"),
        ({}, 400, "InvalidInput"),
    ]
    for body, code, kind in cases:
        r = admin.put(f"/v2.0/trunks/{trunk['id']}/sub_ports", body)
        assert (r.status_code, error_type(r)) == (code, kind), (body, r.text)
    assert admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"] == before
    assert admin.put("/v2.0/trunks/00000000-0000-0000-0000-000000000000/sub_ports",
                     {"sub_ports": []}).status_code == 404


def test_put_keeps_neutron_rules_disabled_and_policy(admin: Api, member: Api, project: str) -> None:
    a = ports(admin, 1)[0]
    trunk = admin.trunk(sub_ports=[vlan(a, 10)])
    assert admin.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"admin_state_up": False}}).status_code == 200
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/sub_ports", {"sub_ports": []})
    assert (r.status_code, error_type(r)) == (409, "TrunkDisabled")
    assert put_set(admin, trunk["id"], [vlan(a, 10)])["changes"]["removed"] == [], "a no-op is fine"
    own = member.trunk()
    r = member.as_(project, "reader").put(f"/v2.0/trunks/{own['id']}/sub_ports", {"sub_ports": []})
    assert (r.status_code, error_type(r)) == (403, "PolicyNotAuthorized")
    other = member.port()["id"]
    assert member.put(f"/v2.0/trunks/{own['id']}/sub_ports", {"sub_ports": [vlan(other, 3)]}).status_code == 200


def test_idempotent_add_retry_after_partial_failure_succeeds(admin: Api) -> None:
    a, b = ports(admin, 2)
    trunk = admin.trunk(sub_ports=[vlan(a, 10)])
    retry = {"sub_ports": [vlan(a, 10), vlan(b, 20)]}
    plain = admin.put(f"/v2.0/trunks/{trunk['id']}/add_subports", retry)
    assert plain.status_code == 409 and error_type(plain) in ("DuplicateSubPort", "TrunkPortInUse")
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/add_subports", retry, params={"idempotent": "true"})
    assert r.status_code == 200, r.text
    assert subport_map(admin, trunk["id"]) == {a: 10, b: 20}
    settled = r.json()
    head = feed_head(admin)
    again = admin.put(f"/v2.0/trunks/{trunk['id']}/add_subports", retry, params={"idempotent": "true"})
    assert again.json() == settled and events_since(admin, head, trunk["id"]) == []
    clash = admin.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [vlan(a, 11)]},
                      params={"idempotent": "true"})
    assert clash.status_code == 409, "the same port with another VLAN is not identical"


def test_idempotent_remove_treats_absent_ports_as_done(admin: Api) -> None:
    a, b = ports(admin, 2)
    trunk = admin.trunk(sub_ports=[vlan(a, 10), vlan(b, 20)])
    body = {"sub_ports": [{"port_id": a}, {"port_id": b}]}
    assert admin.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", {"sub_ports": [{"port_id": a}]}).status_code == 200
    plain = admin.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", body)
    assert (plain.status_code, error_type(plain)) == (404, "SubPortNotFound")
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", body, params={"idempotent": "true"})
    assert r.status_code == 200 and r.json()["sub_ports"] == []
    revision = r.json()["revision_number"]
    again = admin.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", body, params={"idempotent": "1"})
    assert again.status_code == 200 and again.json()["revision_number"] == revision
    bad = admin.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", body, params={"idempotent": "maybe"})
    assert (bad.status_code, error_type(bad)) == (400, "HTTPBadRequest")


@pytest.mark.filterwarnings("ignore::openstack.warnings._RemovedInSDKWarning")
def test_openstacksdk_still_adds_and_removes_alongside_desired_state(server: Server) -> None:
    conn = sdk_connection(server.url)
    admin = Api(server.url)
    a, b = ports(admin, 2)
    trunk = conn.network.create_trunk(port_id=ports(admin, 1)[0])
    put_set(admin, trunk.id, [vlan(a, 7)])
    conn.network.add_trunk_subports(trunk, [vlan(b, 8)])
    assert {s["port_id"] for s in conn.network.get_trunk_subports(trunk)["sub_ports"]} == {a, b}
    assert put_set(admin, trunk.id, [vlan(a, 7), vlan(b, 8)])["changes"]["added"] == []


@pytest.mark.parametrize("items", [[{"port_id": "x"}], "nope"])
def test_put_shape_errors_are_400(admin: Api, items: object) -> None:
    trunk = admin.trunk()
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/sub_ports", {"sub_ports": items})
    assert (r.status_code, error_type(r)) == (400, "InvalidInput")
