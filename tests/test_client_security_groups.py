"""python-openstackclient's security group, rule and port commands, unmodified, against a real trunkd server
(as the noauth admin; each command costs about a second, so checks are batched into few commands)."""

from __future__ import annotations

import pytest

from tests.support import Api, Server
from tests.test_client_osc import OPENSTACK, osc, osc_json, osc_ok, unique


@pytest.fixture(autouse=True)
def _openstack_cli_installed() -> None:
    assert OPENSTACK.exists(), "python-openstackclient is not installed next to the test interpreter"


def test_security_group_and_rule_commands(server: Server, admin: Api) -> None:
    name = unique("web")
    sg = osc_json(server, "security", "group", "create", "--description", "web servers", name)
    assert (sg["name"], sg["description"], sg["stateful"]) == (name, "web servers", True)
    assert {(r["direction"], r["ethertype"]) for r in sg["rules"]} == {("egress", "IPv4"), ("egress", "IPv6")}

    ssh = osc_json(server, "security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
                   "--remote-ip", "10.0.0.0/8", "--description", "ssh", name)
    assert (ssh["protocol"], ssh["port_range_min"], ssh["port_range_max"], ssh["remote_ip_prefix"],
            ssh["direction"], ssh["ether_type"]) == ("tcp", 22, 22, "10.0.0.0/8", "ingress", "IPv4")
    ping = osc_json(server, "security", "group", "rule", "create", "--protocol", "icmp", "--icmp-type", "8",
                    "--remote-group", name, "--ingress", name)
    assert (ping["port_range_min"], ping["remote_group_id"]) == (8, sg["id"])
    stateless = unique("udp")
    made = osc_json(server, "security", "group", "create", "--stateless", stateless)
    assert made["stateful"] is False

    listed = osc_json(server, "security", "group", "rule", "list", name)
    assert {r["ID"] for r in listed} >= {ssh["id"], ping["id"]}
    assert len(listed) == 4
    shown = osc_json(server, "security", "group", "show", name)
    assert {r["id"] for r in shown["rules"]} >= {ssh["id"], ping["id"]}

    renamed = unique("renamed")
    osc_ok(server, "security", "group", "set", "--name", renamed, "--description", "new", name)
    groups = {g["Name"]: g for g in osc_json(server, "security", "group", "list")}
    assert renamed in groups and name not in groups and groups[renamed]["Description"] == "new"

    osc_ok(server, "security", "group", "rule", "delete", ssh["id"], ping["id"])
    assert len(osc_json(server, "security", "group", "rule", "list", renamed)) == 2
    again = osc(server, "security", "group", "rule", "create", "--egress", "--ethertype", "IPv4", renamed)
    assert again.returncode != 0 and "Security group rule already exists" in again.stderr
    osc_ok(server, "security", "group", "delete", renamed, stateless)
    assert admin.get(f"/v2.0/security-groups/{sg['id']}").status_code == 404


def test_port_security_group_options(server: Server, admin: Api) -> None:
    net = osc_json(server, "network", "create", unique("net"))
    first, second = (osc_json(server, "security", "group", "create", unique("sg")) for _ in range(2))
    port = osc_json(server, "port", "create", "--network", net["id"], "--security-group", first["name"],
                    "--security-group", second["id"], unique("port"))
    assert port["security_group_ids"] == [first["id"], second["id"]]

    bare = osc_json(server, "port", "create", "--network", net["id"], "--no-security-group",
                    "--disable-port-security", unique("bare"))
    assert (bare["security_group_ids"], bare["port_security_enabled"]) == ([], False)
    failed = osc(server, "port", "set", "--security-group", first["id"], bare["id"])
    assert failed.returncode != 0 and "Port security must be enabled" in failed.stderr

    osc_ok(server, "port", "set", "--no-security-group", "--security-group", second["id"], port["id"])
    assert admin.get(f"/v2.0/ports/{port['id']}").json()["port"]["security_groups"] == [second["id"]]
    in_use = osc(server, "security", "group", "delete", second["id"])
    assert in_use.returncode != 0 and "in use" in in_use.stderr
    osc_ok(server, "port", "set", "--no-security-group", "--disable-port-security", port["id"])
    shown = admin.get(f"/v2.0/ports/{port['id']}").json()["port"]
    assert (shown["security_groups"], shown["port_security_enabled"]) == ([], False)
    default = osc_json(server, "port", "create", "--network", net["id"], unique("default"))
    groups = admin.get("/v2.0/security-groups", params={"name": "default", "project_id": default["project_id"]})
    assert default["security_group_ids"] == [g["id"] for g in groups.json()["security_groups"]]
    osc_ok(server, "port", "delete", port["id"], bare["id"], default["id"])
    osc_ok(server, "security", "group", "delete", first["id"], second["id"])
