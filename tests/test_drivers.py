"""Driver start-up checks (one clear line, non-zero exit) and precommit vetoes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import REPO, Api, Server, error_type


def serve_fails(tmp_path: Path, drivers: str, *extra: str) -> str:
    """Run `trunkd serve --drivers …` and return its one-line complaint (it must exit non-zero)."""
    proc = subprocess.run(
        [sys.executable, "-m", "trunkd.cli", "serve", "--database", f"sqlite:///{tmp_path}/t.db",
         "--port", "1", "--drivers", drivers, *extra],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin"},
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("trunkd: cannot start: ")
    return lines[0]


@pytest.mark.parametrize(("drivers", "expected"), [
    ("", "no trunk driver is loaded"),
    ("tests.fake_drivers:unhealthy", "driver 'sick' failed its health check: cannot reach switch controller"),
    ("ovs,tests.fake_drivers:vxlan_only", "share no segmentation type"),
    ("tests.fake_drivers:geneve_only", "no validator for segmentation type(s) ['geneve']"),
    ("bogus", "unknown trunk driver 'bogus'"),
    ("tests.nowhere:factory", "could not be loaded"),
    ("tests.fake_drivers:not_a_driver", "is not a TrunkDriver"),
])
def test_serve_refuses_to_start_with_one_clear_line(tmp_path: Path, drivers: str, expected: str) -> None:
    assert expected in serve_fails(tmp_path, drivers)


def test_a_precommit_veto_leaves_no_row_and_no_event(make_server: Callable[..., Server]) -> None:
    srv = make_server("--drivers", "ovs,tests.fake_drivers:vetoing")
    admin = Api(srv.url)
    parent, sub = admin.port(), admin.port()
    head = admin.get("/v2.0/events").json()["latest"]
    r = admin.post("/v2.0/trunks", {"trunk": {"port_id": parent["id"], "name": "veto"}})
    assert r.status_code == 409 and error_type(r) == "VetoedByDriver"
    assert admin.get("/v2.0/trunks", params={"port_id": parent["id"]}).json()["trunks"] == []
    trunk = admin.trunk(parent["id"])
    vlan666 = {"port_id": sub["id"], "segmentation_type": "vlan", "segmentation_id": 666}
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [vlan666]})
    assert r.status_code == 409 and error_type(r) == "VetoedByDriver"
    shown = admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]
    assert shown["sub_ports"] == [] and shown["revision_number"] == trunk["revision_number"]
    # the sub port is still free: a permitted VLAN goes through
    ok = {**vlan666, "segmentation_id": 7}
    assert admin.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [ok]}).status_code == 200
    kinds = [e["kind"] for e in admin.get("/v2.0/events", params={"after": head}).json()["events"]]
    assert kinds == ["trunk.created", "trunk.subports_added"]


def test_serve_with_ovn_refuses_an_unreachable_northbound(tmp_path: Path) -> None:
    line = serve_fails(tmp_path, "ovn", "--ovn-nb-connection", f"unix:{tmp_path}/nb.sock",
                       "--ovn-sb-connection", f"unix:{tmp_path}/sb.sock")
    assert f"driver 'ovn' failed its health check: OVN_Northbound at unix:{tmp_path}/nb.sock unreachable" in line
