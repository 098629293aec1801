"""The per-request path: GET one network and an empty trunk create, as ratios to `GET /` in the same run.

    .venv/bin/python -m benchmarks.bench_path                    # SQLite, noauth and keystone (cached token)
    .venv/bin/python -m benchmarks.bench_path --modes noauth --rounds 9

`GET /` (the version document: routing, middlewares, one small JSON answer) is the HTTP stack's
floor; the goals are GET one network ≤ 2x and an empty trunk create ≤ 3x of it. Each round times
`--n` requests of each kind back to back on one keep-alive connection, the kinds interleaved round by
round; each figure is the median of the rounds' per-request means. In keystone mode (a real Keystone
from .venv-keystone, scripts/ensure-keystone.sh) every request carries the same token, which
keystonemiddleware validates once and then finds in its cache; `GET /` needs no token.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks.workloads import HttpTarget
from tests.support import Server, throwaway_database

KINDS = ("GET /", "GET one network", "empty trunk create")


def measure(target: HttpTarget, rounds: int, n: int) -> dict[str, float]:
    net = target.request("POST", "/v2.0/networks", {"network": {"name": "path"}}, 201)["network"]["id"]
    ports = target.make_ports(n)
    calls: dict[str, Callable[[int], Any]] = {
        "GET /": lambda _i: target.request("GET", "/"),
        "GET one network": lambda _i: target.request("GET", f"/v2.0/networks/{net}"),
        "empty trunk create": lambda i: made.append(target.create_trunk(ports[i], [])),
    }
    per: dict[str, list[float]] = {k: [] for k in KINDS}
    for rnd in range(rounds + 1):  # round 0 warms up
        made: list[str] = []
        order = KINDS if rnd % 2 else tuple(reversed(KINDS))
        for kind in order:
            start = time.perf_counter()
            for i in range(n):
                calls[kind](i)
            if rnd:
                per[kind].append((time.perf_counter() - start) / n)
        for trunk in made:
            target.delete_trunk(trunk)
    return {k: statistics.median(v) for k, v in per.items()}


def keystone_server(stack: ExitStack, tmp: Path, url: str) -> tuple[Server, str]:
    from tests.keystone import Keystone, authtoken_config, keystone_installed

    if not keystone_installed():
        raise SystemExit("keystone mode needs .venv-keystone (scripts/ensure-keystone.sh)")
    ks = Keystone(tmp / "keystone").start()
    stack.callback(ks.stop)
    ks.user("trunkd", "service", "service")
    ks.user("bench-admin", "bench", "admin")
    conf = authtoken_config(ks, tmp / "trunkd.conf", "trunkd")
    srv = Server(url, tmp, args=["--auth-strategy", "keystone", "--config-file", str(conf)]).start(timeout=240)
    stack.callback(srv.stop)
    return srv, ks.token("bench-admin", project="bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="noauth,keystone")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--n", type=int, default=100, help="requests of each kind per round")
    args = parser.parse_args()
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_start = os.getloadavg()[0]
    results: dict[str, dict[str, float]] = {}
    with ExitStack() as stack:
        for mode in args.modes.split(","):
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            url = stack.enter_context(throwaway_database("sqlite", tmp))
            if mode == "keystone":
                srv, token = keystone_server(stack, tmp, url)
                target = HttpTarget("127.0.0.1", srv.port, {"X-Auth-Token": token})
            else:
                srv = Server(url, tmp).start(timeout=240)
                stack.callback(srv.stop)
                target = HttpTarget("127.0.0.1", srv.port)
            results[mode] = measure(target, args.rounds, args.n)
            print(f"  {mode}: " + ", ".join(f"{k} {v * 1000:.3f} ms" for k, v in results[mode].items()), flush=True)
    print(f"\n{started}, SQLite, {args.rounds} rounds x {args.n} requests of each kind (median of the round means), "
          f"load average {load_start:.1f}-{os.getloadavg()[0]:.1f}\n")
    print("| auth mode | GET / (ms) | GET one network (ms) | ratio (goal ≤ 2x) | empty trunk create (ms) "
          "| ratio (goal ≤ 3x) |")
    print("|---|---|---|---|---|---|")
    for mode, r in results.items():
        floor = r["GET /"]
        print(f"| {mode} | {floor * 1000:.3f} | {r['GET one network'] * 1000:.3f} | "
              f"{r['GET one network'] / floor:.1f}x | {r['empty trunk create'] * 1000:.3f} | "
              f"{r['empty trunk create'] / floor:.1f}x |")


if __name__ == "__main__":
    main()
