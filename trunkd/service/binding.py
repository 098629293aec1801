"""Port binding: which vif type and details a host gives a port of a given network.

For an Open vSwitch agent the details are what Neutron 29's openvswitch mechanism driver answers
(mech_openvswitch.py, `OpenvswitchMechanismDriver.__init__`, `_pre_get_vif_details` and `_set_bridge_name`),
with its OVS trunk driver's `vif_details_bridge_name_handler` for a trunk parent and ML2's
`_update_port_dict_bound_drivers`. For an OVN chassis (shown as an "OVN Controller agent" by `trunkd ovn-sync`)
they are what ML2/OVN's `_setup_vif_port_bindings` and `bind_port` answer: the instance plugs into the
chassis' integration bridge, trunk parent or not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trunkd.domain.model import Agent, Network
from trunkd.domain.ovs_names import trunk_bridge_name
from trunkd.drivers.builtin import OVN_AGENT_TYPE, OVS_AGENT_TYPE
from trunkd.store.uow import UnitOfWork

UNBOUND = "unbound"
BINDING_FAILED = "binding_failed"
OVS_DATAPATH_SYSTEM = "system"
BINDING_AGENT_TYPES = (OVS_AGENT_TYPE, OVN_AGENT_TYPE)
FILTERING_DRIVERS = ("openvswitch",)  # the agent's firewall_driver values that enforce security groups
# ovn-sync writes port_security (anti-spoofing) and security groups as Port_Groups with ACLs (trunkd/ovn/acls.py)
OVN_PORT_FILTER = True


def reaching_agent(agents: Iterable[Agent], network: Network) -> Agent | None:
    """A live Open vSwitch agent or OVN chassis that reaches the network's segment (bridge mapping or tunnel)."""
    for agent in agents:
        if agent.agent_type in BINDING_AGENT_TYPES and agent.reaches(network.network_type, network.physical_network):
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


def ovn_vif_details(configurations: dict[str, Any]) -> dict[str, Any]:
    """binding:vif_details of a normal port on an OVN chassis, as ML2/OVN builds them: ovs_create_tap from
    [ovn] ovs_create_tap (default True), the chassis' bridge and datapath type (ovn-bridge,
    ovn-bridge-datapath-type; '' when the chassis does not say)."""
    return {"port_filter": OVN_PORT_FILTER, "connectivity": "l2", "ovs_create_tap": True,
            "bridge_name": configurations.get("ovn-bridge", "br-int"),
            "datapath_type": configurations.get("datapath-type", ""), "bound_drivers": {"0": "ovn"}}


def ovs_binding(agent: Agent, vnic_type: str = "normal", trunk_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """(vif_type, vif_details) the agent's mechanism driver answers (OVS agent or OVN chassis)."""
    if agent.agent_type == OVN_AGENT_TYPE:
        return "ovs", ovn_vif_details(agent.configurations)
    return "ovs", ovs_vif_details(agent.configurations, vnic_type, trunk_id)


def resolve(uow: UnitOfWork, network: Network, host: str, down_time: float, *, vnic_type: str = "normal",
            trunk_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """(vif_type, vif_details) for a port of `network` bound to `host` ('' unbinds); `trunk_id` when the
    port is a trunk's parent (os-vif then plugs it into the OVS agent's trunk bridge)."""
    if not host:
        return UNBOUND, {}
    agent = reaching_agent(uow.agents.live(host, down_time), network)
    return ovs_binding(agent, vnic_type, trunk_id) if agent is not None else (BINDING_FAILED, {})
