"""Command line: `trunkd serve`, `trunkd agent`, `trunkd ovn-sync`, `trunkd db upgrade`."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from trunkd import logs, options, sd_notify
from trunkd.agent import command as agent_command
from trunkd.config import ML2_OPTIONS, Config
from trunkd.domain.errors import StartupCheckFailed
from trunkd.domain.limits import DEFAULT_LIMITS, Limits
from trunkd.domain.ml2 import DEFAULTS as ML2_DEFAULTS
from trunkd.domain.ml2 import ConfigError
from trunkd.ovn import command as ovn_command

LOG = logging.getLogger("trunkd")


def config_files(args: argparse.Namespace) -> tuple[str, ...]:
    """--config-file (repeatable), else TRUNKD_CONFIG_FILES."""
    if getattr(args, "config_file", None):
        return tuple(os.path.abspath(f) for f in args.config_file)
    return tuple(f.strip() for f in os.environ.get("TRUNKD_CONFIG_FILES", "").split(",") if f.strip())


def _log_options(files: tuple[str, ...]) -> None:
    """[DEFAULT] log_level/log_format from the file, unless TRUNKD_LOG_* says otherwise."""
    if files:
        conf = options.load(files)
        os.environ.setdefault("TRUNKD_LOG_LEVEL", conf.log_level)
        os.environ.setdefault("TRUNKD_LOG_FORMAT", conf.log_format)


def _config(args: argparse.Namespace) -> Config:
    files = config_files(args)
    config = replace(Config.load(files), config_files=files)
    overrides = {
        key: getattr(args, key)
        for key in ("database", "host", "port", "workers", "ovn_nb_connection", "ovn_sb_connection")
        if getattr(args, key, None) is not None
    }
    if getattr(args, "drivers", None) is not None:
        overrides["drivers"] = tuple(d.strip() for d in args.drivers.split(",") if d.strip())
    if getattr(args, "auth_strategy", None) is not None:
        overrides["auth_strategy"] = args.auth_strategy
    if getattr(args, "policy_file", None) is not None:
        overrides["policy_file"] = os.path.abspath(args.policy_file)
    given = {name: getattr(args, name) for name in ML2_OPTIONS if getattr(args, name, None) is not None}
    if given:
        overrides["ml2_options"] = {**config.ml2_options, **given}
    limits = {name: getattr(args, name) for name in Limits.names() if getattr(args, name, None) is not None}
    if limits:
        overrides["limits"] = replace(config.limits, **limits)
    return replace(config, **overrides)


def check_auth(config: Config) -> None:
    """Refuse to start on an auth set-up that cannot work."""
    missing = [f for f in (*config.config_files, *([config.policy_file] if config.policy_file else []))
               if not os.path.isfile(f)]
    if missing:
        raise StartupCheckFailed(f"file not found: {', '.join(missing)}")
    if config.policy_file:
        from trunkd.policy.policy_file import problem_with

        problem = problem_with(config.policy_file)
        if problem:
            raise StartupCheckFailed(f"policy file {config.policy_file} {problem}: fix it (or leave out "
                                     "--policy-file for the defaults)")
    if config.auth_strategy not in ("noauth", "keystone"):
        raise StartupCheckFailed(f"unknown --auth-strategy {config.auth_strategy!r} (noauth or keystone)")
    if config.metrics_auth not in ("policy", "open"):
        raise StartupCheckFailed(f"unknown metrics_auth {config.metrics_auth!r} (policy or open)")
    if config.auth_strategy == "keystone" and not config.config_files:
        raise StartupCheckFailed("--auth-strategy keystone needs --config-file with a [keystone_authtoken] section")


def log_auth_strategy(config: Config) -> None:
    if config.auth_strategy == "keystone":
        LOG.info("auth strategy keystone: every request needs a token that keystonemiddleware validates")
    else:
        LOG.warning("auth strategy noauth: no authentication, callers name their project in X-Project-Id "
                    "and their roles in X-Roles; a request without them is admin")


def serve(config: Config) -> int:
    from trunkd.drivers.setup import load_drivers
    from trunkd.service.env import settings_from
    from trunkd.store.migrate import upgrade
    from trunkd.store.startup import check_database

    check_auth(config)
    config.ml2  # noqa: B018 -- refuse to start on an option that does not parse
    load_drivers(config)
    settings_from(config)
    check_database(config.database)
    upgrade(config.database)
    log_auth_strategy(config)
    os.environ.update(config.to_env())
    with _metrics_dir(config.workers), _notifier(config):
        local = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}  # a wildcard: reach it on loopback
        sd_notify.ready_when_listening(local.get(config.host, config.host), config.port)
        _run_uvicorn(config)
    return 0


@contextlib.contextmanager
def _notifier(config: Config) -> Iterator[None]:
    """With [notifications] enabled and/or [nova] filled in: one outbox consumer each in this (the main)
    process sends Neutron's notifications on the bus / Nova's external events, however many API workers run."""
    if not config.notifications and not config.nova_notifications:
        yield
        return
    from trunkd.store.uow import Database

    conf = options.load(config.config_files)
    started: list[tuple[Any, Any]] = []  # (consumer, sender)
    if config.notifications:
        from trunkd.notify import messaging

        started.append(messaging.consumer(Database(config.database), conf))
        LOG.info("notifications: sending Neutron's notifications from the outbox")
    if config.nova_notifications:
        from trunkd.notify import nova

        started.append(nova.consumer(Database(config.database), conf))
        LOG.info("nova: sending Nova's external events from the outbox")
    threads = [consumer.start() for consumer, _ in started]
    try:
        yield
    finally:
        for consumer, _ in started:
            consumer.stop.set()
        for thread in threads:
            thread.join(10)
        for _, sender in started:
            sender.close()


@contextlib.contextmanager
def _metrics_dir(workers: int) -> Iterator[None]:
    """Several workers share request metrics through prometheus_client's multiprocess files."""
    if workers == 1 or "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="trunkd-metrics-") as path:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


GRACEFUL_SHUTDOWN_SECONDS = 1  # then uvicorn cancels what is still running: SIGTERM to exit stays within 2 s


def _server_class() -> type:
    import uvicorn

    from trunkd.api.feed import hub as event_hub

    class Server(uvicorn.Server):
        """uvicorn's server that first answers the parked long-polls when asked to stop."""

        async def shutdown(self, sockets: Any = None) -> None:
            event_hub.close_all()
            await super().shutdown(sockets)

    return Server


def _run_uvicorn(config: Config) -> None:
    """uvicorn, with its own worker supervisor when --workers > 1.

    For workers uvicorn binds the socket itself with protocol 0, so asyncio never sets
    TCP_NODELAY on accepted connections and every keep-alive response waits ~40 ms for a
    delayed ACK. We bind the listening socket as IPPROTO_TCP and hand it to the same supervisor.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from trunkd.api.http_protocol import BoundedHeadersProtocol

    uv_config = uvicorn.Config(
        "trunkd.api.app:app_from_env",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers,
        log_level=os.environ.get("TRUNKD_LOG_LEVEL", "info"),
        log_config=None,  # uvicorn's lines go through our root handler (request id, JSON on request)
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        http=BoundedHeadersProtocol,  # 431 past the header limits (config.limits), before buffering them
    )
    if config.workers == 1:
        server = _server_class()(uv_config)
        server.run()
        if not server.started:
            raise SystemExit(3)  # e.g. the port is taken; uvicorn has logged why
        return
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((config.host, config.port))
    sock.set_inheritable(True)
    Multiprocess(uv_config, sockets=[sock]).run()


def db_upgrade(config: Config) -> int:
    from trunkd.store.migrate import upgrade
    from trunkd.store.startup import check_database

    check_database(config.database)
    upgrade(config.database)
    print(f"database at head: {config.database}")
    return 0


def config_file_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config-file", action="append",
                   help="trunkd.conf (oslo.config; every option, [keystone_authtoken], [oslo_policy]); "
                        "repeatable, later files win (env TRUNKD_CONFIG_FILES, comma-separated)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="trunkd", description="Neutron-compatible trunk service")
    sub = top.add_subparsers(dest="command", required=True)

    def database_flag(p: argparse.ArgumentParser) -> None:
        p.add_argument("--database", help="SQLAlchemy URL (env TRUNKD_DATABASE; [database] connection; "
                                          "default sqlite:///trunkd.db)")
        config_file_flag(p)

    s = sub.add_parser("serve", help="run the API server")
    database_flag(s)
    s.add_argument("--host", help="listen address (env TRUNKD_HOST; default 127.0.0.1)")
    s.add_argument("--port", type=int, help="listen port (env TRUNKD_PORT; default 9696)")
    s.add_argument("--workers", type=int, help="API processes (env TRUNKD_WORKERS; default 1)")
    s.add_argument("--drivers", help="comma-separated trunk drivers (env TRUNKD_DRIVERS; default ovs)")
    s.add_argument("--ovn-nb-connection", help="OVN Northbound DB, with --drivers ovn ([ovn] ovn_nb_connection; "
                                               "env TRUNKD_OVN_NB_CONNECTION; default tcp:127.0.0.1:6641)")
    s.add_argument("--ovn-sb-connection", help="OVN Southbound DB, with --drivers ovn ([ovn] ovn_sb_connection; "
                                               "env TRUNKD_OVN_SB_CONNECTION; default tcp:127.0.0.1:6642)")
    s.add_argument("--auth-strategy", choices=("noauth", "keystone"),
                   help="noauth (headers, the default) or keystone (tokens; env TRUNKD_AUTH_STRATEGY)")
    s.add_argument("--policy-file", help="policy.yaml overriding the default rules, re-read when it changes")
    ml2 = s.add_argument_group("networks (Neutron's ML2 options, in Neutron's formats)")
    for name, default in ML2_DEFAULTS.items():
        ml2.add_argument(f"--{name.replace('_', '-')}", dest=name,
                         help=f"env TRUNKD_{name.upper()}; default '{default}'")

    bounds = s.add_argument_group("request limits (Neutron's option names where Neutron has one)")
    for name in Limits.names():
        bounds.add_argument(f"--{name.replace('_', '-')}", dest=name, type=int,
                            help=f"env TRUNKD_{name.upper()}; default {getattr(DEFAULT_LIMITS, name)}")

    agent_command.add_parser(sub)
    ovn_command.add_parser(sub)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    database_flag(db_sub.add_parser("upgrade", help="apply Alembic migrations up to head"))
    return top


def main(argv: list[str] | None = None) -> int:
    from oslo_config import cfg

    args = parser().parse_args(argv)
    files = config_files(args)
    try:
        missing = [f for f in files if not os.path.isfile(f)]
        if missing:
            raise StartupCheckFailed(f"file not found: {', '.join(missing)}")
        _log_options(files)
        logs.configure()
        if args.command == "agent":
            return agent_command.run(args, files)
        if args.command == "ovn-sync":
            return ovn_command.run(args, files)
        config = _config(args)
        if args.command == "serve":
            return serve(config)
        return db_upgrade(config)
    except StartupCheckFailed as exc:
        print(f"trunkd: cannot start: {exc.message}", file=sys.stderr)
        return 2
    except (ConfigError, cfg.Error, cfg.ParseError) as exc:  # ours, or oslo.config's for a bad file
        print(f"trunkd: cannot start: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
