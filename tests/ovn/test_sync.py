"""`trunkd ovn-sync` against a real OVN (NB/SB/northd and one ovn-controller chassis): the Northbound rows it
writes (compared with what Neutron 29's ML2/OVN writes), status from the LSPs' `up`, repair after a restart,
one active process among several, and the Kuryr lost-event case."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.dataplane.support import wait_for
from tests.ovn.rig import Rig, ovn_rig
from tests.ovn.sync_support import OvnSync, nb_row, nb_rows, optional, setof
from tests.support import Api, Server, fresh_vlan

OWNED = ("external_ids:trunkd-owner=ovn-sync",)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    with ovn_rig(tmp_path_factory.mktemp("ovnsync"), chassis=1) as r:
        yield r


@pytest.fixture(scope="module")
def server(rig: Rig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("ovn-server")
    srv = Server(database=f"sqlite:///{workdir}/t.db", workdir=workdir,
                 args=["--drivers", "ovn", "--ovn-nb-connection", rig.central.nb,
                       "--ovn-sb-connection", rig.central.sb]).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def sync(rig: Rig, server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OvnSync]:
    proc = OvnSync(server.url, rig.central, tmp_path_factory.mktemp("ovn-sync")).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def admin(server: Server, sync: OvnSync, rig: Rig) -> Api:
    api = Api(server.url)
    host = rig.chassis[0].name
    wait_for("the chassis shown as an OVN Controller agent", lambda: [
        a for a in api.get("/v2.0/agents", params={"agent_type": "OVN Controller agent"}).json()["agents"]
        if a["host"] == host and a["alive"]])
    return api


def lsp(rig: Rig, name: str) -> dict[str, Any] | None:
    return nb_row(rig.central, "Logical_Switch_Port", name)


def written(rig: Rig, name: str, **want: Any) -> dict[str, Any]:
    """Wait until the LSP exists with the given column values (optional columns as None or the value)."""
    def check() -> dict[str, Any] | None:
        row = lsp(rig, name)
        if row is None:
            return None
        return row if all(optional(row[k]) == v for k, v in want.items()) else None
    return wait_for(f"LSP {name} with {want}", check, timeout=20)  # type: ignore[no-any-return]


def port_status(api: Api, port_id: str) -> str:
    return str(api.get(f"/v2.0/ports/{port_id}").json()["port"]["status"])


def trunk_view(api: Api, trunk_id: str) -> dict[str, Any]:
    return dict(api.get(f"/v2.0/trunks/{trunk_id}", params={"subport_status": "true"}).json()["trunk"])


def bind(api: Api, port_id: str, host: str) -> dict[str, Any]:
    r = api.put(f"/v2.0/ports/{port_id}", {"port": {"binding:host_id": host, "device_owner": "compute:nova",
                                                    "device_id": str(uuid.uuid4())}})
    assert r.status_code == 200, r.text
    return dict(r.json()["port"])


# -- what it writes -------------------------------------------------------------------------------------------
def test_network_subnet_and_ports_written_as_ml2_ovn(admin: Api, rig: Rig) -> None:
    net = admin.network(name="blue")
    subnet = admin.subnet(net["id"], cidr="10.10.0.0/24", dns_nameservers=["10.10.0.53"])
    port = admin.port(net["id"], name="web", allowed_address_pairs=[
        {"ip_address": "10.10.0.200"}, {"ip_address": "10.10.0.201", "mac_address": "fa:16:3e:00:00:01"}])
    open_port = admin.port(net["id"], name="open", port_security_enabled=False)
    row = written(rig, port["id"])
    mac, ip = port["mac_address"], port["fixed_ips"][0]["ip_address"]

    ls = nb_row(rig.central, "Logical_Switch", f"neutron-{net['id']}")
    assert ls is not None
    assert ls["external_ids"]["neutron:network_name"] == "blue"
    assert ls["external_ids"]["neutron:mtu"] == str(net["mtu"])
    assert ls["external_ids"]["neutron:revision_number"] == str(net["revision_number"])
    assert ls["other_config"] == {"mcast_snoop": "false", "mcast_flood_unregistered": "false",
                                  "vlan-passthru": "false"}
    assert row["_uuid"] in setof(ls["ports"])

    # DHCP_Options as _get_ovn_dhcp_options: keyed by subnet_id, server_id = gateway, linked from the LSP
    dhcp = nb_rows(rig.central, "DHCP_Options", f"external_ids:subnet_id={subnet['id']}")
    assert len(dhcp) == 1
    assert dhcp[0]["cidr"] == "10.10.0.0/24"
    opts = dhcp[0]["options"]
    assert (opts["server_id"], opts["router"], opts["lease_time"], opts["mtu"]) == (
        "10.10.0.1", "10.10.0.1", "43200", str(net["mtu"]))
    assert opts["dns_server"] == "{10.10.0.53}" and opts["server_mac"].startswith("fa:16:3e:")
    assert dhcp[0]["external_ids"]["neutron:network_id"] == net["id"]
    assert setof(row["dhcpv4_options"]) == [dhcp[0]["_uuid"]]

    # the LSP as _get_port_options / get_external_ids_from_port
    assert sorted(setof(row["addresses"])) == sorted([f"{mac} {ip}", "fa:16:3e:00:00:01"])
    assert sorted(setof(row["port_security"])) == sorted([f"{mac} {ip} 10.10.0.200", "fa:16:3e:00:00:01 10.10.0.201"])
    assert optional(row["enabled"]) is True and row["type"] == "" and row["options"] == {}
    assert optional(row["parent_name"]) is None and optional(row["tag"]) is None
    ext = row["external_ids"]
    assert ext["neutron:port_name"] == "web"
    assert ext["neutron:network_name"] == f"neutron-{net['id']}"
    assert ext["neutron:cidrs"] == f"{ip}/24"
    assert ext["neutron:revision_number"] == str(admin.get(f"/v2.0/ports/{port['id']}").json()["port"][
        "revision_number"])
    assert ext["neutron:project_id"] == port["project_id"] and ext["neutron:vnic_type"] == "normal"
    assert {"neutron:device_id", "neutron:device_owner", "neutron:security_group_ids"} <= set(ext)

    # port security off: no port_security, and 'unknown' after the address
    free = written(rig, open_port["id"])
    assert free["port_security"] == []
    assert setof(free["addresses"]) == [f"{open_port['mac_address']} {open_port['fixed_ips'][0]['ip_address']}",
                                 "unknown"]

    # a change through the API is rewritten; a deleted port's LSP goes
    admin.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "web2", "admin_state_up": False}})
    written(rig, port["id"], enabled=False)
    assert lsp(rig, port["id"])["external_ids"]["neutron:port_name"] == "web2"  # type: ignore[index]
    assert admin.delete(f"/v2.0/ports/{open_port['id']}").status_code == 204
    wait_for("the deleted port's LSP gone", lambda: lsp(rig, open_port["id"]) is None)


def test_vlan_provider_network_has_a_localnet_port(admin: Api, rig: Rig) -> None:
    vlan = fresh_vlan()
    net = admin.network(**{"provider:network_type": "vlan", "provider:physical_network": "physnet1",
                           "provider:segmentation_id": vlan})
    row = written(rig, f"provnet-{net['id']}")
    assert row["type"] == "localnet" and setof(row["addresses"]) == ["unknown"]
    assert optional(row["tag_request"]) == vlan
    assert row["options"]["network_name"] == "physnet1"
    assert row["external_ids"]["neutron:provnet-physical-network"] == "physnet1"
    ls = nb_row(rig.central, "Logical_Switch", f"neutron-{net['id']}")
    assert ls is not None and ls["external_ids"]["neutron:provnet-network-type"] == "vlan"
    assert ls["other_config"]["fdb_age_threshold"] == "0"


def test_subport_lsp_carries_parent_name_and_tag_and_both_are_cleared(admin: Api, rig: Rig) -> None:
    net_a, net_p = admin.network(), admin.network()
    admin.subnet(net_a["id"], cidr="10.20.0.0/24")
    admin.subnet(net_p["id"], cidr="10.21.0.0/24")
    parent, sub = admin.port(net_p["id"]), admin.port(net_a["id"])
    trunk = admin.trunk(parent["id"], sub_ports=[
        {"port_id": sub["id"], "segmentation_type": "vlan", "segmentation_id": 100}])
    written(rig, sub["id"], parent_name=parent["id"], tag=100)
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", {"sub_ports": [{"port_id": sub["id"]}]})
    assert r.status_code == 200, r.text
    written(rig, sub["id"], parent_name=None, tag=None)


# -- status from OVN ------------------------------------------------------------------------------------------
def test_chassis_is_an_agent_and_binds_with_ml2_ovn_vif_details(admin: Api, rig: Rig) -> None:
    host = rig.chassis[0].name
    agent = next(a for a in admin.get("/v2.0/agents", params={"agent_type": "OVN Controller agent"}).json()[
        "agents"] if a["host"] == host)
    assert agent["binary"] == "ovn-controller" and agent["configurations"]["chassis_name"] == host
    port = admin.port()
    bound = bind(admin, port["id"], host)
    assert bound["binding:vif_type"] == "ovs"
    assert bound["binding:vif_details"] == {"port_filter": False, "connectivity": "l2", "ovs_create_tap": True,
                                            "bridge_name": "br-int", "datapath_type": "netdev",
                                            "bound_drivers": {"0": "ovn"}}
    row = written(rig, port["id"])
    assert row["options"] == {"requested-chassis": host}
    # a trunk parent plugs into br-int too (no trunk bridge with OVN)
    parent = admin.port()
    admin.trunk(parent["id"])
    assert bind(admin, parent["id"], host)["binding:vif_details"]["bridge_name"] == "br-int"


def test_port_and_trunk_status_follow_lsp_up(admin: Api, rig: Rig) -> None:
    chassis = rig.chassis[0]
    net_a, net_p = admin.network(), admin.network()
    parent, sub = admin.port(net_p["id"]), admin.port(net_a["id"])
    trunk = admin.trunk(parent["id"], sub_ports=[
        {"port_id": sub["id"], "segmentation_type": "vlan", "segmentation_id": 101}])
    bind(admin, parent["id"], chassis.name)
    wait_for("trunk DOWN: parent not plugged", lambda: trunk_view(admin, trunk["id"])["status"] == "DOWN")
    rig.endpoint(chassis, parent["id"], parent["mac_address"])
    wait_for("trunk ACTIVE", lambda: trunk_view(admin, trunk["id"])["status"] == "ACTIVE")
    shown = trunk_view(admin, trunk["id"])
    assert [s["status"] for s in shown["sub_ports"]] == ["ACTIVE"]
    assert port_status(admin, parent["id"]) == "ACTIVE" and port_status(admin, sub["id"]) == "ACTIVE"
    subport = admin.get(f"/v2.0/ports/{sub['id']}").json()["port"]
    assert subport["binding:host_id"] == chassis.name and subport["device_owner"] == "trunk:subport"
