"""Concurrency of the features beyond Neutron on a multi-process server (4 workers on PostgreSQL).

Bounded: a few dozen requests per test, HTTP timeouts, pool joins.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.feature_support import ports, subport_map, vlan
from tests.support import Api, Server, throwaway_database
from tests.test_concurrency import Call, run_all
from tests.test_observability import scrape


@pytest.fixture(scope="module")
def multi_alloc(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp(f"multi-alloc-{engine}")
    with throwaway_database(engine, workdir) as url:
        srv = Server(database=url, workdir=workdir, args=["--workers", "4" if engine == "postgresql" else "2"],
                     env={"TRUNKD_SEGMENTATION_ALLOCATION": "random", "TRUNKD_SEGMENTATION_RANGE": "1-64"})
        srv.start()
        try:
            yield srv
        finally:
            srv.stop()


def add_auto(trunk: str, port_ids: list[str]) -> Call:
    body = {"sub_ports": [{"port_id": p} for p in port_ids]}
    return lambda c: c.put(f"/v2.0/trunks/{trunk}/add_subports", json=body)


def test_concurrent_allocations_on_one_trunk_never_collide(multi_alloc: Server) -> None:
    admin = Api(multi_alloc.url)
    trunk = admin.trunk()["id"]
    pool = ports(admin, 60)
    responses = run_all([add_auto(trunk, pool[i:i + 2]) for i in range(0, 60, 2)], multi_alloc.url)
    assert [r.status_code for r in responses] == [200] * 30, [r.text for r in responses if r.status_code != 200]
    final = subport_map(admin, trunk)
    assert set(final) == set(pool)
    assert len(set(final.values())) == 60 and all(1 <= v <= 64 for v in final.values())


def test_concurrent_allocations_fill_a_trunks_range_exactly_then_409(multi_alloc: Server) -> None:
    admin = Api(multi_alloc.url)
    trunk = admin.trunk()["id"]
    pool = ports(admin, 72)
    responses = run_all([add_auto(trunk, pool[i:i + 4]) for i in range(0, 72, 4)], multi_alloc.url)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 16 + [409] * 2, [r.text for r in responses]
    assert {r.json()["NeutronError"]["type"] for r in responses if r.status_code == 409} == {
        "SegmentationIdsExhausted"}
    assert sorted(subport_map(admin, trunk).values()) == list(range(1, 65))


def test_concurrent_desired_state_puts_end_in_one_of_the_requested_states(multi_alloc: Server) -> None:
    admin = Api(multi_alloc.url)
    trunk = admin.trunk()["id"]
    pool = ports(admin, 8)
    states = [[vlan(p, 100 + (i + j) % 8) for j, p in enumerate(pool[i % 4:i % 4 + 4])] for i in range(16)]

    def put(items: list[dict]) -> Call:
        return lambda c: c.put(f"/v2.0/trunks/{trunk}/sub_ports", json={"sub_ports": items})

    responses: list[httpx.Response] = run_all([put(s) for s in states], multi_alloc.url)
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses if r.status_code != 200]
    final = subport_map(admin, trunk)
    assert final in [{i["port_id"]: i["segmentation_id"] for i in s} for s in states]
    revisions = [r.json()["trunk"]["revision_number"] for r in responses if any(r.json()["changes"].values())]
    assert len(revisions) == len(set(revisions)), "each real change got its own revision"


def test_metrics_of_every_worker_are_summed(multi_alloc: Server) -> None:
    api = Api(multi_alloc.url)
    for _ in range(40):  # new connections, spread over the workers by the kernel
        with Api(multi_alloc.url).client as c:
            assert c.get("/v2.0/networks").status_code == 200
    totals = {scrape(multi_alloc.url)[("trunkd_http_requests_total",
                                        (("code", "200"), ("method", "GET"), ("route", "/v2.0/networks")))]
              for _ in range(6)}
    assert totals == {40.0}, "every worker answers with the total of all"
    assert api.get("/v2.0/networks").status_code == 200
