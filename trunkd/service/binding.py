"""Port binding: which vif type and details a host gives a port of a given network.

The details are what Neutron 29's openvswitch mechanism driver answers (mech_openvswitch.py,
`OpenvswitchMechanismDriver.__init__`, `_pre_get_vif_details` and `_set_bridge_name`), with its OVS trunk
driver's `vif_details_bridge_name_handler` for a trunk parent and ML2's `_update_port_dict_bound_drivers`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trunkd.domain.model import Agent, Network
from trunkd.domain.ovs_names import trunk_bridge_name
from trunkd.drivers.builtin import OVS_AGENT_TYPE
from trunkd.store.uow import UnitOfWork

UNBOUND = "unbound"
BINDING_FAILED = "binding_failed"
OVS_DATAPATH_SYSTEM = "system"
FILTERING_DRIVERS = ("openvswitch",)  # the agent's firewall_driver values that enforce security groups


def reaching_agent(agents: Iterable[Agent], network: Network) -> Agent | None:
    """A live Open vSwitch agent that reaches the network's segment (bridge mapping or tunnel)."""
    for agent in agents:
        if agent.agent_type == OVS_AGENT_TYPE and agent.reaches(network.network_type, network.physical_network):
            return agent
    return None


def ovs_vif_details(configurations: dict[str, Any], vnic_type: str = "normal",
                    trunk_id: str | None = None) -> dict[str, Any]:
    """binding:vif_details of a normal (not vhost-user) OVS port, as Neutron's driver builds them."""
    hybrid = bool(configurations.get("ovs_hybrid_plug", False))  # trunkd's agent never plugs through a bridge
    datapath = configurations.get("datapath_type", OVS_DATAPATH_SYSTEM)
    # port_filter: true exactly when the host's agent enforces port security and security groups
    filtering = configurations.get("firewall_driver") in FILTERING_DRIVERS
    details: dict[str, Any] = {"port_filter": filtering, "connectivity": "l2", "ovs_hybrid_plug": hybrid}
    if datapath == OVS_DATAPATH_SYSTEM and vnic_type != "direct" and not hybrid:
        details["ovs_create_tap"] = True  # Neutron's [OVS_DRIVER] ovs_create_tap defaults to True
    details["datapath_type"] = datapath
    bridge = trunk_bridge_name(trunk_id) if trunk_id else configurations.get("integration_bridge")
    if bridge:
        details["bridge_name"] = bridge
    details["bound_drivers"] = {"0": "openvswitch"}
    return details


def ovs_binding(agent: Agent, vnic_type: str = "normal", trunk_id: str | None = None) -> tuple[str, dict[str, Any]]:
    return "ovs", ovs_vif_details(agent.configurations, vnic_type, trunk_id)


def resolve(uow: UnitOfWork, network: Network, host: str, down_time: float, *, vnic_type: str = "normal",
            trunk_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """(vif_type, vif_details) for a port of `network` bound to `host` ('' unbinds); `trunk_id` when the
    port is a trunk's parent (os-vif then plugs it into the trunk bridge)."""
    if not host:
        return UNBOUND, {}
    agent = reaching_agent(uow.agents.live(host, down_time), network)
    return ovs_binding(agent, vnic_type, trunk_id) if agent is not None else (BINDING_FAILED, {})
