"""Opt-in guard rails: each rule a deployment switches on, each with its own NeutronError type."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tests.feature_support import vlan
from tests.support import REPO, Api, Server, error_type

ALL_RAILS = "subport-network,parent-vlan,parent-mac,instance-port"


@pytest.fixture(scope="module")
def guarded(module_server: Callable[..., Server]) -> Server:
    return module_server(TRUNKD_GUARD_RAILS=ALL_RAILS, TRUNKD_SEGMENTATION_ALLOCATION="lowest",
                         TRUNKD_SEGMENTATION_RANGE="100-101")


def vlan_net(api: Api, segmentation_id: int) -> str:
    return str(api.network(**{"provider:network_type": "vlan", "provider:physical_network": "physnet1",
                              "provider:segmentation_id": segmentation_id})["id"])


def setup(api: Api, parent_vlan: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A trunk whose parent sits on VLAN network `parent_vlan`, and a well-behaved candidate subport."""
    parent = api.port(vlan_net(api, parent_vlan))
    good = api.port(mac_address=parent["mac_address"])
    return api.trunk(parent["id"]), good


def add(api: Api, trunk: dict[str, Any], item: dict[str, Any]) -> Any:
    return api.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [item]})


def test_each_rail_has_its_own_error(guarded: Server) -> None:
    api = Api(guarded.url)
    trunk, good = setup(api, 200)
    parent = api.get(f"/v2.0/ports/{trunk['port_id']}").json()["port"]
    same_net = api.port(parent["network_id"])
    other_mac = api.port()
    compute = api.port(mac_address=parent["mac_address"], device_owner="compute:nova")
    cases = [
        (vlan(same_net["id"], 5), "SubPortOnParentNetwork"),
        (vlan(good["id"], 200), "SubPortVlanIsParentVlan"),
        (vlan(other_mac["id"], 5), "SubPortMacMismatch"),
        (vlan(compute["id"], 5), "SubPortUsedByInstance"),
    ]
    for item, kind in cases:
        r = add(api, trunk, item)
        assert (r.status_code, error_type(r)) == (409, kind), (item, r.text)
    fresh = api.port()
    r = api.post("/v2.0/trunks", {"trunk": {"port_id": fresh["id"],
                                            "sub_ports": [vlan(api.port(fresh["network_id"])["id"], 5)]}})
    assert (r.status_code, error_type(r)) == (409, "SubPortOnParentNetwork"), "on create too"
    assert api.get(f"/v2.0/trunks/{trunk['id']}/get_subports").json()["sub_ports"] == []
    assert add(api, trunk, vlan(good["id"], 5)).status_code == 200


def test_an_instance_may_not_take_a_subport_as_its_port(guarded: Server) -> None:
    api = Api(guarded.url)
    trunk, good = setup(api, 300)
    assert add(api, trunk, vlan(good["id"], 5)).status_code == 200
    r = api.put(f"/v2.0/ports/{good['id']}", {"port": {"device_owner": "compute:nova", "device_id": "vm-1"}})
    assert (r.status_code, error_type(r)) == (409, "SubPortUsedByInstance")
    assert api.put(f"/v2.0/ports/{trunk['port_id']}", {"port": {"device_owner": "compute:nova"}}).status_code == 200


def test_allocation_never_picks_the_parent_vlan(guarded: Server) -> None:
    api = Api(guarded.url)
    trunk, good = setup(api, 100)
    r = add(api, trunk, {"port_id": good["id"]})
    assert r.status_code == 200 and r.json()["sub_ports"][0]["segmentation_id"] == 101
    second = api.port(mac_address=good["mac_address"])
    r = add(api, trunk, {"port_id": second["id"]})
    assert (r.status_code, error_type(r)) == (409, "SegmentationIdsExhausted")


def test_rails_are_off_by_default_and_listed_when_on(guarded: Server, admin: Api) -> None:
    parent = admin.port()
    same_net = admin.port(parent["network_id"])
    assert admin.post("/v2.0/trunks", {"trunk": {"port_id": parent["id"],
                                                 "sub_ports": [vlan(same_net["id"], 5)]}}).status_code == 201
    assert admin.get("/v2.0/extensions/trunk-guard-rails").status_code == 404
    ext = Api(guarded.url).get("/v2.0/extensions/trunk-guard-rails").json()["extension"]
    assert all(rail in ext["description"] for rail in ALL_RAILS.split(","))


def test_an_unknown_rail_stops_the_server_with_one_line(tmp_path: Any) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trunkd.cli", "serve", "--database", f"sqlite:///{tmp_path / 'x.db'}", "--port", "1"],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "TRUNKD_GUARD_RAILS": "parent-vlan,no-such-rail"},
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "unknown guard rail(s) ['no-such-rail']" in done.stderr
