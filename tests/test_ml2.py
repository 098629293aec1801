"""Networks as ML2 makes them: MTU per segment type, provider VLAN allocation, the options (SPEC.md §1.8)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import REPO, Api, Server, error_type, fresh_vlan


def create(admin: Api, **attrs: Any) -> httpx.Response:
    return admin.post("/v2.0/networks", {"network": attrs})


def provider(network_type: str, physnet: str | None = None, seg_id: int | None = None, **attrs: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"provider:network_type": network_type, **attrs}
    if physnet is not None:
        body["provider:physical_network"] = physnet
    if seg_id is not None:
        body["provider:segmentation_id"] = seg_id
    return body


def assert_error(r: httpx.Response, status: int, kind: str, message: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert error_type(r) == kind
    if message is not None:
        assert r.json()["NeutronError"]["message"] == message


# -- MTU with Neutron's defaults (global_physnet_mtu 1500, path_mtu 0, IPv4 overlay) ------------
@pytest.mark.parametrize(("body", "mtu"), [
    ({}, 1450),                                          # tenant network: VXLAN, 1500 - 20 - 30
    (provider("vxlan"), 1450),
    (provider("gre"), 1458),                             # 1500 - 20 - 22
    (provider("geneve"), 1450),                          # 1500 - 20 - max_header_size 30
    (provider("vlan", "physnet1"), 1500),                # the physical network's MTU
    (provider("flat", "flat-mtu-default"), 1500),
], ids=["tenant", "vxlan", "gre", "geneve", "vlan", "flat"])
def test_network_mtu_is_what_ml2_computes(admin: Api, body: dict[str, Any], mtu: int) -> None:
    r = create(admin, **body)
    assert r.status_code == 201, r.text
    assert r.json()["network"]["mtu"] == mtu
    assert admin.get(f"/v2.0/networks/{r.json()['network']['id']}").json()["network"]["mtu"] == mtu


def test_explicit_mtu_up_to_the_maximum_is_kept_and_above_is_400(admin: Api, member: Api) -> None:
    assert member.network(mtu=1450)["mtu"] == 1450
    assert member.network(mtu=1280)["mtu"] == 1280
    assert_error(create(member, mtu=1451), 400, "InvalidInput",
                 "Invalid input for operation: Requested MTU is too big, maximum is 1450.")
    assert admin.network(**provider("vlan", "physnet1"), mtu=1500)["mtu"] == 1500
    assert_error(create(admin, **provider("vlan", "physnet1"), mtu=1501), 400, "InvalidInput",
                 "Invalid input for operation: Requested MTU is too big, maximum is 1500.")


def test_updating_mtu_is_checked_against_the_maximum_and_0_means_the_maximum(member: Api) -> None:
    net = member.network(mtu=1300)
    url = f"/v2.0/networks/{net['id']}"
    assert_error(member.put(url, {"network": {"mtu": 1451}}), 400, "InvalidInput",
                 "Invalid input for operation: Requested MTU is too big, maximum is 1450.")
    assert member.get(url).json()["network"]["mtu"] == 1300
    r = member.put(url, {"network": {"mtu": 0}})
    assert r.status_code == 200, r.text
    assert r.json()["network"]["mtu"] == 1450


# -- provider VLAN networks --------------------------------------------------------------------
def test_vlan_network_without_segmentation_id_gets_a_free_vlan_of_its_range(admin: Api) -> None:
    """What the upstream trunk API tests do for their MTU and inherit cases (provider_vlans = physnet1)."""
    got = [admin.network(**provider("vlan", "physnet1"))["provider:segmentation_id"] for _ in range(3)]
    assert len(set(got)) == 3
    assert all(1000 <= vlan <= 2999 for vlan in got), got


def test_vlan_network_without_physical_network_gets_a_vlan_of_any_range(admin: Api) -> None:
    net = admin.network(**provider("vlan"))
    assert net["provider:physical_network"] in ("physnet1", "physnet2")
    assert 1000 <= net["provider:segmentation_id"] <= 2999


def test_unknown_physical_network_is_400(admin: Api) -> None:
    for seg_id in (None, 5):
        assert_error(create(admin, **provider("vlan", "physnet9", seg_id)), 400, "InvalidInput",
                     "Invalid input for operation: physical_network 'physnet9' unknown for VLAN provider network.")


def test_explicit_vlan_outside_the_range_is_allowed_and_in_use_is_409(admin: Api) -> None:
    vlan = fresh_vlan()  # never inside 1000-2999
    net = admin.network(**provider("vlan", "physnet1", vlan))
    assert (net["provider:physical_network"], net["provider:segmentation_id"]) == ("physnet1", vlan)
    assert_error(create(admin, **provider("vlan", "physnet1", vlan)), 409, "VlanIdInUse",
                 f"Unable to create the network. The VLAN {vlan} on physical network physnet1 is in use.")


def test_a_released_vlan_can_be_allocated_again(make_server: Callable[..., Server]) -> None:
    admin = Api(make_server("--network-vlan-ranges", "physnet1:7:8").url)
    first, second = (admin.network(**provider("vlan", "physnet1")) for _ in range(2))
    assert (first["provider:segmentation_id"], second["provider:segmentation_id"]) == (7, 8)
    assert_error(create(admin, **provider("vlan", "physnet1")), 503, "NoNetworkAvailable",
                 "Unable to create the network. No project network is available for allocation.")
    assert admin.delete(f"/v2.0/networks/{first['id']}").status_code == 204
    assert admin.network(**provider("vlan", "physnet1"))["provider:segmentation_id"] == 7


# -- the options: flags and environment, in Neutron's formats ----------------------------------
def test_options_set_mtus_ranges_and_tenant_types(make_server: Callable[..., Server]) -> None:
    srv = make_server(
        "--global-physnet-mtu", "9000", "--path-mtu", "1600", "--physical-network-mtus", "physnet1:8000",
        "--network-vlan-ranges", "physnet1:100:101,physnet3", "--flat-networks", "ext",
        TRUNKD_TENANT_NETWORK_TYPES="vlan,vxlan", TRUNKD_VNI_RANGES="500:600",
    )
    admin, member = Api(srv.url), Api(srv.url, "project-a")
    tenant = admin.get(f"/v2.0/networks/{member.network()['id']}").json()["network"]
    assert (tenant["provider:network_type"], tenant["provider:physical_network"],
            tenant["provider:segmentation_id"], tenant["mtu"]) == ("vlan", "physnet1", 100, 8000)
    assert admin.network(**provider("vlan", "physnet1"))["provider:segmentation_id"] == 101
    # physnet1's range is used up: tenant networks fall back to the next type, VXLAN
    tenant = admin.get(f"/v2.0/networks/{member.network()['id']}").json()["network"]
    assert (tenant["provider:network_type"], tenant["provider:segmentation_id"], tenant["mtu"]) == (
        "vxlan", 500, 1600 - 50)
    assert_error(create(admin, **provider("vlan", "physnet1")), 503, "NoNetworkAvailable")
    # a physical network listed without a range takes explicit ids only
    assert admin.network(**provider("vlan", "physnet3", 7))["mtu"] == 9000
    assert_error(create(admin, **provider("vlan", "physnet3")), 503, "NoNetworkAvailable")
    assert admin.network(**provider("flat", "ext"))["mtu"] == 9000
    assert_error(create(admin, **provider("flat", "ext")), 409, "FlatNetworkInUse")
    assert_error(create(admin, **provider("flat", "physnet1")), 400, "InvalidInput",
                 "Invalid input for operation: physical_network 'physnet1' unknown for flat provider network.")
    assert_error(create(admin, **provider("vxlan", seg_id=500)), 409, "TunnelIdInUse",
                 "Unable to create the network. The tunnel ID 500 is in use.")


@pytest.mark.parametrize(("flag", "value", "named"), [
    ("--network-vlan-ranges", "physnet1:200:100", "network_vlan_ranges"),
    ("--network-vlan-ranges", "physnet1:1:5000", "network_vlan_ranges"),
    ("--global-physnet-mtu", "big", "global_physnet_mtu"),
    ("--tenant-network-types", "vxlan,local", "tenant_network_types"),
    ("--vni-ranges", "10", "vni_ranges"),
])
def test_a_bad_option_stops_serve_with_one_line_naming_it(tmp_path: Path, flag: str, value: str, named: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trunkd.cli", "serve", "--database", f"sqlite:///{tmp_path / 'x.db'}", flag, value],
        capture_output=True, text=True, timeout=60, cwd=REPO,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"trunkd: cannot start: {named}:"), done.stderr
    assert not (tmp_path / "x.db").exists()


# -- concurrency: one VLAN is never handed out twice -------------------------------------------
def test_concurrent_allocations_never_share_a_vlan(engine: str, make_server: Callable[..., Server]) -> None:
    """4 workers on PostgreSQL (2 on SQLite) and 30 simultaneous creates for a range of 20: 20
    distinct VLANs, then 503 NoNetworkAvailable; never a duplicate, never a 500."""
    workers = "4" if engine == "postgresql" else "2"
    srv = make_server("--workers", workers, "--network-vlan-ranges", "physnet1:101:120")
    body = {"network": provider("vlan", "physnet1")}

    def one(_: int) -> httpx.Response:
        with httpx.Client(base_url=srv.url, timeout=60) as client:
            return client.post("/v2.0/networks", json=body)

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(one, range(30)))
    made = [r.json()["network"] for r in answers if r.status_code == 201]
    refused = [r for r in answers if r.status_code != 201]
    assert sorted(n["provider:segmentation_id"] for n in made) == list(range(101, 121))
    assert len(refused) == 10 and {(r.status_code, error_type(r)) for r in refused} == {(503, "NoNetworkAvailable")}
    listed = Api(srv.url).get("/v2.0/networks").json()["networks"]
    assert sorted(n["provider:segmentation_id"] for n in listed) == list(range(101, 121))

    flat = {"network": provider("flat", "ext")}  # one flat network per physical network, also in a race
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: httpx.post(f"{srv.url}/v2.0/networks", json=flat, timeout=60), range(10)))
    assert sorted((r.status_code, r.status_code == 201 or error_type(r)) for r in answers) == [
        (201, True), *[(409, "FlatNetworkInUse")] * 9]
