"""What a caller may see of a resource: the full dict minus what `get_<resource>:<attribute>` rules hide
(provider and binding attributes: admin and service only), then `fields`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trunkd.api.query import select_fields
from trunkd.domain.context import RequestContext
from trunkd.domain.model import (
    Network,
    Port,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    SubnetPool,
    SubPort,
    Trunk,
    TrunkDetails,
)
from trunkd.domain.views import (
    network_dict,
    port_dict,
    security_group_dict,
    security_group_rule_dict,
    subnet_dict,
    subnetpool_dict,
    trunk_dict,
)


def may_read(ctx: RequestContext, resource: str, attribute: str, project_id: str) -> bool:
    """May the caller read `attribute`? Only attributes with a rule of their own are checked (as Neutron)."""
    return ctx.can(f"get_{resource}:{attribute}", {"project_id": project_id}, if_undefined=True)


def _trim(view: dict[str, Any], ctx: RequestContext, resource: str) -> dict[str, Any]:
    project = view["project_id"]
    hidden = {k for k in ctx.defined_under(f"get_{resource}:") if k in view and not may_read(ctx, resource, k, project)}
    return {k: val for k, val in view.items() if k not in hidden} if hidden else view


def network(net: Network, ctx: RequestContext, fields: list[str] | None = None) -> dict[str, Any]:
    return select_fields(_trim(network_dict(net), ctx, "network"), fields or [])


def full_reasons(_project_id: str, text: str) -> str:
    """Reasons as stored (a caller allowed to read host ids)."""
    return text


# (project of the resource, status reason) -> the reason as the caller may see it (api/reasons.py)
Redact = Callable[[str, str], str]


def subport_view(sub: SubPort, project_id: str, redact: Redact) -> dict[str, object]:
    return {**sub.status_dict(), "status_reason": redact(project_id, sub.status_reason)}


def port(p: Port, details: TrunkDetails | None, ctx: RequestContext,
         fields: list[str] | None = None, subport_status: bool = False,
         redact: Redact = full_reasons) -> dict[str, Any]:
    view = port_dict(p, details)
    if subport_status and details is not None:
        view["trunk_details"]["sub_ports"] = [
            {**subport_view(sub, p.project_id, redact), "mac_address": mac} for sub, mac in details.sub_ports
        ]
    return select_fields(_trim(view, ctx, "port"), fields or [])


def trunk(t: Trunk, fields: list[str] | None = None, subport_status: bool = False,
          redact: Redact = full_reasons) -> dict[str, Any]:
    """`subport_status` (opt-in) adds each subport's status and status_reason; `redact` renders reasons
    for the caller (api/reasons.py)."""
    view = trunk_dict(t)
    view["status_reason"] = redact(t.project_id, t.status_reason)
    if subport_status:
        view["sub_ports"] = [subport_view(s, t.project_id, redact) for s in t.sub_ports]
    return select_fields(view, fields or [])


def filterable(ctx: RequestContext, resource: str) -> Callable[[str], bool]:
    """Which attributes the caller may filter `resource` lists on: those it may read."""
    return lambda attribute: may_read(ctx, resource, attribute, ctx.project_id)


def subnet(s: Subnet, fields: list[str] | None = None) -> dict[str, Any]:
    return select_fields(subnet_dict(s), fields or [])


def subnetpool(p: SubnetPool, fields: list[str] | None = None) -> dict[str, Any]:
    return select_fields(subnetpool_dict(p), fields or [])


def security_group(g: SecurityGroup, fields: list[str] | None = None) -> dict[str, Any]:
    return select_fields(security_group_dict(g), fields or [])


def security_group_rule(r: SecurityGroupRule, fields: list[str] | None = None) -> dict[str, Any]:
    return select_fields(security_group_rule_dict(r), fields or [])
