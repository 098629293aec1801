"""Server configuration: flags override TRUNKD_* environment variables, which override defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from trunkd.domain.ml2 import DEFAULTS as ML2_DEFAULTS
from trunkd.domain.ml2 import Ml2Settings
from trunkd.store.engine import DEFAULT_URL

# Neutron's network options (global_physnet_mtu, [ml2], [ml2_type_*]) under their own names;
# each is also TRUNKD_<NAME> and `trunkd serve --<name>` (underscores as dashes).
ML2_OPTIONS = tuple(ML2_DEFAULTS)


def _env_list(name: str, default: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in os.environ.get(name, default).split(",") if x.strip())


@dataclass(frozen=True)
class Config:
    database: str = DEFAULT_URL
    host: str = "127.0.0.1"
    port: int = 9696
    workers: int = 1
    drivers: tuple[str, ...] = ("ovs",)
    agent_down_time: float = 75.0
    event_retention_seconds: float = 7 * 24 * 3600.0
    event_retention_count: int = 100_000
    event_prune_interval: float = 60.0
    # the ML2 options as given (Neutron's formats); `ml2` is the parsed form the services use
    ml2_options: dict[str, str] = field(default_factory=lambda: dict(ML2_DEFAULTS))

    @property
    def ml2(self) -> Ml2Settings:
        """Raises trunkd.domain.ml2.ConfigError naming the option that does not parse."""
        return Ml2Settings.parse(self.ml2_options)

    @classmethod
    def from_env(cls) -> Config:
        return cls(
            database=os.environ.get("TRUNKD_DATABASE", DEFAULT_URL),
            host=os.environ.get("TRUNKD_HOST", "127.0.0.1"),
            port=int(os.environ.get("TRUNKD_PORT", "9696")),
            workers=int(os.environ.get("TRUNKD_WORKERS", "1")),
            drivers=_env_list("TRUNKD_DRIVERS", "ovs"),
            agent_down_time=float(os.environ.get("TRUNKD_AGENT_DOWN_TIME", "75")),
            event_retention_seconds=float(os.environ.get("TRUNKD_EVENT_RETENTION_SECONDS", 7 * 24 * 3600)),
            event_retention_count=int(os.environ.get("TRUNKD_EVENT_RETENTION_COUNT", "100000")),
            event_prune_interval=float(os.environ.get("TRUNKD_EVENT_PRUNE_INTERVAL", "60")),
            ml2_options={name: os.environ.get(f"TRUNKD_{name.upper()}", default)
                         for name, default in ML2_DEFAULTS.items()},
        )

    def to_env(self) -> dict[str, str]:
        return {
            "TRUNKD_DATABASE": self.database,
            "TRUNKD_HOST": self.host,
            "TRUNKD_PORT": str(self.port),
            "TRUNKD_WORKERS": str(self.workers),
            "TRUNKD_DRIVERS": ",".join(self.drivers),
            "TRUNKD_AGENT_DOWN_TIME": str(self.agent_down_time),
            "TRUNKD_EVENT_RETENTION_SECONDS": str(self.event_retention_seconds),
            "TRUNKD_EVENT_RETENTION_COUNT": str(self.event_retention_count),
            "TRUNKD_EVENT_PRUNE_INTERVAL": str(self.event_prune_interval),
            **{f"TRUNKD_{name.upper()}": value for name, value in self.ml2_options.items()},
        }
