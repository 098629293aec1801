"""The tunnel underlay a userspace (netdev) Open vSwitch needs, built by the agent.

With the userspace datapath, VXLAN leaves through a bridge: the underlay NIC is a port of a netdev
bridge (`br-phy`) and the tunnel IP sits on that bridge's internal port, where vswitchd finds its
route (DESIGN.md §5; the OVS-DPDK set-up devstack documents). With `--tunnel-bridge-port IFACE` the
agent makes the bridge (through the layout), then moves `--local-ip` from IFACE to the bridge's
internal port, in the network namespace vswitchd runs in. Doing it again changes nothing.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute, NetNS

log = logging.getLogger(__name__)

DEFAULT_BRIDGE = "br-phy"
DEFAULT_RUNDIR = "/var/run/openvswitch"


def vswitchd_netns(rundir: str | None) -> str | None:
    """The netns path of ovs-vswitchd (from its pidfile), or None when it is ours or unknown."""
    pidfile = Path(rundir or DEFAULT_RUNDIR) / "ovs-vswitchd.pid"
    try:
        path = f"/proc/{int(pidfile.read_text().strip())}/ns/net"
        if os.stat(path).st_ino == os.stat("/proc/self/ns/net").st_ino:
            return None
    except (OSError, ValueError):
        return None
    return path


def _addresses(nl: Any, index: int) -> dict[str, int]:
    return {a.get_attr("IFA_ADDRESS"): a["prefixlen"] for a in nl.get_addr(index=index)}


class Underlay:
    """Moves the tunnel IP from the underlay NIC to the tunnel bridge's internal port."""

    def __init__(self, bridge: str, iface: str, local_ip: str, rundir: str | None = None) -> None:
        self.bridge = bridge
        self.iface = iface
        self.local_ip = str(ipaddress.ip_address(local_ip))
        self.rundir = rundir
        self.done = False

    def ensure(self, bridge_made: bool = False) -> None:
        """Idempotent; once the address is on the bridge, only a bridge made again is looked at."""
        if self.done and not bridge_made:
            return
        path = vswitchd_netns(self.rundir)
        with NetNS(path, flags=0) if path else IPRoute() as nl:
            bridge, iface = nl.link_lookup(ifname=self.bridge), nl.link_lookup(ifname=self.iface)
            if not bridge or not iface:  # the bridge comes with the first pass's transaction
                return
            for index in (iface[0], bridge[0]):
                nl.link("set", index=index, state="up")
            if self.local_ip in _addresses(nl, bridge[0]):
                self.done = True
                return
            prefix = _addresses(nl, iface[0]).get(self.local_ip)
            if prefix is None:
                log.warning("tunnel IP %s is on neither %s nor %s: put it on %s", self.local_ip, self.iface,
                            self.bridge, self.bridge)
                return
            nl.addr("del", index=iface[0], address=self.local_ip, prefixlen=prefix)
            nl.addr("add", index=bridge[0], address=self.local_ip, prefixlen=prefix)
            log.info("tunnel IP %s/%d moved from %s to %s", self.local_ip, prefix, self.iface, self.bridge)
            self.done = True
