"""The core beyond trunks as Neutron's own API tests see it: router:external, subnet `shared`, MTU
minimums, MAC updates, extra DHCP options, subnet service types, tags in bulk port creation."""

from __future__ import annotations

import uuid

from tests.feature_support import events_since, feed_head
from tests.support import Api, error_type


def _ids(r: object) -> set[str]:
    body = r.json()  # type: ignore[attr-defined]
    return {item["id"] for item in next(iter(body.values()))}


# -- router:external ----------------------------------------------------------------------------
def test_admin_makes_a_network_external_and_everyone_sees_it(admin: Api, member: Api) -> None:
    net = admin.network(**{"router:external": True})
    assert net["router:external"] is True
    assert net["id"] in _ids(member.get("/v2.0/networks", params={"router:external": "True"}))
    assert net["id"] not in _ids(member.get("/v2.0/networks", params={"router:external": "False"}))
    assert member.get(f"/v2.0/networks/{net['id']}").status_code == 200
    subnet = admin.subnet(net["id"], cidr="198.51.100.0/24")
    assert member.get(f"/v2.0/subnets/{subnet['id']}").status_code == 200
    r = admin.put(f"/v2.0/networks/{net['id']}", {"network": {"router:external": False}})
    assert r.status_code == 200 and r.json()["network"]["router:external"] is False
    assert member.get(f"/v2.0/networks/{net['id']}").status_code == 404


def test_members_cannot_set_router_external(member: Api) -> None:
    r = member.post("/v2.0/networks", {"network": {"router:external": True}})
    assert r.status_code == 403 and error_type(r) == "PolicyNotAuthorized"
    net = member.network()
    assert net["router:external"] is False
    r = member.put(f"/v2.0/networks/{net['id']}", {"network": {"router:external": True}})
    assert r.status_code == 403 and error_type(r) == "PolicyNotAuthorized"
    r = member.post("/v2.0/networks", {"network": {"router:external": "maybe"}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"


# -- subnet shared ------------------------------------------------------------------------------
def test_subnets_filter_on_their_networks_shared(admin: Api) -> None:
    shared = admin.subnet(admin.network(shared=True)["id"], cidr="10.20.0.0/24")
    own = admin.subnet(cidr="10.21.0.0/24")
    listed_shared = _ids(admin.get("/v2.0/subnets", params={"shared": "True"}))
    listed_private = _ids(admin.get("/v2.0/subnets", params={"shared": "False"}))
    assert shared["id"] in listed_shared and shared["id"] not in listed_private
    assert own["id"] in listed_private and own["id"] not in listed_shared
    r = admin.post("/v2.0/subnets", {"subnet": {"network_id": own["network_id"], "ip_version": 4,
                                                "cidr": "10.22.0.0/24", "shared": True}})
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"


# -- MTU minimums -------------------------------------------------------------------------------
def test_network_below_ipv4_minimum_takes_no_subnet(member: Api) -> None:
    net = member.network(mtu=67)
    assert net["mtu"] == 67
    r = member.post("/v2.0/subnets", {"subnet": {"network_id": net["id"], "ip_version": 4, "cidr": "10.0.0.0/24"}})
    assert r.status_code == 409 and error_type(r) == "NetworkMTUSubnetConflict"
    assert "minimum of 68" in r.json()["NeutronError"]["message"]
    assert member.get("/v2.0/subnets", params={"network_id": net["id"]}).json()["subnets"] == []


def test_ipv6_subnet_needs_1280(member: Api) -> None:
    net = member.network(mtu=1279)
    r = member.post("/v2.0/subnets", {"subnet": {"network_id": net["id"], "ip_version": 6,
                                                 "cidr": "2001:db8::/64"}})
    assert r.status_code == 409 and error_type(r) == "NetworkMTUSubnetConflict"
    assert "minimum of 1280" in r.json()["NeutronError"]["message"]
    member.subnet(net["id"], cidr="10.0.0.0/24")  # IPv4 is fine at 1279


def test_mtu_update_below_what_a_subnet_needs_is_409(member: Api) -> None:
    net = member.network(mtu=1400)
    member.subnet(net["id"], cidr="10.0.0.0/24")
    r = member.put(f"/v2.0/networks/{net['id']}", {"network": {"mtu": 67}})
    assert r.status_code == 409 and error_type(r) == "NetworkMTUSubnetConflict"
    member.subnet(net["id"], cidr="2001:db8::/64")
    r = member.put(f"/v2.0/networks/{net['id']}", {"network": {"mtu": 1279}})
    assert r.status_code == 409 and "minimum of 1280" in r.json()["NeutronError"]["message"]
    assert member.put(f"/v2.0/networks/{net['id']}", {"network": {"mtu": 1280}}).status_code == 200


def test_empty_network_takes_any_mtu_update(member: Api) -> None:
    net = member.network()
    r = member.put(f"/v2.0/networks/{net['id']}", {"network": {"mtu": 67}})
    assert r.status_code == 200 and r.json()["network"]["mtu"] == 67


# -- mac_address updates ------------------------------------------------------------------------
def test_admin_changes_mac_of_unbound_port(admin: Api, member: Api) -> None:
    net = member.network()
    port = member.port(net["id"])
    r = member.put(f"/v2.0/ports/{port['id']}", {"port": {"mac_address": "fa:16:3e:00:00:01"}})
    assert r.status_code == 403 and error_type(r) == "PolicyNotAuthorized"
    r = admin.put(f"/v2.0/ports/{port['id']}", {"port": {"mac_address": "FA:16:3E:00:00:02"}})
    assert r.status_code == 200, r.text
    assert r.json()["port"]["mac_address"] == "fa:16:3e:00:00:02"
    other = member.port(net["id"])
    r = admin.put(f"/v2.0/ports/{other['id']}", {"port": {"mac_address": "fa:16:3e:00:00:02"}})
    assert r.status_code == 409 and error_type(r) == "MacAddressInUse"
    r = admin.put(f"/v2.0/ports/{other['id']}", {"port": {"mac_address": "not-a-mac"}})
    assert r.status_code == 400


# -- extra_dhcp_opts ----------------------------------------------------------------------------
def test_extra_dhcp_opts_create_merge_and_remove(member: Api) -> None:
    opts = [{"opt_name": "bootfile-name", "opt_value": "pxelinux.0"},
            {"opt_name": "tftp-server", "opt_value": "192.0.2.1", "ip_version": 4}]
    port = member.port(extra_dhcp_opts=opts)
    assert {(o["opt_name"], o["opt_value"], o["ip_version"]) for o in port["extra_dhcp_opts"]} == {
        ("bootfile-name", "pxelinux.0", 4), ("tftp-server", "192.0.2.1", 4)}
    r = member.put(f"/v2.0/ports/{port['id']}", {"port": {"extra_dhcp_opts": [
        {"opt_name": "bootfile-name", "opt_value": "changed.0"}, {"opt_name": "tftp-server", "opt_value": None}]}})
    assert r.status_code == 200
    assert r.json()["port"]["extra_dhcp_opts"] == [{"opt_name": "bootfile-name", "opt_value": "changed.0",
                                                    "ip_version": 4}]
    assert member.get(f"/v2.0/ports/{port['id']}").json()["port"]["extra_dhcp_opts"] == \
        r.json()["port"]["extra_dhcp_opts"]


def test_bad_extra_dhcp_opts_are_invalid_input(member: Api) -> None:
    net = member.network()
    for bad in ([{"opt_name": "x"}], [{"opt_name": "", "opt_value": "v"}], [{"opt_name": "x", "opt_value": "v",
                                                                               "ip_version": 5}], "opts"):
        r = member.post("/v2.0/ports", {"port": {"network_id": net["id"], "extra_dhcp_opts": bad}})
        assert r.status_code == 400 and error_type(r) == "InvalidInput", (bad, r.text)
    assert member.get("/v2.0/ports", params={"network_id": net["id"]}).json()["ports"] == []


# -- service_types ------------------------------------------------------------------------------
def test_subnet_service_types(member: Api) -> None:
    subnet = member.subnet(service_types=["compute:nova", "network:dhcp"])
    assert subnet["service_types"] == ["compute:nova", "network:dhcp"]
    r = member.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": {"service_types": ["network:router_gateway"]}})
    assert r.status_code == 200 and r.json()["subnet"]["service_types"] == ["network:router_gateway"]
    r = member.post("/v2.0/subnets", {"subnet": {"network_id": subnet["network_id"], "ip_version": 4,
                                                 "cidr": "10.9.0.0/24", "service_types": ["bogus:x"]}})
    assert r.status_code == 400 and error_type(r) == "InvalidSubnetServiceType"
    r = member.post("/v2.0/subnets", {"subnet": {"network_id": subnet["network_id"], "ip_version": 4,
                                                 "cidr": "10.9.0.0/24", "service_types": [3]}})
    assert r.status_code == 400 and error_type(r) == "InvalidInputSubnetServiceType"


# -- tags in bulk port creation -----------------------------------------------------------------
def test_tags_during_bulk_port_creation(member: Api) -> None:
    net = member.network()
    tag = uuid.uuid4().hex[:8]
    r = member.post("/v2.0/ports", {"ports": [{"network_id": net["id"], "tags": [tag, "a"]},
                                              {"network_id": net["id"], "tags": [tag]}]})
    assert r.status_code == 201, r.text
    assert [sorted(p["tags"]) for p in r.json()["ports"]] == [sorted([tag, "a"]), [tag]]
    assert len(member.get("/v2.0/ports", params={"tags": tag}).json()["ports"]) == 2


def test_changes_write_their_events(admin: Api) -> None:
    head = feed_head(admin)
    net = admin.network(**{"router:external": True})
    port = admin.port(net["id"], extra_dhcp_opts=[{"opt_name": "mtu", "opt_value": "1400"}])
    subnet = admin.subnet(net["id"], service_types=["network:dhcp"])
    found = {e["resource_id"]: e for e in events_since(admin, head, net["id"], port["id"], subnet["id"])}
    assert found[net["id"]]["state"]["router:external"] is True
    assert found[port["id"]]["state"]["extra_dhcp_opts"][0]["opt_name"] == "mtu"
    assert found[subnet["id"]]["state"]["service_types"] == ["network:dhcp"]


def test_mac_of_a_bound_port_is_409_port_bound(admin: Api) -> None:
    host = f"host-{uuid.uuid4().hex[:8]}"
    r = admin.post("/v2.0/agents", {"agent": {"host": host, "agent_type": "Open vSwitch agent",
                                              "binary": "trunkd-agent", "configurations": {}}})
    assert r.status_code in (200, 201), r.text
    port = admin.port(**{"binding:host_id": host})
    assert port["binding:vif_type"] == "ovs"
    r = admin.put(f"/v2.0/ports/{port['id']}", {"port": {"mac_address": "fa:16:3e:00:00:09"}})
    assert r.status_code == 409 and error_type(r) == "PortBound"
    assert admin.get(f"/v2.0/ports/{port['id']}").json()["port"]["mac_address"] == port["mac_address"]


def test_ports_take_addresses_from_the_subnets_serving_their_device_owner(member: Api) -> None:
    net = member.network()
    typed = member.subnet(net["id"], cidr="192.168.1.0/24", service_types=["test:type_1", "network:distributed"])
    plain = member.subnet(net["id"], cidr="192.168.2.0/24")
    port = member.port(net["id"], device_owner="test:type_1")
    assert [f["subnet_id"] for f in port["fixed_ips"]] == [typed["id"]]
    other = member.port(net["id"], device_owner="compute:nova")
    assert [f["subnet_id"] for f in other["fixed_ips"]] == [plain["id"]]
