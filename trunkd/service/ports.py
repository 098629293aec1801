"""Port use cases, including binding and its effect on a parent's trunk."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

from trunkd.domain import errors, events, guard_rails
from trunkd.domain.context import RequestContext
from trunkd.domain.listing import ListQuery
from trunkd.domain.model import Port, TrunkDetails, TrunkRole
from trunkd.domain.status import TrunkStatus
from trunkd.domain.views import port_dict
from trunkd.service import binding
from trunkd.service.common import check_revision, readable, real_changes
from trunkd.service.env import Env, scope
from trunkd.service.networks import visible_network
from trunkd.service.trunk_status import all_subports, set_status
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
}
ADMIN_ONLY = ("binding:host_id", "binding:profile")
MAC_PREFIX = "fa:16:3e"
_rng = random.SystemRandom()


def port_event(kind: str, port: Port, previous: Port | None = None) -> events.Event:
    return events.Event(
        kind, "port", port.id, port.project_id,
        port_dict(port) if kind != events.PORT_DELETED else None,
        port_dict(previous) if previous else None,
        host=port.host_id or (previous.host_id if previous else None) or None,
    )


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
    """Create one or more ports, all or nothing."""
    return env.db.transact(lambda uow: [_create_one(env, uow, ctx, a) for a in items], ctx.request_id)


def _create_one(env: Env, uow: UnitOfWork, ctx: RequestContext, attrs: dict[str, Any]) -> Port:
    net = visible_network(uow, ctx, attrs["network_id"])
    target = {"project_id": attrs["project_id"], "network:project_id": net.project_id}
    env.policy.enforce(ctx, "create_port", target)
    for key in (*ADMIN_ONLY, "mac_address"):
        if key in attrs:
            env.policy.enforce(ctx, f"create_port:{key}", target)
    mac = attrs.get("mac_address")
    if mac is None:
        mac = _allocate_mac(uow, net.id)
    elif uow.ports.mac_taken(net.id, mac):
        raise errors.MacAddressInUse(net_id=net.id, mac=mac)
    host = attrs.get("binding:host_id", "")
    vif_type, vif_details = binding.resolve(uow, net, host, env.settings.agent_down_time)
    stamp = now()
    port = Port(
        id=str(uuid.uuid4()), project_id=attrs["project_id"], network_id=net.id,
        name=attrs["name"], description=attrs["description"],
        admin_state_up=attrs["admin_state_up"], mac_address=mac.lower(),
        device_id=attrs["device_id"], device_owner=attrs["device_owner"], status="DOWN",
        host_id=host, vif_type=vif_type, vif_details=vif_details,
        profile=attrs.get("binding:profile", {}), vnic_type=attrs["binding:vnic_type"],
        revision_number=0, created_at=stamp, updated_at=stamp, tags=attrs.get("tags", []),
    )
    uow.ports.insert(port)
    uow.ports.tags.add(port.id, port.tags)
    uow.record(port_event(events.PORT_CREATED, port))
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
        target = {"project_id": port.project_id}
        env.policy.enforce(ctx, "update_port", target)
        for key in ADMIN_ONLY:
            if key in attrs:
                env.policy.enforce(ctx, f"update_port:{key}", target)
        check_revision(if_match, port.revision_number)
        changes = real_changes(port, {FIELDS[k]: v for k, v in attrs.items()})
        _check_instance_rail(env, uow, port_id, str(changes.get("device_owner", "")))
        if "host_id" in changes:
            net = uow.networks.get(port.network_id)
            assert net is not None
            changes["vif_type"], changes["vif_details"] = binding.resolve(
                uow, net, str(changes["host_id"]), env.settings.agent_down_time
            )
        if not changes:
            return port, uow.ports.trunk_details([port_id]).get(port_id)
        uow.ports.update(port_id, changes)
        updated = visible_port(uow, ctx, port_id)
        uow.record(port_event(events.PORT_UPDATED, updated, port))
        if updated.vif_type == binding.UNBOUND and port.vif_type != binding.UNBOUND:
            _parent_unbound(uow, port_id)
        return updated, uow.ports.trunk_details([port_id]).get(port_id)

    return env.db.transact(work, ctx.request_id)


def _check_instance_rail(env: Env, uow: UnitOfWork, port_id: str, device_owner: str) -> None:
    """Guard rail `instance-port`: an instance may not take a subport as its own port."""
    if guard_rails.INSTANCE_PORT not in env.settings.guard_rails or not guard_rails.is_instance_owner(device_owner):
        return
    membership = uow.ports.trunk_membership(port_id)
    if membership is not None and membership[0] is TrunkRole.SUBPORT:
        raise errors.SubPortUsedByInstance(port_id=port_id, device_owner=device_owner)


def _parent_unbound(uow: UnitOfWork, port_id: str) -> None:
    """A trunk whose parent lost its binding goes DOWN (the VM is gone)."""
    membership = uow.ports.trunk_membership(port_id)
    if membership is None or membership[0] is not TrunkRole.PARENT:
        return
    trunk = uow.trunks.get(membership[1], lock=True)
    if trunk is not None:
        no_vm = all_subports(trunk, "DOWN", "parent port unbound: no instance")
        set_status(uow, trunk, TrunkStatus.DOWN, "parent port unbound", no_vm)


# Frees a port from its trunk role inside the deleting unit of work (DELETE …?cascade=trunk).
ReleaseTrunk = Callable[[UnitOfWork, TrunkRole, str], None]


def delete_port(env: Env, ctx: RequestContext, port_id: str, if_match: int | None,
                release: ReleaseTrunk | None = None) -> None:
    """Delete a port; one in a trunk is a 409 unless `release` frees it first (same transaction)."""
    def work(uow: UnitOfWork) -> None:
        port = visible_port(uow, ctx, port_id, lock=True)
        env.policy.enforce(ctx, "delete_port", {"project_id": port.project_id})
        check_revision(if_match, port.revision_number)
        membership = uow.ports.trunk_membership(port_id)
        if membership is not None:
            role, trunk_id = membership
            if release is not None:
                release(uow, role, trunk_id)
                port = visible_port(uow, ctx, port_id)  # as released (a subport is unbound first)
            elif role is TrunkRole.SUBPORT:
                raise errors.PortInUseAsSubPort(port_id=port_id, trunk_id=trunk_id)
            else:
                raise errors.PortInUseAsTrunkParent(port_id=port_id, trunk_id=trunk_id)
        uow.ports.delete(port_id)
        uow.record(port_event(events.PORT_DELETED, port, port))

    env.db.transact(work, ctx.request_id)
