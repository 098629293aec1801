"""Set-based validation: adding N subports costs the same number of SQL statements for any N."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from tests.support import Api, throwaway_database
from trunkd.domain.allocation import Allocator
from trunkd.domain.context import RequestContext
from trunkd.drivers.builtin import ovs
from trunkd.drivers.registry import DriverRegistry
from trunkd.policy.engine import OsloPolicy, make_conf
from trunkd.service import networks, port_status, ports, security_groups, subnetpools, subnets, trunks
from trunkd.service.env import Env, Settings
from trunkd.store import tables
from trunkd.store.clock import now
from trunkd.store.migrate import upgrade
from trunkd.store.uow import Database

ADMIN = RequestContext.admin()


@contextmanager
def recorded_statements(env: Env) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block, in order."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(env.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(env.db.engine, "before_cursor_execute", record)


@pytest.fixture
def env(engine: str, tmp_path: Path) -> Iterator[Env]:
    with throwaway_database(engine, tmp_path) as url:
        upgrade(url)
        db = Database(url)
        yield Env(db=db, policy=OsloPolicy(make_conf()), drivers=DriverRegistry([ovs()]), settings=Settings())
        db.dispose()


def _ports(env: Env, count: int) -> list[str]:
    net = networks.create_networks(env, ADMIN, [{
        "project_id": ADMIN.project_id, "name": "n", "description": "", "admin_state_up": True,
    }])[0]
    item = {"project_id": ADMIN.project_id, "network_id": net.id, "name": "", "description": "",
            "admin_state_up": True, "device_id": "", "device_owner": "", "binding:vnic_type": "normal"}
    return [p.id for p in ports.create_ports(env, ADMIN, [dict(item) for _ in range(count)])]


def _bulk_ports(env: Env, count: int) -> list[str]:
    """Many plain ports in one multi-row INSERT (set-up only: what is measured is the add that follows)."""
    net = networks.create_networks(env, ADMIN, [{
        "project_id": ADMIN.project_id, "name": "n", "description": "", "admin_state_up": True,
    }])[0]
    stamp = now()
    rows = [{"id": str(uuid.uuid4()), "project_id": ADMIN.project_id, "network_id": net.id, "name": "",
             "admin_state_up": True, "mac_address": f"fa:16:3e:00:{i // 256:02x}:{i % 256:02x}", "device_id": "",
             "device_owner": "", "status": "DOWN", "host_id": "", "vif_type": "unbound", "vif_details": {},
             "profile": {}, "vnic_type": "normal", "description": "", "revision_number": 0, "created_at": stamp,
             "updated_at": stamp} for i in range(count)]
    with env.db.write() as uow:
        uow.conn.execute(sa.insert(tables.ports), rows)
        uow.commit()
    return [r["id"] for r in rows]


def _statements_to_add(env: Env, count: int, allocate: bool = False) -> int:
    parent, *subs = (_bulk_ports if allocate else _ports)(env, count + 1)
    trunk = trunks.create_trunks(env, ADMIN, [{
        "project_id": ADMIN.project_id, "port_id": parent, "name": "", "description": "",
        "admin_state_up": True, "sub_ports": [],
    }])[0]
    body = {"sub_ports": [
        {"port_id": p} if allocate else {"port_id": p, "segmentation_type": "vlan", "segmentation_id": i + 1}
        for i, p in enumerate(subs)
    ]}
    with recorded_statements(env) as seen:
        result = trunks.add_subports(env, ADMIN, trunk.id, body)
    assert len(result.sub_ports) == count
    assert len({s.segmentation_id for s in result.sub_ports}) == count
    return len(seen)


def test_add_subports_statement_count_does_not_grow_with_subports(env: Env) -> None:
    one, hundred, full = (_statements_to_add(env, n) for n in (1, 100, 4094))
    assert one == hundred == full, (one, hundred, full)
    assert one <= 20


def test_allocating_4000_segmentation_ids_costs_the_same_statements_as_one(env: Env) -> None:
    allocating = replace(env, settings=Settings(allocator=Allocator("random")))
    one, full = (_statements_to_add(allocating, n, allocate=True) for n in (1, 4000))
    assert one == full, (one, full)
    assert one == _statements_to_add(env, 1), "allocation adds no statement"


def test_adding_4094_subports_in_one_request_succeeds_over_http(admin: Api) -> None:
    parent = admin.port()
    net_ids = [admin.network()["id"] for _ in range(2)]
    made: list[dict] = []
    for net_id in net_ids:
        r = admin.post("/v2.0/ports", {"ports": [{"network_id": net_id} for _ in range(2047)]})
        assert r.status_code == 201, r.text
        made += r.json()["ports"]
    trunk = admin.trunk(parent["id"])
    body = {"sub_ports": [
        {"port_id": p["id"], "segmentation_type": "vlan", "segmentation_id": vlan}
        for vlan, p in enumerate(made, start=1)
    ]}
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/add_subports", body)
    assert r.status_code == 200, r.text
    assert len(r.json()["sub_ports"]) == 4094
    shown = admin.get(f"/v2.0/trunks/{trunk['id']}/get_subports").json()["sub_ports"]
    assert sorted(s["segmentation_id"] for s in shown) == list(range(1, 4095))


def _network(env: Env, cidr: str | None) -> str:
    net = networks.create_networks(env, ADMIN, [{
        "project_id": ADMIN.project_id, "name": "n", "description": "", "admin_state_up": True,
    }])[0]
    if cidr is not None:
        subnets.create_subnets(env, ADMIN, [{
            "project_id": ADMIN.project_id, "network_id": net.id, "name": "", "description": "", "ip_version": 4,
            "cidr": cidr, "enable_dhcp": True, "ipv6_ra_mode": None, "ipv6_address_mode": None,
            "dns_nameservers": [], "host_routes": [],
        }])
    return net.id


def _ipam_statements_to_create_ports(env: Env, count: int, cidr: str | None) -> int:
    """Statements that read or write subnets or addresses while `count` ports are created in one request."""
    net_id = _network(env, cidr)
    item = {"project_id": ADMIN.project_id, "network_id": net_id, "name": "", "description": "",
            "admin_state_up": True, "device_id": "", "device_owner": "", "binding:vnic_type": "normal"}
    with recorded_statements(env) as seen:
        made = ports.create_ports(env, ADMIN, [dict(item) for _ in range(count)])
    addresses = {f.ip_address for p in made for f in p.fixed_ips}
    assert len(addresses) == (count if cidr else 0)
    return sum(1 for statement in seen if "subnets" in statement or "ip_allocations" in statement)


def test_address_allocation_for_a_bulk_of_ports_costs_a_constant_number_of_statements(env: Env) -> None:
    """What IPAM costs a bulk port create is the same for 1 port and for 1000 (1000 distinct addresses)."""
    ipam_for_one = _ipam_statements_to_create_ports(env, 1, "10.0.0.0/24")
    ipam_for_1000 = _ipam_statements_to_create_ports(env, 1000, "10.1.0.0/16")
    assert ipam_for_one == ipam_for_1000, (ipam_for_one, ipam_for_1000)
    assert 3 <= ipam_for_one <= 7


def _statements_to_report_status(env: Env, count: int) -> int:
    """Statements of one port status report that moves `count` ports (bound to one host) to ACTIVE."""
    host = f"host-{uuid.uuid4().hex[:8]}"
    ids = _bulk_ports(env, count)
    with env.db.write() as uow:
        uow.ports.update_many(ids, {"host_id": host})
        uow.commit()
    with recorded_statements(env) as seen:
        answer = port_status.report_port_status(
            env, ADMIN, host, {"ports": [{"port_id": p, "status": "ACTIVE"} for p in ids]})
    assert [a["changed"] for a in answer] == [True] * count
    # the outbox rows are one executemany, which SQLAlchemy sends in pages of 1000 rows (insertmanyvalues)
    return sum(1 for statement in seen if not statement.lstrip().upper().startswith("INSERT INTO OUTBOX"))


def test_a_port_status_report_costs_the_same_statements_for_one_port_and_for_2048(env: Env) -> None:
    one, full = (_statements_to_report_status(env, n) for n in (1, 2048))
    assert one == full, (one, full)
    assert one <= 12  # two port reads (before and after), each with tags, addresses and security groups


def _statements_to_allocate_from_a_pool(env: Env, allocated: int) -> tuple[int, str]:
    """Statements of one subnet create from a pool that already has `allocated` /24s (written directly)."""
    pool = subnetpools.create_subnetpools(env, ADMIN, [{
        "project_id": ADMIN.project_id, "name": "p", "description": "", "prefixes": ["10.128.0.0/9"],
        "min_prefixlen": 24, "shared": False, "is_default": False}])[0]
    net_attrs = {"project_id": ADMIN.project_id, "name": "n", "description": "", "admin_state_up": True}
    held, fresh = networks.create_networks(env, ADMIN, [dict(net_attrs), dict(net_attrs)])
    stamp = now()
    rows = [{"id": str(uuid.uuid4()), "project_id": ADMIN.project_id, "network_id": held.id, "name": "",
             "ip_version": 4, "cidr": f"10.{128 + i // 256}.{i % 256}.0/24", "gateway_ip": None,
             "enable_dhcp": False, "allocation_pools": [], "dns_nameservers": [], "host_routes": [],
             "description": "", "revision_number": 0, "created_at": stamp, "updated_at": stamp,
             "subnetpool_id": pool.id} for i in range(allocated)]
    with env.db.write() as uow:
        uow.conn.execute(sa.insert(tables.subnets), rows)
        uow.commit()
    with recorded_statements(env) as seen:
        made = subnets.create_subnets(env, ADMIN, [{
            "project_id": ADMIN.project_id, "network_id": fresh.id, "name": "", "description": "",
            "ip_version": 4, "subnetpool_id": pool.id, "enable_dhcp": True, "ipv6_ra_mode": None,
            "ipv6_address_mode": None, "dns_nameservers": [], "host_routes": []}])[0]
    return len(seen), made.cidr


def test_a_subnet_from_a_pool_costs_the_same_statements_whatever_the_pool_holds(env: Env) -> None:
    one, first_free = _statements_to_allocate_from_a_pool(env, 1)
    many, next_free = _statements_to_allocate_from_a_pool(env, 600)
    assert (first_free, next_free) == ("10.128.1.0/24", "10.130.88.0/24")
    assert one == many, (one, many)


def _group_statements_to_create_ports(env: Env, count: int, groups: int) -> int:
    """Statements that read or write security groups while `count` ports, each naming `groups` groups (or none:
    the default group), are created in one request."""
    net_id = _network(env, None)
    names = [security_groups.create_groups(env, ADMIN, [
        {"project_id": ADMIN.project_id, "name": f"g{i}", "description": "", "stateful": True}])[0].id
        for i in range(groups)]
    item = {"project_id": ADMIN.project_id, "network_id": net_id, "name": "", "description": "",
            "admin_state_up": True, "device_id": "", "device_owner": "", "binding:vnic_type": "normal",
            **({"security_groups": names} if names else {})}
    with recorded_statements(env) as seen:
        made = ports.create_ports(env, ADMIN, [dict(item) for _ in range(count)])
    assert all(len(p.security_groups) == max(groups, 1) for p in made)
    return sum(1 for statement in seen if "security_group" in statement)


def test_port_create_with_security_groups_costs_a_constant_number_of_statements(env: Env) -> None:
    """Checking and binding the groups of 1 port with 1 group costs what 500 ports with 5 groups each cost; the
    default group (made on first need) is found with one statement for any number of ports."""
    one = _group_statements_to_create_ports(env, 1, 1)
    many = _group_statements_to_create_ports(env, 500, 5)
    assert one == many, (one, many)
    assert one <= 3  # the groups' projects and statefulness, the bindings' insert (and the default group's id)
    by_default = _group_statements_to_create_ports(env, 1, 0), _group_statements_to_create_ports(env, 500, 0)
    assert by_default[0] == by_default[1] <= 3, by_default


def test_postgresql_round_trips_per_request(tmp_path: Path) -> None:
    """Round trips to PostgreSQL, counted by a proxy (benchmarks/roundtrips.py), once psycopg has prepared
    the statements: a read is its statements alone (no pre-ping, no BEGIN/COMMIT), a write's outbox
    append goes out with its COMMIT."""
    from sqlalchemy.engine import make_url

    from benchmarks.roundtrips import proxied
    from tests.conftest import require_engine

    require_engine("postgresql")
    with throwaway_database("postgresql", tmp_path) as url:
        upgrade(url)
        target = make_url(url)
        with proxied((target.host or "127.0.0.1", target.port or 5432)) as proxy:
            db = Database(target.set(port=proxy.port).render_as_string(hide_password=False))
            env = Env(db=db, policy=OsloPolicy(make_conf()), drivers=DriverRegistry([ovs()]), settings=Settings())
            parents = _ports(env, 6)
            counts: dict[str, list[int]] = {"create": [], "get": [], "delete": []}

            def counted(kind: str, fn):  # type: ignore[no-untyped-def]
                before = proxy.round_trips
                result = fn()
                counts[kind].append(proxy.round_trips - before)
                return result

            for parent in parents:  # bounded: six of each; the first three prepare the statements
                trunk = counted("create", lambda p=parent: trunks.create_trunks(env, ADMIN, [{
                    "project_id": ADMIN.project_id, "port_id": p, "name": "", "description": "",
                    "admin_state_up": True, "sub_ports": []}])[0])
                counted("get", lambda t=trunk: trunks.get_trunk(env, ADMIN, t.id))
                counted("delete", lambda t=trunk: trunks.delete_trunk(env, ADMIN, t.id, None))
            db.dispose()
    steady = {kind: seen[-2:] for kind, seen in counts.items()}
    # BEGIN, lock ports, read ports, claim, trunk row, outbox+COMMIT / trunk, subports, tags /
    # BEGIN, trunk, subports, tags, parent's binding, delete trunk, release claims, outbox+COMMIT
    assert steady == {"create": [6, 6], "get": [3, 3], "delete": [8, 8]}, counts
