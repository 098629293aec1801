"""Network use cases."""

from __future__ import annotations

import uuid
from typing import Any

from trunkd.domain import errors, events
from trunkd.domain.context import RequestContext
from trunkd.domain.listing import ListQuery
from trunkd.domain.model import Network
from trunkd.domain.segmentation import VALIDATORS
from trunkd.domain.views import network_dict, subnet_dict
from trunkd.service.common import check_revision, readable, real_changes
from trunkd.service.env import Env, scope
from trunkd.store.clock import now
from trunkd.store.uow import UnitOfWork

PROVIDER_TYPES = ("vlan", "vxlan", "flat")
MAX_VXLAN_ID = 16777215


def _event(kind: str, net: Network, previous: Network | None = None) -> events.Event:
    return events.Event(
        kind, "network", net.id, net.project_id, network_dict(net),
        network_dict(previous) if previous else None,
    )


def visible_network(uow: UnitOfWork, ctx: RequestContext, net_id: str, *, lock: bool = False) -> Network:
    net = uow.networks.get(net_id, scope(ctx), lock=lock)
    if net is None:
        raise errors.NetworkNotFound(net_id=net_id)
    return net


def _segment(uow: UnitOfWork, attrs: dict[str, Any]) -> tuple[str, str | None, int | None]:
    """Check or allocate the provider segment of a new network."""
    net_type = attrs.get("provider:network_type")
    physnet = attrs.get("provider:physical_network")
    seg_id = attrs.get("provider:segmentation_id")
    if net_type is None:
        if physnet is not None or seg_id is not None:
            raise errors.InvalidInput(error_message="provider:network_type required")
        net_type = "vxlan"
    if net_type not in PROVIDER_TYPES:
        raise errors.InvalidInput(error_message=f"network_type value '{net_type}' not supported")
    if net_type == "flat":
        if seg_id is not None:
            raise errors.InvalidInput(error_message="segmentation_id specified for flat network")
        if not physnet:
            raise errors.InvalidInput(error_message="physical_network required for flat provider network")
        return net_type, physnet, None
    if net_type == "vlan":
        if not physnet:
            raise errors.InvalidInput(error_message="physical_network required for VLAN provider network")
        if seg_id is None:
            raise errors.InvalidInput(error_message="segmentation_id required for VLAN provider network")
    if net_type == "vxlan":
        if physnet is not None:
            raise errors.InvalidInput(error_message="provider:physical_network specified for vxlan network")
        if seg_id is None:
            return net_type, None, uow.networks.next_segmentation_id("vxlan", MAX_VXLAN_ID)
    assert seg_id is not None  # vlan without an id raised above; vxlan without one returned
    if not VALIDATORS[net_type](seg_id):
        raise errors.InvalidInput(
            error_message=f"segmentation_id {seg_id} out of range for {net_type} networks"
        )
    if uow.networks.segment_taken(net_type, physnet, seg_id):
        raise errors.SegmentationIdInUse(network_type=net_type, segmentation_id=seg_id)
    return net_type, physnet, seg_id


def _authorize_create(env: Env, ctx: RequestContext, attrs: dict[str, Any]) -> None:
    env.policy.enforce(ctx, "create_network", attrs)
    for key in ("shared", "provider:network_type", "provider:physical_network", "provider:segmentation_id"):
        if key in attrs:
            env.policy.enforce(ctx, f"create_network:{key}", attrs)


def _create_one(env: Env, uow: UnitOfWork, attrs: dict[str, Any]) -> Network:
    net_type, physnet, seg_id = _segment(uow, attrs)
    stamp = now()
    net = Network(
        id=str(uuid.uuid4()), project_id=attrs["project_id"], name=attrs["name"],
        description=attrs["description"], admin_state_up=attrs["admin_state_up"],
        shared=attrs.get("shared", False), mtu=attrs["mtu"], status="ACTIVE", network_type=net_type,
        physical_network=physnet, segmentation_id=seg_id, revision_number=0, created_at=stamp,
        updated_at=stamp, tags=attrs.get("tags", []), port_security_enabled=attrs.get("port_security_enabled", True),
    )
    uow.networks.insert(net)
    uow.networks.tags.add(net.id, net.tags)
    uow.record(_event(events.NETWORK_CREATED, net))
    return net


def create_networks(env: Env, ctx: RequestContext, items: list[dict[str, Any]]) -> list[Network]:
    """Create one or more networks, all or nothing."""
    for attrs in items:
        _authorize_create(env, ctx, attrs)
    return env.db.transact(lambda uow: [_create_one(env, uow, a) for a in items], ctx.request_id)


def get_network(env: Env, ctx: RequestContext, net_id: str) -> Network:
    with env.db.read() as uow:
        net = visible_network(uow, ctx, net_id)
    env.policy.enforce(ctx, "get_network", {"project_id": net.project_id, "shared": net.shared})
    return net


def list_networks(env: Env, ctx: RequestContext, query: ListQuery) -> list[Network]:
    with env.db.read() as uow:
        found = uow.networks.page(query, scope(ctx))
    return readable(env, ctx, "get_network", found, lambda n: {"project_id": n.project_id, "shared": n.shared})


def update_network(
    env: Env, ctx: RequestContext, net_id: str, attrs: dict[str, Any], if_match: int | None
) -> Network:
    def work(uow: UnitOfWork) -> Network:
        net = visible_network(uow, ctx, net_id, lock=True)
        target = {"project_id": net.project_id}
        env.policy.enforce(ctx, "update_network", target)
        if "shared" in attrs:
            env.policy.enforce(ctx, "update_network:shared", target)
        check_revision(if_match, net.revision_number)
        changes = real_changes(net, attrs)
        if not changes:
            return net
        uow.networks.update(net_id, changes)
        updated = visible_network(uow, ctx, net_id)
        uow.record(_event(events.NETWORK_UPDATED, updated, net))
        return updated

    return env.db.transact(work, ctx.request_id)


def delete_network(env: Env, ctx: RequestContext, net_id: str, if_match: int | None) -> None:
    def work(uow: UnitOfWork) -> None:
        net = visible_network(uow, ctx, net_id, lock=True)
        env.policy.enforce(ctx, "delete_network", {"project_id": net.project_id})
        check_revision(if_match, net.revision_number)
        if uow.networks.has_ports(net_id):
            raise errors.NetworkInUse(net_id=net_id)
        for subnet in uow.subnets.of_networks([net_id]).get(net_id, []):  # deleted with it (FK cascade)
            uow.record(events.Event(events.SUBNET_DELETED, "subnet", subnet.id, subnet.project_id, None,
                                    subnet_dict(subnet)))
        uow.networks.delete(net_id)
        uow.record(events.Event(events.NETWORK_DELETED, "network", net.id, net.project_id, None,
                                network_dict(net)))

    env.db.transact(work, ctx.request_id)

