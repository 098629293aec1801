"""Helpers shared by the tests of the features beyond Neutron (issue 13)."""

from __future__ import annotations

from typing import Any

from tests.support import Api


def vlan(port_id: str, segmentation_id: int) -> dict[str, Any]:
    return {"port_id": port_id, "segmentation_type": "vlan", "segmentation_id": segmentation_id}


def ports(api: Api, count: int, network_id: str | None = None) -> list[str]:
    """`count` fresh ports on one (new) network, in one bulk request."""
    net = network_id or api.network()["id"]
    r = api.post("/v2.0/ports", {"ports": [{"network_id": net} for _ in range(count)]})
    assert r.status_code == 201, r.text
    return [p["id"] for p in r.json()["ports"]]


def feed_head(api: Api) -> int:
    r = Api(api.url).get("/v2.0/events", params={"after": 0, "limit": 1})
    assert r.status_code == 200, r.text
    return int(r.json()["latest"])


def events_since(api: Api, after: int, *resource_ids: str) -> list[dict[str, Any]]:
    """Events written after `after` about the given resources (all when none are given)."""
    r = Api(api.url).get("/v2.0/events", params={"after": after, "limit": 1000})
    assert r.status_code == 200, r.text
    found = r.json()["events"]
    return [e for e in found if not resource_ids or e["resource_id"] in resource_ids]


def subport_map(api: Api, trunk_id: str) -> dict[str, int]:
    r = api.get(f"/v2.0/trunks/{trunk_id}/get_subports")
    assert r.status_code == 200, r.text
    return {s["port_id"]: s["segmentation_id"] for s in r.json()["sub_ports"]}


def report(api: Api, trunk_id: str, status: str, **extra: Any) -> dict[str, Any]:
    """An agent's status report at the trunk's current revision."""
    admin = Api(api.url)
    revision = admin.get(f"/v2.0/trunks/{trunk_id}").json()["trunk"]["revision_number"]
    r = admin.put(f"/v2.0/trunks/{trunk_id}/status",
                  {"status": status, "reason": extra.pop("reason", ""), "revision_number": revision, **extra})
    assert r.status_code == 200, r.text
    return dict(r.json()["trunk"])
