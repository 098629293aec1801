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

_KEYSTONE_FLAGS = (  # the agent's service user; without --os-auth-url the agent runs in noauth mode
    ("--os-auth-url", "OS_AUTH_URL", None, "URL: use a token of this service user"),
    ("--os-username", "OS_USERNAME", None, "user name"),
    ("--os-password", "OS_PASSWORD", None, "password"),
    ("--os-project-name", "OS_PROJECT_NAME", "service", "project"),
    ("--os-user-domain-name", "OS_USER_DOMAIN_NAME", "Default", "user domain"),
    ("--os-project-domain-name", "OS_PROJECT_DOMAIN_NAME", "Default", "project domain"),
)


def identity(args: argparse.Namespace) -> httpx.Auth:
    """KeystoneIdentity when an auth URL is given, NoAuthIdentity otherwise."""
    from trunkd.agent.api import KeystoneIdentity, NoAuthIdentity

    if not args.os_auth_url:
        return NoAuthIdentity()
    if not args.os_username or not args.os_password:
        raise SystemExit("trunkd agent: --os-auth-url needs --os-username and --os-password")
    return KeystoneIdentity(args.os_auth_url, args.os_username, args.os_password, args.os_project_name,
                            args.os_user_domain_name, args.os_project_domain_name)


def _connection_flags(p: argparse.ArgumentParser, default: object = None) -> None:
    """Flags shared by the agent and `plug` (SUPPRESS on `plug` so flags given before it are kept)."""
    env = os.environ.get

    def pick(value: Any) -> Any:
        return default if default is not None else value

    p.add_argument("--host", default=pick(env("TRUNKD_AGENT_HOST")),
                   help="this hypervisor's host name (env TRUNKD_AGENT_HOST; default: hostname)")
    p.add_argument("--server", default=pick(env("TRUNKD_SERVER", "http://127.0.0.1:9696")),
                   help="trunkd API URL (env TRUNKD_SERVER)")
    p.add_argument("--ovsdb", default=pick(env("TRUNKD_OVSDB", "unix:/var/run/openvswitch/db.sock")),
                   help="OVSDB connection (env TRUNKD_OVSDB)")
    p.add_argument("--ovs-rundir", default=pick(env("OVS_RUNDIR")),
                   help="OVS run directory with the bridges' control sockets (env OVS_RUNDIR)")
    for flag, var, fallback, what in _KEYSTONE_FLAGS:  # not `default`: pick() reads the parameter
        p.add_argument(flag, default=pick(env(var, fallback)), help=f"Keystone {what} (env {var})")


def add_parser(sub: Any) -> None:
    """Register `agent` (and `agent plug`) on the top-level subparsers."""
    a = sub.add_parser("agent", help="run the Open vSwitch host agent (or: agent plug PORT IFACE)")
    _connection_flags(a)
    a.add_argument("--local-ip", default=os.environ.get("TRUNKD_AGENT_LOCAL_IP"),
                   help="tunnel endpoint IP: enables VXLAN tenant networks (env TRUNKD_AGENT_LOCAL_IP)")
    a.add_argument("--bridge-mappings", default=os.environ.get("TRUNKD_AGENT_BRIDGE_MAPPINGS", ""),
                   help="physnet1:br-ex[,physnet2:br-ex2]: provider networks this host reaches and their "
                        "bridges, created if missing (env TRUNKD_AGENT_BRIDGE_MAPPINGS)")
    a.add_argument("--tunnel-bridge-port", default=os.environ.get("TRUNKD_AGENT_TUNNEL_BRIDGE_PORT"),
                   help="underlay NIC holding --local-ip: the agent puts it in --tunnel-bridge and moves the IP "
                        "to the bridge, as the userspace datapath needs (env TRUNKD_AGENT_TUNNEL_BRIDGE_PORT)")
    a.add_argument("--tunnel-bridge", default=os.environ.get("TRUNKD_AGENT_TUNNEL_BRIDGE", "br-phy"),
                   help="the underlay bridge made for --tunnel-bridge-port (env TRUNKD_AGENT_TUNNEL_BRIDGE)")
    a.add_argument("--state-dir", default=os.environ.get("TRUNKD_AGENT_STATE_DIR", "."),
                   help="where the event cursor is kept (env TRUNKD_AGENT_STATE_DIR; default .)")
    a.add_argument("--heartbeat-interval", type=float, default=10.0, help="seconds between heartbeats")
    a.add_argument("--resync-interval", type=float, default=60.0, help="seconds between full passes")
    a_sub = a.add_subparsers(dest="agent_command")
    p = a_sub.add_parser("plug", help="attach an interface for a port, as a hypervisor does")
    p.add_argument("port_id")
    p.add_argument("iface")
    _connection_flags(p, default=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from trunkd.agent.api import ServerApi
    from trunkd.agent.daemon import Agent, AgentConfig
    from trunkd.agent.ovs import OvsSwitch
    from trunkd.agent.plug import plug
    from trunkd.agent.provider import MappingError, parse_mappings

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
    try:
        mappings = parse_mappings(args.bridge_mappings)
    except MappingError as exc:
        raise SystemExit(f"trunkd agent: --bridge-mappings: {exc}") from None
    if taken := {"br-int", "br-tun"} & set(mappings.values()):
        raise SystemExit(f"trunkd agent: --bridge-mappings: {', '.join(sorted(taken))} is the agent's own bridge")
    if args.tunnel_bridge_port and not args.local_ip:
        raise SystemExit("trunkd agent: --tunnel-bridge-port needs --local-ip")
    if args.tunnel_bridge_port and args.tunnel_bridge in mappings.values():
        raise SystemExit(f"trunkd agent: {args.tunnel_bridge} is both the tunnel bridge and a mapped bridge")
    config = AgentConfig(
        host=host, server=args.server, ovsdb=args.ovsdb, ovs_rundir=args.ovs_rundir, local_ip=args.local_ip,
        bridge_mappings=tuple(mappings.items()), tunnel_bridge_port=args.tunnel_bridge_port,
        tunnel_bridge=args.tunnel_bridge,
        state_dir=Path(args.state_dir), heartbeat_interval=args.heartbeat_interval,
        resync_interval=args.resync_interval,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # unwind: stop heartbeats, close OVSDB
    Agent(config, ServerApi(args.server, identity(args))).run()
    return 0
