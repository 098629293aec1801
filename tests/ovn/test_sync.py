"""`trunkd ovn-sync` against a real OVN (NB/SB/northd and one ovn-controller chassis): the Northbound rows it
writes (compared with what Neutron 29's ML2/OVN writes), status from the LSPs' `up`, repair after a restart,
one active process among several, and the Kuryr lost-event case."""

from __future__ import annotations

import json
import signal
import subprocess
import time
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
    assert bound["binding:vif_details"] == {"port_filter": True, "connectivity": "l2", "ovs_create_tap": True,
                                            "bridge_name": "br-int", "datapath_type": "netdev",
                                            "bound_drivers": {"0": "ovn"}}
    wait_for("requested-chassis on the LSP", lambda: (lsp(rig, port["id"]) or {}).get("options") == {
        "requested-chassis": host})
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


def lsp_up(rig: Rig, name: str) -> bool:
    row = lsp(rig, name)
    return row is not None and optional(row["up"]) is True


def test_kuryr_lost_event_subport_ends_active_after_restart(admin: Api, rig: Rig, sync: OvnSync) -> None:
    """Neutron's ML2/OVN sets status only from OVSDB events: lose the one for a subport going up and it stays
    DOWN for good. Here ovn-sync is frozen (SIGSTOP) when the LSPs go up, so the monitor update sits unread in
    its socket, then killed -9: nobody reports. Started again, it finds the LSPs up and reports them."""
    chassis = rig.chassis[0]
    net_a, net_p = admin.network(), admin.network()
    parent, sub = admin.port(net_p["id"]), admin.port(net_a["id"])
    trunk = admin.trunk(parent["id"], sub_ports=[
        {"port_id": sub["id"], "segmentation_type": "vlan", "segmentation_id": 102}])
    bind(admin, parent["id"], chassis.name)
    written(rig, sub["id"], parent_name=parent["id"], tag=102)
    wait_for("subport bound, then the trunk reported DOWN (parent not plugged)",  # bound first: BUILD, then DOWN
             lambda: admin.get(f"/v2.0/ports/{sub['id']}").json()["port"]["binding:host_id"] == chassis.name
             and "not up" in trunk_view(admin, trunk["id"])["status_reason"])
    try:
        sync.signal(signal.SIGSTOP)
        rig.endpoint(chassis, parent["id"], parent["mac_address"])  # the instance boots: both LSPs go up
        wait_for("subport LSP up", lambda: lsp_up(rig, sub["id"]) and lsp_up(rig, parent["id"]))
        sync.kill()
        time.sleep(3)  # nobody else reports: the server still shows what it had
        assert port_status(admin, sub["id"]) == "DOWN"
        shown = trunk_view(admin, trunk["id"])
        assert shown["status"] == "DOWN" and [s["status"] for s in shown["sub_ports"]] == ["DOWN"]
    finally:
        sync.start()
    wait_for("trunk ACTIVE after the restart", lambda: trunk_view(admin, trunk["id"])["status"] == "ACTIVE",
             timeout=30)
    assert [s["status"] for s in trunk_view(admin, trunk["id"])["sub_ports"]] == ["ACTIVE"]
    assert port_status(admin, sub["id"]) == "ACTIVE" and port_status(admin, parent["id"]) == "ACTIVE"


def version(rig: Rig, table: str, name: str) -> str:
    """The row's _version: OVSDB changes it on every write to the row."""
    query = ["OVN_Northbound", {"op": "select", "table": table, "where": [["name", "==", name]],
                                "columns": ["_version"]}]
    out = subprocess.run(["ovsdb-client", "transact", rig.central.nb, json.dumps(query)], capture_output=True,
                         text=True, check=True, timeout=30).stdout
    rows = json.loads(out)[0]["rows"]
    assert len(rows) == 1, rows
    return str(rows[0]["_version"][1])


def test_restart_repairs_both_ways_and_leaves_correct_rows_alone(admin: Api, rig: Rig, sync: OvnSync) -> None:
    central = rig.central
    net = admin.network()
    admin.subnet(net["id"], cidr="10.30.0.0/24")
    keep, lost, tampered, deleted = (admin.port(net["id"], name=n) for n in ("keep", "lost", "tampered", "deleted"))
    ls_name = f"neutron-{net['id']}"
    for p in (keep, lost, tampered, deleted):
        rev = str(admin.get(f"/v2.0/ports/{p['id']}").json()["port"]["revision_number"])
        wait_for(f"LSP {p['name']} current", lambda p=p, rev=rev: (lsp(rig, p["id"]) or {}).get(
            "external_ids", {}).get("neutron:revision_number") == rev)
    before = {"keep": version(rig, "Logical_Switch_Port", keep["id"]), "ls": version(rig, "Logical_Switch", ls_name)}
    sync.stop()
    try:
        central.nbctl("lsp-del", lost["id"])
        central.nbctl("set", "Logical_Switch_Port", tampered["id"], "addresses=\"00:00:5e:00:53:01\"",
                      "external_ids:\"neutron:port_name\"=evil", "tag=7")
        stale, foreign = f"stale-{uuid.uuid4()}", f"foreign-{uuid.uuid4()}"
        central.nbctl("lsp-add", ls_name, stale, "--", "set", "Logical_Switch_Port", stale,
                      "external_ids:trunkd-owner=ovn-sync")
        central.nbctl("lsp-add", ls_name, foreign)
        central.nbctl("create", "Logical_Switch", f"name={ls_name}", "external_ids:trunkd-owner=ovn-sync")
        assert admin.delete(f"/v2.0/ports/{deleted['id']}").status_code == 204
        assert len(nb_rows(central, "Logical_Switch", f"name={ls_name}")) == 2
    finally:
        sync.start()
    wait_for("the lost LSP recreated", lambda: lsp(rig, lost["id"]) is not None)
    fixed = written(rig, tampered["id"], tag=None)
    assert fixed["external_ids"]["neutron:port_name"] == "tampered"
    assert setof(fixed["addresses"]) == [f"{tampered['mac_address']} {tampered['fixed_ips'][0]['ip_address']}"]
    wait_for("the stale and the deleted port's LSPs removed",
             lambda: lsp(rig, stale) is None and lsp(rig, deleted["id"]) is None)
    wait_for("one switch left", lambda: len(nb_rows(central, "Logical_Switch", f"name={ls_name}")) == 1)
    assert lsp(rig, foreign) is not None  # not ovn-sync's: left alone
    ls = nb_row(central, "Logical_Switch", ls_name)
    assert ls is not None and len(setof(ls["ports"])) == 4  # keep, lost, tampered, foreign
    assert version(rig, "Logical_Switch_Port", keep["id"]) == before["keep"]  # never rewritten
    central.nbctl("lsp-del", foreign)


def test_only_one_of_two_acts_and_the_other_takes_over(admin: Api, rig: Rig, sync: OvnSync,
                                                       server: Server) -> None:
    other = OvnSync(server.url, rig.central, sync.workdir, host="ovn-sync-b").start()
    try:
        def roles() -> dict[str, bool]:
            return {a["host"]: a["configurations"]["active"]
                    for a in admin.get("/v2.0/agents", params={"agent_type": "OVN sync"}).json()["agents"]
                    if a["alive"] and a["host"] in (sync.host, other.host)}
        wait_for("both report in, one active", lambda: roles() == {sync.host: True, other.host: False}, timeout=30)
        net = admin.network()
        port = admin.port(net["id"])
        written(rig, port["id"])
        assert other.passes() == []  # the standby wrote nothing
        sync.kill()
        net2 = admin.network()
        port2 = admin.port(net2["id"])
        written(rig, port2["id"])  # the standby took the lock and acts
        assert other.passes()
        assert len(nb_rows(rig.central, "Logical_Switch", f"name=neutron-{net2['id']}")) == 1
    finally:
        other.stop()
        sync.start()
    wait_for("the restarted one stands by", lambda: {a["host"]: a["configurations"]["active"] for a in admin.get(
        "/v2.0/agents", params={"agent_type": "OVN sync"}).json()["agents"]}.get(sync.host) is True, timeout=30)


def test_a_chassis_is_an_agent_while_it_is_registered(admin: Api, rig: Rig) -> None:
    """A Chassis row (written by hand here) appears as an OVN Controller agent with its bridge mappings, so a
    provider network port binds there; when the row goes, so does the agent."""
    name = f"fake-{uuid.uuid4().hex[:8]}"
    central = rig.central
    central.sbctl("chassis-add", name, "geneve", "192.0.2.77")
    central.sbctl("set", "Chassis", name, f"hostname={name}",
                  "other_config:ovn-bridge-mappings=\"physnet1:br-ex\"", "other_config:datapath-type=system")

    def agent() -> dict[str, Any] | None:
        return next((a for a in admin.get("/v2.0/agents", params={"agent_type": "OVN Controller agent"}).json()[
            "agents"] if a["host"] == name), None)
    found = wait_for("the chassis' agent with its bridge mappings", lambda: (
        a := agent()) and a["configurations"]["bridge-mappings"] == "physnet1:br-ex" and a)
    assert found["alive"] and found["binary"] == "ovn-controller"
    vlan = admin.network(**{"provider:network_type": "vlan", "provider:physical_network": "physnet1",
                            "provider:segmentation_id": fresh_vlan()})
    other = admin.network(**{"provider:network_type": "vlan", "provider:physical_network": "physnet2",
                             "provider:segmentation_id": fresh_vlan()})
    details = bind(admin, admin.port(vlan["id"])["id"], name)["binding:vif_details"]
    assert details["datapath_type"] == "system" and details["bound_drivers"] == {"0": "ovn"}
    assert bind(admin, admin.port(other["id"])["id"], name)["binding:vif_type"] == "binding_failed"
    central.sbctl("chassis-del", name)
    wait_for("the agent gone with its chassis", lambda: agent() is None)


# -- security groups as ML2/OVN writes them (neutron/common/ovn/acl.py) ---------------------------------------
RULE_KEY = "neutron:security_group_rule_id"


def pg_name(group_id: str) -> str:
    return "pg_" + group_id.replace("-", "_")


def group(api: Api, **attrs: Any) -> dict[str, Any]:
    r = api.post("/v2.0/security-groups", {"security_group": {"name": "sg", **attrs}})
    assert r.status_code == 201, r.text
    return dict(r.json()["security_group"])


def rule(api: Api, group_id: str, **attrs: Any) -> dict[str, Any]:
    r = api.post("/v2.0/security-group-rules", {"security_group_rule": {"security_group_id": group_id, **attrs}})
    assert r.status_code == 201, r.text
    return dict(r.json()["security_group_rule"])


def acl_of(rig: Rig, rule_id: str) -> dict[str, Any] | None:
    rows = nb_rows(rig.central, "ACL", f'external_ids:"{RULE_KEY}"={rule_id}')
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


def members(rig: Rig, name: str) -> set[str]:
    """The LSP names in a Port_Group (empty when it does not exist)."""
    row = nb_row(rig.central, "Port_Group", name)
    if row is None:
        return set()
    names = {r["_uuid"]: r["name"] for r in nb_rows(rig.central, "Logical_Switch_Port")}
    return {names[u] for u in setof(row["ports"]) if u in names}


def test_security_groups_are_port_groups_and_acls_as_ml2_ovn(admin: Api, rig: Rig) -> None:
    net = admin.network()
    admin.subnet(net["id"], cidr="10.40.0.0/24")
    sg, extra, loose = group(admin), group(admin, name="extra"), group(admin, name="loose", stateful=False)
    ssh = rule(admin, sg["id"], direction="ingress", ethertype="IPv4", protocol="tcp", port_range_min=22,
               port_range_max=22, remote_ip_prefix="10.1.0.0/16")
    udp6 = rule(admin, sg["id"], direction="egress", ethertype="IPv6", protocol="udp", port_range_min=1000,
                port_range_max=2000)
    ping = rule(admin, sg["id"], direction="ingress", ethertype="IPv4", protocol="icmp", port_range_min=8,
                port_range_max=0, remote_group_id=sg["id"])
    other = rule(admin, loose["id"], direction="ingress", ethertype="IPv4", protocol="47")
    a = admin.port(net["id"], security_groups=[sg["id"]])
    b = admin.port(net["id"], security_groups=[sg["id"], extra["id"]])
    c = admin.port(net["id"], port_security_enabled=False, security_groups=[])
    s = admin.port(net["id"], security_groups=[loose["id"]])  # stateless and stateful groups never mix on a port
    pg, pg_extra, pg_loose = pg_name(sg["id"]), pg_name(extra["id"]), pg_name(loose["id"])
    wait_for("the groups' Port_Groups filled", lambda: members(rig, pg) == {a["id"], b["id"]}
             and members(rig, pg_extra) == {b["id"]} and members(rig, pg_loose) == {s["id"]}, timeout=20)

    row = nb_row(rig.central, "Port_Group", pg)
    assert row is not None and row["external_ids"]["neutron:security_group_id"] == sg["id"]
    drop = nb_row(rig.central, "Port_Group", "neutron_pg_drop")
    assert drop is not None
    assert {a["id"], b["id"], s["id"]} <= members(rig, "neutron_pg_drop")
    assert c["id"] not in members(rig, "neutron_pg_drop")
    drops = [r for r in nb_rows(rig.central, "ACL") if r["_uuid"] in setof(drop["acls"])]
    assert sorted((r["direction"], r["priority"], r["action"], r["match"]) for r in drops) == [
        ("from-lport", 1000, "drop", "inport == @neutron_pg_drop && ip"),
        ("to-lport", 1000, "drop", "outport == @neutron_pg_drop && ip")]

    want = {
        ssh["id"]: ("to-lport", "allow-related", f"outport == @{pg} && ip4 && ip4.src == 10.1.0.0/16 && tcp"
                                                 " && tcp.dst == 22"),
        udp6["id"]: ("from-lport", "allow-related", f"inport == @{pg} && ip6 && udp && udp.dst >= 1000"
                                                    " && udp.dst <= 2000"),
        ping["id"]: ("to-lport", "allow-related", f"outport == @{pg} && ip4 && ip4.src == ${pg}_ip4 && icmp4"
                                                  " && icmp4.type == 8 && icmp4.code == 0"),
        other["id"]: ("to-lport", "allow-stateless", f"outport == @{pg_loose} && ip4 && ip.proto == 47"),
    }
    for rule_id, (direction, action, match) in want.items():
        acl = wait_for(f"ACL of rule {rule_id}", lambda rule_id=rule_id: acl_of(rig, rule_id))
        assert (acl["direction"], acl["priority"], acl["action"], acl["match"]) == (direction, 1002, action, match)
    # a new group's default egress rules are ACLs of its Port_Group too
    acls = setof(nb_row(rig.central, "Port_Group", pg)["acls"])  # type: ignore[index]
    assert len(acls) == len(admin.get("/v2.0/security-group-rules",
                                      params={"security_group_id": sg["id"]}).json()["security_group_rules"])

    # a rule deleted: its ACL goes; a port leaving a group leaves its Port_Group; port security off: out of all
    assert admin.delete(f"/v2.0/security-group-rules/{ssh['id']}").status_code == 204
    wait_for("the deleted rule's ACL gone", lambda: acl_of(rig, ssh["id"]) is None)
    assert admin.put(f"/v2.0/ports/{b['id']}", {"port": {"security_groups": [extra["id"]]}}).status_code == 200
    wait_for("b left the group", lambda: members(rig, pg) == {a["id"]} and members(rig, pg_extra) == {b["id"]})
    r = admin.put(f"/v2.0/ports/{b['id']}", {"port": {"port_security_enabled": False, "security_groups": []}})
    assert r.status_code == 200, r.text
    wait_for("b in no Port_Group", lambda: b["id"] not in members(rig, "neutron_pg_drop")
             and not members(rig, pg_extra))
    assert a["id"] in members(rig, "neutron_pg_drop")


def test_restart_repairs_port_groups_and_acls(admin: Api, rig: Rig, sync: OvnSync) -> None:
    central = rig.central
    net = admin.network()
    admin.subnet(net["id"], cidr="10.41.0.0/24")
    sg, gone, steady = group(admin), group(admin, name="gone"), group(admin, name="steady")
    web = rule(admin, sg["id"], direction="ingress", ethertype="IPv4", protocol="tcp", port_range_min=80,
               port_range_max=80)
    p = admin.port(net["id"], security_groups=[sg["id"]])
    pg = pg_name(sg["id"])
    wait_for("the Port_Groups written", lambda: members(rig, pg) == {p["id"]} and acl_of(rig, web["id"])
             and nb_row(central, "Port_Group", pg_name(gone["id"])) is not None
             and nb_row(central, "Port_Group", pg_name(steady["id"])) is not None, timeout=20)
    before = version(rig, "Port_Group", pg_name(steady["id"]))
    sync.stop()
    try:
        acl = acl_of(rig, web["id"])
        assert acl is not None
        central.nbctl("remove", "Port_Group", pg, "acls", acl["_uuid"])
        row = lsp(rig, p["id"])
        assert row is not None
        central.nbctl("remove", "Port_Group", "neutron_pg_drop", "ports", row["_uuid"])
        stale = "pg_" + str(uuid.uuid4()).replace("-", "_")
        central.nbctl("create", "Port_Group", f"name={stale}", "external_ids:trunkd-owner=ovn-sync")
        foreign = "pg_" + str(uuid.uuid4()).replace("-", "_")
        central.nbctl("create", "Port_Group", f"name={foreign}")
        assert admin.delete(f"/v2.0/security-groups/{gone['id']}").status_code == 204
    finally:
        sync.start()
    wait_for("the removed ACL recreated", lambda: acl_of(rig, web["id"]) is not None)
    wait_for("the port back in neutron_pg_drop", lambda: p["id"] in members(rig, "neutron_pg_drop"))
    wait_for("the stale and the deleted group's Port_Groups removed", lambda: nb_row(central, "Port_Group", stale)
             is None and nb_row(central, "Port_Group", pg_name(gone["id"])) is None)
    assert nb_row(central, "Port_Group", foreign) is not None  # not ovn-sync's: left alone
    assert members(rig, pg) == {p["id"]}
    assert version(rig, "Port_Group", pg_name(steady["id"])) == before  # correct: never rewritten
    central.nbctl("destroy", "Port_Group", foreign)
