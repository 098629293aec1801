"""Segmentation-ID allocation (opt-in): a subport without segmentation_id gets a free VLAN of its trunk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support import Api, Server, error_type


@pytest.fixture(scope="module")
def lowest(module_server: Callable[..., Server]) -> Server:
    return module_server(TRUNKD_SEGMENTATION_ALLOCATION="lowest")


@pytest.fixture(scope="module")
def small_random(module_server: Callable[..., Server]) -> Server:
    """The default policy (random) over a range of five VLANs."""
    return module_server(TRUNKD_SEGMENTATION_ALLOCATION="on", TRUNKD_SEGMENTATION_RANGE="100-104")


def ports(api: Api, count: int) -> list[str]:
    net = api.network()["id"]
    r = api.post("/v2.0/ports", {"ports": [{"network_id": net} for _ in range(count)]})
    assert r.status_code == 201, r.text
    return [p["id"] for p in r.json()["ports"]]


def vlans(api: Api, trunk_id: str) -> dict[str, int]:
    r = api.get(f"/v2.0/trunks/{trunk_id}/get_subports")
    return {s["port_id"]: s["segmentation_id"] for s in r.json()["sub_ports"]}


def test_lowest_policy_fills_the_lowest_free_vlans_around_explicit_ones(lowest: Server) -> None:
    api = Api(lowest.url)
    a, b, c = ports(api, 3)
    trunk = api.trunk(sub_ports=[{"port_id": a}, {"port_id": b, "segmentation_id": 1, "segmentation_type": "vlan"},
                                 {"port_id": c, "segmentation_type": "vlan"}])
    chosen = {s["port_id"]: (s["segmentation_type"], s["segmentation_id"]) for s in trunk["sub_ports"]}
    assert chosen == {a: ("vlan", 2), b: ("vlan", 1), c: ("vlan", 3)}
    d, e = ports(api, 2)
    r = api.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [{"port_id": d}, {"port_id": e}]})
    assert r.status_code == 200, r.text
    assert vlans(api, trunk["id"]) == {a: 2, b: 1, c: 3, d: 4, e: 5}


def test_random_policy_picks_distinct_free_vlans_in_range_and_exhaustion_is_409(small_random: Server) -> None:
    api = Api(small_random.url)
    first, *rest = ports(api, 6)
    trunk = api.trunk(sub_ports=[{"port_id": first, "segmentation_type": "vlan", "segmentation_id": 102}])
    r = api.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [{"port_id": p} for p in rest[:4]]})
    assert r.status_code == 200, r.text
    assert sorted(vlans(api, trunk["id"]).values()) == [100, 101, 102, 103, 104]
    before = api.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]
    r = api.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [{"port_id": rest[4]}]})
    assert r.status_code == 409
    assert error_type(r) == "SegmentationIdsExhausted"
    assert "100-104" in r.json()["NeutronError"]["message"]
    assert api.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"] == before


def test_random_policy_spreads_over_the_range(small_random: Server) -> None:
    api = Api(small_random.url)
    seen: set[int] = set()
    for _ in range(12):
        port = ports(api, 1)[0]
        seen.add(api.trunk(sub_ports=[{"port_id": port}])["sub_ports"][0]["segmentation_id"])
    assert seen <= set(range(100, 105))
    assert len(seen) > 1, "twelve random picks from five VLANs were all the same"


def test_allocation_is_listed_as_an_extension_only_when_enabled(lowest: Server, admin: Api) -> None:
    found = Api(lowest.url).get("/v2.0/extensions/segmentation-id-allocation")
    assert found.status_code == 200
    assert "lowest" in found.json()["extension"]["description"]
    assert admin.get("/v2.0/extensions/segmentation-id-allocation").status_code == 404


def test_without_allocation_a_missing_segmentation_id_is_still_400(admin: Api) -> None:
    port = admin.port()["id"]
    r = admin.post("/v2.0/trunks", {"trunk": {"port_id": admin.port()["id"],
                                              "sub_ports": [{"port_id": port, "segmentation_type": "vlan"}]}})
    assert r.status_code == 400


def test_explicit_ids_and_other_types_are_still_validated_with_allocation_on(lowest: Server) -> None:
    api = Api(lowest.url)
    port = ports(api, 1)[0]
    bad: list[tuple[dict[str, Any], str]] = [
        ({"port_id": port, "segmentation_type": "vlan", "segmentation_id": 5000}, "InvalidInput"),
        ({"port_id": port, "segmentation_type": "vxlan"}, "HTTPBadRequest"),  # only vlan ids are allocated
    ]
    for item, kind in bad:
        r = api.post("/v2.0/trunks", {"trunk": {"port_id": ports(api, 1)[0], "sub_ports": [item]}})
        assert r.status_code == 400, (item, r.text)
        assert error_type(r) == kind


def test_openstack_cli_subport_without_segmentation_gets_one(lowest: Server) -> None:
    from tests.test_client_osc import osc_json

    api = Api(lowest.url)
    parent, child = ports(api, 2)
    trunk = osc_json(lowest, "network", "trunk", "create", "--parent-port", parent, "--subport", f"port={child}",
                     "t-alloc")
    assert vlans(api, trunk["id"]) == {child: 1}
