"""OVN test rig: a central (NB and SB ovsdb-servers, ovn-northd) in a temp dir, and chassis.

The central runs in the root network namespace: its databases listen on unix sockets (reachable from
every namespace, they are files) and on a 127.0.0.1 TCP port each. A chassis is an `OvsHost` (a netns
with its own ovsdb-server and ovs-vswitchd, userspace datapath) that also runs ovn-controller with its
own OVN_RUNDIR; its geneve endpoint IP sits on the internal port of a netdev `br-phy` whose port is a
veth to the other chassis (DESIGN.md §5: how userspace tunnels find their route). Everything is killed
and removed on stop, even after a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pyroute2 import NetNS

from tests.dataplane.support import Endpoint, OvsHost, Topology, _in_netns, cleanup, tag, underlay, wait_for
from tests.support import IN_CI, free_port

NB_SCHEMA = Path("/usr/share/ovn/ovn-nb.ovsschema")
SB_SCHEMA = Path("/usr/share/ovn/ovn-sb.ovsschema")
BINARIES = ("ovsdb-server", "ovsdb-tool", "ovs-vswitchd", "ovs-vsctl", "ovn-northd", "ovn-controller", "ovn-nbctl",
            "ovn-sbctl")
# Geneve over a 1500-byte underlay: the tenant MTU (as Neutron's ML2/OVN computes for geneve, IPv4).
GENEVE_MTU = 1442


def require_ovn() -> None:
    """OVN must be there: fail in CI and elsewhere alike when missing (scripts/ensure-ovn.sh installs it);
    only a non-root run (no network namespaces) may skip outside CI."""
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    missing = [b for b in BINARIES if shutil.which(b, path=path) is None]
    missing += [str(s) for s in (NB_SCHEMA, SB_SCHEMA) if not s.exists()]
    if missing:
        pytest.fail(f"OVN missing: {missing} (run scripts/ensure-ovn.sh)")
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("OVN tests need root (network namespaces)")
        pytest.skip("OVN tests need root (network namespaces)")


def _kill_pidfile(pidfile: Path) -> None:
    with suppress(FileNotFoundError, ProcessLookupError, ValueError):
        os.kill(int(pidfile.read_text()), signal.SIGKILL)


def _wait_dead(pidfile: Path, timeout: float = 10.0) -> None:
    """Wait until the process of `pidfile` is gone (a killed daemon's pidfile stays behind)."""
    try:
        pid = int(pidfile.read_text())
    except (FileNotFoundError, ValueError):
        return

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a zombie (a detached daemon is reaped by init, usually at once) counts as gone
        with suppress(OSError):
            return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
        return True

    wait_for(f"pid {pid} gone", gone, timeout)


def _decode(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2 and value[0] in ("set", "map", "uuid", "named-uuid"):
        kind, inner = value
        if kind == "set":
            return [_decode(v) for v in inner]
        if kind == "map":
            return {_decode(k): _decode(v) for k, v in inner}
        return inner
    return value


def _run(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 30) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    if out.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip()}")
    return out.stdout.strip()


@dataclass
class OvnCentral:
    """NB and SB ovsdb-servers and ovn-northd, all files under `workdir`."""

    workdir: Path
    nb_port: int = 0
    sb_port: int = 0
    started: bool = False

    # -- where things are ------------------------------------------------------------------------
    @property
    def nb_sock(self) -> Path:
        return self.workdir / "nb.sock"

    @property
    def sb_sock(self) -> Path:
        return self.workdir / "sb.sock"

    @property
    def nb(self) -> str:
        """The NB connection string (unix socket), as --ovn-nb-connection takes it."""
        return f"unix:{self.nb_sock}"

    @property
    def sb(self) -> str:
        return f"unix:{self.sb_sock}"

    @property
    def nb_tcp(self) -> str:
        return f"tcp:127.0.0.1:{self.nb_port}"

    @property
    def sb_tcp(self) -> str:
        return f"tcp:127.0.0.1:{self.sb_port}"

    def env(self) -> dict[str, str]:
        d = str(self.workdir)
        return {**os.environ, "OVN_RUNDIR": d, "OVS_RUNDIR": d, "OVN_LOGDIR": d, "OVS_LOGDIR": d,
                "OVN_DBDIR": d, "OVS_DBDIR": d}

    def pidfile(self, name: str) -> Path:
        return self.workdir / f"{name}.pid"

    # -- life cycle ------------------------------------------------------------------------------
    def start(self) -> OvnCentral:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.started = True
        self.nb_port, self.sb_port = free_port(), free_port()
        for db, schema, sock, port in (("nb", NB_SCHEMA, self.nb_sock, self.nb_port),
                                       ("sb", SB_SCHEMA, self.sb_sock, self.sb_port)):
            dbfile = self.workdir / f"ovn{db}_db.db"
            _run(["ovsdb-tool", "create", str(dbfile), str(schema)])
            self._daemon(f"ovsdb-server-{db}", ["ovsdb-server", str(dbfile), f"--remote=punix:{sock}",
                                                f"--remote=ptcp:{port}:127.0.0.1",
                                                f"--unixctl={self.workdir / f'ovsdb-server-{db}.ctl'}"])
        self.nbctl("init")
        self.sbctl("init")
        self.start_northd()
        return self

    def _daemon(self, name: str, cmd: list[str]) -> None:
        # stdio redirected: `--detach` waits for the daemon to be ready, not for our pipes
        subprocess.run([*cmd, "--detach", "--no-chdir", f"--pidfile={self.pidfile(name)}",
                        f"--log-file={self.workdir / name}.log"], check=True, env=self.env(),
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)

    def start_northd(self) -> None:
        self._daemon("ovn-northd", ["ovn-northd", f"--ovnnb-db={self.nb}", f"--ovnsb-db={self.sb}"])
        wait_for("ovn-northd active", lambda: "active" in self.northd_status(), timeout=60)

    def northd_status(self) -> str:
        ctl = next(self.workdir.glob(f"ovn-northd.{self.northd_pid()}.ctl"), None)
        if ctl is None:
            return ""
        out = subprocess.run(["ovn-appctl", "-t", str(ctl), "status"], capture_output=True, text=True, timeout=10,
                             check=False)
        return out.stdout

    def northd_pid(self) -> int:
        try:
            return int(self.pidfile("ovn-northd").read_text())
        except (FileNotFoundError, ValueError):
            return 0

    def kill_northd(self) -> None:
        """kill -9 of ovn-northd (NB changes stop reaching SB until it is started again)."""
        pidfile = self.pidfile("ovn-northd")
        _kill_pidfile(pidfile)
        _wait_dead(pidfile)
        pidfile.unlink(missing_ok=True)

    def restart_northd(self) -> None:
        self.kill_northd()
        self.start_northd()

    def stop(self) -> None:
        if not self.started:
            return
        for name in ("ovn-northd", "ovsdb-server-sb", "ovsdb-server-nb"):
            _kill_pidfile(self.pidfile(name))
        self.started = False

    # -- databases -------------------------------------------------------------------------------
    def nbctl(self, *args: str, wait: str | None = None) -> str:
        """ovn-nbctl against this NB; `wait="hv"` waits until every chassis has the change in its flows."""
        extra = [f"--wait={wait}"] if wait else []
        return _run(["ovn-nbctl", f"--db={self.nb}", "--timeout=30", *extra, *args], env=self.env(), timeout=40)

    def sbctl(self, *args: str) -> str:
        return _run(["ovn-sbctl", f"--db={self.sb}", "--timeout=30", *args], env=self.env(), timeout=40)

    def sync(self) -> None:
        """Wait until every chassis has caught up with everything written to NB so far."""
        self.nbctl("sync", wait="hv")

    def lsp_up(self, lsp: str) -> bool:
        return self.nbctl("--if-exists", "get", "Logical_Switch_Port", lsp, "up") == "true"

    def chassis_names(self) -> list[str]:
        return self.sbctl("--bare", "--columns=name", "list", "Chassis").split()

    def binding_chassis(self, lsp: str) -> str | None:
        """The name of the chassis the SB Port_Binding of `lsp` is bound to (None if unbound or no binding)."""
        uuid = self.sbctl("--bare", "--columns=chassis", "find", "Port_Binding", f"logical_port={lsp}")
        if not uuid:
            return None
        return self.sbctl("--bare", "--columns=name", "list", "Chassis", uuid) or None

    def table(self, table: str, *columns: str, db: str = "nb") -> list[dict[str, Any]]:
        """Every row of an NB (or SB) table as a dict of `columns` (all without), decoded from OVSDB's JSON:
        a set becomes a list, a map a dict, a uuid its string."""
        ctl = self.nbctl if db == "nb" else self.sbctl
        cols = [f"--columns={','.join(columns)}"] if columns else []
        doc = json.loads(ctl("--format=json", *cols, "list", table))
        return [{h: _decode(v) for h, v in zip(doc["headings"], row, strict=True)} for row in doc["data"]]

    def rows(self, table: str, *conditions: str) -> list[str]:
        """The _uuid of each NB row of `table` matching `conditions` (ovn-nbctl find syntax)."""
        return self.nbctl("--bare", "--columns=_uuid", "find", table, *conditions).split()


@dataclass
class OvnChassis(OvsHost):
    """A hypervisor running ovn-controller: an OvsHost whose Open_vSwitch row points at the central's SB."""

    central: OvnCentral | None = None
    encap_ip: str = "192.0.2.250"
    controller: bool = False
    plugged: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {**super().env(), "OVN_RUNDIR": str(self.rundir), "OVN_LOGDIR": str(self.rundir),
                "OVN_DBDIR": str(self.rundir)}

    def start(self) -> OvnChassis:
        super().start()
        assert self.central is not None
        self.vsctl("set", "Open_vSwitch", ".",
                   f"external_ids:system-id={self.name}", f"external_ids:hostname={self.name}",
                   f"external_ids:ovn-remote={self.central.sb}", "external_ids:ovn-encap-type=geneve",
                   f"external_ids:ovn-encap-ip={self.encap_ip}", "external_ids:ovn-bridge-datapath-type=netdev")
        self.start_controller()
        wait_for(f"br-int on {self.name}", lambda: "br-int" in self.bridges(), timeout=60)
        return self

    @property
    def controller_pidfile(self) -> Path:
        return self.rundir / "ovn-controller.pid"

    def start_controller(self) -> None:
        assert self.central is not None
        # 23.03's ovn-controller rejects --unixctl: its control socket goes to OVN_RUNDIR
        subprocess.run(["ovn-controller", self.db, "--detach", "--no-chdir", f"--pidfile={self.controller_pidfile}",
                        f"--log-file={self.rundir / 'ovn-controller.log'}"], check=True, env=self.env(),
                       preexec_fn=_in_netns(self.name), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
        self.controller = True
        central = self.central
        wait_for(f"chassis {self.name} in SB", lambda: self.name in central.chassis_names(), timeout=60)

    def kill_controller(self) -> None:
        """kill -9 of ovn-controller: its Chassis row and bindings stay in SB, the flows stay in OVS."""
        _kill_pidfile(self.controller_pidfile)
        _wait_dead(self.controller_pidfile)
        self.controller_pidfile.unlink(missing_ok=True)
        self.controller = False

    def restart_controller(self) -> None:
        self.kill_controller()
        self.start_controller()

    def plug(self, tap: str, iface_id: str, mac: str | None = None) -> None:
        """Plug an instance's interface into br-int as Nova/os-vif does for OVN: iface-id = the port (LSP)."""
        cols = [f"external_ids:iface-id={iface_id}", "external_ids:iface-status=active"]
        if mac:
            cols.append(f"external_ids:attached-mac={mac}")
        self.vsctl("--may-exist", "add-port", "br-int", tap, "--", "set", "Interface", tap, *cols)
        self.plugged.append(tap)

    def appctl(self, target: str, *args: str) -> str:
        """ovs-appctl to one of this chassis' OVS daemons (ovsdb-server, ovs-vswitchd)."""
        return _run(["ovs-appctl", "-t", str(self.rundir / f"{target}.ctl"), *args], env=self.env())

    def controller_appctl(self, *args: str) -> str:
        """ovn-appctl to this chassis' ovn-controller (its socket is ovn-controller.<pid>.ctl in OVN_RUNDIR)."""
        pid = int(self.controller_pidfile.read_text())
        return _run(["ovn-appctl", "-t", str(self.rundir / f"ovn-controller.{pid}.ctl"), *args], env=self.env())

    def unplug(self, tap: str) -> None:
        self.vsctl("--if-exists", "del-port", "br-int", tap)

    def stop(self) -> None:
        if self.controller:
            _kill_pidfile(self.controller_pidfile)
            self.controller = False
        super().stop()


def geneve_underlay(c1: OvnChassis, c2: OvnChassis, ends: tuple[str, str], prefix: int = 24) -> None:
    """Give each chassis a netdev `br-phy` holding the veth end `ends[i]`, with the encap IP on br-phy's internal
    port (the veth and its IPs as tests.dataplane.support.underlay makes them), then resolve the peers once so
    the first tunnelled frame is not lost to ARP."""
    for host, end in ((c1, ends[0]), (c2, ends[1])):
        host.vsctl("--may-exist", "add-br", "br-phy", "--", "set", "Bridge", "br-phy", "datapath_type=netdev",
                   "--", "--may-exist", "add-port", "br-phy", end)
        with NetNS(host.name) as ns:
            end_idx = ns.link_lookup(ifname=end)[0]
            wait_for(f"br-phy on {host.name}", lambda ns=ns: ns.link_lookup(ifname="br-phy"), timeout=10)
            br = ns.link_lookup(ifname="br-phy")[0]
            for a in ns.get_addr(index=end_idx):
                ns.addr("del", index=end_idx, address=a.get_attr("IFA_ADDRESS"), prefixlen=a["prefixlen"])
            ns.link("set", index=br, state="up")
            ns.addr("add", index=br, address=host.encap_ip, prefixlen=prefix)
    macs = {}
    for host in (c1, c2):
        with NetNS(host.name) as ns:
            macs[host.name] = ns.get_links(ns.link_lookup(ifname="br-phy")[0])[0].get_attr("IFLA_ADDRESS")
    for host, peer in ((c1, c2), (c2, c1)):  # no ARP round for the first tunnelled frame
        host.appctl("ovs-vswitchd", "tnl/neigh/set", "br-phy", peer.encap_ip, macs[peer.name])




@dataclass
class Rig:
    """One central, its chassis (joined by a geneve underlay when there are two) and the test's namespaces."""

    workdir: Path
    central: OvnCentral
    chassis: list[OvnChassis]
    topo: Topology

    def endpoint(self, chassis: OvnChassis, iface_id: str, mac: str, ip: str = "192.0.2.1") -> Endpoint:
        """A namespace whose `eth0` is plugged into the chassis' br-int with iface-id = `iface_id` (an LSP name);
        its frames come from `ip`."""
        ep = self.topo.endpoint(chassis, mac, mtu=GENEVE_MTU, ip=ip)
        chassis.plug(ep.tap, iface_id, mac)
        return ep


ENCAP_IPS = ("10.251.0.1", "10.251.0.2")


@contextmanager
def ovn_rig(workdir: Path, chassis: int = 2) -> Iterator[Rig]:
    """Start a central and `chassis` chassis (1 or 2); stop and remove everything on exit, whatever happens."""
    require_ovn()
    with cleanup() as undo:
        central = OvnCentral(workdir / "central")
        undo.append(central.stop)
        central.start()
        hosts: list[OvnChassis] = []
        for i in range(chassis):
            host = OvnChassis(f"ovnch{i + 1}-{tag()}", workdir / f"ch{i + 1}", central=central,
                              encap_ip=ENCAP_IPS[i])
            undo.append(host.stop)
            hosts.append(host)
        for host in hosts:
            host.start()
        if chassis == 2:
            geneve_underlay(hosts[0], hosts[1], underlay(hosts[0], hosts[1], *ENCAP_IPS))
            for host, peer in ((hosts[0], hosts[1]), (hosts[1], hosts[0])):
                wait_for(f"geneve tunnel {host.name} -> {peer.name}", lambda host=host, peer=peer: any(
                    p.startswith("ovn-") for p in host.ports("br-int")), timeout=60)
        topo = Topology()
        undo.append(topo.close)
        yield Rig(workdir, central, hosts, topo)
