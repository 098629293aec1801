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


def test_every_network_subnet_port_and_trunk_write_has_a_dry_run(admin: Api) -> None:
    """POST/PUT/DELETE of networks, subnets, ports and trunks with ?dry_run=true: full validation, a 200
    saying what would happen, nothing written, no event (issue 19, item 5)."""
    net = admin.network(name="dry-net")
    subnet = admin.subnet(net["id"], cidr="10.19.0.0/24")
    port = admin.port(net["id"], name="dry-port")
    parent = admin.port(net["id"])
    trunk = admin.trunk(parent["id"], name="dry-trunk")
    before = {path: admin.get(path).json() for path in (
        f"/v2.0/networks/{net['id']}", f"/v2.0/subnets/{subnet['id']}", f"/v2.0/ports/{port['id']}",
        f"/v2.0/ports/{parent['id']}", f"/v2.0/trunks/{trunk['id']}")}
    counts = {c: len(admin.get(f"/v2.0/{c}").json()[c]) for c in ("networks", "subnets", "ports", "trunks")}
    head = feed_head(admin)
    dry = {"dry_run": "true"}

    r = admin.post("/v2.0/networks", {"network": {"name": "would-be"}}, params=dry)
    assert r.status_code == 200 and r.json()["network"]["name"] == "would-be", r.text
    r = admin.post("/v2.0/subnets", {"subnet": {"network_id": net["id"], "cidr": "10.20.0.0/24", "ip_version": 4}},
                   params=dry)
    assert r.status_code == 200 and r.json()["subnet"]["cidr"] == "10.20.0.0/24", r.text
    r = admin.post("/v2.0/ports", {"ports": [{"network_id": net["id"]}, {"network_id": net["id"]}]}, params=dry)
    assert r.status_code == 200 and len(r.json()["ports"]) == 2, r.text
    assert all(p["fixed_ips"] for p in r.json()["ports"])  # addresses were allocated, then rolled back
    for path, body in ((f"/v2.0/networks/{net['id']}", {"network": {"name": "renamed"}}),
                       (f"/v2.0/subnets/{subnet['id']}", {"subnet": {"name": "renamed"}}),
                       (f"/v2.0/ports/{port['id']}", {"port": {"name": "renamed"}}),
                       (f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "renamed"}})):
        r = admin.put(path, body, params=dry)
        assert r.status_code == 200, (path, r.text)
        assert next(iter(r.json().values()))["name"] == "renamed"
    for path, resource in ((f"/v2.0/trunks/{trunk['id']}", "trunk"), (f"/v2.0/ports/{port['id']}", "port"),
                           (f"/v2.0/ports/{parent['id']}?cascade=trunk", "port")):
        r = admin.delete(path + ("&" if "?" in path else "?") + "dry_run=true")
        assert r.status_code == 200, (path, r.text)
        assert r.json()["dry_run"]["action"] == "delete" and r.json()["dry_run"]["resource"] == resource
    # validation runs in full: what the real write would refuse, the dry run refuses alike
    r = admin.delete(f"/v2.0/ports/{parent['id']}", params=dry)
    assert (r.status_code, error_type(r)) == (409, "PortInUseAsTrunkParent")
    r = admin.delete(f"/v2.0/networks/{net['id']}", params=dry)
    assert r.status_code == 409, r.text
    r = admin.delete(f"/v2.0/subnets/{subnet['id']}", params=dry)
    assert r.status_code == 409, r.text
    r = admin.post("/v2.0/ports", {"port": {"network_id": "00000000-0000-0000-0000-000000000000"}}, params=dry)
    assert (r.status_code, error_type(r)) == (404, "NetworkNotFound")
    assert admin.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "x"}}, params={"dry_run": "maybe"}) \
        .status_code == 400

    assert {path: admin.get(path).json() for path in before} == before
    assert {c: len(admin.get(f"/v2.0/{c}").json()[c]) for c in counts} == counts
    assert events_since(admin, head) == []
    # and the real writes still happen
    assert admin.delete(f"/v2.0/ports/{parent['id']}?cascade=trunk").status_code == 204
    assert admin.get(f"/v2.0/trunks/{trunk['id']}").status_code == 404
