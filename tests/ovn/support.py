"""trunkd on the OVN rig: a `trunkd serve --drivers ovn` server and `trunkd ovn-sync` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.ovn.rig import OvnCentral
from tests.support import REPO, Server


def ovn_server(central: OvnCentral, workdir: Path) -> Server:
    """A trunkd server (SQLite) that binds ports to OVN chassis and checks both OVN databases at start-up."""
    return Server(database=f"sqlite:///{workdir / 'trunkd.db'}", workdir=workdir,
                  args=["--drivers", "ovn", "--ovn-nb-connection", central.nb, "--ovn-sb-connection", central.sb])


@dataclass
class OvnSyncProc:
    """A `trunkd ovn-sync` subprocess talking to the server's API and to the central's NB and SB."""

    central: OvnCentral
    server_url: str
    workdir: Path
    resync_interval: float = 30.0
    name: str = "ovn-sync"
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "trunkd.cli", "ovn-sync", "--server", self.server_url,
                "--ovn-nb-connection", self.central.nb, "--ovn-sb-connection", self.central.sb,
                "--state-dir", str(self.workdir / self.name), "--heartbeat-interval", "1",
                "--resync-interval", str(self.resync_interval)]

    def start(self) -> OvnSyncProc:
        env = {**os.environ, "PYTHONPATH": str(REPO), "TRUNKD_LOG_LEVEL": "info"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.command(), env=env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def freeze(self) -> None:
        """SIGSTOP: it holds its connections and locks but does nothing (a process stuck mid-pass)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        """kill -9 (works on a frozen process too)."""
        if self.alive():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


def duplicates(central: OvnCentral) -> dict[str, list[str]]:
    """NB rows there more than once for one thing: LSPs and Logical_Switches by name, DHCP_Options by
    (subnet_id, port_id) of their external_ids. Empty when there are none."""
    keys: dict[str, list[str]] = {
        "Logical_Switch_Port": [r["name"] for r in central.table("Logical_Switch_Port", "name")],
        "Logical_Switch": [r["name"] for r in central.table("Logical_Switch", "name")],
        "DHCP_Options": [f"{r['external_ids'].get('subnet_id')}/{r['external_ids'].get('port_id', '')}"
                         for r in central.table("DHCP_Options", "external_ids")],
    }
    found = {t: sorted(k for k, n in Counter(names).items() if n > 1) for t, names in keys.items()}
    return {t: names for t, names in found.items() if names}
