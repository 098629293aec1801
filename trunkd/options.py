"""trunkd's options as oslo.config groups, with Neutron's names where Neutron has one.

One file (`--config-file`, repeatable; env TRUNKD_CONFIG_FILES) configures the server, the agent and
ovn-sync. `list_opts` is the `oslo.config.opts` entry point: `oslo-config-generator --namespace trunkd`
writes etc/trunkd.conf.sample from it. Precedence: flag > TRUNKD_* variable > file > default.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from typing import Any

from oslo_config import cfg

from trunkd.domain.limits import DEFAULT_LIMITS
from trunkd.domain.ml2 import DEFAULTS as ML2_DEFAULTS
from trunkd.store.engine import DEFAULT_URL

# server Config field -> (group, option); group None is [DEFAULT]
SERVER_OPTS: dict[str, tuple[str | None, cfg.Opt]] = {
    "host": (None, cfg.StrOpt("bind_host", default="127.0.0.1",
                              help="Address the API listens on (env TRUNKD_HOST, flag --host).")),
    "port": (None, cfg.PortOpt("bind_port", default=9696, help="API port (env TRUNKD_PORT, flag --port).")),
    "workers": (None, cfg.IntOpt("api_workers", default=1, min=1,
                                 help="API processes (env TRUNKD_WORKERS, flag --workers).")),
    "auth_strategy": (None, cfg.StrOpt("auth_strategy", default="noauth", choices=("noauth", "keystone"),
                                       help="noauth (X-Project-Id/X-Roles headers) or keystone (tokens checked "
                                            "by keystonemiddleware, [keystone_authtoken]).")),
    "metrics_auth": (None, cfg.StrOpt(
        "metrics_auth", default="policy", choices=("policy", "open"),
        help="GET /metrics: 'policy' (the get_metrics rule, admin or service by default: in keystone mode a "
             "token, in noauth the operator's header-less call) or 'open' (no token and no policy, for a "
             "scraper without Keystone credentials; the metrics hold counts, no project data) "
             "(env TRUNKD_METRICS_AUTH).")),
    "agent_down_time": (None, cfg.FloatOpt("agent_down_time", default=75.0,
                                           help="Seconds without a heartbeat before an agent is down "
                                                "(env TRUNKD_AGENT_DOWN_TIME).")),
    "database": ("database", cfg.StrOpt("connection", default=DEFAULT_URL, secret=True,
                                        help="SQLAlchemy URL: sqlite:///..., postgresql+psycopg://..., "
                                             "mysql+pymysql://... (env TRUNKD_DATABASE, flag --database).")),
    "drivers": ("trunk", cfg.ListOpt("drivers", default=["ovs"],
                                     help="Trunk drivers, checked at start-up (env TRUNKD_DRIVERS).")),
    "segmentation_allocation": ("trunk", cfg.StrOpt(
        "segmentation_allocation", default="off", choices=("off", "random", "lowest"),
        help="Allocate a subport's segmentation id when none is given (env TRUNKD_SEGMENTATION_ALLOCATION).")),
    "segmentation_range": ("trunk", cfg.StrOpt("segmentation_range", default="1-4094",
                                               help="Ids to allocate from (env TRUNKD_SEGMENTATION_RANGE).")),
    "guard_rails": ("trunk", cfg.ListOpt("guard_rails", default=[],
                                         help="Guard rails to enforce (env TRUNKD_GUARD_RAILS).")),
    "agent_host_identities": ("agent", cfg.ListOpt(
        "host_identities", default=[], sample_default="agent-compute-1:compute-1,agent-rack7:rack7-*",
        help="Opt-in: bind agent identities to the hosts they may speak for. Entries IDENTITY:HOST_PATTERN, "
             "IDENTITY a Keystone user id or name (noauth: X-User-Id or X-User-Name), HOST_PATTERN a "
             "shell-style pattern (*, ?, [...]); repeat an identity for more patterns. A listed identity gets "
             "403 HostNotAllowed on every agent write naming another host (heartbeat, port binding, "
             "port status, bind_subports, trunk status); identities not listed are not bound "
             "(env TRUNKD_AGENT_HOST_IDENTITIES).")),
    "event_retention_seconds": ("events", cfg.FloatOpt(
        "retention_seconds", default=7 * 24 * 3600.0,
        help="Outbox events older than this are pruned (env TRUNKD_EVENT_RETENTION_SECONDS).")),
    "event_retention_count": ("events", cfg.IntOpt(
        "retention_count", default=100_000, help="Outbox events kept at most (env TRUNKD_EVENT_RETENTION_COUNT).")),
    "ovn_nb_connection": ("ovn", cfg.StrOpt(
        "ovn_nb_connection", default="tcp:127.0.0.1:6641",
        help="OVN Northbound DB connection, for `serve --drivers ovn` and `ovn-sync` (env TRUNKD_OVN_NB_CONNECTION, "
             "flag --ovn-nb-connection).")),
    "ovn_sb_connection": ("ovn", cfg.StrOpt(
        "ovn_sb_connection", default="tcp:127.0.0.1:6642",
        help="OVN Southbound DB connection, for `serve --drivers ovn` and `ovn-sync` (env TRUNKD_OVN_SB_CONNECTION, "
             "flag --ovn-sb-connection).")),
    "event_prune_interval": ("events", cfg.FloatOpt(
        "prune_interval", default=60.0, help="Seconds between prunes (env TRUNKD_EVENT_PRUNE_INTERVAL).")),
}

# Neutron's ML2 option -> its group there (values kept in Neutron's string formats)
ML2_GROUPS: dict[str, str | None] = {
    "global_physnet_mtu": None,
    "path_mtu": "ml2",
    "physical_network_mtus": "ml2",
    "overlay_ip_version": "ml2",
    "type_drivers": "ml2",
    "tenant_network_types": "ml2",
    "network_vlan_ranges": "ml2_type_vlan",
    "flat_networks": "ml2_type_flat",
    "vni_ranges": "ml2_type_vxlan",
    "tunnel_id_ranges": "ml2_type_gre",
    "geneve_vni_ranges": "ml2_type_geneve",
    "max_header_size": "ml2_type_geneve",
}
ML2_OPTS = {name: (ML2_GROUPS[name], cfg.StrOpt(name, default=default,
                                                help=f"Neutron's {name}, in its format (env TRUNKD_{name.upper()})."))
            for name, default in ML2_DEFAULTS.items()}

# request limits ([DEFAULT], as Neutron's): trunkd.domain.limits.Limits field -> option of the same name
_LIMIT_HELP = {
    "max_dns_nameservers": "Maximum number of DNS nameservers per subnet (Neutron's option).",
    "max_subnet_host_routes": "Maximum number of host routes per subnet (Neutron's option).",
    "max_fixed_ips_per_port": "Maximum number of fixed IPs per port (Neutron's option name and default).",
    "max_allowed_address_pair": "Maximum number of allowed address pairs per port (Neutron's option).",
    "max_allocation_pools": "Maximum number of allocation pools per subnet (trunkd's; Neutron has no bound).",
    "max_header_line": "Maximum size in bytes of one request header line (oslo.service wsgi's option); "
                       "431 beyond.",
    "max_request_header_fields": "Maximum number of header fields of one request; 431 beyond.",
    "max_request_header_bytes": "Maximum size in bytes of a request line and its headers together, counted as "
                                "they arrive; 431 beyond.",
}
LIMIT_OPTS = [cfg.IntOpt(name, default=getattr(DEFAULT_LIMITS, name), min=1 if "header" in name else 0,
                         help=f"{_LIMIT_HELP[name]} (env TRUNKD_{name.upper()}, flag --{name.replace('_', '-')})")
              for name in DEFAULT_LIMITS.names()]

LOG_OPTS = [
    cfg.StrOpt("log_level", default="info", help="Root log level (env TRUNKD_LOG_LEVEL)."),
    cfg.StrOpt("log_format", default="text", choices=("text", "json"), help="Log lines (env TRUNKD_LOG_FORMAT)."),
]

# agent option -> (group, option, env variable)
AGENT_OPTS: dict[str, tuple[str | None, cfg.Opt, str]] = {
    "host": (None, cfg.StrOpt("host", sample_default="<hostname>",
                              help="This hypervisor's host name (env TRUNKD_AGENT_HOST, flag --host)."),
             "TRUNKD_AGENT_HOST"),
    "state_dir": (None, cfg.StrOpt("state_path", default=".",
                                   help="Where the agent keeps its event cursor (env TRUNKD_AGENT_STATE_DIR)."),
                  "TRUNKD_AGENT_STATE_DIR"),
    "server": ("agent", cfg.URIOpt("server_url", default="http://127.0.0.1:9696",
                                   help="trunkd API URL (env TRUNKD_SERVER, flag --server)."), "TRUNKD_SERVER"),
    "heartbeat_interval": ("agent", cfg.FloatOpt("report_interval", default=10.0,
                                                 help="Seconds between heartbeats (flag --heartbeat-interval)."),
                           "TRUNKD_AGENT_REPORT_INTERVAL"),
    "resync_interval": ("agent", cfg.FloatOpt("resync_interval", default=60.0,
                                              help="Seconds between full passes (flag --resync-interval)."),
                        "TRUNKD_AGENT_RESYNC_INTERVAL"),
    "ovsdb": ("ovs", cfg.StrOpt("ovsdb_connection", default="unix:/var/run/openvswitch/db.sock",
                                help="OVSDB connection (env TRUNKD_OVSDB, flag --ovsdb)."), "TRUNKD_OVSDB"),
    "ovs_rundir": ("ovs", cfg.StrOpt("ovs_rundir", help="OVS run directory with the bridges' control sockets "
                                                        "(env OVS_RUNDIR, flag --ovs-rundir)."), "OVS_RUNDIR"),
    "local_ip": ("ovs", cfg.StrOpt("local_ip", help="Tunnel endpoint IP: enables VXLAN tenant networks "
                                                    "(env TRUNKD_AGENT_LOCAL_IP, flag --local-ip)."),
                 "TRUNKD_AGENT_LOCAL_IP"),
    "tunnel_bridge_port": ("ovs", cfg.StrOpt("underlay_port", help="Underlay NIC holding local_ip: the agent puts "
                                                                   "it in underlay_bridge and moves the IP there "
                                                                   "(env TRUNKD_AGENT_TUNNEL_BRIDGE_PORT)."),
                           "TRUNKD_AGENT_TUNNEL_BRIDGE_PORT"),
    "tunnel_bridge": ("ovs", cfg.StrOpt("underlay_bridge", default="br-phy",
                                        help="The underlay bridge made for underlay_port "
                                             "(env TRUNKD_AGENT_TUNNEL_BRIDGE)."), "TRUNKD_AGENT_TUNNEL_BRIDGE"),
    "firewall_driver": ("securitygroup", cfg.StrOpt("firewall_driver", default="openvswitch",
                                                    choices=["openvswitch", "noop"],
                                                    help="openvswitch: enforce port security and security "
                                                         "groups on br-int; noop: no filtering, and ports say "
                                                         "port_filter false (env TRUNKD_AGENT_FIREWALL_DRIVER)."),
                        "TRUNKD_AGENT_FIREWALL_DRIVER"),
    "os_auth_url": ("agent_auth", cfg.StrOpt("auth_url", help="Keystone URL of the agent's service user; "
                                                               "unset: noauth (env OS_AUTH_URL)."), "OS_AUTH_URL"),
    "os_username": ("agent_auth", cfg.StrOpt("username", help="env OS_USERNAME"), "OS_USERNAME"),
    "os_password": ("agent_auth", cfg.StrOpt("password", secret=True, help="env OS_PASSWORD"), "OS_PASSWORD"),
    "os_project_name": ("agent_auth", cfg.StrOpt("project_name", default="service", help="env OS_PROJECT_NAME"),
                        "OS_PROJECT_NAME"),
    "os_user_domain_name": ("agent_auth", cfg.StrOpt("user_domain_name", default="Default",
                                                     help="env OS_USER_DOMAIN_NAME"), "OS_USER_DOMAIN_NAME"),
    "os_project_domain_name": ("agent_auth", cfg.StrOpt("project_domain_name", default="Default",
                                                        help="env OS_PROJECT_DOMAIN_NAME"), "OS_PROJECT_DOMAIN_NAME"),
}
OVS_EXTRA_OPTS = [
    cfg.ListOpt("bridge_mappings", default=[],
                help="physnet:bridge pairs (Neutron's name): the provider networks this host reaches and their "
                     "bridges, created if missing (env TRUNKD_AGENT_BRIDGE_MAPPINGS, flag --bridge-mappings)."),
]


NOVA_OPTS = [  # Neutron's [nova] names (the notifier authenticates with keystoneauth's password plugin)
    cfg.StrOpt("region_name", help="Nova's region."),
    cfg.StrOpt("endpoint_type", default="public", choices=("public", "admin", "internal"),
               help="Which Nova endpoint from the catalog."),
    cfg.IntOpt("batch_size", default=100, min=1, help="Outbox events read per pass (their Nova events: one POST)."),
    cfg.FloatOpt("poll_interval", default=0.5, help="Seconds between looks at the outbox when idle."),
    cfg.FloatOpt("retry_interval", default=1.0, help="First back-off in seconds while Nova is down (doubles)."),
    cfg.FloatOpt("retry_max_interval", default=30.0, help="Longest back-off in seconds while Nova is down."),
]

NOTIFY_OPTS = [
    cfg.BoolOpt("enabled", default=False,
                help="Send Neutron-format notifications ([oslo_messaging_notifications]) from the outbox."),
    cfg.FloatOpt("retry_interval", default=2.0, help="Seconds between tries while the broker is down."),
    cfg.IntOpt("batch_size", default=200, min=1, help="Outbox events read per pass."),
    cfg.FloatOpt("poll_interval", default=0.5, help="Seconds between looks at the outbox when idle."),
]


def _nova_opts() -> list[cfg.Opt]:
    from keystoneauth1 import loading

    plugin = []
    for opt in loading.get_auth_plugin_conf_options("password"):
        opt = copy.copy(opt)
        opt.required = False  # the group is optional: the notifier is off until [nova] is filled in
        plugin.append(opt)
    common = []
    for opt in loading.get_auth_common_conf_options():
        opt = copy.copy(opt)
        if opt.dest == "auth_type":
            opt.default = "password"  # the plugin whose options are registered here
        common.append(opt)
    return [*NOVA_OPTS, *loading.get_session_conf_options(), *common, *plugin]


def _grouped() -> dict[str | None, list[cfg.Opt]]:
    with warnings.catch_warnings():  # oslo.messaging imports oslo.service's eventlet back end, which warns
        warnings.simplefilter("ignore")
        import oslo_messaging.opts as messaging_opts

    groups: dict[str | None, list[cfg.Opt]] = {}
    for group, opt in [*SERVER_OPTS.values(), *ML2_OPTS.values(),
                       *((g, o) for g, o, _ in AGENT_OPTS.values())]:
        groups.setdefault(group, []).append(opt)
    groups[None].extend(LOG_OPTS)
    groups[None].extend(LIMIT_OPTS)
    groups["ovs"].extend(OVS_EXTRA_OPTS)
    groups["nova"] = _nova_opts()
    groups["notifications"] = list(NOTIFY_OPTS)
    for group, opts in messaging_opts.list_opts():
        if group is None:
            groups[None].extend(o for o in opts if o.name in ("transport_url", "control_exchange"))
        elif group in ("oslo_messaging_notifications", "oslo_messaging_rabbit"):
            groups[group] = list(opts)
    return groups


def list_opts() -> list[tuple[str | None, list[cfg.Opt]]]:
    """Every trunkd option by group, plus the [keystone_authtoken] and [oslo_policy] ones trunkd reads."""
    from keystonemiddleware import auth_token
    from oslo_policy import opts as policy_opts

    listed: list[tuple[str | None, list[cfg.Opt]]] = [
        ("DEFAULT" if g is None else g, opts) for g, opts in _grouped().items()]
    listed.extend((g, list(o)) for g, o in auth_token.list_opts())
    listed.extend((g, list(o)) for g, o in policy_opts.list_opts())
    return listed


def load(config_files: Sequence[str]) -> cfg.ConfigOpts:
    """A ConfigOpts with trunkd's options registered and `config_files` read (missing ones: an error)."""
    conf = cfg.ConfigOpts()
    for group, opts in _grouped().items():
        conf.register_opts(opts, group=group)
    conf(args=[], project="trunkd", default_config_files=list(config_files), use_env=False)
    return conf


def value(conf: cfg.ConfigOpts, group: str | None, name: str) -> Any:
    return getattr(conf, name) if group is None else getattr(getattr(conf, group), name)
