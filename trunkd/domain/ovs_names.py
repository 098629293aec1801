"""Open vSwitch device names as Neutron's OVS agent and trunk driver make them (pure).

Linux caps an interface name at IFNAMSIZ (16) bytes including the NUL, so 15 characters. Neutron keeps one
more character free for trunk bridges (its `gen_trunk_br_name`: 14) and cuts patch ports at 15. The server
answers the trunk bridge in `binding:vif_details.bridge_name` and the agent wires that bridge, so both
must take the name from here.
"""

from __future__ import annotations

IFNAMSIZ = 16
MAX_DEVICE_NAME = IFNAMSIZ - 1  # the NUL
MAX_TRUNK_BRIDGE_NAME = MAX_DEVICE_NAME - 1  # Neutron's gen_trunk_br_name keeps one more free

TRUNK_BRIDGE_PREFIX = "tbr-"
TRUNK_PARENT_PREFIX = "tpt-"  # on the trunk bridge
TRUNK_PARENT_INT_PREFIX = "tpi-"  # on br-int
SUBPORT_PREFIX = "spt-"  # on the trunk bridge
SUBPORT_INT_PREFIX = "spi-"  # on br-int


def trunk_bridge_name(trunk_id: str) -> str:
    """`tbr-` + the trunk id, cut to 14 characters (Neutron's name for the bridge os-vif plugs into)."""
    return (TRUNK_BRIDGE_PREFIX + trunk_id)[:MAX_TRUNK_BRIDGE_NAME]


def patch_port_name(prefix: str, port_id: str) -> str:
    """A trunk patch port: prefix + the port id, cut to 15 characters."""
    return (prefix + port_id)[:MAX_DEVICE_NAME]
