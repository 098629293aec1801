"""Port binding: which vif type a host gives a port of a given network."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trunkd.domain.model import Agent, Network
from trunkd.drivers.builtin import OVS_AGENT_TYPE
from trunkd.store.uow import UnitOfWork

UNBOUND = "unbound"
BINDING_FAILED = "binding_failed"
OVS_VIF_DETAILS: dict[str, Any] = {
    "port_filter": True,
    "ovs_hybrid_plug": False,
    "bridge_name": "br-int",
    "connectivity": "l2",
}


def reaching_agent(agents: Iterable[Agent], network: Network) -> Agent | None:
    """A live Open vSwitch agent that reaches the network's segment (bridge mapping or tunnel)."""
    for agent in agents:
        if agent.agent_type == OVS_AGENT_TYPE and agent.reaches(network.network_type, network.physical_network):
            return agent
    return None


def ovs_binding(agent: Agent) -> tuple[str, dict[str, Any]]:
    return "ovs", {**OVS_VIF_DETAILS, "datapath_type": agent.configurations.get("datapath_type", "netdev")}


def resolve(uow: UnitOfWork, network: Network, host: str, down_time: float) -> tuple[str, dict[str, Any]]:
    """(vif_type, vif_details) for a port of `network` bound to `host` ('' unbinds)."""
    if not host:
        return UNBOUND, {}
    agent = reaching_agent(uow.agents.live(host, down_time), network)
    return ovs_binding(agent) if agent is not None else (BINDING_FAILED, {})
