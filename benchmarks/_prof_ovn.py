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

`cold`: N trunks x M subports (parents bound to the chassis, nothing plugged) created through the API while
ovn-sync is not running and NB is empty; then ovn-sync starts. Reported: process start -> NB holds every
LSP (parents, and the subports with their parent_name and tag), with the total rows written.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.dataplane.support import cleanup, wait_for
from tests.ovn.rig import OvnCentral, ovn_rig
from tests.ovn.support import OvnSyncProc, ovn_server
from tests.support import Api

OVN_AGENT = "OVN Controller agent"


def _bulk(api: Api, collection: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(0, len(items), 200):
        r = api.post(f"/v2.0/{collection}", {collection: items[i:i + 200]})
        assert r.status_code == 201, r.text
        out += r.json()[collection]
    return out


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
        server = ovn_server(central, workdir).start()
        undo.append(lambda: server.stop(kill=True))
        sync = OvnSyncProc(central, server.url, workdir, resync_interval=60).start()
        undo.append(sync.stop)
        undo.append(lambda: print(sync.log.read_text()) if verbose else None)
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


def bench_cold(trunks: int, per_trunk: int, verbose: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp, cleanup() as undo, ovn_rig(Path(tmp) / "rig", chassis=1) as rig:
        workdir = Path(tmp)
        central, chassis = rig.central, rig.chassis[0]
        server = ovn_server(central, workdir).start()
        undo.append(lambda: server.stop(kill=True))
        api = Api(server.url)
        made = time.perf_counter()
        nets = _bulk(api, "networks", [{"name": f"cold-{i}"} for i in range(per_trunk + 1)])
        parents = _bulk(api, "ports", [{"network_id": nets[0]["id"], "binding:host_id": chassis.name}
                                       for _ in range(trunks)])
        subs = _bulk(api, "ports", [{"network_id": nets[1 + j]["id"]} for _ in range(trunks)
                                    for j in range(per_trunk)])
        want: dict[str, tuple[Any, Any]] = {p["id"]: ([], []) for p in parents}
        for i, p in enumerate(parents):
            mine = subs[i * per_trunk:(i + 1) * per_trunk]
            api.trunk(p["id"], sub_ports=[{"port_id": s["id"], "segmentation_type": "vlan",
                                           "segmentation_id": 101 + j} for j, s in enumerate(mine)])
            want.update({s["id"]: (p["id"], 101 + j) for j, s in enumerate(mine)})
        print(f"{trunks} trunks x {per_trunk} subports made through the API in {time.perf_counter() - made:.1f}s; "
              f"NB has {len(_containers(central))} LSPs", flush=True)
        t0 = time.perf_counter()
        sync = OvnSyncProc(central, server.url, workdir, resync_interval=600).start()
        undo.append(sync.stop)
        undo.append(lambda: print(sync.log.read_text()) if verbose else None)
        done = None
        deadline = time.monotonic() + 600
        while done is None and time.monotonic() < deadline:
            rows = _containers(central)
            if len(rows) >= len(want) and all(rows.get(p) == w for p, w in want.items()):
                done = time.perf_counter() - t0
            else:
                time.sleep(0.1)
        assert done is not None, "NB not complete after 600 s"
        switches = len(central.table("Logical_Switch", "name"))
        print(f"cold full sync: ovn-sync start -> NB holds all {len(want)} LSPs ({switches} logical switches) in "
              f"{done:.2f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    add = sub.add_parser("add")
    add.add_argument("--rounds", type=int, default=3)
    add.add_argument("--subports", type=int, default=500)
    cold = sub.add_parser("cold")
    cold.add_argument("--trunks", type=int, default=1000)
    cold.add_argument("--subports", type=int, default=10)
    for p in (add, cold):
        p.add_argument("-v", "--verbose", action="store_true", help="print the end of ovn-sync's log")
    args = parser.parse_args()
    if args.what == "add":
        bench_add(args.rounds, args.subports, args.verbose)
    else:
        bench_cold(args.trunks, args.subports, args.verbose)


if __name__ == "__main__":
    main()
