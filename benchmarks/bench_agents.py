"""Many agents: N hosts' agents long-poll /v2.0/events?host=H while a writer changes trunks on
random hosts (bounded: `--writes` at `--rate` per second).

    .venv/bin/python -m benchmarks.bench_agents --engine postgresql --agents 1000 --writes 300 --rate 20

Agents are lightweight asyncio clients in this process (one keep-alive connection each), not
processes. Checks and reports: every agent receives exactly the events of its own host;
ack->seen (writer's 2xx to agent receipt; the commit precedes the ack) p50/p99, and send->seen
(an upper bound on commit->seen); on PostgreSQL, database transactions per write with no agent
connected and with all agents parked (pg_stat_database), which must not grow with the agents.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchmarks.bench_api import bulk_ports, percentile
from tests.support import PG_ADMIN_URL, Server, throwaway_database


def setup_trunks(url: str, hosts: int) -> list[str]:
    """One trunk per host, its parent bound to that host (so trunk events carry the host)."""
    with httpx.Client(base_url=url, timeout=300) as api:
        parents = bulk_ports(api, hosts)
        trunks: list[str] = []
        for i in range(0, hosts, 500):
            r = api.post("/v2.0/trunks", json={"trunks": [{"port_id": p} for p in parents[i:i + 500]]})
            assert r.status_code == 201, r.text[:300]
            trunks += [t["id"] for t in r.json()["trunks"]]
        for h, parent in enumerate(parents):
            r = api.put(f"/v2.0/ports/{parent}", json={"port": {"binding:host_id": f"host-{h}"}})
            assert r.status_code == 200, r.text[:300]
    return trunks


def transactions(dbname: str) -> int:
    """Committed plus rolled-back transactions of the database so far (after stats flush)."""
    time.sleep(1.5)  # PostgreSQL flushes backend statistics about once a second
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                           (dbname,)).fetchone()
    assert row is not None
    return int(row[0])


def write(url: str, trunks: list[str], writes: int, rate: float, seed: int) -> list[tuple[int, str, float, float]]:
    """Rename trunks on random hosts at a steady rate: (host, trunk, sent, acked) per write."""
    rng = random.Random(seed)
    log: list[tuple[int, str, float, float]] = []
    with httpx.Client(base_url=url, timeout=60) as api:
        start = time.perf_counter()
        for i in range(writes):
            time.sleep(max(0.0, start + i / rate - time.perf_counter()))
            host = rng.randrange(len(trunks))
            sent = time.perf_counter()
            r = api.put(f"/v2.0/trunks/{trunks[host]}", json={"trunk": {"name": f"w{i}"}})
            assert r.status_code == 200, r.text[:300]
            log.append((host, trunks[host], sent, time.perf_counter()))
    return log


async def agents(url: str, hosts: int, head: int, stop: asyncio.Event, ready: threading.Event,
                 seen: dict[int, list[tuple[str, str, float]]]) -> None:
    limits = httpx.Limits(max_connections=hosts + 10, max_keepalive_connections=hosts + 10)
    parked = 0
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def agent(h: int) -> None:
            nonlocal parked
            after, first = head, True
            while not stop.is_set():
                task = client.get("/v2.0/events", params={"after": after, "host": f"host-{h}", "wait": 60})
                if first:
                    parked += 1
                    if parked == hosts:
                        ready.set()
                    first = False
                r = await task
                now = time.perf_counter()
                page = r.json()
                for e in page["events"]:
                    seen[h].append((e["kind"], e["resource_id"], now))
                after = page["next_after"]

        async def stopper() -> None:
            await stop.wait()

        tasks = [asyncio.create_task(agent(h)) for h in range(hosts)]
        await stopper()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def measure(url: str, dbname: str | None, hosts: int, writes: int, rate: float) -> dict[str, Any]:
    trunks = setup_trunks(url, hosts)
    head = httpx.get(url + "/v2.0/events", params={"after": 2**62}).json()["latest"]
    result: dict[str, Any] = {}
    if dbname:
        before = transactions(dbname)
        write(url, trunks, writes, rate, seed=1)
        result["xacts_idle"] = (transactions(dbname) - before) / writes
        head = httpx.get(url + "/v2.0/events", params={"after": 2**62}).json()["latest"]
    seen: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
    stop, ready = asyncio.Event(), threading.Event()
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_until_complete, args=(agents(url, hosts, head, stop, ready, seen),))
    runner.start()
    assert ready.wait(120), "agents did not start"
    time.sleep(2.0)  # let every first poll reach the server and park
    if dbname:
        before = transactions(dbname)
        for _ in range(20):  # until the first polls have all been read and parked (bounded)
            now = transactions(dbname)
            settled, before = now - before < 5, now
            if settled:
                break
    log = write(url, trunks, writes, rate, seed=2)
    time.sleep(1.0)
    if dbname:
        result["xacts_agents"] = (transactions(dbname) - before) / writes
    loop.call_soon_threadsafe(stop.set)
    runner.join(timeout=60)
    expected: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for host, trunk, _, _ in log:
        expected[host].append(("trunk.updated", trunk))
    got = {h: [(k, r) for k, r, _ in v] for h, v in seen.items() if v}
    result["exact"] = got == dict(expected)
    arrival = {}
    for h, events in seen.items():
        arrival[h] = [t for _, _, t in events]
    ack, send = [], []
    position: dict[int, int] = defaultdict(int)
    for host, _, sent, acked in log:
        t = arrival[host][position[host]]
        position[host] += 1
        ack.append((t - acked) * 1000)
        send.append((t - sent) * 1000)
    result.update(events=len(log), ack50=percentile(ack, 50), ack99=percentile(ack, 99),
                  send50=percentile(send, 50), send99=percentile(send, 99))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * args.agents + 256)), hard))
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(args.engine, Path(tmp)) as db:
        srv = Server(database=db, workdir=Path(tmp)).start()
        try:
            dbname = db.rsplit("/", 1)[1] if args.engine == "postgresql" else None
            r = measure(srv.url, dbname, args.agents, args.writes, args.rate)
        finally:
            srv.stop()
    print("| engine | agents | writes | exactly own host's events | ack->seen p50 ms | p99 ms "
          f"| send->seen p50 ms | p99 ms | DB xacts per write: no agents | {args.agents} agents parked |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    xi, xa = r.get("xacts_idle"), r.get("xacts_agents")
    print(f"| {args.engine} | {args.agents} | {r['events']} | {'yes' if r['exact'] else 'NO'} | {r['ack50']:.1f} | "
          f"{r['ack99']:.1f} | {r['send50']:.1f} | {r['send99']:.1f} | "
          f"{'-' if xi is None else f'{xi:.2f}'} | {'-' if xa is None else f'{xa:.2f}'} |")


if __name__ == "__main__":
    main()
