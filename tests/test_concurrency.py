"""Concurrent writers against a multi-process server: constraints and locks keep every rule.

Each test is bounded in requests (at most a few hundred) and time (HTTP timeouts, pool joins).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.support import Api, Server

CLIENTS = 50
Call = Callable[[httpx.Client], httpx.Response]


@pytest.fixture(scope="module")
def multi(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.support import throwaway_database

    workdir = tmp_path_factory.mktemp(f"multi-{engine}")
    with throwaway_database(engine, workdir) as url:
        srv = Server(database=url, workdir=workdir, args=["--workers", "4" if engine == "postgresql" else "2"])
        srv.start()
        try:
            yield srv
        finally:
            srv.stop()


def run_all(calls: list[Call], url: str) -> list[httpx.Response]:
    """Fire the calls from CLIENTS threads at once, each thread with its own connection."""
    def one(call: Call) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=60) as client:
            return call(client)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(one, calls))


def add_call(trunk: str, port: str, vlan: int) -> Call:
    body = {"sub_ports": [{"port_id": port, "segmentation_type": "vlan", "segmentation_id": vlan}]}
    return lambda c: c.put(f"/v2.0/trunks/{trunk}/add_subports", json=body)


def remove_call(trunk: str, port: str) -> Call:
    return lambda c: c.put(f"/v2.0/trunks/{trunk}/remove_subports", json={"sub_ports": [{"port_id": port}]})


def create_call(parent: str) -> Call:
    return lambda c: c.post("/v2.0/trunks", json={"trunk": {"port_id": parent}})


def rename_call(trunk: str, name: str, headers: dict[str, str]) -> Call:
    return lambda c: c.put(f"/v2.0/trunks/{trunk}", json={"trunk": {"name": name}}, headers=headers)


def kind(r: httpx.Response) -> str:
    return str(r.json()["NeutronError"]["type"]) if r.status_code >= 400 else ""


def test_colliding_add_subports_end_with_each_port_and_vlan_once(multi: Server) -> None:
    admin = Api(multi.url)
    trunks = [admin.trunk()["id"] for _ in range(2)]
    pool = [admin.port()["id"] for _ in range(20)]
    requests = [(trunks[i % 2], pool[(i * 7) % 20], 1 + (i * 3) % 15) for i in range(CLIENTS)]
    responses = run_all([add_call(t, p, v) for t, p, v in requests], multi.url)
    assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500]
    assert {kind(r) for r in responses if r.status_code != 200} <= {"DuplicateSubPort", "TrunkPortInUse"}
    assert all(r.status_code in (200, 409) for r in responses)
    won = {req for req, r in zip(requests, responses, strict=True) if r.status_code == 200}
    final = {(t, s["port_id"], s["segmentation_id"])
             for t in trunks for s in admin.get(f"/v2.0/trunks/{t}/get_subports").json()["sub_ports"]}
    assert final == won
    ports = [p for _, p, _ in final]
    assert len(ports) == len(set(ports)), "a port is in at most one place"
    assert len({(t, v) for t, _, v in final}) == len(final), "a (trunk, vlan) is used at most once"


def test_concurrent_create_on_one_parent_gives_exactly_one_trunk(multi: Server) -> None:
    admin = Api(multi.url)
    parent = admin.port()["id"]
    responses = run_all([create_call(parent)] * 20, multi.url)
    assert sorted(r.status_code for r in responses) == [201] + [409] * 19
    assert {kind(r) for r in responses if r.status_code == 409} == {"ParentPortInUse"}
    assert len(admin.get("/v2.0/trunks", params={"port_id": parent}).json()["trunks"]) == 1


def test_mixed_writes_on_one_trunk_leave_no_orphans_and_distinct_revisions(multi: Server) -> None:
    admin = Api(multi.url)
    trunk = admin.trunk()["id"]
    pool = [admin.port()["id"] for _ in range(12)]
    rng = random.Random(7)

    def op(i: int) -> Call:
        if i == 40:
            return lambda c: c.delete(f"/v2.0/trunks/{trunk}")
        if rng.random() < 0.6:
            return add_call(trunk, pool[i % 12], 1 + i % 12)
        return remove_call(trunk, pool[i % 12])

    responses = run_all([op(i) for i in range(CLIENTS)], multi.url)
    assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500]
    revisions = [r.json()["revision_number"] for r in responses if r.status_code == 200]
    assert len(revisions) == len(set(revisions)), "every successful write got its own revision"
    engine = sa.create_engine(multi.database)
    with engine.connect() as conn:
        orphans = conn.execute(sa.text(
            "select count(*) from subports s left join trunks t on t.id = s.trunk_id where t.id is null"
        )).scalar_one()
        loose_claims = conn.execute(sa.text(
            "select count(*) from port_claims c where c.role = 'subport' and not exists "
            "(select 1 from subports s where s.port_id = c.port_id)"
        )).scalar_one()
    engine.dispose()
    assert (orphans, loose_claims) == (0, 0)
    shown = admin.get(f"/v2.0/trunks/{trunk}")
    deleted = any(r.status_code == 204 for r in responses)
    assert shown.status_code == (404 if deleted else 200)


def test_if_match_lets_exactly_one_writer_win_per_revision(multi: Server) -> None:
    admin = Api(multi.url)
    trunk = admin.trunk()
    headers = {"If-Match": f"revision_number={trunk['revision_number']}"}
    responses = run_all([rename_call(trunk["id"], f"w{i}", headers) for i in range(20)], multi.url)
    assert sorted(r.status_code for r in responses) == [200] + [412] * 19
    winner = next(r for r in responses if r.status_code == 200).json()["trunk"]
    assert admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]["name"] == winner["name"]


def test_a_port_raced_as_parent_and_as_subport_lands_in_one_place(multi: Server) -> None:
    admin = Api(multi.url)
    host_trunk = admin.trunk()["id"]
    contested = [admin.port()["id"] for _ in range(10)]
    calls: list[Call] = []
    for i, port in enumerate(contested):
        calls += [create_call(port), add_call(host_trunk, port, 100 + i)]
    responses = run_all(calls, multi.url)
    assert all(r.status_code in (200, 201, 409) for r in responses), [r.text for r in responses]
    for i in range(len(contested)):
        as_parent, as_sub = responses[2 * i], responses[2 * i + 1]
        assert sorted([as_parent.status_code, as_sub.status_code]) in ([200, 409], [201, 409])
    subs = {s["port_id"] for s in admin.get(f"/v2.0/trunks/{host_trunk}/get_subports").json()["sub_ports"]}
    for port in contested:
        parents = admin.get("/v2.0/trunks", params={"port_id": port}).json()["trunks"]
        assert (len(parents), port in subs) in ((1, False), (0, True))


def port_call(network_id: str, **attrs: Any) -> Call:
    return lambda c: c.post("/v2.0/ports", json={"port": {"network_id": network_id, **attrs}})


def test_racing_port_creates_on_one_subnet_get_distinct_addresses(multi: Server) -> None:
    admin = Api(multi.url)
    subnet = admin.subnet(cidr="10.90.0.0/24")
    responses = run_all([port_call(subnet["network_id"]) for _ in range(CLIENTS)], multi.url)
    assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500]
    assert [r.status_code for r in responses] == [201] * CLIENTS, [r.text for r in responses if r.status_code != 201]
    stored = admin.get("/v2.0/ports", params={"network_id": subnet["network_id"]}).json()["ports"]
    held = [f["ip_address"] for p in stored for f in p["fixed_ips"]]
    assert len(held) == len(set(held)) == CLIENTS
    assert sorted(held) == sorted(f["ip_address"] for r in responses for f in r.json()["port"]["fixed_ips"])


def test_racing_requests_for_one_address_leave_exactly_one_holder(multi: Server) -> None:
    admin = Api(multi.url)
    subnet = admin.subnet(cidr="10.91.0.0/24")
    net = subnet["network_id"]
    calls = [port_call(net, fixed_ips=[{"ip_address": "10.91.0.9"}]) if i % 2 else port_call(net)
             for i in range(CLIENTS)]
    responses = run_all(calls, multi.url)
    assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500]
    explicit = [r for i, r in enumerate(responses) if i % 2]
    assert sorted(r.status_code for r in explicit) == [201] + [409] * (len(explicit) - 1)
    assert {kind(r) for r in explicit if r.status_code == 409} == {"IpAddressAlreadyAllocated"}
    assert all(r.status_code == 201 for i, r in enumerate(responses) if not i % 2)
    stored = admin.get("/v2.0/ports", params={"network_id": net}).json()["ports"]
    held = [f["ip_address"] for p in stored for f in p["fixed_ips"]]
    assert len(held) == len(set(held)) == len(stored) == CLIENTS // 2 + 1
    assert held.count("10.91.0.9") == 1


def pool_subnet_call(network_id: str, pool_id: str, **attrs: Any) -> Call:
    body = {"network_id": network_id, "ip_version": 4, "subnetpool_id": pool_id, **attrs}
    return lambda c: c.post("/v2.0/subnets", json={"subnet": body})


def test_racing_allocations_from_one_pool_get_disjoint_prefixes_until_it_is_full(multi: Server) -> None:
    """The pool row is the allocation lock: 24 creates race for 8 /28s of a /25 (by prefix length and by
    explicit CIDR); exactly 8 win, with disjoint prefixes, and the rest get SubnetAllocationError."""
    admin = Api(multi.url)
    r = admin.post("/v2.0/subnetpools", {"subnetpool": {"name": "race", "prefixes": ["10.92.0.0/25"],
                                                        "min_prefixlen": 28, "max_prefixlen": 28}})
    assert r.status_code == 201, r.text
    pool_id = r.json()["subnetpool"]["id"]
    nets = [admin.network()["id"] for _ in range(24)]
    calls = [pool_subnet_call(n, pool_id, **({"cidr": f"10.92.0.{16 * (i % 8)}/28"} if i % 3 == 0 else {}))
             for i, n in enumerate(nets)]
    responses = run_all(calls, multi.url)
    assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500]
    won = [r.json()["subnet"]["cidr"] for r in responses if r.status_code == 201]
    assert sorted(won) == sorted(f"10.92.0.{16 * i}/28" for i in range(8))
    assert {kind(r) for r in responses if r.status_code != 201} == {"SubnetAllocationError"}
    stored = admin.get("/v2.0/subnets", params={"subnetpool_id": pool_id}).json()["subnets"]
    assert sorted(s["cidr"] for s in stored) == sorted(won)


def test_a_pool_delete_racing_allocations_never_leaves_a_subnet_of_a_missing_pool(multi: Server) -> None:
    admin = Api(multi.url)
    for attempt in range(3):
        r = admin.post("/v2.0/subnetpools", {"subnetpool": {"name": f"gone-{attempt}", "prefixes": ["10.93.0.0/16"],
                                                            "min_prefixlen": 24}})
        pool_id = r.json()["subnetpool"]["id"]
        nets = [admin.network()["id"] for _ in range(8)]
        calls = [pool_subnet_call(n, pool_id, prefixlen=24) for n in nets]
        calls.insert(4, lambda c, p=pool_id: c.delete(f"/v2.0/subnetpools/{p}"))  # type: ignore[misc]
        responses = run_all(calls, multi.url)
        assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500]
        deleted = responses[4]
        made = [r for i, r in enumerate(responses) if i != 4 and r.status_code == 201]
        stored = admin.get("/v2.0/subnets", params={"subnetpool_id": pool_id}).json()["subnets"]
        if deleted.status_code == 204:
            assert stored == [] and made == []
            assert {kind(r) for i, r in enumerate(responses) if i != 4} <= {"SubnetPoolNotFound"}
        else:
            assert kind(deleted) == "SubnetPoolDeleteError"
            assert sorted(s["id"] for s in stored) == sorted(r.json()["subnet"]["id"] for r in made) != []
            for s in stored:
                assert admin.delete(f"/v2.0/subnets/{s['id']}").status_code == 204
        for n in nets:
            assert admin.delete(f"/v2.0/networks/{n}").status_code == 204


def test_racing_default_pools_leave_one_default_per_ip_version(multi: Server) -> None:
    calls = [lambda c, i=i: c.post("/v2.0/subnetpools", json={"subnetpool": {  # type: ignore[misc]
        "name": f"default-{i}", "prefixes": [f"2001:db8:{i}::/48"], "is_default": True}}) for i in range(12)]
    responses = run_all(calls, multi.url)
    assert sorted(r.status_code for r in responses) == [201] + [400] * 11, [r.text for r in responses]
    assert {kind(r) for r in responses if r.status_code == 400} == {"InvalidInput"}
    found = Api(multi.url).get("/v2.0/subnetpools", params={"is_default": True, "ip_version": 6}).json()
    assert [p["id"] for p in found["subnetpools"]] == [r.json()["subnetpool"]["id"] for r in responses
                                                       if r.status_code == 201]
