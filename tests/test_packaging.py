"""Service units (systemd-analyze verify), sd_notify readiness, and a built wheel that works."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory

from tests.support import IN_CI, REPO, free_port
from trunkd.store.migrate import alembic_config

UNITS = sorted((REPO / "etc/systemd").glob("*.service"))
BIN = Path(sys.executable).parent


def _analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        if IN_CI:
            pytest.fail("systemd-analyze is missing (scripts/ensure-systemd.sh)")
        pytest.skip("systemd-analyze is missing (scripts/ensure-systemd.sh)")
    return found


def _verify(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SYSTEMD_LOG_LEVEL": "notice"}
    return subprocess.run([_analyze(), "verify", "--man=no", *map(str, paths)], capture_output=True, text=True,
                          env=env)


def _installed_units(tmp: Path) -> list[Path]:
    """The units as installed: /usr/bin/trunkd is where the test's trunkd command is."""
    out = []
    for unit in UNITS:
        target = tmp / unit.name
        target.write_text(unit.read_text().replace("/usr/bin/trunkd", str(BIN / "trunkd")))
        out.append(target)
    return out


def test_units_verify(tmp_path: Path) -> None:
    assert {u.name for u in UNITS} == {"trunkd-server.service", "trunkd-agent.service", "trunkd-ovn-sync.service"}
    run = _verify(_installed_units(tmp_path))
    assert run.returncode == 0 and not run.stderr.strip() and not run.stdout.strip(), run.stderr + run.stdout
    for unit in UNITS:
        text = unit.read_text()
        assert "Type=notify" in text and "Restart=on-failure" in text and "NoNewPrivileges=yes" in text
    agent = (REPO / "etc/systemd/trunkd-agent.service").read_text()
    assert "CAP_NET_ADMIN" in agent and "AF_NETLINK" in agent and "/run/openvswitch" in agent
    assert "PrivateNetwork" not in agent  # it must see the host's bridges


def test_verify_catches_a_bad_unit(tmp_path: Path) -> None:
    """The check above would see a mistake: systemd-analyze reports it (on stderr)."""
    bad = tmp_path / "bad.service"
    bad.write_text(_installed_units(tmp_path)[0].read_text().replace("Type=notify", "Type=notifyy\nFoo=1"))
    run = _verify([bad])
    assert "notifyy" in run.stderr and "Foo" in run.stderr


def test_serve_sends_ready_on_notify_socket(tmp_path: Path) -> None:
    """trunkd serve sends READY=1 to $NOTIFY_SOCKET (a real unix datagram socket) once it serves."""
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(60)
        port = free_port()
        env = {**os.environ, "NOTIFY_SOCKET": str(path), "TRUNKD_LOG_LEVEL": "warning"}
        proc = subprocess.Popen([str(BIN / "trunkd"), "serve", "--database", f"sqlite:///{tmp_path / 'db'}",
                                 "--port", str(port)], cwd=tmp_path, env=env)
        try:
            message = sock.recv(4096).decode()
            assert "READY=1" in message.splitlines()
            assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200  # serving when it said so
        finally:
            proc.terminate()
            proc.wait(15)


def test_wheel_installs_commands_and_migrations(tmp_path: Path) -> None:
    """A wheel built from the tree, installed in a fresh venv: `trunkd db upgrade` reaches head.

    Lean: the wheel alone goes in with --no-deps; its dependencies come from the test venv's
    site-packages (a .pth line), so nothing but the build backend is fetched (from the pip cache)."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(REPO)],
                   check=True, capture_output=True)
    wheel = next(wheels.glob("trunkd-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin/python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-deps",
                    str(wheel)], check=True, capture_output=True)
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = subprocess.run([str(py), "-c", "import trunkd; print(trunkd.__file__)"], cwd=tmp_path,
                           check=True, capture_output=True, text=True).stdout
    assert where.startswith(site), where  # the wheel's copy, not the source tree
    db = tmp_path / "fresh.db"
    run = subprocess.run([str(venv / "bin/trunkd"), "db", "upgrade", "--database", f"sqlite:///{db}"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head
    sample = subprocess.run([str(venv / "bin/python"), "-m", "oslo_config.generator", "--namespace", "trunkd"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert "[ml2_type_vlan]" in sample.stdout, sample.stderr  # the oslo.config.opts entry point is installed
