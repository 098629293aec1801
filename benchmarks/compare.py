"""trunkd beside Neutron 29.0.0: one fixed workload, four systems, one table.

    .venv/bin/python -m benchmarks.compare                 # all four systems, 3 repetitions
    .venv/bin/python -m benchmarks.compare --systems trunkd-sqlite,trunkd-postgresql --reps 5

Systems: `neutron-http` (the real Neutron API: uwsgi, MariaDB, noauth pipeline), `neutron-inproc`
(Neutron's TrunkPlugin called directly through its unit-test base classes, ML2 on in-memory
SQLite: no HTTP at all), `trunkd-sqlite` and `trunkd-postgresql` (`trunkd serve`, one process,
over HTTP). Neutron is installed by `benchmarks/neutron/setup.sh` into its own virtualenv
(benchmarks/.neutron-venv) on first use. Each figure is the median of the repetitions; the ratio
columns divide Neutron's time by trunkd's (higher is better for trunkd).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import workloads
from tests.support import Server, throwaway_database

HERE = Path(__file__).resolve().parent
NEUTRON_VENV = Path(os.environ.get("NEUTRON_VENV", HERE / ".neutron-venv"))
NEUTRON_RUN = Path(os.environ.get("NEUTRON_RUN", HERE / ".neutron-run"))
NEUTRON_PORT = int(os.environ.get("NEUTRON_PORT", "19696"))
SYSTEMS = ["neutron-http", "neutron-inproc", "trunkd-sqlite", "trunkd-postgresql"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_trunkd(engine: str, reps: int, sizes: workloads.Sizes) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(engine, Path(tmp)) as db:
        srv = Server(database=db, workdir=Path(tmp)).start()
        try:
            return workloads.run(workloads.HttpTarget("127.0.0.1", srv.port), reps, sizes, log)
        finally:
            srv.stop()


def ensure_neutron(*, database: bool) -> None:
    """Install Neutron (first time); with `database`, configure it on an emptied database."""
    env = {**os.environ, "NEUTRON_VENV": str(NEUTRON_VENV), "NEUTRON_RUN": str(NEUTRON_RUN),
           "NEUTRON_PORT": str(NEUTRON_PORT), "RESET_DB": "1", "VENV_ONLY": "0" if database else "1"}
    subprocess.run([str(HERE / "neutron" / "setup.sh")], check=True, env=env)


def run_neutron_http(reps: int, sizes: workloads.Sizes) -> dict[str, float]:
    ensure_neutron(database=True)
    ini = NEUTRON_RUN / "neutron-api-uwsgi.ini"
    log_file = NEUTRON_RUN / "log" / "uwsgi-stdout.log"
    with open(log_file, "ab") as out:
        proc = subprocess.Popen([str(NEUTRON_VENV / "bin" / "uwsgi"), "--ini", str(ini)], cwd=NEUTRON_RUN,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        target = workloads.HttpTarget("127.0.0.1", NEUTRON_PORT)
        deadline = time.monotonic() + 120
        while True:
            try:
                target.list_trunks()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"Neutron did not start; see {NEUTRON_RUN / 'log'}") from None
                time.sleep(0.5)
        return workloads.run(target, reps, sizes, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_neutron_inproc(reps: int, sizes: workloads.Sizes) -> dict[str, float]:
    ensure_neutron(database=False)
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [str(NEUTRON_VENV / "bin" / "python"), str(HERE / "neutron_inproc.py"), "--reps", str(reps),
               "--sizes", json.dumps(vars(sizes)), "--out", out.name]
        subprocess.run(cmd, check=True, cwd=HERE)
        return dict(json.loads(Path(out.name).read_text()))


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))) // 2**20
    return (f"{os.cpu_count()} cores ({cpu}), {mem} GiB; Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}")


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if value < 10 else f"{value:.1f}"


def ratio(neutron: float | None, ours: float | None) -> str:
    if neutron is None or ours is None or ours <= 0:
        return "-"
    return f"{neutron / ours:,.0f}x" if neutron / ours >= 10 else f"{neutron / ours:.1f}x"


def table(results: dict[str, dict[str, float]], sizes: workloads.Sizes = workloads.FULL) -> str:
    get = lambda system, key: results.get(system, {}).get(key)  # noqa: E731
    lines = [
        "| workload | Neutron HTTP | Neutron in-process | trunkd SQLite | trunkd PostgreSQL "
        "| HTTP / SQLite | in-process / SQLite | HTTP / PostgreSQL |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label in workloads.WORKLOADS:
        nh, ni, ts, tp = (get(s, key) for s in SYSTEMS)
        name = label.format(**vars(sizes))
        lines.append(f"| {name} | {fmt(nh)} | {fmt(ni)} | {fmt(ts)} | {fmt(tp)} | {ratio(nh, ts)} | "
                     f"{ratio(ni, ts)} | {ratio(nh, tp)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma list of " + ", ".join(SYSTEMS))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--sizes", choices=["full", "quick", "tiny"], default="full",
                        help="full: the issue's sizes; quick: a tenth of the creates, add 500 (see workloads); "
                        "tiny: a smoke run, not a measurement")
    parser.add_argument("--json", type=Path, help="also write the raw medians here")
    parser.add_argument("--combine", type=Path, nargs="+", help="print one table from --json files of earlier runs")
    args = parser.parse_args()
    sizes = {"full": workloads.FULL, "quick": workloads.QUICK, "tiny": workloads.TINY}[args.sizes]
    runners: dict[str, Any] = {
        "neutron-http": lambda: run_neutron_http(args.reps, sizes),
        "neutron-inproc": lambda: run_neutron_inproc(args.reps, sizes),
        "trunkd-sqlite": lambda: run_trunkd("sqlite", args.reps, sizes),
        "trunkd-postgresql": lambda: run_trunkd("postgresql", args.reps, sizes),
    }
    results: dict[str, dict[str, float]] = {}
    if args.combine:
        for path in args.combine:
            results.update(json.loads(path.read_text()))
        print(table(results, sizes))
        return
    loads: list[str] = []
    for system in args.systems.split(","):
        if system not in runners:
            parser.error(f"unknown system {system!r}")
        before = os.getloadavg()[0]
        log(f"{system}: (load average {before:.1f})")
        results[system] = runners[system]()
        loads.append(f"{system} {before:.1f}-{os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(f"\n{datetime.datetime.now().isoformat(timespec='minutes')}, {machine()}; median of {args.reps} "
          f"repetitions, seconds; sizes {args.sizes}: {sizes}; 1-min load average at start-end: {', '.join(loads)}\n")
    print(table(results, sizes))


if __name__ == "__main__":
    main()
