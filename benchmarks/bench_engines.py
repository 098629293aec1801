"""trunkd on PostgreSQL against trunkd on SQLite, interleaved in one run, with round trips per request.

    .venv/bin/python -m benchmarks.bench_engines                  # 200 creates, add 500 and 4094, 5 reps
    .venv/bin/python -m benchmarks.bench_engines --reps 7 --creates 1000

Both servers run side by side (`trunkd serve`, one process each, over HTTP); the repetitions alternate
SQLite, PostgreSQL, SQLite, ... so both see the same machine load, and each figure is the median of the
repetitions. The ratio PostgreSQL / SQLite is what the goals speak of (≤ 1.5x per request, ≤ 2x for
add 4094). Then:
- **round trips** per request to PostgreSQL, counted by a proxy between a third server and the database
  (`roundtrips.py`): independent of the load;
- **storage floor** of add_subports 4094: the driver's bare executemany of the same 4094 rows into the same two
  tables (port_claims, subports, with their indexes and constraints) and the commit, on each engine,
  against the same add over HTTP (goal ≤ 4x).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from benchmarks import workloads
from benchmarks.roundtrips import proxied
from tests.support import Server, throwaway_database
from trunkd.store import tables
from trunkd.store.clock import now
from trunkd.store.engine import make_engine
from trunkd.store.migrate import upgrade

ENGINES = ("sqlite", "postgresql")
GOALS = {"add_4094": 2.0}


def log(msg: str) -> None:
    print(msg, flush=True)


def round_trips(url: str, tmp: Path, count: int) -> dict[str, float]:
    """Median PostgreSQL round trips per request of each kind, through a counting proxy."""
    parsed = make_url(url)
    with proxied((parsed.host or "127.0.0.1", parsed.port or 5432)) as proxy:
        srv = Server(database=parsed.set(port=proxy.port).render_as_string(hide_password=False),
                     workdir=tmp).start()
        try:
            target = workloads.HttpTarget("127.0.0.1", srv.port)
            pool = target.make_ports(2 * count + 10)
            net = target.request("POST", "/v2.0/networks", {"network": {"name": "rt"}}, 201)["network"]["id"]
            per: dict[str, list[int]] = {}

            def counted(kind: str, fn: Callable[[], Any]) -> Any:
                before = proxy.round_trips
                result = fn()
                per.setdefault(kind, []).append(proxy.round_trips - before)
                return result

            for i in range(count):
                counted("GET /", lambda: target.request("GET", "/"))
                counted("GET one network", lambda: target.request("GET", f"/v2.0/networks/{net}"))
                trunk = counted("create empty trunk", lambda i=i: target.create_trunk(pool[i], []))
                counted("show trunk", lambda t=trunk: target.request("GET", f"/v2.0/trunks/{t}"))
                subs = workloads.subports([pool[count + i]])
                counted("add 1 subport", lambda t=trunk, s=subs: target.add_subports(t, s))
                counted("remove 1 subport", lambda t=trunk, i=i: target.remove_subports(t, [pool[count + i]]))
                counted("delete trunk", lambda t=trunk: target.delete_trunk(t))
            return {k: statistics.median(v) for k, v in per.items()}
        finally:
            srv.stop()


def storage_floor(url: str, reps: int, n: int = 4094) -> float:
    """Median seconds of the bare executemany of `n` claims and `n` subports of one trunk, and the commit."""
    upgrade(url)
    engine = make_engine(url)
    stamp = now()
    net_id = str(uuid.uuid4())
    ports = [{"id": str(uuid.uuid4()), "project_id": "p", "network_id": net_id, "name": "", "admin_state_up": True,
              "mac_address": f"fa:16:3e:{i // 65536:02x}:{i // 256 % 256:02x}:{i % 256:02x}", "device_id": "",
              "device_owner": "", "status": "DOWN", "host_id": "", "vif_type": "unbound", "vif_details": {},
              "profile": {}, "vnic_type": "normal", "description": "", "revision_number": 0, "created_at": stamp,
              "updated_at": stamp} for i in range(n + 1)]
    trunk_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(sa.insert(tables.networks), [{
            "id": net_id, "project_id": "p", "name": "", "admin_state_up": True, "shared": False, "status": "ACTIVE",
            "mtu": 1500,
            "description": "", "revision_number": 0, "created_at": stamp, "updated_at": stamp,
            **{c.key: None for c in tables.networks.c if c.nullable and c.key not in ("name", "description")}}])
        conn.execute(sa.insert(tables.ports), ports)
        conn.execute(sa.insert(tables.port_claims), [{"port_id": ports[0]["id"], "role": "parent"}])
        conn.execute(sa.insert(tables.trunks), [{
            "id": trunk_id, "project_id": "p", "name": "", "admin_state_up": True, "status": "DOWN",
            "status_reason": "", "port_id": ports[0]["id"], "description": "", "revision_number": 0,
            "created_at": stamp, "updated_at": stamp}])
    claims = [(p["id"], "subport") for p in ports[1:]]
    subs = [(trunk_id, p["id"], "vlan", v) for v, p in enumerate(ports[1:], start=1)]
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    claim_sql = f"INSERT INTO port_claims (port_id, role) VALUES ({mark}, {mark})"
    sub_sql = (f"INSERT INTO subports (trunk_id, port_id, segmentation_type, segmentation_id) "
               f"VALUES ({mark}, {mark}, {mark}, {mark})")
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        with engine.begin() as conn:  # the driver's own executemany: no SQLAlchemy parameter processing
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.executemany(claim_sql, claims)
            cursor.executemany(sub_sql, subs)
            cursor.close()
        times.append(time.perf_counter() - start)
        with engine.begin() as conn:
            conn.execute(sa.delete(tables.subports))
            conn.execute(sa.delete(tables.port_claims).where(tables.port_claims.c.role == "subport"))
    engine.dispose()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--round-trips", type=int, default=20, help="requests of each kind counted (0: skip)")
    args = parser.parse_args()
    sizes = workloads.Sizes(creates=args.creates, with_subports=args.creates // 5, each=5, add_small=500,
                            add_big=4094)
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_start = os.getloadavg()[0]
    results: dict[str, list[dict[str, float]]] = {e: [] for e in ENGINES}
    with ExitStack() as stack:
        targets: dict[str, workloads.HttpTarget] = {}
        pools: dict[str, list[str]] = {}
        urls: dict[str, str] = {}
        for engine in ENGINES:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            urls[engine] = stack.enter_context(throwaway_database(engine, tmp))
            srv = Server(database=urls[engine], workdir=tmp).start()
            stack.callback(srv.stop)
            targets[engine] = workloads.HttpTarget("127.0.0.1", srv.port)
            pools[engine] = targets[engine].make_ports(sizes.ports)
        for rep in range(args.reps):
            for engine in ENGINES if rep % 2 == 0 else reversed(ENGINES):
                results[engine].append(workloads.run_once(targets[engine], pools[engine], sizes))
                log(f"  rep {rep + 1} {engine}: " + ", ".join(f"{k}={v:.4f}" for k, v in results[engine][-1].items()))
        floors = {}
        for engine in ENGINES:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            floors[engine] = storage_floor(stack.enter_context(throwaway_database(engine, tmp)), args.reps)
        trips: dict[str, float] = {}
        if args.round_trips:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            trips = round_trips(stack.enter_context(throwaway_database("postgresql", tmp)), tmp, args.round_trips)
    medians = {e: {k: statistics.median(r[k] for r in results[e]) for k, _ in workloads.WORKLOADS} for e in ENGINES}
    print(f"\n{started}, {args.reps} interleaved repetitions, load average {load_start:.1f}-{os.getloadavg()[0]:.1f}; "
          f"sizes {sizes}\n")
    print("| workload | trunkd SQLite (s) | trunkd PostgreSQL (s) | PostgreSQL / SQLite | goal |")
    print("|---|---|---|---|---|")
    for key, label in workloads.WORKLOADS:
        s, p = medians["sqlite"][key], medians["postgresql"][key]
        goal = GOALS.get(key, 1.5)
        print(f"| {label.format(**vars(sizes))} | {s:.4f} | {p:.4f} | {p / s:.2f}x | "
              f"≤ {goal}x: {'met' if p / s <= goal else 'missed'} |")
    print("\n| add_subports 4094 | HTTP add (s) | storage floor (s) | add / floor | goal ≤ 4x |")
    print("|---|---|---|---|---|")
    for engine in ENGINES:
        add = medians[engine]["add_4094"]
        print(f"| {engine} | {add:.4f} | {floors[engine]:.4f} | {add / floors[engine]:.1f}x | "
              f"{'met' if add / floors[engine] <= 4 else 'missed'} |")
    if trips:
        print("\n| request | PostgreSQL round trips (median) |\n|---|---|")
        for kind, n in trips.items():
            print(f"| {kind} | {n:g} |")


if __name__ == "__main__":
    main()
