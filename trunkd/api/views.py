"""What a caller may see of a resource: the full dict minus admin-only keys, then `fields`."""

from __future__ import annotations

from typing import Any

from trunkd.api.query import select_fields
from trunkd.domain.context import RequestContext
from trunkd.domain.model import Network, Port, Trunk, TrunkDetails
from trunkd.domain.views import network_dict, port_dict, trunk_dict

NETWORK_ADMIN_ONLY = ("provider:network_type", "provider:physical_network", "provider:segmentation_id")
PORT_ADMIN_ONLY = ("binding:host_id", "binding:vif_type", "binding:vif_details", "binding:profile")


def _trim(view: dict[str, Any], ctx: RequestContext, admin_only: tuple[str, ...]) -> dict[str, Any]:
    if ctx.is_admin or ctx.is_service:
        return view
    return {k: val for k, val in view.items() if k not in admin_only}


def network(net: Network, ctx: RequestContext, fields: list[str] | None = None) -> dict[str, Any]:
    return select_fields(_trim(network_dict(net), ctx, NETWORK_ADMIN_ONLY), fields or [])


def port(p: Port, details: TrunkDetails | None, ctx: RequestContext,
         fields: list[str] | None = None, subport_status: bool = False) -> dict[str, Any]:
    view = port_dict(p, details)
    if subport_status and details is not None:
        view["trunk_details"]["sub_ports"] = [
            {**sub.status_dict(), "mac_address": mac} for sub, mac in details.sub_ports
        ]
    return select_fields(_trim(view, ctx, PORT_ADMIN_ONLY), fields or [])


def trunk(t: Trunk, fields: list[str] | None = None, subport_status: bool = False) -> dict[str, Any]:
    """`subport_status` (opt-in) adds each subport's status and status_reason."""
    view = trunk_dict(t)
    if subport_status:
        view["sub_ports"] = [s.status_dict() for s in t.sub_ports]
    return select_fields(view, fields or [])
