"""Port use cases, including binding and its effect on a parent's trunk."""

from __future__ import annotations

import random
import uuid
from typing import Any

from trunkd.domain import errors, events
from trunkd.domain.context import RequestContext
from trunkd.domain.events import port_event
from trunkd.domain.listing import ListQuery
from trunkd.domain.model import Network, Port, TrunkDetails, TrunkRole
from trunkd.domain.security_groups import is_trusted
from trunkd.service import binding, ipam, trunks
from trunkd.service import security_groups as groups
from trunkd.service.common import check_revision, readable, real_changes
from trunkd.service.env import Env, scope
from trunkd.service.networks import visible_network
from trunkd.service.trunk_status import parent_unbound
from trunkd.store.clock import now
from trunkd.store.uow import UnitOfWork

# wire name -> model field, for the attributes a client may write
FIELDS = {
    "name": "name",
    "description": "description",
    "admin_state_up": "admin_state_up",
    "device_id": "device_id",
    "device_owner": "device_owner",
    "binding:host_id": "host_id",
    "binding:profile": "profile",
    "binding:vnic_type": "vnic_type",
    "port_security_enabled": "port_security_enabled",
    "allowed_address_pairs": "allowed_address_pairs",
    "mac_address": "mac_address",
    "extra_dhcp_opts": "extra_dhcp_opts",
}
# attributes with a rule of their own, checked when a request sets them (value: the default, which is not checked)
_UNSET = object()
ATTRIBUTE_RULES = {
    "mac_address": _UNSET, "binding:host_id": _UNSET, "binding:profile": _UNSET,
    "port_security_enabled": _UNSET, "allowed_address_pairs": _UNSET,
    "device_id": "", "device_owner": "", "binding:vnic_type": "normal",
}
MAC_PREFIX = "fa:16:3e"
_rng = random.SystemRandom()


def explicitly_set(attrs: dict[str, Any]) -> list[str]:
    """The attributes of a request whose own rules apply (given, and not just the default value)."""
    return [k for k, default in ATTRIBUTE_RULES.items() if k in attrs and attrs[k] != default]


def visible_port(uow: UnitOfWork, ctx: RequestContext, port_id: str, *, lock: bool = False) -> Port:
    port = uow.ports.get(port_id, scope(ctx), lock=lock)
    if port is None:
        raise errors.PortNotFound(port_id=port_id)
    return port


def _random_mac() -> str:
    return MAC_PREFIX + "".join(f":{_rng.randrange(256):02x}" for _ in range(3))


def _allocate_mac(uow: UnitOfWork, network_id: str) -> str:
    while True:
        mac = _random_mac()
        if not uow.ports.mac_taken(network_id, mac):
            return mac


def create_ports(env: Env, ctx: RequestContext, items: list[dict[str, Any]]) -> list[Port]:
    """Create one or more ports, all or nothing; their addresses are allocated as one batch."""
    def work(uow: UnitOfWork) -> list[Port]:
        seen: dict[str, Network] = {}  # each network of the batch is read once
        made = [_create_one(env, uow, ctx, a, seen) for a in items]
        addresses = ipam.allocate(uow, [ipam.Request(p, a.get("fixed_ips"), scope(ctx))
                                        for p, a in zip(made, items, strict=True)])
        _give_groups(env, uow, ctx, made, items)
        for port in made:
            port.fixed_ips = addresses[port.id]
            uow.record(port_event(events.PORT_CREATED, port))
        return made

    return env.db.transact(work, ctx.request_id)


def _give_groups(env: Env, uow: UnitOfWork, ctx: RequestContext, made: list[Port],
                 items: list[dict[str, Any]]) -> None:
    """Each new port's security groups, as Neutron: those named (checked together, one query), else its
    project's default group where port security is on; none for network-owned ports. One insert for all."""
    defaults: dict[str, str | None] = {}
    wanted: dict[str, tuple[str, list[str]]] = {}
    for port, attrs in zip(made, items, strict=True):
        named = attrs.get("security_groups")
        if port.port_security_enabled and named is None and not is_trusted(port.device_owner):
            if port.project_id not in defaults:
                defaults[port.project_id] = groups.ensure_default(env, uow, ctx, port.project_id)
            default = defaults[port.project_id]
            port.security_groups = [default] if default else []
        elif named and not port.port_security_enabled:
            raise errors.PortSecurityAndIPRequiredForSecurityGroups()
        elif named and not is_trusted(port.device_owner):
            port.security_groups = list(named)
            wanted[port.id] = (port.project_id, named)
    groups.check_port_groups(uow, ctx, wanted)
    uow.security_groups.bind({p.id: p.security_groups for p in made if p.security_groups})


def _check_port_security(enabled: bool, pairs: list[dict[str, str]]) -> None:
    if pairs and not enabled:
        raise errors.AddressPairAndPortSecurityRequired()


def _create_one(env: Env, uow: UnitOfWork, ctx: RequestContext, attrs: dict[str, Any],
                seen: dict[str, Network]) -> Port:
    net = seen.get(attrs["network_id"])
    if net is None:
        net = seen[attrs["network_id"]] = visible_network(uow, ctx, attrs["network_id"])
    target = {"project_id": attrs["project_id"], "network:project_id": net.project_id, "shared": net.shared,
              "device_owner": attrs["device_owner"]}
    env.policy.enforce(ctx, "create_port", target)
    for key in explicitly_set(attrs):
        env.policy.enforce(ctx, f"create_port:{key}", target)
    if any("ip_address" in f for f in attrs.get("fixed_ips") or []):
        env.policy.enforce(ctx, "create_port:fixed_ips:ip_address", target)
    port_security = attrs.get("port_security_enabled", net.port_security_enabled)
    pairs = attrs.get("allowed_address_pairs", [])
    _check_port_security(port_security, pairs)
    mac = attrs.get("mac_address")
    if mac is None:
        mac = _allocate_mac(uow, net.id)
    elif uow.ports.mac_taken(net.id, mac):
        raise errors.MacAddressInUse(net_id=net.id, mac=mac)
    host = attrs.get("binding:host_id", "")
    vif_type, vif_details = binding.resolve(uow, net, host, env.settings.agent_down_time,
                                            vnic_type=attrs["binding:vnic_type"])
    stamp = now()
    port = Port(
        id=str(uuid.uuid4()), project_id=attrs["project_id"], network_id=net.id,
        name=attrs["name"], description=attrs["description"],
        admin_state_up=attrs["admin_state_up"], mac_address=mac.lower(),
        device_id=attrs["device_id"], device_owner=attrs["device_owner"], status="DOWN",
        host_id=host, vif_type=vif_type, vif_details=vif_details,
        profile=attrs.get("binding:profile", {}), vnic_type=attrs["binding:vnic_type"],
        revision_number=0, created_at=stamp, updated_at=stamp, tags=attrs.get("tags", []),
        port_security_enabled=port_security, allowed_address_pairs=pairs,
        extra_dhcp_opts=[o for o in attrs.get("extra_dhcp_opts") or [] if o["opt_value"] is not None],
    )
    uow.ports.insert(port)
    uow.ports.tags.add(port.id, port.tags)
    return port


def get_port(env: Env, ctx: RequestContext, port_id: str) -> tuple[Port, TrunkDetails | None]:
    with env.db.read() as uow:
        port = visible_port(uow, ctx, port_id)
        env.policy.enforce(ctx, "get_port", {"project_id": port.project_id})
        return port, uow.ports.trunk_details([port.id]).get(port.id)


def list_ports(
    env: Env, ctx: RequestContext, query: ListQuery
) -> tuple[list[Port], dict[str, TrunkDetails]]:
    with env.db.read() as uow:
        found = readable(env, ctx, "get_port", uow.ports.page(query, scope(ctx)),
                         lambda p: {"project_id": p.project_id})
        return found, uow.ports.trunk_details(p.id for p in found)


def update_port(
    env: Env, ctx: RequestContext, port_id: str, attrs: dict[str, Any], if_match: int | None
) -> tuple[Port, TrunkDetails | None]:
    def work(uow: UnitOfWork) -> tuple[Port, TrunkDetails | None]:
        port = visible_port(uow, ctx, port_id, lock=True)
        net = uow.networks.get(port.network_id)
        assert net is not None
        target = {"project_id": port.project_id, "network:project_id": net.project_id,
                  "device_owner": attrs.get("device_owner", port.device_owner)}
        env.policy.enforce(ctx, "update_port", target)
        for key in attrs:
            if key in ATTRIBUTE_RULES:
                env.policy.enforce(ctx, f"update_port:{key}", target)
        if any("ip_address" in f for f in attrs.get("fixed_ips") or []):
            env.policy.enforce(ctx, "update_port:fixed_ips:ip_address", target)
        check_revision(if_match, port.revision_number)
        if "extra_dhcp_opts" in attrs:
            attrs["extra_dhcp_opts"] = merge_dhcp_opts(port.extra_dhcp_opts, attrs["extra_dhcp_opts"])
        changes = real_changes(port, {FIELDS[k]: v for k, v in attrs.items() if k in FIELDS})
        if "mac_address" in changes:
            _check_mac_change(uow, port, str(changes["mac_address"]))
        trunks.check_instance_rail(env, uow, port_id, str(changes.get("device_owner", "")))
        wanted = {**vars(port), **changes}
        _check_port_security(wanted["port_security_enabled"], wanted["allowed_address_pairs"])
        groups.ensure_default(env, uow, ctx, port.project_id)
        regrouped = _regroup(uow, ctx, port, attrs, bool(wanted["port_security_enabled"]))
        readdressed = False
        if "fixed_ips" in attrs:
            released, added = ipam.readdress(uow, port, attrs["fixed_ips"], scope(ctx))
            readdressed = bool(released or added)
        if "host_id" in changes:
            membership = uow.ports.trunk_membership(port_id)
            parent_of = membership[1] if membership is not None and membership[0] is TrunkRole.PARENT else None
            changes["vif_type"], changes["vif_details"] = binding.resolve(
                uow, net, str(changes["host_id"]), env.settings.agent_down_time,
                vnic_type=str(wanted["vnic_type"]), trunk_id=parent_of,
            )
            if port.status != "DOWN":  # a new (or no) host has not plugged it yet: its agent reports ACTIVE
                changes["status"] = "DOWN"
        if not changes and not readdressed and not regrouped:
            return port, uow.ports.trunk_details([port_id]).get(port_id)
        uow.ports.update(port_id, changes)
        updated = visible_port(uow, ctx, port_id)
        uow.record(port_event(events.PORT_UPDATED, updated, port))
        if updated.vif_type == binding.UNBOUND and port.vif_type != binding.UNBOUND:
            parent_unbound(uow, port_id)
        return updated, uow.ports.trunk_details([port_id]).get(port_id)

    return env.db.transact(work, ctx.request_id)


def _regroup(uow: UnitOfWork, ctx: RequestContext, port: Port, attrs: dict[str, Any], port_security: bool) -> bool:
    """Neutron's port-security and security-group update rules; replaces the port's groups when the request
    names others. Returns whether they changed."""
    named = attrs.get("security_groups")
    if not port_security:
        if named:
            raise errors.PortSecurityAndIPRequiredForSecurityGroups()
        if "security_groups" not in attrs and port.security_groups:
            raise errors.PortSecurityPortHasSecurityGroup()
    if "security_groups" not in attrs or set(named or []) == set(port.security_groups):
        return False
    new = [] if is_trusted(str(attrs.get("device_owner", port.device_owner))) else list(named or [])
    groups.check_port_groups(uow, ctx, {port.id: (port.project_id, new)})
    uow.security_groups.unbind(port.id)
    uow.security_groups.bind({port.id: new})
    return True


def merge_dhcp_opts(current: list[dict[str, Any]], given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Neutron's update: an option given replaces the one of its name and IP version, None removes it."""
    merged = {(o["opt_name"], o["ip_version"]): o for o in current}
    for opt in given:
        key = (opt["opt_name"], opt["ip_version"])
        if opt["opt_value"] is None:
            merged.pop(key, None)
        else:
            merged[key] = opt
    return list(merged.values())


def _check_mac_change(uow: UnitOfWork, port: Port, mac: str) -> None:
    """A MAC changes only while the port is unbound (or its binding failed), and stays unique on its network."""
    if port.vif_type not in (binding.UNBOUND, binding.BINDING_FAILED):
        raise errors.PortBound(port_id=port.id, vif_type=port.vif_type, old_mac=port.mac_address, new_mac=mac)
    if uow.ports.mac_taken(port.network_id, mac):
        raise errors.MacAddressInUse(net_id=port.network_id, mac=mac)


def delete_port(env: Env, ctx: RequestContext, port_id: str, if_match: int | None, *, cascade: bool = False) -> None:
    """Delete a port; one in a trunk is a 409 unless `cascade` frees it first (same transaction:
    DELETE …?cascade=trunk, where a parent goes with its trunk and a subport with its membership)."""
    def work(uow: UnitOfWork) -> None:
        port = visible_port(uow, ctx, port_id, lock=True)
        env.policy.enforce(ctx, "delete_port", {"project_id": port.project_id, "device_owner": port.device_owner})
        check_revision(if_match, port.revision_number)
        membership = uow.ports.trunk_membership(port_id)
        if membership is not None:
            role, trunk_id = membership
            if cascade:
                trunks.release_port(env, uow, ctx, role, trunk_id, port_id)
                port = visible_port(uow, ctx, port_id)  # as released (a subport is unbound first)
            elif role is TrunkRole.SUBPORT:
                raise errors.PortInUseAsSubPort(port_id=port_id, trunk_id=trunk_id)
            else:
                raise errors.PortInUseAsTrunkParent(port_id=port_id, trunk_id=trunk_id)
        uow.ports.delete(port_id)
        uow.record(port_event(events.PORT_DELETED, port, port))

    env.db.transact(work, ctx.request_id)
