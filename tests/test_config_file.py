"""One config file for server and agent: the sample is current, and flag > env > file > default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trunkd import cli
from trunkd.agent import command as agent_command

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

CONF = """
[DEFAULT]
bind_port = 1111
api_workers = 3
host = file-host

[database]
connection = sqlite:///{db}

[ml2_type_vlan]
network_vlan_ranges = physnet7:100:200

[trunk]
drivers = ovs,noop

[agent]
report_interval = 4.5

[ovs]
local_ip = 192.0.2.7
bridge_mappings = physnet7:br-ex, physnet8:br-p8

[ovn]
ovn_nb_connection = tcp:192.0.2.9:6641
ovn_sb_connection = ssl:192.0.2.9:6642
"""


def test_sample_is_current(tmp_path: Path) -> None:
    """etc/trunkd.conf.sample is what oslo-config-generator writes for the trunkd namespace."""
    out = tmp_path / "trunkd.conf.sample"
    subprocess.run([str(BIN / "oslo-config-generator"), "--config-file", "etc/oslo-config-generator.conf",
                    "--output-file", str(out)], cwd=ROOT, check=True, capture_output=True)
    assert out.read_text() == (ROOT / "etc/trunkd.conf.sample").read_text(), \
        "regenerate: oslo-config-generator --config-file etc/oslo-config-generator.conf"
    text = out.read_text()
    for section in ("[DEFAULT]", "[database]", "[ml2]", "[ml2_type_vlan]", "[ovs]", "[agent]", "[nova]",
                    "[oslo_messaging_notifications]", "[ovn]", "[keystone_authtoken]", "[oslo_policy]"):
        assert section in text
    for option in ("#bind_host = 127.0.0.1", "#connection = sqlite:///trunkd.db", "#network_vlan_ranges",
                   "#ovn_nb_connection", "#endpoint_type = public", "#project_domain_name", "#transport_url"):
        assert option in text, option


@pytest.fixture
def conf_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("TRUNKD_PORT", "TRUNKD_DATABASE", "TRUNKD_WORKERS", "TRUNKD_NETWORK_VLAN_RANGES", "TRUNKD_DRIVERS",
                "TRUNKD_CONFIG_FILES", "TRUNKD_AGENT_HOST", "TRUNKD_AGENT_LOCAL_IP", "TRUNKD_AGENT_REPORT_INTERVAL",
                "TRUNKD_OVN_NB_CONNECTION", "TRUNKD_OVN_SB_CONNECTION"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "trunkd.conf"
    path.write_text(CONF.format(db=tmp_path / "file.db"))
    return path


def _serve_config(argv: list[str]) -> cli.Config:
    return cli._config(cli.parser().parse_args(["serve", *argv]))


def test_server_precedence(conf_file: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert _serve_config([]).port == 9696  # default
    config = _serve_config(["--config-file", str(conf_file)])
    assert (config.port, config.workers, config.drivers) == (1111, 3, ("ovs", "noop"))
    assert config.database == f"sqlite:///{tmp_path / 'file.db'}"
    assert config.ml2_options["network_vlan_ranges"] == "physnet7:100:200"
    assert config.config_files == (str(conf_file),)
    monkeypatch.setenv("TRUNKD_PORT", "2222")
    monkeypatch.setenv("TRUNKD_NETWORK_VLAN_RANGES", "physnet8:1:2")
    config = _serve_config(["--config-file", str(conf_file)])
    assert (config.port, config.workers) == (2222, 3)  # env over file; the file still gives the rest
    assert config.ml2_options["network_vlan_ranges"] == "physnet8:1:2"
    config = _serve_config(["--config-file", str(conf_file), "--port", "3333", "--network-vlan-ranges", "p:3:4"])
    assert config.port == 3333 and config.ml2_options["network_vlan_ranges"] == "p:3:4"  # flag over env
    monkeypatch.setenv("TRUNKD_CONFIG_FILES", str(conf_file))  # the file named by the variable
    assert _serve_config([]).workers == 3


def test_agent_precedence(conf_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def agent(argv: list[str]) -> object:
        args = cli.parser().parse_args(["agent", *argv])
        agent_command.resolve(args, cli.config_files(args))
        return args

    args = agent([])
    assert (args.host, args.heartbeat_interval, args.local_ip) == (None, 10.0, None)
    args = agent(["--config-file", str(conf_file)])
    assert (args.host, args.heartbeat_interval, args.local_ip) == ("file-host", 4.5, "192.0.2.7")
    assert args.bridge_mappings == {"physnet7": "br-ex", "physnet8": "br-p8"}
    monkeypatch.setenv("TRUNKD_AGENT_HOST", "env-host")
    monkeypatch.setenv("TRUNKD_AGENT_REPORT_INTERVAL", "2.5")
    args = agent(["--config-file", str(conf_file)])
    assert (args.host, args.heartbeat_interval) == ("env-host", 2.5)
    args = agent(["--config-file", str(conf_file), "--host", "flag-host", "--heartbeat-interval", "1"])
    assert (args.host, args.heartbeat_interval, args.local_ip) == ("flag-host", 1.0, "192.0.2.7")


def test_db_upgrade_from_config_file(conf_file: Path, tmp_path: Path) -> None:
    """The real command reads [database] connection from the file."""
    run = subprocess.run([str(BIN / "trunkd"), "db", "upgrade", "--config-file", str(conf_file)],
                         capture_output=True, text=True, check=True)
    assert f"sqlite:///{tmp_path / 'file.db'}" in run.stdout
    assert (tmp_path / "file.db").stat().st_size > 0


def test_bad_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.conf"
    bad.write_text("[DEFAULT]\nbind_port = not-a-port\n")
    for argv in (["serve", "--config-file", str(bad)], ["db", "upgrade", "--config-file", str(tmp_path / "none")]):
        run = subprocess.run([str(BIN / "trunkd"), *argv], capture_output=True, text=True)
        assert run.returncode == 2 and "cannot start" in run.stderr, run.stderr


def test_ovn_sync_precedence(conf_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ovn-sync: Neutron's [ovn] names in the file, TRUNKD_OVN_* over them, flags over both; the agent's
    [agent] options (server, intervals) as the agent reads them."""
    from trunkd.ovn import command as ovn_command

    def sync(argv: list[str]) -> object:
        args = cli.parser().parse_args(["ovn-sync", *argv])
        ovn_command.resolve(args, cli.config_files(args))
        return args

    args = sync([])
    assert (args.ovn_nb_connection, args.ovn_sb_connection) == ("tcp:127.0.0.1:6641", "tcp:127.0.0.1:6642")
    args = sync(["--config-file", str(conf_file)])
    assert (args.ovn_nb_connection, args.ovn_sb_connection) == ("tcp:192.0.2.9:6641", "ssl:192.0.2.9:6642")
    assert args.heartbeat_interval == 4.5
    monkeypatch.setenv("TRUNKD_OVN_NB_CONNECTION", "unix:/run/ovn/ovnnb_db.sock")
    args = sync(["--config-file", str(conf_file)])
    assert (args.ovn_nb_connection, args.ovn_sb_connection) == ("unix:/run/ovn/ovnnb_db.sock", "ssl:192.0.2.9:6642")
    args = sync(["--config-file", str(conf_file), "--ovn-nb-connection", "tcp:198.51.100.1:6641"])
    assert args.ovn_nb_connection == "tcp:198.51.100.1:6641"
    config = _serve_config(["--config-file", str(conf_file)])  # serve --drivers ovn reads the same options
    assert (config.ovn_nb_connection, config.ovn_sb_connection) == ("unix:/run/ovn/ovnnb_db.sock",
                                                                    "ssl:192.0.2.9:6642")
    config = _serve_config(["--config-file", str(conf_file), "--ovn-sb-connection", "tcp:198.51.100.1:6642"])
    assert config.ovn_sb_connection == "tcp:198.51.100.1:6642"
