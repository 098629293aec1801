"""Authorisation rules: Neutron's project-scoped defaults, decided in this one place."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from trunkd.domain import errors
from trunkd.domain.context import RequestContext

Check = Callable[[RequestContext, Mapping[str, Any]], bool]

# keystone's role hierarchy: manager implies member implies reader
_IMPLIED = {"manager": {"manager", "member", "reader"}, "member": {"member", "reader"}, "reader": {"reader"}}


def _has(ctx: RequestContext, role: str) -> bool:
    return any(role in _IMPLIED.get(r, {r}) for r in ctx.roles)


def admin(ctx: RequestContext, _target: Mapping[str, Any]) -> bool:
    return ctx.is_admin


def member(ctx: RequestContext, target: Mapping[str, Any]) -> bool:
    return ctx.is_admin or (_has(ctx, "member") and target.get("project_id") == ctx.project_id)


def reader(ctx: RequestContext, target: Mapping[str, Any]) -> bool:
    return ctx.is_admin or (_has(ctx, "reader") and target.get("project_id") == ctx.project_id)


def reader_or_shared(ctx: RequestContext, target: Mapping[str, Any]) -> bool:
    """Neutron's get_network: a shared network is readable by every project."""
    return reader(ctx, target) or bool(target.get("shared"))


def network_owner(ctx: RequestContext, target: Mapping[str, Any]) -> bool:
    return ctx.is_admin or (_has(ctx, "member") and target.get("network:project_id") == ctx.project_id)


def admin_or_service(ctx: RequestContext, _target: Mapping[str, Any]) -> bool:
    return ctx.is_admin or ctx.is_service


def _crud(resource: str) -> dict[str, Check]:
    return {
        f"create_{resource}": member,
        f"get_{resource}": reader,
        f"update_{resource}": member,
        f"delete_{resource}": member,
        f"create_{resource}:tags": member,
        f"get_{resource}:tags": reader,
        f"update_{resource}:tags": member,
        f"delete_{resource}:tags": member,
    }


RULES: dict[str, Check] = {
    **_crud("network"),
    "get_network": reader_or_shared,
    **_crud("port"),
    **_crud("trunk"),
    "get_subports": reader,
    "add_subports": member,
    "remove_subports": member,
    "create_network:shared": admin,
    "update_network:shared": admin,
    "create_network:provider:network_type": admin,
    "create_network:provider:physical_network": admin,
    "create_network:provider:segmentation_id": admin,
    **_crud("subnet"),
    "create_subnet": network_owner,
    "get_subnet": reader_or_shared,
    "update_subnet": network_owner,
    "delete_subnet": network_owner,
    "create_port:mac_address": network_owner,
    "create_port:fixed_ips:ip_address": network_owner,
    "update_port:fixed_ips:ip_address": network_owner,
    "create_port:port_security_enabled": network_owner,
    "update_port:port_security_enabled": network_owner,
    "create_port:allowed_address_pairs": network_owner,
    "update_port:allowed_address_pairs": network_owner,
    "create_port:binding:host_id": admin,
    "create_port:binding:profile": admin,
    "update_port:binding:host_id": admin,
    "update_port:binding:profile": admin,
    "get_events": admin_or_service,
    "get_agent": admin_or_service,
    "report_agent": admin_or_service,
    "delete_agent": admin,
    "bind_subports": admin_or_service,
    "report_trunk_status": admin_or_service,
}


class NoAuthPolicy:
    """Neutron's default rules; a rule not listed here is admin-only."""

    def __init__(self, rules: Mapping[str, Check] = RULES) -> None:
        self.rules = dict(rules)

    def allowed(self, ctx: RequestContext, rule: str, target: Mapping[str, Any]) -> bool:
        return self.rules.get(rule, admin)(ctx, target)

    def enforce(self, ctx: RequestContext, rule: str, target: Mapping[str, Any]) -> None:
        if not self.allowed(ctx, rule, target):
            raise errors.PolicyNotAuthorized(action=rule)
