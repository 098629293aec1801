"""openstacksdk and python-openstackclient, unmodified, driving subnets, addresses and trunks.

The SDK test is the flow Terraform's OpenStack provider (gophercloud) runs: network -> subnet ->
ports with addresses -> trunk with subports -> tags -> update -> remove -> delete, all cleaned up.
"""

from __future__ import annotations

import pytest
from openstack import exceptions

from tests.support import Api, Server
from tests.test_client_osc import osc, osc_json, osc_ok, unique
from tests.test_client_sdk import sdk_connection

pytestmark = pytest.mark.filterwarnings("ignore::openstack.warnings._RemovedInSDKWarning")


def test_terraform_style_flow_with_openstacksdk(server: Server, project: str, member: Api) -> None:
    conn = sdk_connection(server.url, project, "member,reader")
    net = conn.network.create_network(name=unique("tf-net"), port_security_enabled=True)
    subnet = conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="192.168.199.0/24",
                                        name=unique("tf-subnet"), dns_nameservers=["192.168.199.53"],
                                        allocation_pools=[{"start": "192.168.199.100", "end": "192.168.199.200"}])
    assert (subnet.cidr, subnet.gateway_ip, subnet.is_dhcp_enabled) == ("192.168.199.0/24", "192.168.199.1", True)
    assert conn.network.get_network(net.id).subnet_ids == [subnet.id]
    sub_net = conn.network.create_network(name=unique("tf-subnet-net"))
    sub_subnet = conn.network.create_subnet(network_id=sub_net.id, ip_version=4, cidr="192.168.200.0/24")

    parent = conn.network.create_port(
        network_id=net.id, name=unique("parent"), admin_state_up=True, security_group_ids=[],
        fixed_ips=[{"subnet_id": subnet.id, "ip_address": "192.168.199.110"}],
        allowed_address_pairs=[{"ip_address": "192.168.199.250"}], port_security_enabled=True)
    assert parent.fixed_ips == [{"subnet_id": subnet.id, "ip_address": "192.168.199.110"}]
    assert parent.security_group_ids == []
    assert parent.allowed_address_pairs == [{"ip_address": "192.168.199.250", "mac_address": parent.mac_address}]
    children = [conn.network.create_port(network_id=sub_net.id, name=unique("child"), security_group_ids=[],
                                         fixed_ips=[{"subnet_id": sub_subnet.id}]) for _ in range(2)]
    assert [c.fixed_ips[0]["ip_address"] for c in children] == ["192.168.200.2", "192.168.200.3"]

    trunk = conn.network.create_trunk(port_id=parent.id, name=unique("tf-trunk"), sub_ports=[
        {"port_id": children[0].id, "segmentation_type": "vlan", "segmentation_id": 1}])
    conn.network.set_tags(trunk, ["a", "b"])
    assert sorted(conn.network.get_trunk(trunk.id).tags) == ["a", "b"]
    conn.network.update_trunk(trunk, name="renamed", description="d")
    conn.network.add_trunk_subports(trunk, [{"port_id": children[1].id, "segmentation_type": "vlan",
                                              "segmentation_id": 2}])
    details = conn.network.get_port(parent.id).trunk_details
    assert sorted(s["segmentation_id"] for s in details["sub_ports"]) == [1, 2]
    shown = {p.id: p.fixed_ips for p in conn.network.ports(network_id=sub_net.id)}
    assert shown == {c.id: c.fixed_ips for c in children}
    conn.network.delete_trunk_subports(trunk, [{"port_id": children[0].id}])
    assert [s["port_id"] for s in conn.network.get_trunk_subports(trunk)["sub_ports"]] == [children[1].id]
    updated = conn.network.update_port(parent, fixed_ips=[{"subnet_id": subnet.id, "ip_address": "192.168.199.111"}])
    assert updated.fixed_ips == [{"subnet_id": subnet.id, "ip_address": "192.168.199.111"}]
    conn.network.update_subnet(subnet, name="tf-renamed", dns_nameservers=[])
    assert conn.network.get_subnet(subnet.id).dns_nameservers == []

    with pytest.raises(exceptions.ConflictException):
        conn.network.delete_subnet(subnet)
    with pytest.raises(exceptions.BadRequestException, match="security_groups"):
        conn.network.create_port(network_id=net.id, security_group_ids=["default"])

    conn.network.delete_trunk(trunk)
    for port in (parent, *children):
        conn.network.delete_port(port)
    conn.network.delete_subnet(subnet)
    conn.network.delete_subnet(sub_subnet)
    conn.network.delete_network(net)
    conn.network.delete_network(sub_net)
    for collection in ("trunks", "ports", "subnets", "networks"):
        assert member.get(f"/v2.0/{collection}").json()[collection] == [], collection


def test_sdk_finds_subnets_and_filters_ports_by_address(server: Server, project: str) -> None:
    conn = sdk_connection(server.url, project, "member,reader")
    net = conn.network.create_network(name=unique("net"))
    name = unique("subnet")
    subnet = conn.network.create_subnet(network_id=net.id, ip_version=6, cidr="2001:db8:77::/64", name=name,
                                        ipv6_address_mode="dhcpv6-stateful", ipv6_ra_mode="dhcpv6-stateful")
    assert conn.network.find_subnet(name).id == subnet.id
    assert [s.id for s in conn.network.subnets(ip_version=6, network_id=net.id)] == [subnet.id]
    port = conn.network.create_port(network_id=net.id)
    address = port.fixed_ips[0]["ip_address"]
    assert address == "2001:db8:77::2"
    assert [p.id for p in conn.network.ports(fixed_ips=f"ip_address={address}")] == [port.id]


def test_openstack_subnet_create_list_show_set_delete(server: Server, admin: Api) -> None:
    net = admin.network()
    name = unique("subnet")
    made = osc_json(server, "subnet", "create", "--network", net["name"], "--subnet-range", "172.16.5.0/24",
                    "--allocation-pool", "start=172.16.5.10,end=172.16.5.20", "--dns-nameserver", "172.16.5.53",
                    "--host-route", "destination=10.10.0.0/16,gateway=172.16.5.254", name)
    assert (made["cidr"], made["gateway_ip"]) == ("172.16.5.0/24", "172.16.5.1")
    assert made["host_routes"] == [{"destination": "10.10.0.0/16", "nexthop": "172.16.5.254"}]
    listed = osc_json(server, "subnet", "list", "--network", net["id"])
    assert [s["Name"] for s in listed] == [name]
    osc_ok(server, "subnet", "set", "--name", name + "-x", "--no-dns-nameservers", "--gateway", "172.16.5.254",
           name)
    shown = osc_json(server, "subnet", "show", made["id"])
    assert (shown["name"], shown["gateway_ip"], shown["dns_nameservers"]) == (name + "-x", "172.16.5.254", [])

    port = osc_json(server, "port", "create", "--network", net["id"], "--disable-port-security",
                    "--fixed-ip", f"subnet={made['id']},ip-address=172.16.5.15", unique("port"))
    assert port["port_security_enabled"] is False
    shown_port = osc_json(server, "port", "show", port["id"])
    assert shown_port["fixed_ips"] == [{"subnet_id": made["id"], "ip_address": "172.16.5.15"}]
    in_use = osc(server, "subnet", "delete", made["id"])
    assert in_use.returncode != 0
    assert admin.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    osc_ok(server, "subnet", "delete", made["id"])
    assert admin.get("/v2.0/subnets", params={"network_id": net["id"]}).json()["subnets"] == []
