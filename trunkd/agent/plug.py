"""`trunkd agent plug PORT IFACE`: what a hypervisor does to attach an instance's interface.

Neutron's convention (Nova with os-vif): a trunk parent's interface goes into the trunk bridge
`tbr-<trunk>` (created if missing), any other port's into `br-int`, each with
`external_ids:iface-id=<port id>`, `attached-mac` and `iface-status`; then the port is bound to the host.
"""

from __future__ import annotations

from trunkd.agent.api import ServerApi
from trunkd.agent.layout import BR_INT, trunk_bridge
from trunkd.agent.ovs import OvsSwitch


def plug(api: ServerApi, switch: OvsSwitch, port_id: str, iface: str, host: str) -> str:
    """Attach `iface` for port `port_id` on `host`; returns the bridge it went into."""
    port = api.port(port_id)
    details = port.get("trunk_details")
    bridge = trunk_bridge(details["trunk_id"]) if details else BR_INT
    switch.plug(bridge, iface, port_id, port["mac_address"])
    if port.get("binding:host_id") != host:
        api.bind_port(port_id, host)
    return bridge
