"""`trunkd agent` and `trunkd agent plug`: flags and start-up (the CLI hands over here)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import httpx
from oslo_config import cfg

_KEYSTONE_FLAGS = (  # the agent's service user; without --os-auth-url the agent runs in noauth mode
    ("--os-auth-url", "URL: use a token of this service user"),
    ("--os-username", "user name"),
    ("--os-password", "password"),
    ("--os-project-name", "project"),
    ("--os-user-domain-name", "user domain"),
    ("--os-project-domain-name", "project domain"),
)


def identity(args: argparse.Namespace) -> httpx.Auth:
    """KeystoneIdentity when an auth URL is given, NoAuthIdentity otherwise."""
    from trunkd.agent.api import KeystoneIdentity, NoAuthIdentity

    if not getattr(args, "resolved", False):
        resolve(args, ())
    if not args.os_auth_url:
        return NoAuthIdentity()
    if not args.os_username or not args.os_password:
        raise SystemExit("trunkd agent: --os-auth-url needs --os-username and --os-password")
    return KeystoneIdentity(args.os_auth_url, args.os_username, args.os_password, args.os_project_name,
                            args.os_user_domain_name, args.os_project_domain_name)


def _connection_flags(p: argparse.ArgumentParser, default: object = None) -> None:
    """Flags shared by the agent and `plug` (SUPPRESS on `plug` so flags given before it are kept).

    Unset flags are filled by `resolve`: TRUNKD_* variable, then the config file, then the default."""
    p.add_argument("--host", default=default, help="this hypervisor's host name ([DEFAULT] host; env "
                                                   "TRUNKD_AGENT_HOST; default: hostname)")
    p.add_argument("--server", default=default, help="trunkd API URL ([agent] server_url; env TRUNKD_SERVER)")
    p.add_argument("--ovsdb", default=default, help="OVSDB connection ([ovs] ovsdb_connection; env TRUNKD_OVSDB)")
    p.add_argument("--ovs-rundir", default=default,
                   help="OVS run directory with the bridges' control sockets ([ovs] ovs_rundir; env OVS_RUNDIR)")
    for flag, what in _KEYSTONE_FLAGS:
        p.add_argument(flag, default=default, help=f"Keystone {what} ([agent_auth]; env {flag[2:].upper()})")


def add_parser(sub: Any) -> None:
    """Register `agent` (and `agent plug`) on the top-level subparsers."""
    from trunkd.cli import config_file_flag

    a = sub.add_parser("agent", help="run the Open vSwitch host agent (or: agent plug PORT IFACE)")
    _connection_flags(a)
    config_file_flag(a)
    a.add_argument("--local-ip", help="tunnel endpoint IP: enables VXLAN tenant networks "
                                      "([ovs] local_ip; env TRUNKD_AGENT_LOCAL_IP)")
    a.add_argument("--state-dir", help="where the event cursor is kept ([DEFAULT] state_path; "
                                       "env TRUNKD_AGENT_STATE_DIR; default .)")
    a.add_argument("--heartbeat-interval", type=float,
                   help="seconds between heartbeats ([agent] report_interval; default 10)")
    a.add_argument("--resync-interval", type=float,
                   help="seconds between full passes ([agent] resync_interval; default 60)")
    a.add_argument("--bridge-mappings",
                   help="physnet1:br-ex[,physnet2:br-ex2]: provider networks this host reaches and their "
                        "bridges, created if missing ([ovs] bridge_mappings; env TRUNKD_AGENT_BRIDGE_MAPPINGS)")
    a.add_argument("--tunnel-bridge-port",
                   help="underlay NIC holding --local-ip: the agent puts it in --tunnel-bridge and moves the IP "
                        "to the bridge, as the userspace datapath needs ([ovs] underlay_port; "
                        "env TRUNKD_AGENT_TUNNEL_BRIDGE_PORT)")
    a.add_argument("--tunnel-bridge",
                   help="the underlay bridge made for --tunnel-bridge-port ([ovs] underlay_bridge; "
                        "env TRUNKD_AGENT_TUNNEL_BRIDGE; default br-phy)")
    a.add_argument("--firewall-driver", choices=["openvswitch", "noop"],
                   help="openvswitch (default): enforce port security and security groups; noop: no filtering "
                        "([securitygroup] firewall_driver; env TRUNKD_AGENT_FIREWALL_DRIVER)")
    a_sub = a.add_subparsers(dest="agent_command")
    p = a_sub.add_parser("plug", help="attach an interface for a port, as a hypervisor does")
    p.add_argument("port_id")
    p.add_argument("iface")
    _connection_flags(p, default=argparse.SUPPRESS)


def resolve(args: argparse.Namespace, files: tuple[str, ...]) -> None:
    """Fill every unset agent flag: TRUNKD_* variable, then the config file, then the option's default."""
    from trunkd import options
    from trunkd.agent.provider import MappingError, parse_mappings

    conf = options.load(files)
    for name, (group, opt, var) in options.AGENT_OPTS.items():
        if getattr(args, name, None) is not None:
            continue
        raw = os.environ.get(var)
        if raw is not None:
            setattr(args, name, opt.type(raw) if isinstance(opt, cfg.FloatOpt) else raw)
        else:
            setattr(args, name, options.value(conf, group, opt.dest))
    raw = getattr(args, "bridge_mappings", None)
    if raw is None:
        raw = os.environ.get("TRUNKD_AGENT_BRIDGE_MAPPINGS")
    if raw is None:
        raw = ",".join(conf.ovs.bridge_mappings)
    try:
        args.bridge_mappings = parse_mappings(raw)
    except MappingError as exc:
        raise SystemExit(f"trunkd agent: --bridge-mappings: {exc}") from None
    args.resolved = True


def run(args: argparse.Namespace, files: tuple[str, ...] = ()) -> int:
    from trunkd import sd_notify
    from trunkd.agent.api import ServerApi
    from trunkd.agent.daemon import Agent, AgentConfig
    from trunkd.agent.ovs import OvsSwitch
    from trunkd.agent.plug import plug

    resolve(args, files)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    host = args.host or socket.gethostname()
    if args.ovs_rundir:
        os.environ["OVS_RUNDIR"] = args.ovs_rundir
    if getattr(args, "agent_command", None) == "plug":
        api, switch = ServerApi(args.server, identity(args)), OvsSwitch(args.ovsdb, args.ovs_rundir)
        try:
            print(plug(api, switch, args.port_id, args.iface, host))
        finally:
            switch.close()
        return 0
    mappings: dict[str, str] = args.bridge_mappings
    if taken := {"br-int", "br-tun"} & set(mappings.values()):
        raise SystemExit(f"trunkd agent: --bridge-mappings: {', '.join(sorted(taken))} is the agent's own bridge")
    if args.tunnel_bridge_port and not args.local_ip:
        raise SystemExit("trunkd agent: --tunnel-bridge-port needs --local-ip")
    if args.tunnel_bridge_port and args.tunnel_bridge in mappings.values():
        raise SystemExit(f"trunkd agent: {args.tunnel_bridge} is both the tunnel bridge and a mapped bridge")
    config = AgentConfig(
        host=host, server=args.server, ovsdb=args.ovsdb, ovs_rundir=args.ovs_rundir, local_ip=args.local_ip,
        bridge_mappings=tuple(mappings.items()), tunnel_bridge_port=args.tunnel_bridge_port,
        tunnel_bridge=args.tunnel_bridge, firewall_driver=args.firewall_driver,
        state_dir=Path(args.state_dir), heartbeat_interval=args.heartbeat_interval,
        resync_interval=args.resync_interval,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # unwind: stop heartbeats, close OVSDB
    agent = Agent(config, ServerApi(args.server, identity(args)))  # connected to OVSDB
    sd_notify.notify(f"READY=1\nSTATUS=agent on {host}")
    agent.run()
    return 0
