"""Network use cases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from typing import Any

from trunkd.domain import errors, events, ml2
from trunkd.domain.addressing import IPV4_MIN_MTU, IPV6_MIN_MTU
from trunkd.domain.context import RequestContext
from trunkd.domain.listing import ListQuery
from trunkd.domain.model import Network
from trunkd.domain.views import network_dict, subnet_dict
from trunkd.service.common import check_revision, readable, real_changes
from trunkd.service.env import Env, scope
from trunkd.store.clock import now
from trunkd.store.uow import UnitOfWork


def _event(kind: str, net: Network, previous: Network | None = None) -> events.Event:
    return events.Event(
        kind, "network", net.id, net.project_id, network_dict(net),
        network_dict(previous) if previous else None,
    )


def read_target(net: Network) -> dict[str, Any]:
    """What the network read rules look at (owner, shared, external)."""
    return {"project_id": net.project_id, "shared": net.shared, "router:external": net.router_external}


def visible_network(uow: UnitOfWork, ctx: RequestContext, net_id: str, *, lock: bool = False) -> Network:
    net = uow.networks.get(net_id, scope(ctx), lock=lock)
    if net is None:
        raise errors.NetworkNotFound(net_id=net_id)
    return net


def _segment_request(env: Env, attrs: dict[str, Any]) -> list[ml2.SegmentRequest]:
    """The provider segment asked for, or the tenant types to try in order."""
    net_type = attrs.get("provider:network_type")
    physnet = attrs.get("provider:physical_network")
    seg_id = attrs.get("provider:segmentation_id")
    if net_type is None and physnet is None and seg_id is None:
        return env.settings.ml2.tenant_requests()
    return [env.settings.ml2.provider_request(net_type, physnet, seg_id)]


def _check_free(uow: UnitOfWork, request: ml2.SegmentRequest) -> None:
    """A fully given segment must not be taken (the segment constraint closes the race)."""
    net_type, physnet, seg_id = request.network_type, request.physical_network, request.segmentation_id
    if not uow.networks.segment_taken(net_type, physnet, seg_id):
        return
    if net_type == ml2.VLAN:
        raise errors.VlanIdInUse(vlan_id=seg_id, physical_network=physnet)
    if net_type == ml2.FLAT:
        raise errors.FlatNetworkInUse(physical_network=physnet)
    raise errors.TunnelIdInUse(tunnel_id=seg_id)


def _candidates(env: Env, uow: UnitOfWork, net: Network, request: ml2.SegmentRequest,
                mtu: int | None) -> Iterator[Network]:
    """`net` on each free (physical network, id) of the request's ranges, searched lazily in order."""
    for physnet, (low, high) in request.ranges:
        found = uow.networks.free_segmentation_id(request.network_type, physnet, low, high)
        if found is not None:
            yield _on_segment(env, net, ml2.Segment(request.network_type, physnet, found), mtu)


def _on_segment(env: Env, net: Network, segment: ml2.Segment, mtu: int | None) -> Network:
    return replace(net, network_type=segment.network_type, physical_network=segment.physical_network,
                   segmentation_id=segment.segmentation_id, mtu=env.settings.ml2.network_mtu(segment, mtu))


def _insert(env: Env, uow: UnitOfWork, net: Network, attrs: dict[str, Any]) -> Network:
    """Insert on the requested segment, or on the first one that can be allocated (503 if none)."""
    mtu = attrs.get("mtu")
    for request in _segment_request(env, attrs):
        if not request.partial:
            placed = _on_segment(env, net, ml2.Segment(
                request.network_type, request.physical_network, request.segmentation_id), mtu)
            _check_free(uow, request)
            uow.networks.insert(placed)
            return placed
        allocated = uow.networks.insert_allocating(partial(_candidates, env, uow, net, request, mtu))
        if allocated is not None:
            return allocated
    raise errors.NoNetworkAvailable()


def _check_mtu_for_subnets(uow: UnitOfWork, net: Network, mtu: int) -> None:
    """Neutron's order: below 68 with any subnet, then below 1280 with an IPv6 subnet (409)."""
    if mtu >= IPV6_MIN_MTU:
        return
    subnets = uow.subnets.of_networks([net.id]).get(net.id, [])
    if subnets and mtu < IPV4_MIN_MTU:
        raise errors.NetworkMTUSubnetConflict(net_id=net.id, mtu=IPV4_MIN_MTU)
    if any(s.ip_version == 6 for s in subnets):
        raise errors.NetworkMTUSubnetConflict(net_id=net.id, mtu=IPV6_MIN_MTU)


def _authorize_create(env: Env, ctx: RequestContext, attrs: dict[str, Any]) -> None:
    env.policy.enforce(ctx, "create_network", attrs)
    for key in ("shared", "router:external", "provider:network_type", "provider:physical_network",
                "provider:segmentation_id"):
        if key in attrs:
            env.policy.enforce(ctx, f"create_network:{key}", attrs)


def _create_one(env: Env, uow: UnitOfWork, attrs: dict[str, Any]) -> Network:
    stamp = now()
    net = _insert(env, uow, Network(
        id=str(uuid.uuid4()), project_id=attrs["project_id"], name=attrs["name"],
        description=attrs["description"], admin_state_up=attrs["admin_state_up"],
        shared=attrs.get("shared", False), mtu=0, status="ACTIVE", network_type=None,
        physical_network=None, segmentation_id=None, revision_number=0, created_at=stamp,
        updated_at=stamp, tags=attrs.get("tags", []), port_security_enabled=attrs.get("port_security_enabled", True),
        router_external=attrs.get("router:external", False),
    ), attrs)
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
    env.policy.enforce(ctx, "get_network", read_target(net))
    return net


def list_networks(env: Env, ctx: RequestContext, query: ListQuery) -> list[Network]:
    with env.db.read() as uow:
        found = uow.networks.page(query, scope(ctx))
    return readable(env, ctx, "get_network", found, read_target)


def update_network(
    env: Env, ctx: RequestContext, net_id: str, attrs: dict[str, Any], if_match: int | None
) -> Network:
    def work(uow: UnitOfWork) -> Network:
        net = visible_network(uow, ctx, net_id, lock=True)
        target = {"project_id": net.project_id}
        env.policy.enforce(ctx, "update_network", target)
        for key in ("shared", "router:external"):
            if key in attrs:
                env.policy.enforce(ctx, f"update_network:{key}", target)
        check_revision(if_match, net.revision_number)
        wanted = dict(attrs)
        if "router:external" in wanted:
            wanted["router_external"] = wanted.pop("router:external")
        if "mtu" in wanted:
            segment = ml2.Segment(str(net.network_type), net.physical_network, net.segmentation_id)
            wanted["mtu"] = env.settings.ml2.network_mtu(segment, wanted["mtu"])
            _check_mtu_for_subnets(uow, net, wanted["mtu"])
        changes = real_changes(net, wanted)
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

