"""python-openstackclient, unmodified, as a subprocess against a real trunkd server.

`openstack --os-auth-type none --os-endpoint URL ...` sends no project header, so every command
runs as the noauth admin (project `fake_project_id`); the raw `admin` Api shares that identity.
Each invocation costs about a second, so the tests batch their checks into few commands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support import Api, Server

OPENSTACK = Path(sys.executable).parent / "openstack"


@pytest.fixture(autouse=True)
def _openstack_cli_installed() -> None:
    assert OPENSTACK.exists(), f"python-openstackclient is not installed next to {sys.executable}"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def osc(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `openstack` command against the server, with no OS_* settings inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    return subprocess.run(
        [str(OPENSTACK), "--os-auth-type", "none", "--os-endpoint", server.url, *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def osc_ok(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    result = osc(server, *args)
    assert result.returncode == 0, f"openstack {' '.join(args)} failed:\n{result.stderr}"
    return result


def osc_json(server: Server, *args: str) -> Any:
    return json.loads(osc_ok(server, *args, "-f", "json").stdout)


def vlan(port_id: str, segmentation_id: int) -> dict[str, Any]:
    return {"port_id": port_id, "segmentation_type": "vlan", "segmentation_id": segmentation_id}


def test_trunk_create_with_subport_shows_in_subport_list_and_parent_port(server: Server) -> None:
    net = osc_json(server, "network", "create", unique("net"))
    parent = osc_json(server, "port", "create", "--network", net["name"], unique("parent"))
    sub = osc_json(server, "port", "create", "--network", net["id"], unique("sub"))
    assert parent["network_id"] == sub["network_id"] == net["id"]
    name = unique("t1")

    trunk = osc_json(server, "network", "trunk", "create", "--parent-port", parent["name"],
                     "--subport", f"port={sub['name']},segmentation-type=vlan,segmentation-id=100",
                     name)
    assert trunk["name"] == name and trunk["port_id"] == parent["id"]
    assert trunk["status"] == "DOWN"
    assert trunk["sub_ports"] == [vlan(sub["id"], 100)]

    subports = osc_json(server, "network", "subport", "list", "--trunk", name)
    assert subports == [{"Port": sub["id"], "Segmentation Type": "vlan", "Segmentation ID": 100}]

    shown = osc_json(server, "port", "show", parent["name"])
    assert shown["trunk_details"] == {
        "trunk_id": trunk["id"],
        "sub_ports": [{**vlan(sub["id"], 100), "mac_address": sub["mac_address"]}],
    }


def test_port_list_long_shows_trunk_subports_of_parents_only(server: Server, admin: Api) -> None:
    net = admin.network()
    parent, sub = admin.port(net["id"]), admin.port(net["id"])
    admin.trunk(parent["id"], sub_ports=[vlan(sub["id"], 42)])

    rows = {row["ID"]: row for row in osc_json(server, "port", "list", "--long",
                                                "--network", net["id"])}
    assert set(rows) == {parent["id"], sub["id"]}
    assert rows[parent["id"]]["Trunk subports"] == [
        {**vlan(sub["id"], 42), "mac_address": sub["mac_address"]},
    ]
    assert not rows[sub["id"]]["Trunk subports"]


def test_trunk_set_changes_fields_and_adds_subports_then_unset_removes(
        server: Server, admin: Api) -> None:
    trunk = admin.trunk(name=unique("old"))
    s1, s2 = admin.port(), admin.port()
    name = unique("renamed")

    osc_ok(server, "network", "trunk", "set", "--name", name, "--description", "via osc",
           "--disable", trunk["id"])
    disabled = admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]
    assert disabled["name"] == name and disabled["description"] == "via osc"
    assert disabled["admin_state_up"] is False

    osc_ok(server, "network", "trunk", "set", "--enable",
           "--subport", f"port={s1['id']},segmentation-type=vlan,segmentation-id=200",
           "--subport", f"port={s2['id']},segmentation-type=vlan,segmentation-id=201", name)
    enabled = admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]
    assert enabled["admin_state_up"] is True
    assert sorted(enabled["sub_ports"], key=lambda s: s["segmentation_id"]) == [
        vlan(s1["id"], 200), vlan(s2["id"], 201),
    ]

    osc_ok(server, "network", "trunk", "unset", "--subport", s1["id"], name)
    listed = osc_json(server, "network", "trunk", "subport", "list", name)
    assert listed == [{"Port": s2["id"], "Segmentation Type": "vlan", "Segmentation ID": 201}]


def test_trunk_subport_add_and_remove_commands(server: Server, admin: Api) -> None:
    trunk = admin.trunk()
    sub = admin.port(name=unique("sub"))

    osc_ok(server, "network", "trunk", "subport", "add", "--segmentation-type", "vlan",
           "--segmentation-id", "333", trunk["id"], sub["name"])
    subports = admin.get(f"/v2.0/trunks/{trunk['id']}/get_subports").json()["sub_ports"]
    assert subports == [vlan(sub["id"], 333)]

    osc_ok(server, "network", "trunk", "subport", "remove", trunk["id"], sub["name"])
    assert admin.get(f"/v2.0/trunks/{trunk['id']}/get_subports").json() == {"sub_ports": []}


def test_trunk_list_long_has_status_column(server: Server, admin: Api) -> None:
    trunk = admin.trunk(name=unique("listed"), description="row")
    rows = {row["ID"]: row for row in osc_json(server, "network", "trunk", "list", "--long")}
    row = rows[trunk["id"]]
    assert row["Name"] == trunk["name"] and row["Parent Port"] == trunk["port_id"]
    assert row["Description"] == "row" and row["Status"] == "DOWN"
    assert row["Created At"] == trunk["created_at"]


def test_trunk_show_json_includes_status_and_status_reason(server: Server, admin: Api) -> None:
    trunk = admin.trunk(name=unique("shown"))
    admin.put(f"/v2.0/trunks/{trunk['id']}/tags", {"tags": ["blue"]})
    shown = osc_json(server, "network", "trunk", "show", trunk["name"])
    assert shown["id"] == trunk["id"] and shown["port_id"] == trunk["port_id"]
    assert shown["status"] == "DOWN"
    assert "status_reason" in shown
    assert shown["is_admin_state_up"] is True
    assert shown["tags"] == ["blue"] and shown["sub_ports"] == []
    assert shown["revision_number"] >= 1


def test_trunk_delete_removes_several_trunks(server: Server, admin: Api) -> None:
    first, second = admin.trunk(name=unique("gone")), admin.trunk()
    osc_ok(server, "network", "trunk", "delete", first["name"], second["id"])
    for trunk in (first, second):
        assert admin.get(f"/v2.0/trunks/{trunk['id']}").status_code == 404
        assert admin.get(f"/v2.0/ports/{trunk['port_id']}").status_code == 200


def test_trunk_create_on_used_parent_fails_with_neutron_message(server: Server, admin: Api) -> None:
    trunk = admin.trunk()
    result = osc(server, "network", "trunk", "create", "--parent-port", trunk["port_id"],
                 unique("dup"))
    assert result.returncode != 0
    assert (f"Port {trunk['port_id']} is currently in use and is not eligible for use as a "
            "parent port.") in result.stderr
    assert "409" in result.stderr


def test_trunk_delete_of_disabled_and_missing_trunks_fails_with_messages(
        server: Server, admin: Api) -> None:
    trunk = admin.trunk(admin_state_up=False)
    missing = unique("missing")
    result = osc(server, "network", "trunk", "delete", trunk["id"], missing)
    assert result.returncode != 0
    assert f"Trunk {trunk['id']} is currently disabled." in result.stderr
    assert f"No Trunk found for {missing}" in result.stderr
    assert "2 of 2 trunks failed to delete" in result.stderr
    assert admin.get(f"/v2.0/trunks/{trunk['id']}").status_code == 200


def test_trunk_set_with_used_vlan_fails_with_neutron_message(server: Server, admin: Api) -> None:
    s1, s2 = admin.port(), admin.port()
    trunk = admin.trunk(sub_ports=[vlan(s1["id"], 100)])
    result = osc(server, "network", "trunk", "set",
                 "--subport", f"port={s2['id']},segmentation-type=vlan,segmentation-id=100",
                 trunk["id"])
    assert result.returncode != 0
    assert (f"segmentation_type vlan and segmentation_id 100 already in use on trunk "
            f"{trunk['id']}.") in result.stderr
