"""`trunkd ovn-sync` and `trunkd serve --drivers ovn` as subprocesses, and NB rows read back as Python values."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.ovn.rig import OvnCentral
from tests.support import REPO


def _value(v: Any) -> Any:
    """ovsdb JSON (ovn-nbctl --format=json) to Python: maps to dicts, sets to lists, uuids to strings."""
    if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str):
        kind, body = v
        if kind == "map":
            return {k: _value(x) for k, x in body}
        if kind == "set":
            return [_value(x) for x in body]
        if kind in ("uuid", "named-uuid"):
            return body
    return v


def nb_rows(central: OvnCentral, table: str, *conditions: str) -> list[dict[str, Any]]:
    """Every row of `table` (matching ovn-nbctl find `conditions`), all columns."""
    out = central.nbctl("--format=json", "find", table, *conditions)
    data = json.loads(out)
    return [{h: _value(v) for h, v in zip(data["headings"], row, strict=True)} for row in data["data"]]


def nb_row(central: OvnCentral, table: str, name: str) -> dict[str, Any] | None:
    rows = nb_rows(central, table, f"name={name}")
    assert len(rows) <= 1, f"{len(rows)} {table} rows named {name}"
    return rows[0] if rows else None


def setof(value: Any) -> list[Any]:
    """A set column as a list (ovsdb JSON writes a one-element set as the bare element)."""
    return value if isinstance(value, list) else [value]


def optional(value: Any) -> Any:
    """An optional column as None or its value."""
    return value[0] if isinstance(value, list) and value else (None if value == [] else value)


@dataclass
class OvnSync:
    """One `trunkd ovn-sync` process."""

    server: str
    central: OvnCentral
    workdir: Path
    host: str = "ovn-sync-a"
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.workdir / f"ovn-sync-{self.host}.log"

    def start(self, *extra: str) -> OvnSync:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONPATH": str(REPO), "TRUNKD_LOG_LEVEL": "info"}
        cmd = [sys.executable, "-m", "trunkd.cli", "ovn-sync", "--server", self.server,
               "--ovn-nb-connection", self.central.nb, "--ovn-sb-connection", self.central.sb,
               "--state-dir", str(self.workdir / self.host), "--host", self.host,
               "--heartbeat-interval", "1", "--resync-interval", "600", *extra]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        return self

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def kill(self) -> None:
        """kill -9: no goodbye, no cursor saved after the last page."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGCONT)
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def passes(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if "pass: " in line]
