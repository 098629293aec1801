"""The OVN trunk driver: trunks on ML2/OVN's data plane, written and watched by `trunkd ovn-sync`.

The server only binds (an OVN chassis is an "OVN Controller agent", see service/binding.py) and checks at
start-up that both OVN databases answer; ovn-sync does the rest through the public API.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass

from trunkd.drivers.base import TrunkDriver
from trunkd.drivers.builtin import OVN_AGENT_TYPE

PROBE_TIMEOUT = 3.0


def probe(connection: str, database: str, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None when the OVSDB server at `connection` (unix:PATH or tcp:HOST:PORT) serves `database`,
    else what is wrong. ssl: connections are not probed (they need the client's certificates)."""
    kind, _, where = connection.partition(":")
    try:
        if kind == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(where)
        elif kind == "tcp":
            host, _, port = where.rpartition(":")
            sock = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
        elif kind == "ssl":
            return None
        else:
            return f"{connection!r} is not unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT"
    except (OSError, ValueError) as exc:
        return f"{database} at {connection} unreachable ({exc})"
    with sock:
        try:
            sock.sendall(json.dumps({"method": "list_dbs", "params": [], "id": 0}).encode())
            buf = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return f"{database} at {connection} closed the connection"
                buf += chunk
                try:
                    answer = json.loads(buf)
                    break
                except ValueError:
                    continue
        except OSError as exc:
            return f"{database} at {connection} did not answer ({exc})"
    if database not in (answer.get("result") or []):
        return f"{connection} serves {answer.get('result')}, not {database}"
    return None


@dataclass(frozen=True)
class OvnDriver(TrunkDriver):
    nb_connection: str = "tcp:127.0.0.1:6641"
    sb_connection: str = "tcp:127.0.0.1:6642"

    def check_health(self) -> str | None:
        return probe(self.nb_connection, "OVN_Northbound") or probe(self.sb_connection, "OVN_Southbound")


def ovn(nb_connection: str = "tcp:127.0.0.1:6641", sb_connection: str = "tcp:127.0.0.1:6642") -> TrunkDriver:
    """Agent-based like ovs, its agents being the OVN chassis; VLAN subports as OVN container ports."""
    return OvnDriver(
        name="ovn",
        interfaces=frozenset({"ovs", "vhostuser"}),
        segmentation_types=frozenset({"vlan"}),
        agent_type=OVN_AGENT_TYPE,
        can_trunk_bound_port=True,
        nb_connection=nb_connection,
        sb_connection=sb_connection,
    )
