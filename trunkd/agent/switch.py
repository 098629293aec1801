"""The agent's switch interface: the layout types and the `Switch` protocol a back end implements (pure).

The reconciler computes a `Plan` from a desired layout and an `Observed` snapshot and hands it to a
`Switch`. Open vSwitch through ovsdbapp (`trunkd.agent.ovs.OvsSwitch`) is one; an OVN or provider-bridge
back end slots in with the same three calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class PortSpec:
    """A port the agent owns: where it sits, what it is, how it tags."""

    name: str
    bridge: str
    type: str  # "patch" or "vxlan"
    options: Mapping[str, str]
    tag: int | None = None
    vlan_mode: str | None = None
    ref: str = ""
    net: str = ""


@dataclass(frozen=True)
class ForeignPort:
    """A port someone else plugged (a hypervisor's tap) with `external_ids:iface-id`."""

    name: str
    bridge: str
    iface_id: str
    tag: int | None
    net: str
    vlan_mode: str | None = None
    trunks: tuple[int, ...] = ()

    @property
    def vlan(self) -> VlanSetting:
        return VlanSetting(self.tag, self.net, self.vlan_mode, self.trunks)


@dataclass(frozen=True)
class VlanSetting:
    """What the agent sets on a hypervisor's port (it owns tag, vlan_mode and trunks of ports it wires).

    On br-int: an access port on its network's local VLAN, or the dead VLAN. On a trunk bridge: all
    cleared (the instance's interface carries every VLAN), undoing os-vif's `isolate_vif`.
    """

    tag: int | None
    net: str = ""
    vlan_mode: str | None = None
    trunks: tuple[int, ...] = ()


@dataclass(frozen=True)
class BridgeSpec:
    name: str
    ref: str = ""
    fail_mode: str | None = None


@dataclass
class Observed:
    """What the switch holds: the bridges and ports the agent owns, and the hypervisor's ports."""

    bridges: dict[str, BridgeSpec] = field(default_factory=dict)  # owned, by name
    all_bridges: set[str] = field(default_factory=set)  # every bridge, so an operator's br-ex is used as is
    ports: dict[str, PortSpec] = field(default_factory=dict)  # owned, by name
    foreign: dict[str, ForeignPort] = field(default_factory=dict)  # by port name
    ofports: dict[str, int] = field(default_factory=dict)  # OpenFlow port number of every port with one


@dataclass
class Plan:
    """The difference to apply; empty when the switch already matches."""

    add_bridges: list[BridgeSpec] = field(default_factory=list)
    del_bridges: list[str] = field(default_factory=list)
    add_ports: list[PortSpec] = field(default_factory=list)
    change_ports: list[PortSpec] = field(default_factory=list)
    del_ports: list[str] = field(default_factory=list)
    tags: dict[str, VlanSetting] = field(default_factory=dict)  # hypervisor port -> what to set

    def __bool__(self) -> bool:
        return any((self.add_bridges, self.del_bridges, self.add_ports, self.change_ports, self.del_ports,
                    self.tags))

    def __len__(self) -> int:
        return (len(self.add_bridges) + len(self.del_bridges) + len(self.add_ports) + len(self.change_ports)
                + len(self.del_ports) + len(self.tags))


class Switch(Protocol):
    """One host's switch as the reconciler drives it."""

    def observe(self) -> Observed:
        """The agent's own bridges and ports, and the hypervisor's ports with an iface-id."""
        ...

    def apply(self, plan: Plan) -> None:
        """Apply the whole plan at once (one transaction); nothing when the plan is empty."""
        ...

    def replace_flows(self, bridge: str, flows: list[str], force: bool = False) -> None:
        """Make the bridge's flow table exactly `flows` (`force`: even if the last call set the same)."""
        ...

    def watch(self, wake: Callable[[], None]) -> None:
        """Call `wake` whenever the switch changes under the agent (a plug, an unplug, a bridge gone)."""
        ...

    def close(self) -> None:
        ...
