"""API benchmarks against a real `trunkd serve` (bounded counts; prints a Markdown table).

    .venv/bin/python -m benchmarks.bench_api --engine sqlite --workers 1
    .venv/bin/python -m benchmarks.bench_api --engine postgresql --workers 4

The client runs on the same 2-core machine as the server, so high concurrency measures both.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from tests.support import Server, throwaway_database

Call = Callable[[httpx.Client], httpx.Response]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(url: str, calls: list[Call], clients: int) -> dict[str, float]:
    """Fire `calls` from `clients` threads; every response must be 2xx."""
    spans: list[tuple[float, float]] = []
    local: dict[int, httpx.Client] = {}

    def one(call: Call) -> None:
        if threading.get_ident() not in local:
            local[threading.get_ident()] = httpx.Client(base_url=url, timeout=300)
        start = time.perf_counter()
        r = call(local[threading.get_ident()])
        spans.append((start, time.perf_counter()))
        assert r.is_success, r.text[:300]

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, calls))
    for client in local.values():
        client.close()
    latencies = [end - start for start, end in spans]
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    return {"n": len(calls), "rps": len(calls) / elapsed, "p50": percentile(latencies, 50) * 1000,
            "p99": percentile(latencies, 99) * 1000}


def bulk_ports(api: httpx.Client, count: int) -> list[str]:
    ids: list[str] = []
    while len(ids) < count:
        net = api.post("/v2.0/networks", json={"network": {}}).json()["network"]["id"]
        chunk = min(2000, count - len(ids))
        r = api.post("/v2.0/ports", json={"ports": [{"network_id": net}] * chunk})
        assert r.status_code == 201, r.text[:300]
        ids += [p["id"] for p in r.json()["ports"]]
    return ids


def bulk_trunks(api: httpx.Client, parents: list[str]) -> list[str]:
    ids: list[str] = []
    for i in range(0, len(parents), 500):
        r = api.post("/v2.0/trunks", json={"trunks": [{"port_id": p} for p in parents[i:i + 500]]})
        assert r.status_code == 201, r.text[:300]
        ids += [t["id"] for t in r.json()["trunks"]]
    return ids


def create_call(parent: str) -> Call:
    return lambda c: c.post("/v2.0/trunks", json={"trunk": {"port_id": parent}})


def add_call(trunk: str, ports: list[str]) -> Call:
    body = {"sub_ports": [{"port_id": p, "segmentation_type": "vlan", "segmentation_id": v}
                          for v, p in enumerate(ports, start=1)]}
    return lambda c: c.put(f"/v2.0/trunks/{trunk}/add_subports", json=body)


def workloads(url: str, clients: int, scale: float) -> dict[str, dict[str, float]]:
    api = httpx.Client(base_url=url, timeout=600)
    results: dict[str, dict[str, float]] = {}
    n_create = max(20, int(200 * scale))
    parents = bulk_ports(api, n_create)
    results["create trunk"] = run(url, [create_call(p) for p in parents], clients)
    n_add = max(8, int(40 * scale))
    ports = bulk_ports(api, n_add * 101)
    trunks = bulk_trunks(api, ports[:n_add])
    subs = ports[n_add:]
    results["add_subports x100"] = run(url, [
        add_call(t, subs[i * 100:(i + 1) * 100]) for i, t in enumerate(trunks)
    ], clients)
    n_big = 3
    ports = bulk_ports(api, n_big * 4095)
    trunks = bulk_trunks(api, ports[:n_big])
    subs = ports[n_big:]
    results["add_subports x4094"] = run(url, [
        add_call(t, subs[i * 4094:(i + 1) * 4094]) for i, t in enumerate(trunks)
    ], min(clients, n_big))
    api.close()
    return results


def list_workloads(url: str, clients: int) -> dict[str, dict[str, float]]:
    return {
        "list 100 of 10k trunks": run(url, [lambda c: c.get("/v2.0/trunks", params={"limit": 100})] * 50, clients),
        "list all 10k trunks": run(url, [lambda c: c.get("/v2.0/trunks")] * 5, min(clients, 5)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the request counts")
    args = parser.parse_args()
    rows: list[tuple[str, int, str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(args.engine, Path(tmp)) as db:
        srv = Server(database=db, workdir=Path(tmp), args=["--workers", str(args.workers)]).start()
        try:
            for clients in (int(c) for c in args.clients.split(",")):
                for name, result in workloads(srv.url, clients, args.scale).items():
                    rows.append((name, clients, args.engine, result))
            with httpx.Client(base_url=srv.url, timeout=600) as api:
                have = len(api.get("/v2.0/trunks", params={"fields": "id"}).json()["trunks"])
                bulk_trunks(api, bulk_ports(api, max(0, 10_000 - have)))
            for clients in (int(c) for c in args.clients.split(",")):
                for name, result in list_workloads(srv.url, clients).items():
                    rows.append((name, clients, args.engine, result))
        finally:
            srv.stop()
    print(f"\n{args.engine}, {args.workers} worker(s)\n")
    print("| workload | clients | requests | req/s | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    for name, clients, _engine, r in rows:
        print(f"| {name} | {clients} | {r['n']:.0f} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} |")


if __name__ == "__main__":
    main()
