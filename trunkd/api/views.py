"""What a caller may see of a resource: the full dict minus admin-only keys, then `fields`."""

from __future__ import annotations

from typing import Any

from trunkd.api.query import select_fields
from trunkd.domain.context import RequestContext
from trunkd.domain.model import Network, Port, Subnet, Trunk, TrunkDetails
from trunkd.domain.views import network_dict, port_dict, subnet_dict, trunk_dict

NETWORK_ADMIN_ONLY = ("provider:network_type", "provider:physical_network", "provider:segmentation_id")
PORT_ADMIN_ONLY = ("binding:host_id", "binding:vif_type", "binding:vif_details", "binding:profile")


def _trim(view: dict[str, Any], ctx: RequestContext, admin_only: tuple[str, ...]) -> dict[str, Any]:
    if ctx.is_admin or ctx.is_service:
        return view
    return {k: val for k, val in view.items() if k not in admin_only}


def network(net: Network, ctx: RequestContext, fields: list[str] | None = None) -> dict[str, Any]:
    return select_fields(_trim(network_dict(net), ctx, NETWORK_ADMIN_ONLY), fields or [])


def port(p: Port, details: TrunkDetails | None, ctx: RequestContext,
         fields: list[str] | None = None) -> dict[str, Any]:
    return select_fields(_trim(port_dict(p, details), ctx, PORT_ADMIN_ONLY), fields or [])


def trunk(t: Trunk, fields: list[str] | None = None) -> dict[str, Any]:
    return select_fields(trunk_dict(t), fields or [])


def subnet(s: Subnet, fields: list[str] | None = None) -> dict[str, Any]:
    return select_fields(subnet_dict(s), fields or [])
