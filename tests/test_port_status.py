"""PUT /v2.0/hosts/{host}/port_status: the agent's port status reports (ACTIVE when plugged and wired)."""

from __future__ import annotations

from typing import Any

from tests.support import Api, error_type
from tests.test_agents_binding import bind, heartbeat, new_host, sub


def report(api: Api, host: str, *entries: tuple[str, str]) -> Any:
    return api.put(f"/v2.0/hosts/{host}/port_status",
                   {"ports": [{"port_id": p, "status": s} for p, s in entries]})


def port_events(api: Api, port_id: str, after: int) -> list[dict[str, Any]]:
    found = api.get("/v2.0/events", params={"resource_type": "port", "after": after, "limit": 1000}).json()
    return [e for e in found["events"] if e["resource_id"] == port_id]


def latest(api: Api) -> int:
    return int(api.get("/v2.0/events", params={"limit": 1}).json()["latest"])


def test_reported_statuses_apply_to_ports_bound_to_the_host_one_event_per_real_change(admin: Api) -> None:
    host = new_host()
    heartbeat(admin, host)
    port, other = admin.port(), admin.port()
    bound = bind(admin, port["id"], host)
    assert bound["status"] == "DOWN"
    bind(admin, other["id"], new_host())
    mark = latest(admin)
    r = report(admin, host, (port["id"], "ACTIVE"), (other["id"], "ACTIVE"), ("no-such-port", "DOWN"))
    assert r.status_code == 200, r.text
    mine, foreign, missing = r.json()["ports"]
    assert mine == {"port_id": port["id"], "status": "ACTIVE", "revision_number": bound["revision_number"] + 1,
                    "changed": True}
    assert foreign["changed"] is False and foreign["error"]["type"] == "PortNotBoundToHost"
    assert foreign["status"] == "DOWN"
    assert missing["changed"] is False and missing["error"]["type"] == "PortNotBoundToHost"
    shown = admin.get(f"/v2.0/ports/{port['id']}").json()["port"]
    assert shown["status"] == "ACTIVE" and shown["revision_number"] == mine["revision_number"]
    assert admin.get(f"/v2.0/ports/{other['id']}").json()["port"]["status"] == "DOWN"
    changes = port_events(admin, port["id"], mark)
    assert [(e["kind"], e["state"]["status"], e["previous"]["status"]) for e in changes] == [
        ("port.updated", "ACTIVE", "DOWN")]
    assert port_events(admin, other["id"], mark) == []

    again = report(admin, host, (port["id"], "ACTIVE")).json()["ports"][0]
    assert again["changed"] is False and again["revision_number"] == mine["revision_number"]
    assert len(port_events(admin, port["id"], mark)) == 1

    down = report(admin, host, (port["id"], "DOWN")).json()["ports"][0]
    assert down["changed"] is True and down["status"] == "DOWN"
    assert down["revision_number"] == mine["revision_number"] + 1


def test_unbinding_or_moving_a_port_sets_it_down(admin: Api) -> None:
    host, elsewhere = new_host(), new_host()
    heartbeat(admin, host)
    heartbeat(admin, elsewhere)
    port = admin.port()
    bind(admin, port["id"], host)
    report(admin, host, (port["id"], "ACTIVE"))
    assert bind(admin, port["id"], elsewhere)["status"] == "DOWN"
    report(admin, elsewhere, (port["id"], "ACTIVE"))
    assert bind(admin, port["id"], "")["status"] == "DOWN"


def test_subports_bound_with_their_trunk_take_reports_and_go_down_when_removed(admin: Api) -> None:
    host = new_host()
    heartbeat(admin, host)
    parent, child = admin.port(), admin.port()
    bind(admin, parent["id"], host)
    r = admin.post("/v2.0/trunks", {"trunk": {"port_id": parent["id"], "sub_ports": [sub(child, 100)]}})
    assert r.status_code == 201, r.text
    trunk = r.json()["trunk"]
    assert admin.put(f"/v2.0/trunks/{trunk['id']}/bind_subports", {}).status_code == 200
    answer = report(admin, host, (parent["id"], "ACTIVE"), (child["id"], "ACTIVE")).json()["ports"]
    assert [a["changed"] for a in answer] == [True, True]
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", {"sub_ports": [{"port_id": child["id"]}]})
    assert r.status_code == 200, r.text
    freed = admin.get(f"/v2.0/ports/{child['id']}").json()["port"]
    assert freed["status"] == "DOWN" and freed["binding:host_id"] == ""


def test_malformed_reports_are_refused_whole(admin: Api) -> None:
    host = new_host()
    heartbeat(admin, host)
    port = admin.port()
    bind(admin, port["id"], host)
    bad_bodies: list[Any] = [
        {}, {"ports": {}}, {"ports": [{"status": "ACTIVE"}]}, {"ports": [{"port_id": port["id"]}]},
        {"ports": [{"port_id": port["id"], "status": "UP"}]}, {"ports": [port["id"]]},
        {"ports": [{"port_id": port["id"], "status": "ACTIVE", "extra": 1}]},
        {"ports": [{"port_id": port["id"], "status": "ACTIVE"}] + [{"port_id": "x", "status": "DOWN"}] * 2048},
    ]
    for body in bad_bodies:
        r = admin.put(f"/v2.0/hosts/{host}/port_status", body)
        assert r.status_code == 400 and error_type(r) == "InvalidInput", (body if len(str(body)) < 200 else "", r.text)
    r = admin.put(f"/v2.0/hosts/{host}/port_status", raw="{not json")
    assert r.status_code == 400 and error_type(r) == "MalformedRequestBody"
    assert admin.get(f"/v2.0/ports/{port['id']}").json()["port"]["status"] == "DOWN"


def test_only_admin_or_service_may_report(admin: Api, project: str) -> None:
    host = new_host()
    heartbeat(admin, host)
    port = admin.port()
    bind(admin, port["id"], host)
    denied = report(admin.as_(project), host, (port["id"], "ACTIVE"))
    assert denied.status_code == 403 and error_type(denied) == "PolicyNotAuthorized"
    allowed = report(admin.as_(project, "service"), host, (port["id"], "ACTIVE"))
    assert allowed.status_code == 200 and allowed.json()["ports"][0]["changed"] is True
