"""`trunkd ovn-sync`: flags and start-up (the CLI hands over here)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

OVN_FLAGS = {  # flag dest -> (env variable, [ovn] option)
    "ovn_nb_connection": ("TRUNKD_OVN_NB_CONNECTION", "ovn_nb_connection"),
    "ovn_sb_connection": ("TRUNKD_OVN_SB_CONNECTION", "ovn_sb_connection"),
}


def add_parser(sub: Any) -> None:
    from trunkd.agent.command import _KEYSTONE_FLAGS
    from trunkd.cli import config_file_flag

    p = sub.add_parser("ovn-sync", help="run the OVN synchroniser (writes OVN Northbound as ML2/OVN does)")
    p.add_argument("--server", help="trunkd API URL ([agent] server_url; env TRUNKD_SERVER)")
    p.add_argument("--ovn-nb-connection", help="OVN Northbound DB, e.g. tcp:127.0.0.1:6641 or unix:PATH "
                                               "([ovn] ovn_nb_connection; env TRUNKD_OVN_NB_CONNECTION)")
    p.add_argument("--ovn-sb-connection", help="OVN Southbound DB ([ovn] ovn_sb_connection; "
                                               "env TRUNKD_OVN_SB_CONNECTION)")
    p.add_argument("--host", help="the name this process heartbeats under ([DEFAULT] host; env TRUNKD_AGENT_HOST; "
                                  "default: hostname)")
    p.add_argument("--state-dir", help="where the event cursor is kept ([DEFAULT] state_path; "
                                       "env TRUNKD_AGENT_STATE_DIR; default .)")
    p.add_argument("--heartbeat-interval", type=float,
                   help="seconds between heartbeats (its own and the chassis'; [agent] report_interval; default 10)")
    p.add_argument("--resync-interval", type=float,
                   help="seconds between full passes ([agent] resync_interval; default 60)")
    for flag, what in _KEYSTONE_FLAGS:
        p.add_argument(flag, help=f"Keystone {what} ([agent_auth]; env {flag[2:].upper()})")
    config_file_flag(p)


def resolve(args: argparse.Namespace, files: tuple[str, ...]) -> None:
    """Every unset flag: TRUNKD_* variable, then the config file, then the default (as the agent's)."""
    from trunkd import options
    from trunkd.agent.command import resolve as resolve_agent

    resolve_agent(args, files)
    conf = options.load(files)
    for name, (var, opt) in OVN_FLAGS.items():
        if getattr(args, name, None) is None:
            setattr(args, name, os.environ.get(var) or getattr(conf.ovn, opt))


def run(args: argparse.Namespace, files: tuple[str, ...] = ()) -> int:
    from trunkd import sd_notify
    from trunkd.agent.command import identity
    from trunkd.ovn.api import OvnSyncApi
    from trunkd.ovn.daemon import OvnSync, SyncConfig

    resolve(args, files)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config = SyncConfig(server=args.server, nb_connection=args.ovn_nb_connection,
                        sb_connection=args.ovn_sb_connection, state_dir=Path(args.state_dir), host=args.host or "",
                        heartbeat_interval=args.heartbeat_interval, resync_interval=args.resync_interval)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sync = OvnSync(config, OvnSyncApi(args.server, identity(args)))
    sd_notify.notify(f"READY=1\nSTATUS=ovn-sync on {config.nb_connection}")
    sync.run()
    return 0
