"""binding:vif_details / vif_type / vnic_type of a port bound to a live OVS agent, key for key as Neutron 29.

The expected dicts are derived from neutron 29.0.0 (PyPI): neutron/plugins/ml2/drivers/openvswitch/mech_driver/
mech_openvswitch.py (`OpenvswitchMechanismDriver.__init__`: port_filter = sg_enabled, connectivity 'l2';
`_pre_get_vif_details`: ovs_hybrid_plug from the agent, ovs_create_tap when the datapath is 'system', the vnic
is not 'direct' and no hybrid plug, datapath_type from the agent (default 'system'); `_set_bridge_name`: the
agent's integration_bridge, or what the trunk driver's handler sets), neutron/services/trunk/drivers/openvswitch/
driver.py (`vif_details_bridge_name_handler`: gen_trunk_br_name(trunk_id) = ('tbr-' + trunk_id)[:14] for a
trunk parent) and neutron/plugins/ml2/plugin.py (`_update_port_dict_bound_drivers`: {'0': 'openvswitch'}).
port_filter is true exactly when the host's agent says it enforces security groups (firewall_driver
openvswitch in its heartbeat configuration); an agent without a firewall (noop, or none reported) gives false.
"""

from __future__ import annotations

from typing import Any

from tests.support import Api
from tests.test_agents_binding import bind, heartbeat, new_host


def neutron_details(datapath: str, bridge: str, port_filter: bool = False) -> dict[str, Any]:
    details: dict[str, Any] = {"port_filter": port_filter, "connectivity": "l2", "ovs_hybrid_plug": False,
                               "datapath_type": datapath, "bridge_name": bridge, "bound_drivers": {"0": "openvswitch"}}
    if datapath == "system":
        details["ovs_create_tap"] = True
    return details


def test_plain_port_and_trunk_parent_bind_as_neutron_answers(admin: Api) -> None:
    for datapath in ("netdev", "system"):
        host = new_host()
        heartbeat(admin, host, datapath_type=datapath, ovs_hybrid_plug=False)
        plain, parent = admin.port(), admin.port()
        trunk = admin.post("/v2.0/trunks", {"trunk": {"port_id": parent["id"]}}).json()["trunk"]
        for port, bridge in ((plain, "br-int"), (parent, ("tbr-" + trunk["id"])[:14])):
            bound = bind(admin, port["id"], host)
            assert bound["binding:vif_type"] == "ovs"
            assert bound["binding:vnic_type"] == "normal"
            assert bound["binding:vif_details"] == neutron_details(datapath, bridge), (datapath, bridge)


def test_port_filter_is_true_exactly_on_hosts_whose_agent_enforces_security_groups(admin: Api) -> None:
    for driver, filtering in (("openvswitch", True), ("noop", False)):
        host = new_host()
        heartbeat(admin, host, datapath_type="netdev", firewall_driver=driver)
        plain, parent = admin.port(), admin.port()
        trunk = admin.post("/v2.0/trunks", {"trunk": {"port_id": parent["id"]}}).json()["trunk"]
        for port, bridge in ((plain, "br-int"), (parent, ("tbr-" + trunk["id"])[:14])):
            bound = bind(admin, port["id"], host)
            assert bound["binding:vif_details"] == neutron_details("netdev", bridge, filtering), (driver, bridge)


def test_an_agent_without_tunnels_does_not_bind_vxlan_ports(admin: Api) -> None:
    host, tunnelled = new_host(), new_host()
    heartbeat(admin, host, tunnel_types=[])
    heartbeat(admin, tunnelled, tunnel_types=["vxlan"])
    net = admin.network(**{"provider:network_type": "vxlan"})
    port = admin.port(net["id"])
    assert bind(admin, port["id"], host)["binding:vif_type"] == "binding_failed"
    assert bind(admin, port["id"], tunnelled)["binding:vif_type"] == "ovs"
