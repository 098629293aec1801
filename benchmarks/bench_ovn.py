"""trunkd's OVN back end against a real OVN (root; OVN installed by scripts/ensure-ovn.sh).

    .venv/bin/python -m benchmarks.bench_ovn add --rounds 3 --subports 500
    .venv/bin/python -m benchmarks.bench_ovn cold --trunks 1000 --subports 10

Both start the test rig (tests/ovn/rig.py: NB and SB ovsdb-servers and ovn-northd in a temp dir, one chassis:
a netns with its own userspace OVS and ovn-controller), a trunkd server (`--drivers ovn`, SQLite) and
`trunkd ovn-sync`.

`add`: one trunk whose parent is bound to the chassis and plugged into its br-int (iface-id = the parent);
`--subports` ports spread over 50 networks. Per round: one PUT add_subports with all of them, then the
time until every one of them is in NB as a container LSP (`parent_name` = the parent, `tag` = its VLAN) and
until the trunk and every subport is ACTIVE (which needs the SB binding and the LSP `up`); then
remove_subports and wait for the trunk to be ACTIVE with none.

`cold`: N trunks x M subports (M + 1 networks, nothing bound or plugged) created through the API while
no ovn-sync runs, so NB is empty; then ovn-sync starts. Reported: process start -> NB holds every LSP
(parents, and the subports with their parent_name and tag).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.dataplane.support import cleanup, wait_for
from tests.ovn.rig import OvnCentral, ovn_rig
from tests.ovn.support import OvnSyncProc, ovn_server
from tests.support import Api, free_port

OVN_AGENT = "OVN Controller agent"


def _bulk(api: Api, collection: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(0, len(items), 200):
        r = api.post(f"/v2.0/{collection}", {collection: items[i:i + 200]})
        assert r.status_code == 201, r.text
        out += r.json()[collection]
    return out


def _summary(sync: OvnSyncProc) -> None:
    """ovn-sync's log lines about connecting, the lock and each pass (with its phases)."""
    for line in sync.log.read_text().splitlines():
        if any(word in line for word in (" pass", "connected", "lock", "ERROR", "Traceback")):
            print(line[:300])


def _containers(central: OvnCentral) -> dict[str, tuple[Any, Any]]:
    """LSP name -> (parent_name, tag), for every LSP in NB ([] for an unset column)."""
    return {r["name"]: (r["parent_name"], r["tag"])
            for r in central.table("Logical_Switch_Port", "name", "parent_name", "tag")}


def _trunk(api: Api, trunk_id: str) -> dict[str, Any]:
    r = api.get(f"/v2.0/trunks/{trunk_id}", params={"subport_status": "true"})
    assert r.status_code == 200, r.text
    return dict(r.json()["trunk"])


def _all_active(api: Api, trunk_id: str, count: int) -> bool:
    t = _trunk(api, trunk_id)
    return (t["status"] == "ACTIVE" and len(t["sub_ports"]) == count
            and all(s.get("status") == "ACTIVE" for s in t["sub_ports"]))


def bench_add(rounds: int, count: int, verbose: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp, cleanup() as undo, ovn_rig(Path(tmp) / "rig", chassis=1) as rig:
        workdir = Path(tmp)
        central, chassis = rig.central, rig.chassis[0]
        server = ovn_server(central, workdir).start(timeout=120)
        undo.append(lambda: server.stop(kill=True))
        sync = OvnSyncProc(central, server.url, workdir, resync_interval=60).start()
        undo.append(sync.stop)
        undo.append(lambda: _summary(sync) if verbose else None)
        api = Api(server.url)
        wait_for("chassis shown as an agent", lambda: api.get("/v2.0/agents", params={
            "agent_type": OVN_AGENT}).json()["agents"], timeout=30)
        parent = api.port(api.network(name="bench-parent")["id"], **{"binding:host_id": chassis.name})
        trunk = api.trunk(parent["id"])
        nets = _bulk(api, "networks", [{"name": f"bench-{i}"} for i in range(50)])
        subs = _bulk(api, "ports", [{"network_id": nets[i % len(nets)]["id"]} for i in range(count)])
        rig.endpoint(chassis, parent["id"], parent["mac_address"])
        wait_for("trunk ACTIVE", lambda: _trunk(api, trunk["id"])["status"] == "ACTIVE", timeout=60)
        vlan = {s["id"]: 101 + i for i, s in enumerate(subs)}
        body = {"sub_ports": [{"port_id": s["id"], "segmentation_type": "vlan", "segmentation_id": vlan[s["id"]]}
                              for s in subs]}
        nb_s, active_s = [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            r = api.put(f"/v2.0/trunks/{trunk['id']}/add_subports", body)
            assert r.status_code == 200, r.text
            nb_at = active_at = None
            deadline = time.monotonic() + 120
            while (nb_at is None or active_at is None) and time.monotonic() < deadline:
                if nb_at is None:
                    rows = _containers(central)
                    if all(rows.get(p) == (parent["id"], v) for p, v in vlan.items()):
                        nb_at = time.perf_counter() - t0
                if active_at is None and _all_active(api, trunk["id"], count):
                    active_at = time.perf_counter() - t0
                time.sleep(0.02)
            assert nb_at is not None and active_at is not None, f"not done in 120 s (NB {nb_at}, ACTIVE {active_at})"
            nb_s.append(nb_at)
            active_s.append(active_at)
            print(f"add_subports x{count}: NB written after {nb_at:.2f}s, trunk and all {count} subports ACTIVE "
                  f"after {active_at:.2f}s", flush=True)
            r = api.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", {"sub_ports": [{"port_id": s["id"]}
                                                                                      for s in subs]})
            assert r.status_code == 200, r.text
            wait_for("subports removed from NB", lambda: all(
                _containers(central).get(p) == ([], []) for p in vlan), timeout=120)
            wait_for("trunk ACTIVE with none", lambda: _all_active(api, trunk["id"], 0), timeout=120)
        print(f"median over {rounds} rounds: NB written {statistics.median(nb_s):.2f}s, "
              f"all ACTIVE {statistics.median(active_s):.2f}s")


def _wait_nb(central: OvnCentral, want: dict[str, tuple[Any, Any]], timeout: float) -> float | None:
    """Seconds until NB holds every LSP of `want` with its (parent_name, tag); None after `timeout`."""
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _containers(central)
        if len(rows) >= len(want) and all(rows.get(p) == w for p, w in want.items()):
            return time.perf_counter() - t0
        time.sleep(0.1)
    return None


def bench_cold(trunks: int, per_trunk: int, verbose: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp, cleanup() as undo, ovn_rig(Path(tmp) / "rig", chassis=1) as rig:
        workdir = Path(tmp)
        central = rig.central
        server = ovn_server(central, workdir).start(timeout=120)
        undo.append(lambda: server.stop(kill=True))
        api = Api(server.url)
        made = time.perf_counter()
        nets = _bulk(api, "networks", [{"name": f"cold-{i}"} for i in range(per_trunk + 1)])
        parents = _bulk(api, "ports", [{"network_id": nets[0]["id"]} for _ in range(trunks)])
        subs = _bulk(api, "ports", [{"network_id": nets[1 + j]["id"]} for _ in range(trunks)
                                    for j in range(per_trunk)])
        want: dict[str, tuple[Any, Any]] = {p["id"]: ([], []) for p in parents}
        for i, p in enumerate(parents):
            mine = subs[i * per_trunk:(i + 1) * per_trunk]
            api.trunk(p["id"], sub_ports=[{"port_id": s["id"], "segmentation_type": "vlan",
                                           "segmentation_id": 101 + j} for j, s in enumerate(mine)])
            want.update({s["id"]: (p["id"], 101 + j) for j, s in enumerate(mine)})
        print(f"{trunks} trunks x {per_trunk} subports made through the API in {time.perf_counter() - made:.1f}s",
              flush=True)
        assert not _containers(central), "NB not empty"
        t0 = time.perf_counter()
        sync = OvnSyncProc(central, server.url, workdir, resync_interval=600).start()
        undo.append(sync.stop)
        undo.append(lambda: _summary(sync) if verbose else None)
        done = _wait_nb(central, want, 600)
        assert done is not None, "NB not complete after 600 s"
        done = time.perf_counter() - t0
        switches = len(central.table("Logical_Switch", "name"))
        print(f"cold full sync into an empty NB: ovn-sync start -> NB holds all {len(want)} LSPs ({switches} logical "
              f"switches) in {done:.2f}s", flush=True)

NEUTRON_DIR = Path(__file__).resolve().parent / "neutron"
NEUTRON_VENV = Path(__file__).resolve().parent / ".neutron-venv"
ML2_OVN = """[ml2]
type_drivers = geneve,vlan,flat
tenant_network_types = geneve
mechanism_drivers = ovn
extension_drivers = port_security

[ml2_type_geneve]
vni_ranges = 1:65536
max_header_size = 38

[securitygroup]
enable_security_group = true

[ovn]
ovn_nb_connection = {nb}
ovn_sb_connection = {sb}
ovn_metadata_enabled = false
"""


def _mysql(sql: str) -> None:
    subprocess.run(["mysql", "-h", "127.0.0.1", "-u", "root", "-e", sql], check=True, timeout=60)


def bench_neutron(count: int, verbose: bool = False) -> None:
    """Neutron 29's own ML2/OVN (mechanism driver `ovn`, its OVN trunk driver) over the same rig: one
    add_subports of `count`, timed until NB holds them as container LSPs and until Neutron shows them ACTIVE."""
    if not (NEUTRON_VENV / "bin" / "uwsgi").exists():
        raise SystemExit("Neutron's venv is missing: VENV_ONLY=1 benchmarks/neutron/setup.sh")
    db = f"neutron_ovn_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp, cleanup() as undo, ovn_rig(Path(tmp) / "rig", chassis=1) as rig:
        run = Path(tmp) / "neutron"
        for sub in ("etc", "log", "lock", "state"):
            (run / sub).mkdir(parents=True)
        central, chassis = rig.central, rig.chassis[0]
        _mysql(f"CREATE DATABASE {db} CHARACTER SET utf8mb4; CREATE USER IF NOT EXISTS 'neutron'@'127.0.0.1' "
               f"IDENTIFIED BY 'neutron'; GRANT ALL ON {db}.* TO 'neutron'@'127.0.0.1'; FLUSH PRIVILEGES;")
        undo.append(lambda: _mysql(f"DROP DATABASE IF EXISTS {db}"))
        port = free_port()
        subst = {"@HERE@": str(NEUTRON_DIR), "@VENV@": str(NEUTRON_VENV), "@DB@": db, "@RUN@": str(run),
                 "@PORT@": str(port)}

        def render(template: Path, target: Path) -> None:
            text = template.read_text()
            for k, v in subst.items():
                text = text.replace(k, v)
            target.write_text(text)

        render(NEUTRON_DIR / "etc" / "neutron.conf.in", run / "etc" / "neutron.conf")
        ml2 = run / "etc" / "ml2_conf_ovn.ini"
        ml2.write_text(ML2_OVN.format(nb=central.nb, sb=central.sb))
        render(NEUTRON_DIR / "neutron-api-uwsgi.ini.in", run / "uwsgi.ini")
        ini = (run / "uwsgi.ini").read_text().replace(str(NEUTRON_DIR / "etc" / "ml2_conf.ini"), str(ml2))
        (run / "uwsgi.ini").write_text(ini)
        t = time.perf_counter()
        subprocess.run([str(NEUTRON_VENV / "bin" / "neutron-db-manage"), "--config-file",
                        str(run / "etc" / "neutron.conf"), "--config-file", str(ml2), "upgrade", "heads"],
                       check=True, capture_output=True, timeout=900)
        print(f"Neutron schema in {time.perf_counter() - t:.0f}s", flush=True)
        with open(run / "log" / "uwsgi-stdout.log", "ab") as out:
            uwsgi = subprocess.Popen([str(NEUTRON_VENV / "bin" / "uwsgi"), "--ini", str(run / "uwsgi.ini")], cwd=run,
                                     stdout=out, stderr=subprocess.STDOUT)

        def stop_uwsgi() -> None:
            uwsgi.terminate()
            try:
                uwsgi.wait(timeout=30)
            except subprocess.TimeoutExpired:
                uwsgi.kill()

        undo.append(stop_uwsgi)
        undo.append(lambda: print((run / "log" / "neutron-api.log").read_text()[-6000:]) if verbose else None)
        api = Api(f"http://127.0.0.1:{port}")
        api.client.timeout = httpx.Timeout(900.0)  # Neutron takes minutes for a bulk create or an add of 500
        wait_for("Neutron answers", lambda: _answers(api), timeout=300, every=1)
        wait_for("the chassis shown as an OVN agent", lambda: [
            a for a in api.get("/v2.0/agents").json()["agents"] if a["host"] == chassis.name], timeout=120)
        parent = api.port(api.network(name="bench-parent")["id"], **{"binding:host_id": chassis.name})
        assert parent["binding:vif_type"] == "ovs", parent
        trunk = api.trunk(parent["id"])
        nets = [api.network(name=f"bench-{i}") for i in range(50)]
        subs = _bulk(api, "ports", [{"network_id": nets[i % len(nets)]["id"]} for i in range(count)])
        rig.endpoint(chassis, parent["id"], parent["mac_address"])
        wait_for("parent ACTIVE", lambda: api.get(f"/v2.0/ports/{parent['id']}").json()["port"]["status"]
                 == "ACTIVE", timeout=120)
        vlan = {s["id"]: 101 + i for i, s in enumerate(subs)}
        body = {"sub_ports": [{"port_id": s["id"], "segmentation_type": "vlan", "segmentation_id": vlan[s["id"]]}
                              for s in subs]}
        t0 = time.perf_counter()
        r = api.put(f"/v2.0/trunks/{trunk['id']}/add_subports", body)
        assert r.status_code == 200, r.text
        answered = time.perf_counter() - t0
        nb_at = active_at = None
        deadline = time.monotonic() + 600
        while (nb_at is None or active_at is None) and time.monotonic() < deadline:
            if nb_at is None:
                rows = _containers(central)
                if all(rows.get(p) == (parent["id"], v) for p, v in vlan.items()):
                    nb_at = time.perf_counter() - t0
            if active_at is None:
                ports = api.get("/v2.0/ports", params={"device_owner": "trunk:subport", "fields": "status"})
                statuses = [p["status"] for p in ports.json()["ports"]]
                if len(statuses) == count and set(statuses) == {"ACTIVE"}:
                    active_at = time.perf_counter() - t0
            time.sleep(0.05)
        print(f"Neutron ML2/OVN add_subports x{count}: answered after {answered:.2f}s, NB written after "
              f"{nb_at if nb_at is None else round(nb_at, 2)}s, all {count} subports ACTIVE after "
              f"{active_at if active_at is None else round(active_at, 2)}s", flush=True)


def _answers(api: Api) -> bool:
    try:
        return api.get("/v2.0/networks").status_code == 200
    except httpx.TransportError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    add = sub.add_parser("add")
    add.add_argument("--rounds", type=int, default=3)
    add.add_argument("--subports", type=int, default=500)
    cold = sub.add_parser("cold")
    cold.add_argument("--trunks", type=int, default=1000)
    cold.add_argument("--subports", type=int, default=10)
    neutron = sub.add_parser("neutron")
    neutron.add_argument("--subports", type=int, default=500)
    for p in (add, cold, neutron):
        p.add_argument("-v", "--verbose", action="store_true", help="print the end of ovn-sync's log")
    args = parser.parse_args()
    if args.what == "add":
        bench_add(args.rounds, args.subports, args.verbose)
    elif args.what == "neutron":
        bench_neutron(args.subports, args.verbose)
    else:
        bench_cold(args.trunks, args.subports, args.verbose)


if __name__ == "__main__":
    main()
