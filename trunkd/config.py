"""Server configuration: flags over TRUNKD_* environment variables over the config file over defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

from trunkd import options
from trunkd.domain.limits import Limits
from trunkd.domain.ml2 import DEFAULTS as ML2_DEFAULTS
from trunkd.domain.ml2 import Ml2Settings
from trunkd.store.engine import DEFAULT_URL

# Neutron's network options (global_physnet_mtu, [ml2], [ml2_type_*]) under their own names;
# each is also TRUNKD_<NAME> and `trunkd serve --<name>` (underscores as dashes).
ML2_OPTIONS = tuple(ML2_DEFAULTS)


def _split(raw: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in raw.split(",") if x.strip())


@dataclass(frozen=True)
class Config:
    database: str = DEFAULT_URL
    host: str = "127.0.0.1"
    port: int = 9696
    workers: int = 1
    drivers: tuple[str, ...] = ("ovs",)
    ovn_nb_connection: str = "tcp:127.0.0.1:6641"  # [ovn], for --drivers ovn
    ovn_sb_connection: str = "tcp:127.0.0.1:6642"
    agent_down_time: float = 75.0
    event_retention_seconds: float = 7 * 24 * 3600.0
    event_retention_count: int = 100_000
    event_prune_interval: float = 60.0
    auth_strategy: str = "noauth"  # or keystone
    metrics_auth: str = "policy"  # or open: GET /metrics without token or policy
    config_files: tuple[str, ...] = ()  # oslo.config files: [keystone_authtoken], [oslo_policy]
    policy_file: str | None = None
    segmentation_allocation: str = "off"  # off, random or lowest (issue 13)
    segmentation_range: str = "1-4094"
    guard_rails: tuple[str, ...] = ()
    agent_host_identities: tuple[str, ...] = ()  # [agent] host_identities: IDENTITY:HOST_PATTERN entries
    # the ML2 options as given (Neutron's formats); `ml2` is the parsed form the services use
    ml2_options: dict[str, str] = field(default_factory=lambda: dict(ML2_DEFAULTS))
    notifications: bool = False  # [notifications] enabled: send Neutron-format notifications from the outbox
    nova_notifications: bool = False  # [nova] auth_url set: send Nova's external events from the outbox
    # request limits ([DEFAULT] max_dns_nameservers, ...; TRUNKD_MAX_DNS_NAMESERVERS, --max-dns-nameservers)
    limits: Limits = field(default_factory=Limits)

    @property
    def ml2(self) -> Ml2Settings:
        """Raises trunkd.domain.ml2.ConfigError naming the option that does not parse."""
        return Ml2Settings.parse(self.ml2_options)

    @classmethod
    def from_env(cls, base: Config | None = None) -> Config:
        """The TRUNKD_* variables over `base` (default: the defaults)."""
        base = base or cls()
        env = os.environ
        values: dict[str, Any] = {}
        for name, var in ENV.items():
            if var not in env:
                continue
            current = getattr(base, name)
            raw = env[var]
            if isinstance(current, tuple):
                values[name] = _split(raw)
            elif name == "policy_file":
                values[name] = raw or None
            elif isinstance(current, bool):
                values[name] = raw.lower() in ("1", "true", "yes", "on")
            else:
                values[name] = type(current)(raw) if current is not None else raw
        ml2 = {name: env.get(f"TRUNKD_{name.upper()}", value) for name, value in base.ml2_options.items()}
        limits = replace(base.limits, **{name: int(env[f"TRUNKD_{name.upper()}"])
                                         for name in Limits.names() if f"TRUNKD_{name.upper()}" in env})
        return replace(base, **values, ml2_options=ml2, limits=limits)

    @classmethod
    def from_file(cls, config_files: tuple[str, ...]) -> Config:
        """The options of the config files (their defaults where a file does not set one)."""
        conf = options.load(config_files)
        values: dict[str, Any] = {}
        for name, (group, opt) in options.SERVER_OPTS.items():
            got = options.value(conf, group, opt.dest)
            values[name] = tuple(got) if isinstance(got, list) else got
        ml2 = {name: str(options.value(conf, group, opt.dest)) for name, (group, opt) in options.ML2_OPTS.items()}
        limits = Limits(**{name: int(getattr(conf, name)) for name in Limits.names()})
        return cls(**values, config_files=config_files, ml2_options=ml2, limits=limits,
                   notifications=bool(conf.notifications.enabled), nova_notifications=bool(conf.nova.auth_url))

    @classmethod
    def load(cls, config_files: tuple[str, ...] | None = None) -> Config:
        """File, then TRUNKD_* variables over it (the CLI puts its flags over this)."""
        files = _split(os.environ.get("TRUNKD_CONFIG_FILES", "")) if config_files is None else config_files
        return cls.from_env(cls.from_file(files) if files else None)

    def to_env(self) -> dict[str, str]:
        return {
            "TRUNKD_DATABASE": self.database,
            "TRUNKD_HOST": self.host,
            "TRUNKD_PORT": str(self.port),
            "TRUNKD_WORKERS": str(self.workers),
            "TRUNKD_DRIVERS": ",".join(self.drivers),
            "TRUNKD_OVN_NB_CONNECTION": self.ovn_nb_connection,
            "TRUNKD_OVN_SB_CONNECTION": self.ovn_sb_connection,
            "TRUNKD_AGENT_DOWN_TIME": str(self.agent_down_time),
            "TRUNKD_EVENT_RETENTION_SECONDS": str(self.event_retention_seconds),
            "TRUNKD_EVENT_RETENTION_COUNT": str(self.event_retention_count),
            "TRUNKD_EVENT_PRUNE_INTERVAL": str(self.event_prune_interval),
            "TRUNKD_AUTH_STRATEGY": self.auth_strategy,
            "TRUNKD_METRICS_AUTH": self.metrics_auth,
            "TRUNKD_CONFIG_FILES": ",".join(self.config_files),
            "TRUNKD_POLICY_FILE": self.policy_file or "",
            "TRUNKD_SEGMENTATION_ALLOCATION": self.segmentation_allocation,
            "TRUNKD_SEGMENTATION_RANGE": self.segmentation_range,
            "TRUNKD_GUARD_RAILS": ",".join(self.guard_rails),
            "TRUNKD_AGENT_HOST_IDENTITIES": ",".join(self.agent_host_identities),
            "TRUNKD_NOTIFICATIONS": "true" if self.notifications else "false",
            "TRUNKD_NOVA_NOTIFICATIONS": "true" if self.nova_notifications else "false",
            **{f"TRUNKD_{name.upper()}": value for name, value in self.ml2_options.items()},
            **{f"TRUNKD_{name.upper()}": str(getattr(self.limits, name)) for name in Limits.names()},
        }


ENV = {  # Config field -> its TRUNKD_* variable (the ML2 options are TRUNKD_<NAME>)
    "database": "TRUNKD_DATABASE", "host": "TRUNKD_HOST", "port": "TRUNKD_PORT", "workers": "TRUNKD_WORKERS",
    "drivers": "TRUNKD_DRIVERS", "ovn_nb_connection": "TRUNKD_OVN_NB_CONNECTION",
    "ovn_sb_connection": "TRUNKD_OVN_SB_CONNECTION", "agent_down_time": "TRUNKD_AGENT_DOWN_TIME",
    "event_retention_seconds": "TRUNKD_EVENT_RETENTION_SECONDS",
    "event_retention_count": "TRUNKD_EVENT_RETENTION_COUNT", "event_prune_interval": "TRUNKD_EVENT_PRUNE_INTERVAL",
    "auth_strategy": "TRUNKD_AUTH_STRATEGY", "metrics_auth": "TRUNKD_METRICS_AUTH",
    "config_files": "TRUNKD_CONFIG_FILES",
    "policy_file": "TRUNKD_POLICY_FILE", "segmentation_allocation": "TRUNKD_SEGMENTATION_ALLOCATION",
    "segmentation_range": "TRUNKD_SEGMENTATION_RANGE", "guard_rails": "TRUNKD_GUARD_RAILS",
    "notifications": "TRUNKD_NOTIFICATIONS", "nova_notifications": "TRUNKD_NOVA_NOTIFICATIONS",
    "agent_host_identities": "TRUNKD_AGENT_HOST_IDENTITIES",
}
