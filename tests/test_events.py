"""The outbox event feed: one event per real change, written with it, delivered after commit."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from tests.support import Api, error_type


def latest(admin: Api) -> int:
    r = admin.get("/v2.0/events", params={"after": 0, "limit": 1})
    assert r.status_code == 200, r.text
    return int(r.json()["latest"])


def events_since(admin: Api, cursor: int) -> list[dict[str, Any]]:
    r = admin.get("/v2.0/events", params={"after": cursor, "limit": 1000})
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def kinds(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["kind"], e["resource_id"]) for e in events]


def test_network_writes_emit_created_updated_deleted(admin: Api) -> None:
    cursor = latest(admin)
    net = admin.network(name="ev-net")
    assert admin.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "ev-net2"}}).status_code == 200
    assert admin.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "ev-net2"}}).status_code == 200
    assert admin.delete(f"/v2.0/networks/{net['id']}").status_code == 204
    found = events_since(admin, cursor)
    assert kinds(found) == [("network.created", net["id"]), ("network.updated", net["id"]),
                            ("network.deleted", net["id"])]
    created, updated, deleted = found
    assert created["state"]["name"] == "ev-net" and created["previous"] is None
    assert updated["state"]["name"] == "ev-net2" and updated["previous"]["name"] == "ev-net"
    assert deleted["state"] is None and deleted["previous"]["id"] == net["id"]
    assert [e["seq"] for e in found] == sorted(e["seq"] for e in found)


def test_port_writes_emit_events_with_binding_host(admin: Api) -> None:
    net = admin.network()
    cursor = latest(admin)
    port = admin.port(net["id"])
    r = admin.put(f"/v2.0/ports/{port['id']}", {"port": {"binding:host_id": "host-a"}})
    assert r.status_code == 200
    assert admin.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    found = events_since(admin, cursor)
    assert kinds(found) == [("port.created", port["id"]), ("port.updated", port["id"]),
                            ("port.deleted", port["id"])]
    assert found[1]["host"] == "host-a"
    assert found[1]["state"]["binding:host_id"] == "host-a"
    assert found[1]["previous"]["binding:host_id"] == ""
    host_only = admin.get("/v2.0/events", params={"after": cursor, "host": "host-a"}).json()["events"]
    assert [e["seq"] for e in host_only] == [found[1]["seq"], found[2]["seq"]]


def test_trunk_lifecycle_emits_one_event_per_change(admin: Api) -> None:
    parent, s1, s2 = admin.port(), admin.port(), admin.port()
    cursor = latest(admin)
    sub1 = {"port_id": s1["id"], "segmentation_type": "vlan", "segmentation_id": 10}
    sub2 = {"port_id": s2["id"], "segmentation_type": "vlan", "segmentation_id": 20}
    trunk = admin.trunk(parent["id"], sub_ports=[sub1])
    tid = trunk["id"]
    assert admin.put(f"/v2.0/trunks/{tid}", {"trunk": {"name": "renamed"}}).status_code == 200
    assert admin.put(f"/v2.0/trunks/{tid}/add_subports", {"sub_ports": [sub2]}).status_code == 200
    assert admin.put(f"/v2.0/trunks/{tid}/add_subports", {"sub_ports": []}).status_code == 200
    assert admin.put(f"/v2.0/trunks/{tid}/remove_subports",
                     {"sub_ports": [{"port_id": s1["id"]}]}).status_code == 200
    assert admin.put(f"/v2.0/trunks/{tid}/tags/red").status_code == 201
    assert admin.delete(f"/v2.0/trunks/{tid}").status_code == 204
    found = events_since(admin, cursor)
    assert [e["kind"] for e in found] == [
        "trunk.created", "trunk.updated", "trunk.subports_added", "trunk.subports_removed",
        "trunk.updated", "trunk.deleted",
    ]
    assert all(e["resource_type"] == "trunk" and e["resource_id"] == tid for e in found)
    created, renamed, added, removed, tagged, deleted = found
    assert created["state"]["sub_ports"] == [sub1]
    assert renamed["previous"]["name"] == "" and renamed["state"]["name"] == "renamed"
    assert added["state"]["changed_sub_ports"] == [sub2]
    assert sorted(s["segmentation_id"] for s in added["state"]["sub_ports"]) == [10, 20]
    assert added["previous"]["sub_ports"] == [sub1]
    assert removed["state"]["changed_sub_ports"] == [sub1]
    assert removed["state"]["sub_ports"] == [sub2]
    assert tagged["state"]["tags"] == ["red"]
    assert deleted["state"] is None and deleted["previous"]["sub_ports"] == [sub2]
    revisions = [e["state"]["revision_number"] for e in found[:-1]]
    assert revisions == sorted(set(revisions)), "each event carries a newer revision"


def test_bulk_create_emits_one_event_per_trunk_in_order(admin: Api) -> None:
    p1, p2 = admin.port(), admin.port()
    cursor = latest(admin)
    r = admin.post("/v2.0/trunks", {"trunks": [{"port_id": p1["id"]}, {"port_id": p2["id"]}]})
    assert r.status_code == 201, r.text
    ids = [t["id"] for t in r.json()["trunks"]]
    assert kinds(events_since(admin, cursor)) == [("trunk.created", i) for i in ids]


def test_failing_requests_emit_no_event(admin: Api) -> None:
    parent, sub = admin.port(), admin.port()
    trunk = admin.trunk(parent["id"])
    tid = trunk["id"]
    cursor = latest(admin)
    failures = [
        admin.post("/v2.0/trunks", {"trunk": {"port_id": "not-a-uuid"}}),  # 400
        admin.post("/v2.0/trunks", {"trunk": {"port_id": str(uuid.uuid4())}}),  # 404
        admin.post("/v2.0/trunks", {"trunk": {"port_id": parent["id"]}}),  # 409
        admin.put(f"/v2.0/trunks/{tid}", {"trunk": {"name": "x"}},
                  headers={"If-Match": "revision_number=99"}),  # 412
        admin.put(f"/v2.0/trunks/{tid}/add_subports",
                  {"sub_ports": [{"port_id": sub["id"], "segmentation_type": "vlan",
                                  "segmentation_id": 5000}]}),  # 400
        admin.put(f"/v2.0/trunks/{tid}/remove_subports", {"sub_ports": [{"port_id": sub["id"]}]}),  # 404
        admin.delete(f"/v2.0/ports/{parent['id']}"),  # 409
        admin.post("/v2.0/trunks", {"trunks": [{"port_id": sub["id"]}, {"port_id": parent["id"]}]}),  # 409
    ]
    assert [r.status_code for r in failures] == [400, 404, 409, 412, 400, 404, 409, 409]
    assert events_since(admin, cursor) == []
    assert admin.get("/v2.0/trunks", params={"port_id": sub["id"]}).json()["trunks"] == []


def test_feed_is_for_admins_and_service_only(admin: Api, project: str) -> None:
    r = admin.as_(project).get("/v2.0/events")
    assert r.status_code == 403 and error_type(r) == "PolicyNotAuthorized"
    assert admin.as_(project, "service").get("/v2.0/events").status_code == 200


@pytest.mark.parametrize("params", [{"after": "x"}, {"limit": "0"}, {"limit": "5000"}, {"wait": "61"}])
def test_bad_feed_parameters_are_400(admin: Api, params: dict[str, str]) -> None:
    r = admin.get("/v2.0/events", params=params)
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"


def test_resource_type_filter_and_paging_resume_without_gaps(admin: Api) -> None:
    cursor = latest(admin)
    nets = [admin.network()["id"] for _ in range(5)]
    port = admin.port(nets[0])
    only_ports = admin.get("/v2.0/events", params={"after": cursor, "resource_type": "port"}).json()
    assert kinds(only_ports["events"]) == [("port.created", port["id"])]
    seen: list[int] = []
    after = cursor
    while True:
        page = admin.get("/v2.0/events", params={"after": after, "limit": 2}).json()
        if not page["events"]:
            break
        seen += [e["seq"] for e in page["events"]]
        after = page["next_after"]
    assert len(seen) == len(set(seen)) == 6 and seen == sorted(seen)


def test_long_poll_wakes_when_an_event_commits(admin: Api) -> None:
    cursor = latest(admin)
    result: dict[str, Any] = {}

    def poll() -> None:
        result["response"] = admin.get("/v2.0/events", params={"after": cursor, "wait": 30})

    poller = threading.Thread(target=poll)
    poller.start()
    net = admin.network()
    poller.join(timeout=40)
    assert not poller.is_alive()
    events = result["response"].json()["events"]
    # had it not woken, it would have answered [] at the 30 s deadline
    assert kinds(events) == [("network.created", net["id"])]


def test_long_poll_with_nothing_new_returns_empty_after_wait(admin: Api) -> None:
    head = latest(admin)
    r = admin.get("/v2.0/events", params={"after": head + 1_000_000, "wait": 0.2})
    assert r.status_code == 200 and r.json()["events"] == []
