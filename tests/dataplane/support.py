"""Data-plane test support: per-host Open vSwitch in its own netns, namespaces, agents, raw frames.

Each simulated host is a network namespace running its own ovsdb-server and ovs-vswitchd
(own database, sockets, pidfiles and OVS_RUNDIR). Instances and networks are namespaces joined
to a host by veth pairs made with pyroute2. Frames are sent and received with AF_PACKET sockets
(built and parsed with scapy); on receive the 802.1Q tag is read from PACKET_AUXDATA.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pyroute2 import IPRoute, NetNS, netns
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Dot1Q, Ether
from scapy.packet import Raw

from tests.support import IN_CI, REPO, Api
from trunkd.agent.ovs import OvsSwitch

SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
ETH_P_ALL = 0x0003
BROADCAST = "ff:ff:ff:ff:ff:ff"
# A lone host's tunnel endpoint: an agent reaches VXLAN networks only with a tunnel IP (tunnel_types), as
# Neutron's; with no peer there is no vxlan port, so nothing leaves the host.
LONE_IP = "192.0.2.250"


def require_ovs() -> None:
    """OVS binaries must be there: fail in CI (scripts/ensure-ovs.sh installs them), skip elsewhere."""
    missing = [b for b in ("ovsdb-server", "ovs-vswitchd", "ovsdb-tool", "ovs-ofctl")
               if shutil.which(b, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None]
    problem = f"Open vSwitch binaries missing: {missing}" if missing else (
        "" if os.geteuid() == 0 else "data-plane tests need root (network namespaces)")
    if problem:
        if IN_CI:
            pytest.fail(problem + " (scripts/ensure-ovs.sh should have installed them)")
        pytest.skip(problem)


def tag() -> str:
    return uuid.uuid4().hex[:6]


def wait_for(what: str, check: Callable[[], Any], timeout: float = 20.0, every: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def _in_netns(name: str) -> Callable[[], None]:
    return lambda: netns.setns(name)


@dataclass
class OvsHost:
    """One hypervisor: a netns with its own ovsdb-server and ovs-vswitchd."""

    name: str
    workdir: Path
    procs: list[str] = field(default_factory=list)

    @property
    def rundir(self) -> Path:
        return self.workdir / "run"

    @property
    def db(self) -> str:
        return f"unix:{self.rundir / 'db.sock'}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "OVS_RUNDIR": str(self.rundir), "OVS_DBDIR": str(self.rundir),
                "OVS_LOGDIR": str(self.rundir)}

    def start(self) -> OvsHost:
        netns.create(self.name)
        with NetNS(self.name) as ns:
            ns.link("set", index=ns.link_lookup(ifname="lo")[0], state="up")
        self.rundir.mkdir(parents=True, exist_ok=True)
        run = self.rundir
        subprocess.run(["ovsdb-tool", "create", str(run / "conf.db"), str(SCHEMA)], check=True)
        common = ["--detach", "--no-chdir"]
        self._daemon("ovsdb-server", [str(run / "conf.db"), f"--remote=punix:{run / 'db.sock'}", *common])
        subprocess.run(["ovs-vsctl", f"--db={self.db}", "--no-wait", "init"], check=True, env=self.env(),
                       timeout=20)
        self._daemon("ovs-vswitchd", [self.db, *common])
        return self

    def _daemon(self, binary: str, args: list[str]) -> None:
        run = self.rundir
        cmd = [binary, *args, f"--pidfile={run / binary}.pid", f"--unixctl={run / binary}.ctl",
               f"--log-file={run / binary}.log"]
        # stdio redirected: `--detach` waits for the daemon to be ready, not for our pipes
        subprocess.run(cmd, check=True, env=self.env(), preexec_fn=_in_netns(self.name),
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        self.procs.append(binary)

    @contextmanager
    def switch(self) -> Iterator[OvsSwitch]:
        switch = OvsSwitch(self.db, str(self.rundir))
        try:
            yield switch
        finally:
            switch.close()

    def vsctl(self, *args: str) -> str:
        return subprocess.run(["ovs-vsctl", f"--db={self.db}", "--timeout=10", *args], check=True,
                              capture_output=True, text=True, env=self.env()).stdout.strip()

    def ofctl(self, *args: str) -> str:
        return subprocess.run(["ovs-ofctl", "-O", "OpenFlow13", *args], check=True, capture_output=True,
                              text=True, env=self.env()).stdout

    def ports(self, bridge: str) -> list[str]:
        """The bridge's ports ([] while the bridge does not exist)."""
        if bridge not in self.bridges():
            return []
        return self.vsctl("list-ports", bridge).split()

    def bridges(self) -> list[str]:
        return self.vsctl("list-br").split()

    def stop(self) -> None:
        """Kill the daemons (nothing of theirs outlives the namespace) and remove the namespace."""
        for binary in reversed(self.procs):
            with suppress(FileNotFoundError, ProcessLookupError, ValueError):
                os.kill(int((self.rundir / f"{binary}.pid").read_text()), signal.SIGKILL)
        self.procs.clear()
        with suppress(OSError):
            netns.remove(self.name)


@dataclass
class Endpoint:
    """A namespace with one interface `eth0` whose peer sits in a host's netns (the tap)."""

    ns: str
    tap: str
    mac: str
    sock: socket.socket | None = None
    ifname: str = "eth0"  # another name to listen on a wire's end inside a host's netns
    ip: str = "192.0.2.1"  # the source IP of its frames (a port's fixed IP where port security checks it)

    def open(self) -> Endpoint:
        netns.pushns(self.ns)
        try:
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            s.bind((self.ifname, 0))
        finally:
            netns.popns()
        s.setblocking(False)
        self.sock = s
        return self

    def send(self, marker: str, vlan: int | None = None, dst: str = BROADCAST, dst_ip: str = "192.0.2.2") -> None:
        frame = Ether(src=self.mac, dst=dst)
        if vlan is not None:
            frame = frame / Dot1Q(vlan=vlan)
        frame = frame / IP(src=self.ip, dst=dst_ip) / UDP(sport=4000, dport=4000) / Raw(marker.encode())
        assert self.sock is not None
        self.sock.send(bytes(frame))

    def drain(self) -> list[tuple[int | None, bytes]]:
        """Frames received so far: (VLAN id or None, frame bytes without the tag)."""
        assert self.sock is not None
        got: list[tuple[int | None, bytes]] = []
        while True:
            try:
                data, anc, _flags, addr = self.sock.recvmsg(65535, socket.CMSG_LEN(32))
            except BlockingIOError:
                return got
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            vlan: int | None = None
            for level, kind, raw in anc:
                if level == SOL_PACKET and kind == PACKET_AUXDATA:
                    status, _len, _snap, _mac, _net, tci, _tpid = struct.unpack("IIIHHHH", raw[:20])
                    if status & TP_STATUS_VLAN_VALID:
                        vlan = tci & 0x0FFF
            if vlan is None and len(data) >= 18 and data[12:14] == b"\x81\x00":  # tag left in the bytes
                vlan = int.from_bytes(data[14:16], "big") & 0x0FFF
                data = data[:12] + data[16:]
            got.append((vlan, data))

    def received(self, marker: str) -> list[int | None]:
        """VLAN of each received frame carrying `marker` (None = untagged)."""
        return [v for v, data in self.drain() if marker.encode() in data]


class Topology:
    """Namespaces and veths of one test module; everything removed on close, even after a failure."""

    def __init__(self) -> None:
        self.namespaces: list[str] = []
        self.endpoints: list[Endpoint] = []

    def endpoint(self, host: OvsHost, mac: str, mtu: int = 1500, ip: str = "192.0.2.1") -> Endpoint:
        name = f"tdns-{tag()}"
        tap = f"tap{tag()}"
        netns.create(name)
        self.namespaces.append(name)
        with NetNS(host.name) as hns:
            hns.link("add", ifname=tap, kind="veth", peer={"ifname": "eth0", "net_ns_fd": name})
            hns.link("set", index=hns.link_lookup(ifname=tap)[0], state="up", mtu=mtu)
        with NetNS(name) as ns:
            idx = ns.link_lookup(ifname="eth0")[0]
            ns.link("set", index=idx, state="up", address=mac, mtu=mtu)
            ns.link("set", index=ns.link_lookup(ifname="lo")[0], state="up")
        ep = Endpoint(name, tap, mac, ip=ip).open()
        self.endpoints.append(ep)
        return ep

    def close(self) -> None:
        for ep in self.endpoints:
            if ep.sock is not None:
                ep.sock.close()
        for name in self.namespaces:
            with suppress(OSError):
                netns.remove(name)


def underlay(h1: OvsHost, h2: OvsHost, ip1: str, ip2: str, prefix: int = 24) -> tuple[str, str]:
    """Join two hosts with a veth holding each host's tunnel IP, as a NIC would; the agents' --tunnel-bridge-port
    puts each end in a netdev `br-phy` and moves the IP to its internal port. Returns the two ends."""
    t = tag()
    ends = (f"ula{t}", f"ulb{t}")
    with IPRoute() as ip:
        ip.link("add", ifname=ends[0], kind="veth", peer={"ifname": ends[1], "net_ns_fd": h2.name})
        ip.link("set", index=ip.link_lookup(ifname=ends[0])[0], net_ns_fd=h1.name)
    for host, end, addr in ((h1, ends[0], ip1), (h2, ends[1], ip2)):
        with NetNS(host.name) as ns:
            idx = ns.link_lookup(ifname=end)[0]
            ns.link("set", index=idx, state="up")
            ns.addr("add", index=idx, address=addr, prefixlen=prefix)
    return ends


def wire(h1: OvsHost, h2: OvsHost, bridge: str) -> tuple[str, str]:
    """A "physical" L2 segment: a veth whose ends are ports of `bridge` on each host (made if missing)."""
    t = tag()
    ends = (f"wra{t}", f"wrb{t}")
    with IPRoute() as ip:
        ip.link("add", ifname=ends[0], kind="veth", peer={"ifname": ends[1], "net_ns_fd": h2.name})
        ip.link("set", index=ip.link_lookup(ifname=ends[0])[0], net_ns_fd=h1.name)
    for host, end in ((h1, ends[0]), (h2, ends[1])):
        wait_for(f"{bridge} on {host.name}", lambda host=host: bridge in host.bridges())
        host.vsctl("add-port", bridge, end)
        with NetNS(host.name) as ns:
            ns.link("set", index=ns.link_lookup(ifname=end)[0], state="up")
    return ends


@dataclass
class AgentProc:
    """A `trunkd agent` subprocess for one OvsHost (runs in the root netns to reach the server)."""

    host: OvsHost
    server_url: str
    workdir: Path
    local_ip: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    resync_interval: float = 30.0
    extra: tuple[str, ...] = ()  # more agent flags, e.g. ("--bridge-mappings", "physnet1:br-ex")
    # The wiring tests send raw frames from made-up addresses: they run the agent without a firewall;
    # tests/dataplane/test_security_groups.py runs it with "openvswitch" (the agent's default).
    firewall: str = "noop"

    @property
    def log(self) -> Path:
        return self.workdir / f"agent-{self.host.name}.log"

    def command(self, *extra: str) -> list[str]:
        cmd = [sys.executable, "-m", "trunkd.cli", "agent", "--host", self.host.name, "--server", self.server_url,
               "--ovsdb", self.host.db, "--ovs-rundir", str(self.host.rundir)]
        if self.local_ip:
            cmd += ["--local-ip", self.local_ip]
        return [*cmd, "--firewall-driver", self.firewall, *self.extra, *extra]

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(REPO)}

    def start(self) -> AgentProc:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                self.command("--state-dir", str(self.workdir), "--heartbeat-interval", "1",
                             "--resync-interval", str(self.resync_interval)),
                env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        return self

    def plug(self, port_id: str, iface: str) -> str:
        out = subprocess.run([*self.command(), "plug", port_id, iface], env=self.env(), capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def cleanup() -> Iterator[list[Callable[[], None]]]:
    """Run the registered undo steps in reverse, whatever happens."""
    undo: list[Callable[[], None]] = []
    try:
        yield undo
    finally:
        for step in reversed(undo):
            try:
                step()
            except Exception as exc:  # keep tearing down
                print(f"cleanup step failed: {exc}", file=sys.stderr)


def trunk_status(api: Api, trunk_id: str) -> str:
    r = api.get(f"/v2.0/trunks/{trunk_id}")
    assert r.status_code == 200, r.text
    return str(r.json()["trunk"]["status"])


def wait_status(api: Api, trunk_id: str, status: str, timeout: float = 30.0) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        trunk = api.get(f"/v2.0/trunks/{trunk_id}").json()["trunk"]
        return trunk if trunk["status"] == status else None

    return dict(wait_for(f"trunk {trunk_id} {status}", check, timeout))


def exchange(sender: Endpoint, receivers: list[Endpoint], vlan: int | None, window: float = 0.5,
             attempts: int = 3, expect: Endpoint | None = None, dst: str = BROADCAST,
             dst_ip: str = "192.0.2.2") -> dict[str, list[int | None]]:
    """Send one marked frame to `dst` (re-sent up to `attempts` times until `expect` hears it); what each receiver
    got."""
    for ep in receivers:
        ep.drain()
    heard: dict[str, list[int | None]] = {ep.ns: [] for ep in receivers}
    for _ in range(attempts):
        marker = f"trunkd-{tag()}"
        sender.send(marker, vlan, dst, dst_ip)
        time.sleep(window)
        for ep in receivers:
            heard[ep.ns] += ep.received(marker)
        if expect is None or heard[expect.ns]:
            break
    return heard
