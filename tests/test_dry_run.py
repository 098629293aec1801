"""?dry_run=true: full validation and the would-be result, no write, no event."""

from __future__ import annotations

from tests.feature_support import events_since, feed_head, ports, subport_map, vlan
from tests.support import Api, error_type


def test_dry_run_create_answers_the_would_be_trunk_and_creates_nothing(admin: Api) -> None:
    parent, a = ports(admin, 2)
    head = feed_head(admin)
    body = {"trunk": {"port_id": parent, "name": "dry", "sub_ports": [vlan(a, 10)]}}
    r = admin.post("/v2.0/trunks", body, params={"dry_run": "true"})
    assert r.status_code == 200, r.text
    would = r.json()["trunk"]
    assert (would["name"], would["port_id"], would["status"], would["sub_ports"]) == ("dry", parent, "DOWN",
                                                                                      [vlan(a, 10)])
    assert admin.get(f"/v2.0/trunks/{would['id']}").status_code == 404
    assert admin.get("/v2.0/trunks", params={"port_id": parent}).json()["trunks"] == []
    assert events_since(admin, head) == []
    real = admin.post("/v2.0/trunks", body)
    assert real.status_code == 201, "the dry run left the ports free"


def test_dry_run_runs_every_check_including_constraints(admin: Api) -> None:
    parent, a = ports(admin, 2)
    admin.trunk(sub_ports=[vlan(a, 10)])
    cases = [
        ({"trunk": {"port_id": parent, "sub_ports": [vlan(a, 11)]}}, 409, "TrunkPortInUse"),
        ({"trunk": {"port_id": parent, "sub_ports": [vlan(ports(admin, 1)[0], 0)]}}, 400, "InvalidInput"),
        ({"trunk": {"port_id": "00000000-0000-0000-0000-000000000000"}}, 404, "PortNotFound"),
        ({"trunk": {}}, 400, "HTTPBadRequest"),
    ]
    for body, code, kind in cases:
        r = admin.post("/v2.0/trunks", body, params={"dry_run": "true"})
        assert (r.status_code, error_type(r)) == (code, kind), (body, r.text)


def test_dry_run_add_remove_and_set_change_nothing(admin: Api) -> None:
    a, b, c = ports(admin, 3)
    trunk = admin.trunk(sub_ports=[vlan(a, 10)])
    tid = trunk["id"]
    head = feed_head(admin)
    r = admin.put(f"/v2.0/trunks/{tid}/add_subports", {"sub_ports": [vlan(b, 20)]}, params={"dry_run": "true"})
    assert r.status_code == 200 and {s["port_id"] for s in r.json()["sub_ports"]} == {a, b}
    assert r.json()["revision_number"] == trunk["revision_number"] + 1, "the would-be revision"
    r = admin.put(f"/v2.0/trunks/{tid}/remove_subports", {"sub_ports": [{"port_id": a}]},
                  params={"dry_run": "true"})
    assert r.status_code == 200 and r.json()["sub_ports"] == []
    r = admin.put(f"/v2.0/trunks/{tid}/sub_ports", {"sub_ports": [vlan(c, 30)]}, params={"dry_run": "true"})
    assert r.status_code == 200
    assert (r.json()["changes"]["added"], r.json()["changes"]["removed"]) == ([vlan(c, 30)], [vlan(a, 10)])
    r = admin.put(f"/v2.0/trunks/{tid}/add_subports", {"sub_ports": [vlan(b, 10)]}, params={"dry_run": "true"})
    assert (r.status_code, error_type(r)) == (409, "DuplicateSubPort")
    assert admin.get(f"/v2.0/trunks/{tid}").json()["trunk"] == trunk
    assert subport_map(admin, tid) == {a: 10}
    assert events_since(admin, head) == []
    assert admin.get(f"/v2.0/ports/{b}").json()["port"]["device_owner"] == ""
