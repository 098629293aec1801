"""Soak with one abusive client: do N ordinary clients keep their latency while one client sends what the
limits refuse? (issue 19; docs/reliability.md has the figures.)

    .venv/bin/python -m benchmarks.bench_abuse --engine sqlite --clients 4 --seconds 20 --rounds 3

One `trunkd serve` on a throwaway database. Each round runs two phases of `--seconds` each, in turn:
*baseline* (the N ordinary clients alone) and *abuse* (the same N clients plus one abusive client), so a
change in the shared machine's load hits both kinds alike. Every client is its own process.

An ordinary client loops over: GET /, list networks (limit 50), create a port on a shared subnet (one
address allocated), show it, delete it; every request's latency is recorded. The abusive client loops,
without pause, over: a subnet with 100,000 dns_nameservers (1.6 MiB), a subnet with 30,000 one-address
allocation pools, a port with 40,000 fixed_ips, a bulk of 2048 ports with 5 fixed_ips each on an unknown
network, a subnet with 256 pools (the limit: created, then deleted), a 1 MiB header, 1000 header fields,
and a query with 40,000 tag values. Every answer it gets must be a 4xx (or the 201/204 of the subnet
at the limit); a 5xx or an error stops the run.

The output: p50/p99/max of the ordinary clients' latencies and their request rate per phase kind (all
rounds pooled), the abuse/baseline ratio of p99, the abusive client's answers by status, and the
1-minute load average at the start and end of every phase.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.support import Server, throwaway_database

HEADERS = {"Content-Type": "application/json"}


def _load() -> float:
    return os.getloadavg()[0]


def ordinary(url: str, network_id: str, seconds: float) -> tuple[list[float], int]:
    """One ordinary client: (latencies in seconds, count of non-2xx answers)."""
    spans: list[float] = []
    bad = 0
    end = time.monotonic() + seconds
    with httpx.Client(base_url=url, headers=HEADERS, timeout=120) as client:
        def timed(method: str, path: str, body: Any = None) -> httpx.Response:
            nonlocal bad
            start = time.perf_counter()
            r = client.request(method, path, json=body)
            spans.append(time.perf_counter() - start)
            if r.status_code >= 300:
                bad += 1
            return r

        while time.monotonic() < end:
            timed("GET", "/")
            timed("GET", "/v2.0/networks?limit=50")
            r = timed("POST", "/v2.0/ports", {"port": {"network_id": network_id}})
            if r.status_code == 201:
                port = r.json()["port"]["id"]
                timed("GET", f"/v2.0/ports/{port}")
                timed("DELETE", f"/v2.0/ports/{port}")
    return spans, bad


def _ip(base: int, i: int) -> str:
    return ".".join(str((base + i) >> s & 255) for s in (24, 16, 8, 0))


def _abuses(network_id: str) -> list[tuple[str, str, str, bytes]]:
    """(name, method, path, body) of each abusive request (headers-only ones have path '' here)."""
    ten = 10 << 24
    subnet = {"network_id": network_id, "cidr": "10.200.0.0/16", "ip_version": 4}
    return [
        ("dns_nameservers x100000", "POST", "/v2.0/subnets", json.dumps({"subnet": {
            **subnet, "dns_nameservers": [_ip(ten, i) for i in range(100_000)]}}).encode()),
        ("allocation_pools x30000", "POST", "/v2.0/subnets", json.dumps({"subnet": {
            **subnet, "allocation_pools": [{"start": _ip((10 << 24) + (200 << 16), i + 2),
                                            "end": _ip((10 << 24) + (200 << 16), i + 2)} for i in range(30_000)]}})
         .encode()),
        ("fixed_ips x40000", "POST", "/v2.0/ports", json.dumps({"port": {
            "network_id": network_id, "fixed_ips": [{"ip_address": _ip(ten, i)} for i in range(40_000)]}}).encode()),
        ("bulk 2048 ports x5 fixed_ips", "POST", "/v2.0/ports", json.dumps({"ports": [
            {"network_id": str(uuid.uuid4()), "fixed_ips": [{"ip_address": _ip(ten, 5 * i + k)} for k in range(5)]}
            for i in range(2048)]}).encode()),
        ("256 pools (the limit)", "POST", "/v2.0/subnets", json.dumps({"subnet": {
            **subnet, "allocation_pools": [{"start": _ip((10 << 24) + (200 << 16), 2 * i + 2),
                                            "end": _ip((10 << 24) + (200 << 16), 2 * i + 2)} for i in range(256)]}})
         .encode()),
    ]


def _raw(url: str, request: bytes) -> int:
    """Send raw bytes (in 16 KiB pieces, as a client streams them); the status of the answer."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=120) as sock:
        try:
            for start in range(0, len(request), 16384):
                sock.sendall(request[start:start + 16384])
        except OSError:
            pass  # refused and closed before the rest: the answer is already on its way
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split(b" ")[1])


def abusive(url: str, network_id: str, seconds: float) -> dict[str, int]:
    """The abusive client: its answers counted by 'name status'. Raises on a 5xx."""
    answers: Counter[str] = Counter()
    bodies = _abuses(network_id)
    big_header = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\nConnection: close\r\n\r\n"
    many_fields = (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(1000))
                   + b"Connection: close\r\n\r\n")
    tags = ",".join(f"t{i}" for i in range(40_000))
    long_query = f"GET /v2.0/networks?tags-any={tags} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    end = time.monotonic() + seconds
    with httpx.Client(base_url=url, headers=HEADERS, timeout=120) as client:
        while time.monotonic() < end:
            for name, method, path, body in bodies:
                r = client.request(method, path, content=body)
                answers[f"{name} {r.status_code}"] += 1
                if r.status_code >= 500:
                    raise RuntimeError(f"{name}: {r.status_code} {r.text[:500]}")
                if r.status_code == 201 and path == "/v2.0/subnets":
                    client.delete(f"/v2.0/subnets/{r.json()['subnet']['id']}")
            for name, raw in (("1 MiB header", big_header), ("1000 header fields", many_fields),
                              ("40000 tag values", long_query)):
                code = _raw(url, raw)
                answers[f"{name} {code}"] += 1
                if code >= 500:
                    raise RuntimeError(f"{name}: {code}")
    return dict(answers)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(engine: str, clients: int, seconds: float, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(engine, Path(tmp) / "db") as db:
        server = Server(database=db, workdir=Path(tmp)).start(timeout=180)
        try:
            admin = httpx.Client(base_url=server.url, headers=HEADERS, timeout=120)
            net = admin.post("/v2.0/networks", json={"network": {"name": "soak"}}).json()["network"]["id"]
            admin.post("/v2.0/subnets", json={"subnet": {"network_id": net, "cidr": "10.100.0.0/16",
                                                         "ip_version": 4}}).raise_for_status()
            abuse_net = admin.post("/v2.0/networks", json={"network": {"name": "abuse"}}).json()["network"]["id"]
            results: dict[str, dict[str, Any]] = {
                kind: {"latencies": [], "bad": 0, "seconds": 0.0, "loads": []} for kind in ("baseline", "abuse")}
            answers: Counter[str] = Counter()
            with ProcessPoolExecutor(max_workers=clients + 1) as pool:
                for number in range(rounds):
                    for kind in ("baseline", "abuse"):
                        load_start = _load()
                        started = time.monotonic()
                        normal = [pool.submit(ordinary, server.url, net, seconds) for _ in range(clients)]
                        bad_one = pool.submit(abusive, server.url, abuse_net, seconds) if kind == "abuse" else None
                        for f in normal:
                            spans, bad = f.result()
                            results[kind]["latencies"] += spans
                            results[kind]["bad"] += bad
                        if bad_one is not None:
                            answers.update(bad_one.result())
                        results[kind]["seconds"] += time.monotonic() - started
                        results[kind]["loads"].append((round(load_start, 2), round(_load(), 2)))
                        print(f"round {number + 1} {kind}: done, load {load_start:.2f} -> {_load():.2f}",
                              file=sys.stderr)
        finally:
            server.stop()
    summary: dict[str, Any] = {"engine": engine, "clients": clients, "seconds": seconds, "rounds": rounds,
                               "abusive_answers": dict(sorted(answers.items()))}
    for kind, r in results.items():
        lat = r["latencies"]
        summary[kind] = {"requests": len(lat), "per_second": round(len(lat) / (seconds * rounds), 1),
                         "p50_ms": round(1000 * statistics.median(lat), 2),
                         "p99_ms": round(1000 * _percentile(lat, 0.99), 2),
                         "max_ms": round(1000 * max(lat), 2), "non_2xx": r["bad"], "load_1min": r["loads"]}
    summary["p99_ratio"] = round(summary["abuse"]["p99_ms"] / summary["baseline"]["p99_ms"], 2)
    return summary


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engine", default="sqlite", choices=("sqlite", "postgresql", "mariadb"))
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    p.add_argument("--rounds", type=int, default=3, help="baseline/abuse pairs, interleaved")
    args = p.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    summary = run(args.engine, args.clients, args.seconds, args.rounds)
    summary["started"] = started
    summary["cores"] = os.cpu_count()
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
