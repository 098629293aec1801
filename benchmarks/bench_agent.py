"""The host agent against a real userspace Open vSwitch (root; OVS installed by scripts/ensure-ovs.sh).

    .venv/bin/python -m benchmarks.bench_agent add --rounds 3      # add_subports x100 -> ACTIVE, 100 VLANs pass
    .venv/bin/python -m benchmarks.bench_agent restart --trunks 100 --subports 10
    .venv/bin/python -m benchmarks.bench_agent plug --rounds 3      # os-vif plug -> 100 VLANs pass

`add`: one trunk on one host, its instance plugged in; 100 networks, each with a probe interface
(one namespace holding 100 veths). Per round: PUT add_subports with 100 subports, then the time until
the trunk is ACTIVE and until a frame tagged with each of the 100 VLANs has reached its own network
(re-sent every 20 ms until seen); then remove_subports and wait for ACTIVE again.

`plug`: as `add`, but the trunk has its 100 subports from the start and the instance's interface is plugged
by os-vif (Nova's library, its `ovs` plugin, in the host's netns): the time from the plug call until a frame
on each of the 100 VLANs has reached its network; then os-vif unplugs (deleting the trunk bridge, as a hard
reboot does) and the next round plugs again.

`restart`: N trunks x M subports bound to one host and wired; the agent is killed (-9) and restarted.
Reported: the first wiring (first parent bound -> every trunk ACTIVE), and the restart: process start
-> its first full pass done (read everything from the server, compare with OVS), with the number of
OVS changes it made (0 means nothing was touched) and whether every OVS port kept its row.
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from pyroute2 import NetNS, netns

from tests.dataplane.support import (
    ETH_P_ALL,
    AgentProc,
    OvsHost,
    Topology,
    cleanup,
    wait_for,
    wait_status,
)
from tests.support import Api, Server
from trunkd.agent.api import ServerApi
from trunkd.agent.plug import plug
from trunkd.domain.ovs_names import trunk_bridge_name


def _bulk(api: Api, collection: str, key: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(0, len(items), 200):
        r = api.post(f"/v2.0/{collection}", {collection: items[i:i + 200]})
        assert r.status_code == 201, r.text
        out += r.json()[collection]
    return out


def _start(workdir: Path, undo: list[Any]) -> tuple[Server, Api, OvsHost, AgentProc]:
    server = Server(database=f"sqlite:///{workdir / 'trunkd.db'}", workdir=workdir).start()
    undo.append(lambda: server.stop(kill=True))
    host = OvsHost(f"bh-{uuid.uuid4().hex[:6]}", workdir / "h")
    undo.append(host.stop)
    host.start()
    agent = AgentProc(host, server.url, workdir).start()
    undo.append(agent.stop)
    api = Api(server.url)
    wait_for("agent", lambda: api.get("/v2.0/agents", params={"host": host.name}).json()["agents"])
    return server, api, host, agent


def bench_add(rounds: int, count: int, verbose: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp, cleanup() as undo:
        server, api, host, agent = _start(Path(tmp), undo)
        undo.append(lambda: print(agent.log.read_text()[-3000:]) if verbose else None)
        parent = api.port(network_id=api.network()["id"])
        trunk = api.trunk(port_id=parent["id"])
        nets = _bulk(api, "networks", "network", [{"name": f"n{i}"} for i in range(count)])
        subs = _bulk(api, "ports", "port", [{"network_id": n["id"], "mac_address": parent["mac_address"]}
                                            for n in nets])
        probes = _bulk(api, "ports", "port", [{"network_id": n["id"]} for n in nets])
        topo = Topology()
        undo.append(topo.close)
        vm = topo.endpoint(host, parent["mac_address"])
        probe_ns = f"bprobe-{uuid.uuid4().hex[:6]}"
        netns.create(probe_ns)
        undo.append(lambda: netns.remove(probe_ns))
        vlan_of_iface: dict[str, int] = {}
        with NetNS(host.name) as hns:
            for i in range(count):
                hns.link("add", ifname=f"bp{i}", kind="veth", peer={"ifname": f"pr{i}", "net_ns_fd": probe_ns})
                hns.link("set", index=hns.link_lookup(ifname=f"bp{i}")[0], state="up")
                vlan_of_iface[f"pr{i}"] = 101 + i
        with NetNS(probe_ns) as pns:
            for i in range(count):
                pns.link("set", index=pns.link_lookup(ifname=f"pr{i}")[0], state="up")
        netns.pushns(probe_ns)
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        finally:
            netns.popns()
        sock.setblocking(False)
        with host.switch() as switch:
            client = ServerApi(server.url)
            for i, p in enumerate(probes):
                plug(client, switch, p["id"], f"bp{i}", host.name)
            plug(client, switch, parent["id"], vm.tap, host.name)
        wait_status(api, trunk["id"], "ACTIVE", timeout=60)
        wait_for("probes tagged", lambda: all(host.vsctl("get", "Port", f"bp{i}", "tag") != "4095"
                                               for i in range(0, count, 10)), timeout=60)
        body = {"sub_ports": [{"port_id": s["id"], "segmentation_type": "vlan", "segmentation_id": 101 + i}
                              for i, s in enumerate(subs)]}
        active_s, frames_s = [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            r = api.put(f"/v2.0/trunks/{trunk['id']}/add_subports", body)
            assert r.status_code == 200, r.text
            active_at, passed = None, set()
            deadline = time.monotonic() + 60
            while (active_at is None or len(passed) < count) and time.monotonic() < deadline:
                if active_at is None and api.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]["status"] == "ACTIVE":
                    active_at = time.perf_counter() - t0
                for vlan in range(101, 101 + count):
                    if vlan not in passed:
                        vm.send(f"bench-{vlan}", vlan)
                time.sleep(0.02)
                while True:
                    try:
                        data, addr = sock.recvfrom(65535)
                    except BlockingIOError:
                        break
                    m = re.search(rb"bench-(\d+)", data)
                    if m and vlan_of_iface.get(addr[0]) == int(m.group(1)):
                        passed.add(int(m.group(1)))
            assert active_at is not None and len(passed) == count, f"only {len(passed)} VLANs passed"
            frames_s.append(time.perf_counter() - t0)
            active_s.append(active_at)
            print(f"add_subports x{count}: ACTIVE after {active_at:.2f}s, all {count} VLANs passed after "
                  f"{frames_s[-1]:.2f}s")
            r = api.put(f"/v2.0/trunks/{trunk['id']}/remove_subports",
                        {"sub_ports": [{"port_id": s["id"]} for s in subs]})
            assert r.status_code == 200, r.text
            wait_status(api, trunk["id"], "ACTIVE", timeout=60)
            wait_for("subports unwired", lambda: not [p for p in host.ports(trunk_bridge_name(trunk["id"]))
                                                      if p.startswith("spt-")], timeout=60)
        sock.close()
        print(f"median over {rounds} rounds: ACTIVE {statistics.median(active_s):.2f}s, "
              f"all VLANs passing {statistics.median(frames_s):.2f}s")


def _probes(host: OvsHost, count: int, undo: list[Any]) -> tuple[socket.socket, dict[str, int]]:
    """One namespace holding `count` veths (bp<i> on the host side); a raw socket on all of them."""
    probe_ns = f"bprobe-{uuid.uuid4().hex[:6]}"
    netns.create(probe_ns)
    undo.append(lambda: netns.remove(probe_ns))
    vlan_of_iface: dict[str, int] = {}
    with NetNS(host.name) as hns:
        for i in range(count):
            hns.link("add", ifname=f"bp{i}", kind="veth", peer={"ifname": f"pr{i}", "net_ns_fd": probe_ns})
            hns.link("set", index=hns.link_lookup(ifname=f"bp{i}")[0], state="up")
            vlan_of_iface[f"pr{i}"] = 101 + i
    with NetNS(probe_ns) as pns:
        for i in range(count):
            pns.link("set", index=pns.link_lookup(ifname=f"pr{i}")[0], state="up")
    netns.pushns(probe_ns)
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    finally:
        netns.popns()
    sock.setblocking(False)
    undo.append(sock.close)
    return sock, vlan_of_iface


def _until_all_pass(vm: Any, sock: socket.socket, vlan_of_iface: dict[str, int], count: int,
                    timeout: float = 60) -> int:
    passed: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(passed) < count and time.monotonic() < deadline:
        for vlan in range(101, 101 + count):
            if vlan not in passed:
                vm.send(f"bench-{vlan}", vlan)
        time.sleep(0.01)
        while True:
            try:
                data, addr = sock.recvfrom(65535)
            except BlockingIOError:
                break
            m = re.search(rb"bench-(\d+)", data)
            if m and vlan_of_iface.get(addr[0]) == int(m.group(1)):
                passed.add(int(m.group(1)))
    return len(passed)


def bench_plug(rounds: int, count: int, verbose: bool = False) -> None:
    from tests.dataplane.osvif import OsVif
    from tests.dataplane.test_osvif import bind, recreate_tap

    with tempfile.TemporaryDirectory() as tmp, cleanup() as undo:
        server, api, host, agent = _start(Path(tmp), undo)
        undo.append(lambda: print(agent.log.read_text()[-3000:]) if verbose else None)
        osvif = OsVif(host.name, host.db)
        undo.append(osvif.close)
        parent = api.port(network_id=api.network()["id"])
        nets = _bulk(api, "networks", "network", [{"name": f"n{i}"} for i in range(count)])
        subs = _bulk(api, "ports", "port", [{"network_id": n["id"], "mac_address": parent["mac_address"]}
                                            for n in nets])
        probes = _bulk(api, "ports", "port", [{"network_id": n["id"]} for n in nets])
        trunk = api.trunk(port_id=parent["id"], sub_ports=[
            {"port_id": s["id"], "segmentation_type": "vlan", "segmentation_id": 101 + i} for i, s in enumerate(subs)])
        topo = Topology()
        undo.append(topo.close)
        vm = topo.endpoint(host, parent["mac_address"])
        sock, vlan_of_iface = _probes(host, count, undo)
        with host.switch() as switch:
            client = ServerApi(server.url)
            for i, p in enumerate(probes):
                plug(client, switch, p["id"], f"bp{i}", host.name)
        bound = bind(api, parent["id"], host.name)
        tbr = trunk_bridge_name(trunk["id"])
        wait_for("probes tagged", lambda: all(host.vsctl("get", "Port", f"bp{i}", "tag") not in ("[]", "4095")
                                               for i in range(0, count, 10)), timeout=60)
        took = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            osvif.plug(bound, vm.tap, tbr)
            plugged = time.perf_counter() - t0
            n = _until_all_pass(vm, sock, vlan_of_iface, count)
            took.append(time.perf_counter() - t0)
            assert n == count, f"only {n} VLANs passed"
            wait_status(api, trunk["id"], "ACTIVE", timeout=60)
            print(f"os-vif plug ({plugged:.2f}s in os-vif) -> all {count} VLANs passed after {took[-1]:.2f}s")
            osvif.unplug(bound, vm.tap, tbr)  # deletes the tap and the trunk bridge: a hard reboot
            wait_status(api, trunk["id"], "DOWN", timeout=60)
            recreate_tap(host, vm)
        print(f"median over {rounds} rounds: os-vif plug -> all VLANs passing {statistics.median(took):.2f}s")


def bench_restart(trunks: int, subports: int, verbose: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp, cleanup() as undo:
        _server, api, host, agent = _start(Path(tmp), undo)
        undo.append(lambda: print(agent.log.read_text()[-4000:]) if verbose else None)
        parent_net = api.network()["id"]
        nets = [api.network()["id"] for _ in range(subports)]
        parents = _bulk(api, "ports", "port", [{"network_id": parent_net} for _ in range(trunks)])
        subs = _bulk(api, "ports", "port", [{"network_id": nets[j]} for _ in range(trunks) for j in range(subports)])
        made = _bulk(api, "trunks", "trunk", [
            {"port_id": p["id"], "sub_ports": [
                {"port_id": subs[i * subports + j]["id"], "segmentation_type": "vlan", "segmentation_id": 101 + j}
                for j in range(subports)]}
            for i, p in enumerate(parents)])
        # each instance's interface on its trunk bridge, as os-vif plugs it (an internal port: no veth needed)
        args: list[str] = []
        for i, (p, t) in enumerate(zip(parents, made, strict=True)):
            tbr = trunk_bridge_name(t["id"])
            args += ["--", "--may-exist", "add-br", tbr, "--", "set", "Bridge", tbr, "datapath_type=netdev",
                     "--", "add-port", tbr, f"bv{i}", "--", "set", "Interface", f"bv{i}", "type=internal",
                     f"external_ids:iface-id={p['id']}", f"external_ids:attached-mac={p['mac_address']}"]
        host.vsctl(*args)
        t0 = time.perf_counter()
        for p in parents:
            r = api.put(f"/v2.0/ports/{p['id']}", {"port": {"binding:host_id": host.name}})
            assert r.status_code == 200, r.text

        def all_active() -> bool:
            listed = api.get("/v2.0/trunks", params={"fields": ["id", "status"]}).json()["trunks"]
            return sum(t["status"] == "ACTIVE" for t in listed) == len(made)

        wait_for("all trunks ACTIVE", all_active, timeout=300, every=0.2)
        first = time.perf_counter() - t0
        before = host.vsctl("--format=csv", "--columns=_uuid,name", "list", "Port")
        print(f"first wiring of {trunks} trunks x {subports} subports: {first:.2f}s "
              f"({len(before.splitlines()) - 1} OVS ports)")
        for _ in range(3):
            agent.kill()
            agent.log.write_text("")
            started = time.perf_counter()
            agent.start()
            line = wait_for("first full pass", lambda: re.search(
                r"full pass: (\d+) OVS changes, (\d+) trunks reported in ([\d.]+)s", agent.log.read_text()),
                timeout=120, every=0.05)
            total = time.perf_counter() - started
            synced = re.search(r"OVSDB \S+ synced in ([\d.]+)s", agent.log.read_text())
            after = host.vsctl("--format=csv", "--columns=_uuid,name", "list", "Port")
            print(f"restart: process start -> full pass done {total:.2f}s (OVSDB sync "
                  f"{synced.group(1) if synced else '?'}s, the pass itself {line.group(3)}s), "
                  f"{line.group(1)} OVS changes, {line.group(2)} trunks re-reported, "
                  f"OVS ports untouched: {before == after}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="which", required=True)
    a = sub.add_parser("add")
    a.add_argument("--rounds", type=int, default=3)
    a.add_argument("--count", type=int, default=100)
    a.add_argument("--verbose", action="store_true", help="print the end of the agent's log")
    o = sub.add_parser("plug")
    o.add_argument("--rounds", type=int, default=3)
    o.add_argument("--count", type=int, default=100)
    o.add_argument("--verbose", action="store_true", help="print the end of the agent's log")
    r = sub.add_parser("restart")
    r.add_argument("--trunks", type=int, default=100)
    r.add_argument("--subports", type=int, default=10)
    r.add_argument("--verbose", action="store_true", help="print the end of the agent's log")
    args = p.parse_args()
    if args.which == "add":
        bench_add(args.rounds, args.count, args.verbose)
    elif args.which == "plug":
        bench_plug(args.rounds, args.count, args.verbose)
    else:
        bench_restart(args.trunks, args.subports, args.verbose)


if __name__ == "__main__":
    main()
