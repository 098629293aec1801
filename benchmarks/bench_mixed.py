"""64 concurrent clients, a mixed load: trunkd on PostgreSQL with 1, 2, 4 workers, and Neutron 29's API.

    .venv/bin/python -m benchmarks.bench_mixed                          # trunkd 1/2/4 workers + Neutron, 2 rounds
    .venv/bin/python -m benchmarks.bench_mixed --systems trunkd-1,trunkd-2 --seconds 20 --rounds 3

Every client owns a parent port and five subport ports and loops over one cycle of seven requests:
create a trunk, show it, add its five subports, list the trunks by the client's name, remove the
subports, show a network, delete the trunk. Each step runs for `--seconds` (cycles started before
the deadline finish), after a warm-up cycle per client that is not counted. The steps alternate
order from round to round; each figure is the median over the rounds. Every answer must have its
expected status (errors are counted and shown, never hidden).

- **trunkd-N**: `trunkd serve --workers N` on its own throwaway PostgreSQL database.
- **neutron**: the real Neutron 29.0.0 API under uwsgi with 2 processes (benchmarks/neutron, noauth,
  ML2/OVS + trunk plugin, MariaDB); installed on first use like `compare.py` does.

The clients are one asyncio process with a minimal HTTP/1.1 client (keep-alive where the server
allows it; Neutron's uwsgi closes every connection, so its clients reconnect each request). The
client shares the 2 cores with the servers and the database.

Each step also reads the CPU time (from /proc) of the server's processes, of the database server's
processes and of the client, per request: what the machine's cores can give sets a ceiling of
cores / (CPU per request of all three) requests per second, and one worker, one thread of Python at a
time, 1 / (the server's CPU per request).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import statistics
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks import workloads
from tests.support import Server, throwaway_database

HERE = Path(__file__).resolve().parent
NEUTRON_VENV = Path(os.environ.get("NEUTRON_VENV", HERE / ".neutron-venv"))
NEUTRON_RUN = Path(os.environ.get("NEUTRON_RUN", HERE / ".neutron-run" / "mixed"))
NEUTRON_PORT = int(os.environ.get("NEUTRON_PORT", "19697"))
NEUTRON_DB = os.environ.get("NEUTRON_DB", "neutron_bench_mixed")
SUBPORTS = 5


class Client:
    """One HTTP/1.1 connection (reopened when the server closes it)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Accept: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
        for attempt in (1, 2):
            fresh = self.writer is None
            if fresh:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(head + data)
                raw = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                await self._close()
                if fresh or attempt == 2:  # a kept-alive connection may have been closed: retry once
                    raise
                continue
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            assert "chunked" not in headers.get("transfer-encoding", ""), "chunked answers are not handled"
            payload = await self.reader.readexactly(int(headers.get("content-length", "0")))
            if headers.get("connection", "").lower() == "close":
                await self._close()
            return status, payload
        raise AssertionError("unreachable")


TICK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds so far) of every process."""
    found: dict[int, tuple[int, str, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        name, rest = raw[raw.index("(") + 1:raw.rindex(")")], raw[raw.rindex(")") + 2:].split()
        found[int(entry)] = (int(rest[1]), name, (int(rest[11]) + int(rest[12])) / TICK)
    return found


def cpu_seconds(root: int, database: str) -> tuple[float, float]:
    """CPU seconds so far of the process tree under `root`, and of the processes named `database`."""
    procs = _processes()
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _name, _cpu) in procs.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return (sum(procs[p][2] for p in tree if p in procs),
            sum(cpu for _ppid, name, cpu in procs.values() if name == database))


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[str] = []


async def cycle(client: Client, name: str, parent: str, subs: list[str], net: str, stats: Stats | None) -> None:
    async def call(method: str, path: str, body: Any, expect: int) -> Any:
        start = time.perf_counter()
        status, payload = await client.request(method, path, body)
        if stats is not None:
            stats.latencies.append(time.perf_counter() - start)
            if status != expect:
                stats.errors.append(f"{method} {path.split('?')[0]}: {status} {payload[:200]!r}")
        elif status != expect:
            raise RuntimeError(f"{method} {path}: {status} {payload[:300]!r}")
        return json.loads(payload) if payload and status == expect else None

    made = await call("POST", "/v2.0/trunks", {"trunk": {"port_id": parent, "name": name}}, 201)
    if made is None:
        return
    trunk = made["trunk"]["id"]
    await call("GET", f"/v2.0/trunks/{trunk}", None, 200)
    await call("PUT", f"/v2.0/trunks/{trunk}/add_subports", {"sub_ports": workloads.subports(subs)}, 200)
    await call("GET", f"/v2.0/trunks?name={name}", None, 200)
    await call("PUT", f"/v2.0/trunks/{trunk}/remove_subports", {"sub_ports": [{"port_id": p} for p in subs]}, 200)
    await call("GET", f"/v2.0/networks/{net}", None, 200)
    await call("DELETE", f"/v2.0/trunks/{trunk}", None, 204)


async def step(port: int, root: int, database: str, clients: int, seconds: float, pool: list[str], net: str,
               max_cycles: int) -> dict[str, Any]:
    conns = [Client(port) for _ in range(clients)]
    per = 1 + SUBPORTS

    def args(i: int) -> tuple[str, str, list[str], str]:
        own = pool[i * per:(i + 1) * per]
        return f"mixed-{i}", own[0], own[1:], net

    await asyncio.gather(*(cycle(c, *args(i), None) for i, c in enumerate(conns)))  # warm-up, not counted
    stats = Stats()
    deadline = time.perf_counter() + seconds

    async def loop(i: int) -> None:
        for _ in range(max_cycles):
            if time.perf_counter() >= deadline:
                return
            await cycle(conns[i], *args(i), stats)

    start, client_cpu = time.perf_counter(), time.process_time()
    server_cpu, db_cpu = cpu_seconds(root, database)
    await asyncio.gather(*(loop(i) for i in range(clients)))
    elapsed = time.perf_counter() - start
    server_after, db_after = cpu_seconds(root, database)
    done = max(1, len(stats.latencies))
    cpu = {"server_ms": (server_after - server_cpu) / done * 1000, "db_ms": (db_after - db_cpu) / done * 1000,
           "client_ms": (time.process_time() - client_cpu) / done * 1000}
    for c in conns:
        await c._close()
    lat = sorted(stats.latencies)
    return {"requests": len(lat), "rps": len(lat) / elapsed, "p50": lat[len(lat) // 2] * 1000,
            "p99": lat[min(len(lat) - 1, round(0.99 * (len(lat) - 1)))] * 1000, "errors": len(stats.errors),
            "first_error": stats.errors[0] if stats.errors else "", **cpu}


def start_neutron(stack: ExitStack) -> tuple[int, int]:
    env = {**os.environ, "NEUTRON_VENV": str(NEUTRON_VENV), "NEUTRON_RUN": str(NEUTRON_RUN),
           "NEUTRON_PORT": str(NEUTRON_PORT), "NEUTRON_DB": NEUTRON_DB, "RESET_DB": "1", "VENV_ONLY": "0"}
    subprocess.run([str(HERE / "neutron" / "setup.sh")], check=True, env=env)
    out = stack.enter_context((NEUTRON_RUN / "log" / "uwsgi-stdout.log").open("ab"))
    proc = subprocess.Popen([str(NEUTRON_VENV / "bin" / "uwsgi"), "--ini", str(NEUTRON_RUN / "neutron-api-uwsgi.ini")],
                            cwd=NEUTRON_RUN, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    stack.callback(stop)
    deadline = time.monotonic() + 180
    while True:
        try:
            workloads.HttpTarget("127.0.0.1", NEUTRON_PORT).list_trunks()
            return NEUTRON_PORT, proc.pid
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"Neutron did not start; see {NEUTRON_RUN / 'log'}") from None
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", default="trunkd-1,trunkd-2,trunkd-4,neutron")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-cycles", type=int, default=1000, help="per client and step (a bound)")
    args = parser.parse_args()
    systems = args.systems.split(",")
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_start = os.getloadavg()[0]
    results: dict[str, list[dict[str, Any]]] = {s: [] for s in systems}
    with ExitStack() as stack:
        ports: dict[str, int] = {}
        roots: dict[str, int] = {}
        for system in systems:
            if system == "neutron":
                ports[system], roots[system] = start_neutron(stack)
                continue
            workers = int(system.split("-")[1])
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            db = stack.enter_context(throwaway_database("postgresql", tmp))
            srv = Server(database=db, workdir=tmp, args=["--workers", str(workers)]).start(timeout=240)
            stack.callback(srv.stop)
            ports[system] = srv.port
            assert srv.proc is not None
            roots[system] = srv.proc.pid
        setup: dict[str, tuple[list[str], str]] = {}
        for system, port in ports.items():
            target = workloads.HttpTarget("127.0.0.1", port)
            pool = target.make_ports(args.clients * (1 + SUBPORTS))
            net = target.request("POST", "/v2.0/networks", {"network": {"name": "mixed"}}, 201)["network"]["id"]
            setup[system] = (pool, net)
        for rnd in range(args.rounds):
            for system in systems if rnd % 2 == 0 else list(reversed(systems)):
                database = "mariadbd" if system == "neutron" else "postgres"
                got = asyncio.run(step(ports[system], roots[system], database, args.clients, args.seconds,
                                       *setup[system], args.max_cycles))
                results[system].append(got)
                print(f"  round {rnd + 1} {system}: {got['requests']} requests, {got['rps']:.1f}/s, "
                      f"p50 {got['p50']:.1f} ms, p99 {got['p99']:.1f} ms, errors {got['errors']} {got['first_error']}; "
                      f"CPU ms per request: server {got['server_ms']:.2f}, database {got['db_ms']:.2f}, "
                      f"client {got['client_ms']:.2f}", flush=True)
    print(f"\n{started}, {args.clients} clients, {args.seconds:g} s per step, {args.rounds} rounds (median), "
          f"load average {load_start:.1f}-{os.getloadavg()[0]:.1f}\n")
    print("| system | requests/s | p50 ms | p99 ms | errors | vs trunkd 1 worker |")
    print("|---|---|---|---|---|---|")
    med = {s: {k: statistics.median(r[k] for r in results[s])
               for k in ("rps", "p50", "p99", "errors", "server_ms", "db_ms", "client_ms")} for s in systems}
    base = med.get("trunkd-1", {}).get("rps")
    for s in systems:
        rel = f"{med[s]['rps'] / base:.2f}x" if base else "-"
        label = ("Neutron 29 (uwsgi, 2 processes)" if s == "neutron"
                 else f"trunkd PostgreSQL, {s.split('-')[1]} worker(s)")
        m = med[s]
        print(f"| {label} | {m['rps']:.1f} | {m['p50']:.1f} | {m['p99']:.1f} | {m['errors']:g} | {rel} |")
    print(f"\nCPU per request (ms, median of the rounds) and the ceilings it sets on {CORES} cores:\n")
    print("| system | server | database | client | all | ceiling: all cores (req/s) | ceiling: one thread "
          "of Python per worker (req/s) |")
    print("|---|---|---|---|---|---|---|")
    for s in systems:
        m = med[s]
        total = m["server_ms"] + m["db_ms"] + m["client_ms"]
        workers = 2 if s == "neutron" else int(s.split("-")[1])
        print(f"| {s} | {m['server_ms']:.2f} | {m['db_ms']:.2f} | {m['client_ms']:.2f} | {total:.2f} | "
              f"{CORES * 1000 / total:.0f} | {min(workers, CORES) * 1000 / m['server_ms']:.0f} |")


if __name__ == "__main__":
    main()
