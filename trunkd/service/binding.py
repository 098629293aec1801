"""Port binding: which vif type a host gives a port."""

from __future__ import annotations

from typing import Any

from trunkd.drivers.builtin import OVS_AGENT_TYPE
from trunkd.store.uow import UnitOfWork

UNBOUND = "unbound"
BINDING_FAILED = "binding_failed"
OVS_VIF_DETAILS: dict[str, Any] = {
    "port_filter": True,
    "ovs_hybrid_plug": False,
    "datapath_type": "netdev",
    "bridge_name": "br-int",
    "connectivity": "l2",
}


def resolve(uow: UnitOfWork, host: str, down_time: float) -> tuple[str, dict[str, Any]]:
    """(vif_type, vif_details) for a port bound to `host` ('' unbinds)."""
    if not host:
        return UNBOUND, {}
    if OVS_AGENT_TYPE in uow.agents.live_types(host, down_time):
        return "ovs", dict(OVS_VIF_DETAILS)
    return BINDING_FAILED, {}
