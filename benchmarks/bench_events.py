"""Commit -> consumer-sees-it latency of the event feed under a steady write load.

    .venv/bin/python -m benchmarks.bench_events --engine sqlite --rate 50 --seconds 10

A writer creates networks at a steady rate; a consumer long-polls /v2.0/events. For each
event: `ack->seen` is consumer receipt minus the writer's 2xx receipt (the commit happened
before the ack, so this is close to commit->seen; it can be negative when the consumer wins the
race), and `send->seen` is consumer receipt minus the request's send time (an upper bound).
With --processes 2 (PostgreSQL) the consumer polls a second API process (LISTEN/NOTIFY path).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import httpx

from benchmarks.bench_api import percentile
from tests.support import Server, throwaway_database


def measure(write_url: str, read_url: str, rate: float, seconds: float) -> dict[str, float]:
    sent: dict[str, tuple[float, float]] = {}
    seen: dict[str, float] = {}
    done = threading.Event()
    with httpx.Client(base_url=read_url) as c:
        head = c.get("/v2.0/events", params={"after": 2**62}).json()["latest"]

    def consume() -> None:
        after = head
        with httpx.Client(base_url=read_url, timeout=30) as client:
            while not (done.is_set() and len(seen) >= len(sent)):
                page = client.get("/v2.0/events", params={"after": after, "wait": 2, "resource_type": "network"})
                now = time.perf_counter()
                for event in page.json()["events"]:
                    seen.setdefault(event["resource_id"], now)
                after = page.json()["next_after"]

    consumer = threading.Thread(target=consume)
    consumer.start()
    time.sleep(0.3)
    with httpx.Client(base_url=write_url, timeout=30) as client:
        start = time.perf_counter()
        for i in range(int(rate * seconds)):  # bounded
            time.sleep(max(0.0, start + i / rate - time.perf_counter()))
            t0 = time.perf_counter()
            r = client.post("/v2.0/networks", json={"network": {"name": f"bench-{i}"}})
            sent[r.json()["network"]["id"]] = (t0, time.perf_counter())
    done.set()
    consumer.join(timeout=30)
    ack = [(seen[k] - a) * 1000 for k, (_, a) in sent.items()]
    send = [(seen[k] - s) * 1000 for k, (s, _) in sent.items()]
    return {"events": len(sent), "ack50": percentile(ack, 50), "ack99": percentile(ack, 99),
            "send50": percentile(send, 50), "send99": percentile(send, 99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--processes", type=int, default=1, help="2: write to one API process, read another")
    parser.add_argument("--rate", type=float, default=50.0, help="writes per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(args.engine, Path(tmp)) as db:
        servers = [Server(database=db, workdir=Path(tmp)).start()]
        if args.processes > 1:
            servers.append(Server(database=db, workdir=Path(tmp)).start())
        try:
            r = measure(servers[0].url, servers[-1].url, args.rate, args.seconds)
        finally:
            for srv in servers:
                srv.stop()
    print("| engine | API processes | writes/s | events | ack->seen p50 ms | p99 ms | send->seen p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {args.engine} | {args.processes} | {args.rate:g} | {r['events']:.0f} | {r['ack50']:.1f} | "
          f"{r['ack99']:.1f} | {r['send50']:.1f} | {r['send99']:.1f} |")


if __name__ == "__main__":
    main()
