"""The agent's firewall at scale against a real userspace Open vSwitch (root; OVS from scripts/ensure-ovs.sh).

    .venv/bin/python -m benchmarks.bench_firewall --ports 1000 --rounds 3

Real server (SQLite), real `trunkd agent --firewall-driver openvswitch`, one host. One group with 100 rules
(the project's rule quota raised: the two egress rules a new group starts with, 97 ingress TCP ports and one
ingress rule whose remote group is the group itself, so the remote group has every port as a member) on N
ports bound to the host, each an OVS internal port on br-int with its iface-id (as a hypervisor plugs a tap).

Reported:
- first wiring: the N ports plugged -> every one classified into the firewall (its table-0 flow in place);
- rule change, per round: DELETE of a rule answered -> its flow gone from br-int, then POST of the same rule
  answered -> its flow in place. Rules sit once per group (trunkd.agent.firewall), so that one flow is the
  rule's presence on every port of the group;
- restart: agent killed (-9) and started with the flows in place -> first full pass done, flows rewritten
  (0 = no gap for any correct flow); then with br-int's table emptied -> every port filtered again.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tests.dataplane.support import LONE_IP, AgentProc, OvsHost, cleanup, wait_for
from tests.support import Api, Server

CLASSIFIED = re.compile(r"priority=10,in_port=\S+ actions=load:\S+resubmit\(,71\)")


def _bulk(api: Api, collection: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    key = collection.replace("-", "_")
    for i in range(0, len(items), 200):
        r = api.post(f"/v2.0/{collection}", {key: items[i:i + 200]})
        assert r.status_code == 201, r.text
        out += r.json()[key]
    return out


def _flows(host: OvsHost, table: int) -> str:
    return host.ofctl("dump-flows", "br-int", f"table={table}")


def _classified(host: OvsHost) -> int:
    return len(CLASSIFIED.findall(_flows(host, 0)))


def _plug(host: OvsHost, ports: list[dict[str, Any]]) -> None:
    """Internal ports on br-int with each port's iface-id, 200 per ovs-vsctl call."""
    for i in range(0, len(ports), 200):
        args: list[str] = []
        for p in ports[i:i + 200]:
            name = "fw" + p["id"][:11]
            args += ["--", "add-port", "br-int", name, "--", "set", "Interface", name, "type=internal",
                     f"external_ids:iface-id={p['id']}", f"external_ids:attached-mac={p['mac_address']}"]
        host.vsctl(*args)


def _settled(api: Api, workdir: Path, host: str) -> None:
    """Wait until the agent has handled every event so far (both its cursors at the feed's head): the rule
    changes are then measured on an agent at rest, not behind the burst of the ports' creation."""
    latest = int(api.get("/v2.0/events", params={"after": 2**62, "limit": 1}).json()["latest"])

    def cursor(name: str) -> int:
        path = workdir / f"{name}-{host}.json"
        return int(json.loads(path.read_text())["after"]) if path.exists() else 0

    wait_for("the agent caught up with the feed",
             lambda: min(cursor("cursor"), cursor("security-cursor")) >= latest, timeout=600, every=0.5)


def _timed(what: str, check: Any, timeout: float = 120.0) -> float:
    began = time.monotonic()
    wait_for(what, check, timeout=timeout, every=0.02)
    return time.monotonic() - began


def run(count: int, rounds: int, verbose: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp, cleanup() as undo:
        workdir = Path(tmp)
        server = Server(database=f"sqlite:///{workdir / 'trunkd.db'}", workdir=workdir).start()
        undo.append(lambda: server.stop(kill=True))
        host = OvsHost(f"bf-{uuid.uuid4().hex[:6]}", workdir / "h")
        undo.append(host.stop)
        host.start()
        agent = AgentProc(host, server.url, workdir, local_ip=LONE_IP, firewall="openvswitch",
                          resync_interval=3600).start()
        undo.append(agent.stop)
        api = Api(server.url)
        wait_for("agent", lambda: api.get("/v2.0/agents", params={"host": host.name}).json()["agents"])
        wait_for("br-int", lambda: "br-int" in host.bridges(), timeout=30)
        net = api.network(name="fw-bench")
        api.subnet(net["id"], cidr="10.40.0.0/20", gateway_ip=None)
        group = api.post("/v2.0/security-groups", {"security_group": {"name": "web"}}).json()["security_group"]
        # Neutron's default quota (100 rules per project, 4 of them in the project's default group) raised
        r = api.put(f"/v2.0/quotas/{group['project_id']}", {"quota": {"security_group_rule": 1000}})
        assert r.status_code == 200, r.text
        rules = [{"security_group_id": group["id"], "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
                  "port_range_min": 1000 + i, "port_range_max": 1000 + i} for i in range(97)]
        rules.append({"security_group_id": group["id"], "direction": "ingress", "ethertype": "IPv4",
                      "protocol": "tcp", "port_range_min": 80, "port_range_max": 80, "remote_group_id": group["id"]})
        made = _bulk(api, "security-group-rules", rules)
        total = len(api.get("/v2.0/security-group-rules", params={"security_group_id": group["id"]})
                    .json()["security_group_rules"])
        ports = _bulk(api, "ports", [{"network_id": net["id"], "security_groups": [group["id"]],
                                      "binding:host_id": host.name, "device_owner": "compute:nova"}
                                     for _ in range(count)])
        began = time.monotonic()
        _plug(host, ports)
        wait_for("every port filtered", lambda: _classified(host) >= count, timeout=600, every=0.5)
        first = time.monotonic() - began
        _settled(api, workdir, host.name)
        members = _flows(host, 84).count("conjunction(") - 1
        print(f"{count} ports, one group of {total} rules (remote group: {members} member address flows); "
              f"{len(host.ofctl('dump-flows', 'br-int').splitlines()) - 1} flows on br-int")
        print(f"first wiring: {count} ports plugged -> all filtered in {first:.2f}s")

        victim = made[0]
        match = f"tp_dst={victim['port_range_min']} "
        gone, back = [], []
        for _ in range(rounds):
            r = api.delete(f"/v2.0/security-group-rules/{victim['id']}")
            assert r.status_code == 204, r.text
            gone.append(_timed("rule flow gone", lambda: match not in _flows(host, 84)))
            r = api.post("/v2.0/security-group-rules", {"security_group_rule": {
                k: victim[k] for k in ("security_group_id", "direction", "ethertype", "protocol",
                                       "port_range_min", "port_range_max")}})
            assert r.status_code == 201, r.text
            victim = r.json()["security_group_rule"]
            back.append(_timed("rule flow in place", lambda: match in _flows(host, 84)))
        if verbose:
            print("\n".join(x for x in agent.log.read_text().splitlines() if "trunkd.agent [-]" in x)[-4000:])
        print("rule deleted -> flow gone on every port (s): " + " / ".join(f"{t:.3f}" for t in gone)
              + f"  median {statistics.median(gone):.3f}")
        print("rule added -> flow in place on every port (s): " + " / ".join(f"{t:.3f}" for t in back)
              + f"  median {statistics.median(back):.3f}")

        for emptied in (False, True):
            agent.kill()
            if emptied:
                host.ofctl("del-flows", "br-int")
            marker = len(agent.log.read_text())
            started = time.monotonic()
            agent.start()
            wait_for("the first full pass", lambda marker=marker: "full pass" in agent.log.read_text()[marker:],
                     timeout=600, every=0.2)
            took = time.monotonic() - started
            line = next(x for x in agent.log.read_text()[marker:].splitlines() if "full pass" in x)
            durations = [float(d) for d in re.findall(r"duration=([0-9.]+)s", host.ofctl("dump-flows", "br-int"))]
            rewritten = sum(1 for d in durations if d < took)
            if verbose:
                print("\n".join(x for x in host.ofctl("dump-flows", "br-int").splitlines()
                                if "duration=" in x and float(x.split("duration=")[1].split("s")[0]) < took)[:3000])
            print(f"restart {'with br-int emptied' if emptied else 'with flows in place'}: process start -> "
                  f"first full pass done {took:.2f}s, {_classified(host)}/{count} ports filtered, "
                  f"{rewritten} of {len(durations)} flows (re)written; {line.split('INFO trunkd.agent [-] ')[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ports", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--verbose", action="store_true", help="print the flows a restart rewrote")
    args = parser.parse_args()
    run(args.ports, args.rounds, args.verbose)


if __name__ == "__main__":
    main()
