"""Prometheus metrics at /metrics (scraped by prometheus_client's own parser) and request ids in logs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from tests.feature_support import ports, report, vlan
from tests.support import Api, Server
from tests.test_agents_binding import new_host

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    r = Api(url).client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_by_route_and_code_with_latency(admin: Api, server: Server) -> None:
    route = "/v2.0/trunks/{id}"
    before = scrape(server.url)
    trunk = admin.trunk()
    for _ in range(3):
        admin.get(f"/v2.0/trunks/{trunk['id']}")
    admin.get("/v2.0/trunks/00000000-0000-0000-0000-000000000000")
    after = scrape(server.url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("trunkd_http_requests_total", method="GET", route=route, code="200") == 3
    assert delta("trunkd_http_requests_total", method="GET", route=route, code="404") == 1
    assert delta("trunkd_http_requests_total", method="POST", route="/v2.0/trunks", code="201") == 1
    assert delta("trunkd_http_request_duration_seconds_count", method="GET", route=route) == 4
    assert delta("trunkd_http_request_duration_seconds_bucket", method="GET", route=route, le="+Inf") == 4
    assert delta("trunkd_http_request_duration_seconds_sum", method="GET", route=route) > 0


def test_metrics_report_trunks_subports_agents_and_outbox_lag(make_server: Callable[..., Server]) -> None:
    srv = make_server()
    admin = Api(srv.url)
    a, b = ports(admin, 2)
    active = admin.trunk(sub_ports=[vlan(a, 10), vlan(b, 20)])
    admin.trunk()
    report(admin, active["id"], "ACTIVE")
    host = new_host()
    r = admin.post("/v2.0/agents", {"agent": {"host": host, "agent_type": "Open vSwitch agent",
                                              "binary": "trunkd-agent", "event_cursor": 0}})
    assert r.status_code == 201, r.text
    samples = scrape(srv.url)
    assert value(samples, "trunkd_trunks", status="ACTIVE") == 1
    assert value(samples, "trunkd_trunks", status="DOWN") == 1
    assert value(samples, "trunkd_subports", status="ACTIVE") == 2
    assert value(samples, "trunkd_agents", agent_type="Open vSwitch agent", alive="true") == 1
    latest = value(samples, "trunkd_outbox_latest_seq")
    assert latest >= 8  # networks, ports, trunks, status, agent
    assert value(samples, "trunkd_outbox_lag_events", consumer=f"agent:{host}") == latest
    assert value(samples, "trunkd_outbox_max_lag_events") == latest


def test_every_response_and_log_line_carries_the_request_id(make_server: Callable[..., Server]) -> None:
    srv = make_server(TRUNKD_LOG_FORMAT="json", TRUNKD_LOG_LEVEL="info")
    admin = Api(srv.url)
    responses = [admin.get("/v2.0/trunks"), admin.get("/v2.0/trunks/nope"), admin.client.get("/metrics"),
                 admin.client.get("/"), admin.post("/v2.0/trunks", raw="{")]
    ids = [r.headers["x-openstack-request-id"] for r in responses]
    assert all(i.startswith("req-") for i in ids) and len(set(ids)) == len(ids)
    deadline = time.monotonic() + 10
    lines: list[dict] = []
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in srv.log.read_text().splitlines() if line.startswith("{")]
        if {i for i in ids} <= {line["request_id"] for line in lines}:
            break
        time.sleep(0.1)
    by_id = {line["request_id"]: line for line in lines}
    for request_id, r in zip(ids, responses, strict=True):
        assert request_id in by_id, f"no log line for {request_id}"
        assert str(r.status_code) in by_id[request_id]["message"]
    assert {"time", "level", "logger", "request_id", "message"} <= set(lines[0])
