"""Provider networks (flat and VLAN) as Neutron's OVS agent lays them out (pure: no I/O).

`bridge_mappings physnet:br-ex` gives each physical network a bridge. The agent joins it to br-int by
the patch pair `int-br-ex` (br-int side) / `phy-br-ex` (physical side) and translates VLANs on both
ends, with Neutron's table 0 priorities:

- br-int: `in_port=int-br-ex,dl_vlan=<provider VLAN>` -> local VLAN (priority 3; flat: an untagged
  frame gets the local VLAN pushed), every other frame from int-br-ex dropped (priority 2);
- br-ex: `in_port=phy-br-ex,dl_vlan=<local VLAN>` -> provider VLAN (priority 4; flat: tag stripped),
  every other frame from phy-br-ex dropped (priority 2), NORMAL for the rest (priority 0).

Neutron continues in its own br-int tables (60 and on); our br-int is a NORMAL bridge, so the
translated frame goes straight to NORMAL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from trunkd.agent.switch import BridgeSpec, Observed, PortSpec

INT_PEER_PREFIX = "int-"
PHYS_PEER_PREFIX = "phy-"
PROVIDER_TYPES = ("vlan", "flat")
IFNAMSIZ_USABLE = 15
HASH_LEN = 6


class MappingError(ValueError):
    """A bridge_mappings value that is not Neutron's `physnet:bridge[,physnet:bridge]`."""


def parse_mappings(text: str | None) -> dict[str, str]:
    """`physnet1:br-ex,physnet2:br-ex2` -> {physnet: bridge}; each physnet and bridge at most once."""
    mappings: dict[str, str] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        physnet, sep, bridge = item.partition(":")
        physnet, bridge = physnet.strip(), bridge.strip()
        if not sep or not physnet or not bridge or ":" in bridge:
            raise MappingError(f"bridge mapping {item!r} is not physnet:bridge")
        if physnet in mappings:
            raise MappingError(f"physical network {physnet!r} mapped twice")
        if bridge in mappings.values():
            raise MappingError(f"bridge {bridge!r} mapped to two physical networks")
        if len(bridge) > IFNAMSIZ_USABLE:
            raise MappingError(f"bridge name {bridge!r} is longer than {IFNAMSIZ_USABLE} characters")
        mappings[physnet] = bridge
    return mappings


def peer_name(prefix: str, bridge: str) -> str:
    """Neutron's interface name: prefix + bridge, or, past 15 characters, cut with a short hash of the bridge."""
    name = prefix + bridge
    if len(name) <= IFNAMSIZ_USABLE:
        return name
    digest = hashlib.sha1(bridge.encode()).hexdigest()[:HASH_LEN]
    return prefix + bridge[:IFNAMSIZ_USABLE - len(prefix) - HASH_LEN] + digest


@dataclass
class ProviderLayout:
    bridges: dict[str, BridgeSpec] = field(default_factory=dict)  # physical bridges the agent creates
    ports: dict[str, PortSpec] = field(default_factory=dict)  # the patch pairs
    int_flows: list[str] = field(default_factory=list)  # what br-int's table adds for the patch ports
    phys_flows: dict[str, list[str]] = field(default_factory=dict)  # physical bridge -> its table


def segment(network: Mapping[str, object]) -> tuple[str, str, int | None] | None:
    """(type, physnet, VLAN or None for flat) of a provider network, None for any other."""
    kind = network.get("provider:network_type")
    physnet = network.get("provider:physical_network")
    if kind not in PROVIDER_TYPES or not isinstance(physnet, str):
        return None
    seg = network.get("provider:segmentation_id")
    return str(kind), physnet, int(str(seg)) if kind == "vlan" and seg is not None else None


def build(mappings: Mapping[str, str], networks: Mapping[str, Mapping[str, object]],
          local_vlans: Mapping[str, int], seen: Observed, int_bridge: str, forward: str = "NORMAL"
          ) -> ProviderLayout:
    """Physical bridges, patch pairs and translation flows for the networks wired on this host; a frame
    translated onto br-int continues with `forward` (NORMAL, or the firewall's ingress dispatch)."""
    out = ProviderLayout()
    if not mappings:
        return out
    int_flows: list[str] = []
    for physnet, bridge in sorted(mappings.items()):
        if bridge not in seen.all_bridges or bridge in seen.bridges:  # an operator's own bridge is used as is
            out.bridges[bridge] = BridgeSpec(bridge, physnet, fail_mode="secure")
        int_peer, phys_peer = peer_name(INT_PEER_PREFIX, bridge), peer_name(PHYS_PEER_PREFIX, bridge)
        out.ports[int_peer] = PortSpec(int_peer, int_bridge, "patch", {"peer": phys_peer}, ref=physnet)
        out.ports[phys_peer] = PortSpec(phys_peer, bridge, "patch", {"peer": int_peer}, ref=physnet)
        int_flows.append(f"priority=2,in_port={int_peer},actions=drop")
        phys = ["priority=0,actions=NORMAL", f"priority=2,in_port={phys_peer},actions=drop"]
        for net_id, local in sorted(local_vlans.items(), key=lambda kv: kv[1]):
            seg = segment(networks.get(net_id, {}))
            if seg is None or seg[1] != physnet:
                continue
            vlan = seg[2]
            if vlan is None:  # flat: untagged on the wire
                int_flows.append(f"priority=3,in_port={int_peer},vlan_tci=0x0000/0x1fff,"
                                 f"actions=push_vlan:0x8100,mod_vlan_vid:{local},{_then(forward, local)}")
                phys.append(f"priority=4,in_port={phys_peer},dl_vlan={local},actions=strip_vlan,NORMAL")
            else:
                int_flows.append(f"priority=3,in_port={int_peer},dl_vlan={vlan},"
                                 f"actions=mod_vlan_vid:{local},{_then(forward, local)}")
                phys.append(f"priority=4,in_port={phys_peer},dl_vlan={local},"
                            f"actions=mod_vlan_vid:{vlan},NORMAL")
        out.phys_flows[bridge] = phys
    out.int_flows = int_flows
    return out


def _then(forward: str, local: int) -> str:
    """After translation: NORMAL, or (firewall) the frame's network in reg6 and on to `forward`."""
    return forward if forward == "NORMAL" else f"load:{local}->NXM_NX_REG6[],{forward}"


def reachable(mappings: Mapping[str, str], network: Mapping[str, object]) -> bool:
    """Whether a provider network's physnet is mapped here (tunnel networks are not provider networks)."""
    seg = segment(network)
    return seg is not None and seg[1] in mappings
