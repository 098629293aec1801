"""What a caller may see of a resource: the full dict minus what `get_<resource>:<attribute>` rules hide
(provider and binding attributes: admin and service only), then `fields`."""

from __future__ import annotations

from typing import Any

from trunkd.api.query import select_fields
from trunkd.domain import errors
from trunkd.domain.context import RequestContext
from trunkd.domain.listing import ListQuery
from trunkd.domain.model import Network, Port, Trunk, TrunkDetails
from trunkd.domain.views import network_dict, port_dict, trunk_dict


def readable(ctx: RequestContext, resource: str, attribute: str, project_id: str) -> bool:
    """May the caller read `attribute`? Only attributes with a rule of their own are checked (as Neutron)."""
    return ctx.can(f"get_{resource}:{attribute}", {"project_id": project_id}, if_undefined=True)


def _trim(view: dict[str, Any], ctx: RequestContext, resource: str) -> dict[str, Any]:
    project = view["project_id"]
    return {k: val for k, val in view.items() if readable(ctx, resource, k, project)}


def network(net: Network, ctx: RequestContext, fields: list[str] | None = None) -> dict[str, Any]:
    return select_fields(_trim(network_dict(net), ctx, "network"), fields or [])


def port(p: Port, details: TrunkDetails | None, ctx: RequestContext,
         fields: list[str] | None = None) -> dict[str, Any]:
    return select_fields(_trim(port_dict(p, details), ctx, "port"), fields or [])


def trunk(t: Trunk, fields: list[str] | None = None) -> dict[str, Any]:
    return select_fields(trunk_dict(t), fields or [])


def refuse_unreadable_filters(ctx: RequestContext, resource: str, query: ListQuery) -> None:
    """A filter on an attribute the caller may not read would reveal it (e.g. probing a shared network's VLAN):
    it gets the 400 an unknown attribute gets."""
    hidden = [k for k in query.filters if not readable(ctx, resource, k, ctx.project_id)]
    if hidden:
        raise errors.HTTPBadRequest(msg=f"{hidden} is invalid attribute for filtering")
