"""Growth: how request time scales with the request size and with the database size.

    .venv/bin/python -m benchmarks.bench_growth --engine postgresql --trunks 100000 --subports 1000000

1. add_subports with n = 1, 100, 500, 1000, 4094 in one call (median of `--reps`): seconds per n
   and the least-squares slope (ms per subport).
2. GET /v2.0/trunks (the whole collection) at 1k, 10k, 100k trunks: seconds and slope.
3. create trunk / show trunk / add 10 subports on an empty database and again once the database
   holds `--trunks` trunks and `--subports` subports. Those rows are generated with bulk SQL
   (INSERT … SELECT generate_series, PostgreSQL only), not through the API.
Every step is bounded by the sizes given; `--budget` seconds stops before the next size.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import psycopg

from benchmarks.workloads import HttpTarget, subports
from tests.support import Server, throwaway_database

ADD_SIZES = [1, 100, 500, 1000, 4094]
LIST_SIZES = [1_000, 10_000, 100_000]


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def timed(fn: object, reps: int, warm: int = 0) -> float:
    spans = []
    for _ in range(warm):
        fn()  # type: ignore[operator]
    for _ in range(reps - warm):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        spans.append(time.perf_counter() - start)
    return statistics.median(spans)


def add_growth(t: HttpTarget, reps: int) -> list[tuple[int, float]]:
    pool = t.make_ports(1 + max(ADD_SIZES))
    trunk = t.create_trunk(pool[0], [])
    out = []
    for n in ADD_SIZES:
        body, ids = subports(pool[1:n + 1]), pool[1:n + 1]
        spans = []
        for _ in range(reps):
            start = time.perf_counter()
            t.add_subports(trunk, body)
            spans.append(time.perf_counter() - start)
            t.remove_subports(trunk, ids)
        out.append((n, statistics.median(spans)))
    t.delete_trunk(trunk)
    return out


# -- bulk rows (PostgreSQL) ---------------------------------------------------------------------
PORTS_SQL = """
INSERT INTO ports (id, project_id, network_id, name, admin_state_up, mac_address, device_id, device_owner,
                   status, host_id, vif_type, vif_details, profile, vnic_type, description, revision_number,
                   created_at, updated_at)
SELECT port_id, 'bulk', %(net)s, '', true,
       'fa:17:' || substr(h, 1, 2) || ':' || substr(h, 3, 2) || ':' || substr(h, 5, 2) || ':' || substr(h, 7, 2),
       '', '', 'DOWN', '', 'unbound', '{}', '{}', 'normal', '', 0, now(), now()
FROM (SELECT port_id, lpad(to_hex(i), 8, '0') AS h FROM bulk_rows) g
"""


def _network(conn: psycopg.Connection) -> str:
    net = conn.execute("SELECT id FROM networks WHERE name = 'bulk-net'").fetchone()
    if net is None:
        net = conn.execute(
            "INSERT INTO networks (id, project_id, name, admin_state_up, shared, mtu, status, description, "
            "revision_number, created_at, updated_at) VALUES (gen_random_uuid()::text, 'bulk', 'bulk-net', "
            "true, false, 1500, 'ACTIVE', '', 0, now(), now()) RETURNING id").fetchone()
    assert net is not None
    return str(net[0])


def _ports(conn: psycopg.Connection, first: int, count: int, role: str) -> None:
    """Ports numbered first.. (their MACs come from the number), claimed in `role`: temp bulk_rows."""
    conn.execute("DROP TABLE IF EXISTS bulk_rows")
    conn.execute("CREATE TEMP TABLE bulk_rows AS SELECT i, row_number() OVER () - 1 AS k, "
                 "gen_random_uuid()::text AS port_id FROM generate_series(%(f)s, %(f)s + %(n)s - 1) i",
                 {"f": first, "n": count})
    conn.execute(PORTS_SQL, {"net": _network(conn)})
    conn.execute("INSERT INTO port_claims (port_id, role) SELECT port_id, %(r)s FROM bulk_rows", {"r": role})


def bulk_trunks(dsn: str, first: int, count: int) -> None:
    """`count` more trunks (no subports), each on a new parent port."""
    with psycopg.connect(dsn) as conn:
        _ports(conn, first, count, "parent")
        conn.execute(
            "INSERT INTO trunks (id, project_id, name, admin_state_up, status, status_reason, port_id, description, "
            "revision_number, created_at, updated_at) SELECT gen_random_uuid()::text, 'bulk', '', true, 'DOWN', "
            "'', port_id, '', 0, now(), now() FROM bulk_rows")
    settle(dsn)


def settle(dsn: str) -> None:
    """Let PostgreSQL catch up with the bulk rows before timing anything: statistics, the visibility
    map and hint bits (VACUUM ANALYZE), and the dirty pages written out (CHECKPOINT), so the
    latencies measured are the requests' own, not autovacuum's or the checkpointer's."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


def bulk_subports(dsn: str, first: int, trunks: int, per_trunk: int) -> None:
    """`per_trunk` subports (VLAN 1..) on each of `trunks` existing bulk trunks, on new ports."""
    with psycopg.connect(dsn) as conn:
        _ports(conn, first, trunks * per_trunk, "subport")
        conn.execute("CREATE TEMP TABLE bulk_targets AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id "
                     "FROM trunks WHERE project_id = 'bulk' LIMIT %(t)s", {"t": trunks})
        conn.execute(
            "INSERT INTO subports (port_id, trunk_id, segmentation_type, segmentation_id) "
            "SELECT r.port_id, t.id, 'vlan', r.k %% %(s)s + 1 FROM bulk_rows r "
            "JOIN bulk_targets t ON t.k = r.k / %(s)s", {"s": per_trunk})
    settle(dsn)


def latency(t: HttpTarget, reps: int) -> dict[str, float]:
    """Median of `reps` of each request (one warm-up of each first, not counted)."""
    reps += 1
    pool = t.make_ports(reps * 11)
    made: list[str] = []
    out = {"create trunk": timed(lambda: made.append(t.create_trunk(pool[len(made)], [])), reps, 1),
           "show trunk": timed(lambda: t.request("GET", f"/v2.0/trunks/{made[0]}"), reps, 1)}
    subs = pool[reps:]
    done: list[int] = []

    def add() -> None:
        i = len(done)
        t.add_subports(made[i], subports(subs[i * 10:(i + 1) * 10]))
        done.append(i)

    out["add 10 subports"] = timed(add, reps, 1)
    return out


def compare_latency(full_db: str, tmp: Path, reps: int, rounds: int = 2) -> tuple[dict[str, float], dict[str, float]]:
    """Latency on an empty database and on `full_db`, alternately, each time from a freshly started
    server (same process state, same warm-up), `rounds` times: the median of each request per side.
    Alternating keeps the machine's drift out of the comparison."""
    sides: dict[str, list[dict[str, float]]] = {"empty": [], "full": []}
    with throwaway_database("postgresql", tmp / "empty") as empty_db:
        for _ in range(rounds):
            for side, url in (("empty", empty_db), ("full", full_db)):
                srv = Server(database=url, workdir=tmp).start()
                try:
                    sides[side].append(latency(HttpTarget("127.0.0.1", srv.port), reps))
                finally:
                    srv.stop()
    empty, full = ({k: statistics.median(r[k] for r in runs) for k in runs[0]} for runs in sides.values())
    return empty, full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--trunks", type=int, default=100_000)
    parser.add_argument("--subports", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--latency-reps", type=int, default=50, help="requests of each kind, empty and full")
    parser.add_argument("--budget", type=float, default=1800, help="seconds; later sizes are skipped past it")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(args.engine, Path(tmp)) as db:
        srv = Server(database=db, workdir=Path(tmp)).start()
        try:
            t = HttpTarget("127.0.0.1", srv.port)
            adds = add_growth(t, args.reps)
            print("\n| add_subports n | seconds |\n|---|---|")
            for n, s in adds:
                print(f"| {n} | {s:.4f} |")
            print(f"\nslope: {slope(adds) * 1000:.4f} ms per subport\n")
            if args.engine != "postgresql":
                return
            dsn = db.replace("postgresql+psycopg://", "postgresql://")
            lists: list[tuple[int, float]] = []
            have = t.list_trunks()
            for size in (s for s in LIST_SIZES if s <= args.trunks):
                if time.monotonic() - started > args.budget:
                    print(f"budget spent: stopped before {size} trunks")
                    break
                bulk_trunks(dsn, 10_000_000 + size, size - have)
                have = t.list_trunks()
                lists.append((have, timed(t.list_trunks, 3)))
            print("| trunks | list all (s) |\n|---|---|")
            for n, s in lists:
                print(f"| {n} | {s:.4f} |")
            if len(lists) > 1:
                print(f"\nslope: {slope(lists) * 1000:.4f} ms per trunk\n")
            per = max(1, args.subports // max(have, 1))
            if args.subports and time.monotonic() - started < args.budget:
                bulk_subports(dsn, 20_000_000, args.subports // per, per)
            with psycopg.connect(dsn) as conn:
                rows = conn.execute("SELECT (SELECT count(*) FROM trunks), (SELECT count(*) FROM subports)").fetchone()
            assert rows is not None
            empty, full = compare_latency(db, Path(tmp), args.latency_reps)
            print(f"| request | empty database (s) | {rows[0]} trunks, {rows[1]} subports (s) | ratio |\n"
                  "|---|---|---|---|")
            for k in empty:
                print(f"| {k} | {empty[k]:.4f} | {full[k]:.4f} | {full[k] / empty[k]:.2f} |")
        except Exception:
            print(srv.log.read_text()[-4000:])  # the server's side of what failed
            raise
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
