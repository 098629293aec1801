"""Subnet use cases: Neutron's checks, in Neutron's order, one transaction each."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from trunkd.domain import addressing, errors, events, subnetpools
from trunkd.domain.addressing import IPV4_MIN_MTU, IPV6_MIN_MTU
from trunkd.domain.context import RequestContext
from trunkd.domain.events import port_event
from trunkd.domain.listing import ListQuery
from trunkd.domain.model import Network, Subnet
from trunkd.domain.views import subnet_dict
from trunkd.service import ipam
from trunkd.service.common import check_revision, readable, real_changes
from trunkd.service.env import Env, scope
from trunkd.service.networks import visible_network
from trunkd.service.subnetpools import shape_of
from trunkd.store.clock import now
from trunkd.store.uow import UnitOfWork

UPDATABLE = ("name", "description", "gateway_ip", "allocation_pools", "dns_nameservers", "host_routes",
             "enable_dhcp", "service_types")


def _event(kind: str, subnet: Subnet, previous: Subnet | None = None) -> events.Event:
    return events.Event(kind, "subnet", subnet.id, subnet.project_id,
                        subnet_dict(subnet) if kind != events.SUBNET_DELETED else None,
                        subnet_dict(previous) if previous else None)


def visible_subnet(uow: UnitOfWork, ctx: RequestContext, subnet_id: str, *, lock: bool = False) -> Subnet:
    subnet = uow.subnets.get(subnet_id, scope(ctx), lock=lock)
    if subnet is None:
        raise errors.SubnetNotFound(subnet_id=subnet_id)
    return subnet


def _read_target(subnet: Subnet) -> dict[str, Any]:
    return {"project_id": subnet.project_id, "shared": subnet.shared, "router:external": subnet.router_external}


def check_network_mtu(network: Network, ip_version: int) -> None:
    """A subnet needs its network's MTU at 68 or more (IPv4) or 1280 or more (IPv6); 0 is unset."""
    needed = IPV4_MIN_MTU if ip_version == 4 else IPV6_MIN_MTU
    if network.mtu and network.mtu < needed:
        raise errors.NetworkMTUSubnetConflict(net_id=network.id, mtu=needed if network.mtu >= IPV4_MIN_MTU
                                              else IPV4_MIN_MTU)


def _default_gateway(net: addressing.IPNetwork) -> str | None:
    return addressing.at(net, 1) if net.num_addresses > 1 else None


def _pool_id(uow: UnitOfWork, ctx: RequestContext, attrs: dict[str, Any]) -> str | None:
    """Neutron's _get_subnetpool_id: the pool named, or with use_default_subnetpool the caller's default pool
    of the subnet's IP version."""
    pool_id = attrs.get("subnetpool_id")
    if attrs.get("use_default_subnetpool"):
        if pool_id:
            raise errors.BadRequest(resource="subnets",
                                    msg="subnetpool_id and use_default_subnetpool cannot both be specified")
        version = addressing.network(attrs["cidr"]).version if "cidr" in attrs else attrs["ip_version"]
        default = uow.subnetpools.default_of(version, scope(ctx))
        if default is None:
            raise errors.BadRequest(resource="subnets", msg=f"No default subnetpool found for IPv{version}")
        return default.id
    return pool_id


def _from_pool(uow: UnitOfWork, ctx: RequestContext, attrs: dict[str, Any], pool_id: str) -> str:
    """The CIDR the pool gives this request (Neutron's SubnetAllocator), with the pool row locked until commit:
    the asked-for CIDR if it lies in free space, else the first free block of `prefixlen` (or the pool's
    default), within the pool's bounds and the project's quota."""
    pool = uow.subnetpools.get(pool_id, scope(ctx), lock=True)
    if pool is None:
        raise errors.SubnetPoolNotFound(subnetpool_id=pool_id)
    if attrs["ip_version"] != pool.ip_version:
        raise errors.BadRequest(resource="subnets", msg=(
            f"Cannot allocate IPv{attrs['ip_version']} subnet from IPv{pool.ip_version} subnet pool"))
    shape = shape_of(pool)
    cidr = attrs.get("cidr")
    if cidr is None and attrs.get("gateway_ip"):  # a gateway without a cidr: the block around it
        gateway, prefixlen = attrs["gateway_ip"], attrs.get("prefixlen", pool.default_prefixlen)
        if addressing.address(gateway).version != pool.ip_version:
            raise errors.InvalidInput(
                error_message=f"gateway_ip '{gateway}' does not match the ip_version '{pool.ip_version}'")
        subnetpools.check_prefixlen(shape, prefixlen)
        cidr = str(addressing.network(f"{gateway}/{prefixlen}"))
    prefixlen = addressing.network(cidr).prefixlen if cidr else attrs.get("prefixlen", pool.default_prefixlen)
    subnetpools.check_prefixlen(shape, prefixlen)
    allocated = uow.subnetpools.allocated(pool.id)
    subnetpools.check_quota(shape, [c for c, project in allocated if project == attrs["project_id"]], prefixlen)
    taken = [c for c, _ in allocated]
    if cidr:
        return subnetpools.allocate_specific(shape, taken, cidr)
    return subnetpools.allocate_any(shape, taken, prefixlen)


def _check_pool_affinity(siblings: list[Subnet], ip_version: int, pool_id: str | None) -> None:
    """Subnets of one IP version on a network come from one pool, or none from any (no address scopes)."""
    for other in siblings:
        if other.ip_version == ip_version and other.subnetpool_id != pool_id and (pool_id or other.subnetpool_id):
            raise errors.NetworkSubnetPoolAffinityError()


def _create_one(env: Env, uow: UnitOfWork, ctx: RequestContext, attrs: dict[str, Any]) -> Subnet:
    if attrs.get("cidr", "") is None:  # null is "not given" (Neutron's subnet_or_none)
        attrs = {k: val for k, val in attrs.items() if k != "cidr"}
    if "cidr" in attrs and "prefixlen" in attrs:
        raise errors.BadRequest(resource="subnets", msg="cidr and prefixlen must not be supplied together")
    pool_id = _pool_id(uow, ctx, attrs)
    if pool_id is None and "cidr" not in attrs:
        raise errors.BadRequest(resource="subnets", msg="a subnetpool must be specified in the absence of a cidr")
    if pool_id is not None and "cidr" not in attrs and attrs.get("allocation_pools") is not None:
        raise errors.BadRequest(resource="subnets", msg="allocation_pools allowed only for specific subnet requests.")
    if "cidr" in attrs:
        addressing.check_subnet(attrs, creating=True)
    network = visible_network(uow, ctx, attrs["network_id"], lock=True)
    env.policy.enforce(ctx, "create_subnet", {"project_id": attrs["project_id"],
                                              "network:project_id": network.project_id})
    check_network_mtu(network, attrs["ip_version"])
    if pool_id is not None:
        allocated = _from_pool(uow, ctx, attrs, pool_id)
        if "cidr" not in attrs:  # an explicit cidr was checked above
            attrs = {**attrs, "cidr": allocated}
            addressing.check_subnet(attrs, creating=True)
    cidr = attrs["cidr"]
    siblings = uow.subnets.of_networks([network.id]).get(network.id, [])
    addressing.check_cidr_free(cidr, network.id, [s.cidr for s in siblings])
    _check_pool_affinity(siblings, attrs["ip_version"], pool_id)
    net = addressing.network(cidr)
    gateway = attrs["gateway_ip"] if "gateway_ip" in attrs else _default_gateway(net)
    if attrs.get("allocation_pools") is not None:
        pools = addressing.check_pools(net, attrs["allocation_pools"], gateway)
    else:
        pools = addressing.default_pools(net, gateway)
    stamp = now()
    # created_at keeps its microseconds (shown in whole seconds): "the first subnet" has one meaning
    created = datetime.now(UTC).replace(tzinfo=None)
    subnet = Subnet(
        id=str(uuid.uuid4()), project_id=attrs["project_id"], network_id=network.id, name=attrs["name"],
        description=attrs["description"], ip_version=attrs["ip_version"], cidr=cidr, gateway_ip=gateway,
        enable_dhcp=attrs["enable_dhcp"], ipv6_ra_mode=attrs["ipv6_ra_mode"],
        ipv6_address_mode=attrs["ipv6_address_mode"], allocation_pools=addressing.pools_wire(net, pools),
        dns_nameservers=attrs["dns_nameservers"], host_routes=attrs["host_routes"], revision_number=0,
        created_at=created, updated_at=stamp, tags=attrs.get("tags", []), shared=network.shared,
        service_types=attrs.get("service_types", []), router_external=network.router_external,
        subnetpool_id=pool_id,
    )
    uow.subnets.insert(subnet)
    uow.ports.addresses.free.reset(subnet.id, subnet.cidr, subnet.allocation_pools, subnet.is_auto_address)
    uow.subnets.tags.add(subnet.id, subnet.tags)
    uow.record(_event(events.SUBNET_CREATED, subnet))
    if subnet.is_auto_address:
        macs = uow.ports.macs_on_network(network.id)
        _readdressed(uow, list(macs), lambda: ipam.add_auto_addresses(uow, subnet, macs))
    return subnet


def _readdressed(uow: UnitOfWork, port_ids: list[str], change: Callable[[], None]) -> None:
    """Apply an address change to these ports (a few statements for any number): bump their
    revisions and record their updates."""
    if not port_ids:
        return
    before = uow.ports.get_many(port_ids)
    change()
    uow.ports.update_many(port_ids, {})
    after = {p.id: p for p in uow.ports.get_many(port_ids)}
    for port in before:
        uow.record(port_event(events.PORT_UPDATED, after[port.id], port))


def create_subnets(env: Env, ctx: RequestContext, items: list[dict[str, Any]]) -> list[Subnet]:
    """Create one or more subnets, all or nothing."""
    return env.db.transact(lambda uow: [_create_one(env, uow, ctx, a) for a in items], ctx.request_id)


def get_subnet(env: Env, ctx: RequestContext, subnet_id: str) -> Subnet:
    with env.db.read() as uow:
        subnet = visible_subnet(uow, ctx, subnet_id)
    env.policy.enforce(ctx, "get_subnet", _read_target(subnet))
    return subnet


def list_subnets(env: Env, ctx: RequestContext, query: ListQuery) -> list[Subnet]:
    with env.db.read() as uow:
        found = uow.subnets.page(query, scope(ctx))
    return readable(env, ctx, "get_subnet", found, _read_target)


def update_subnet(
    env: Env, ctx: RequestContext, subnet_id: str, attrs: dict[str, Any], if_match: int | None
) -> Subnet:
    def work(uow: UnitOfWork) -> Subnet:
        subnet = visible_subnet(uow, ctx, subnet_id, lock=True)
        env.policy.enforce(ctx, "update_subnet", {"project_id": subnet.project_id,
                                                  "network:project_id": _network_owner(uow, subnet)})
        check_revision(if_match, subnet.revision_number)
        spec = {**attrs, "id": subnet.id, "ip_version": subnet.ip_version, "cidr": subnet.cidr}
        addressing.check_subnet(spec, creating=False, dhcp_was_enabled=subnet.enable_dhcp)
        net = addressing.network(subnet.cidr)
        if "allocation_pools" in attrs or attrs.get("gateway_ip"):
            gateway = attrs.get("gateway_ip", subnet.gateway_ip)
            pools = attrs.get("allocation_pools") or subnet.allocation_pools
            attrs["allocation_pools"] = addressing.pools_wire(net, addressing.check_pools(net, pools, gateway))
        changes = real_changes(subnet, attrs)
        if not changes:
            return subnet
        uow.subnets.update(subnet_id, changes)
        updated = visible_subnet(uow, ctx, subnet_id)
        if "allocation_pools" in changes:
            uow.ports.addresses.free.reset(subnet_id, updated.cidr, updated.allocation_pools, updated.is_auto_address)
        uow.record(_event(events.SUBNET_UPDATED, updated, subnet))
        return updated

    return env.db.transact(work, ctx.request_id)


def _network_owner(uow: UnitOfWork, subnet: Subnet) -> str:
    network = uow.networks.get(subnet.network_id)
    return network.project_id if network is not None else subnet.project_id


def delete_subnet(env: Env, ctx: RequestContext, subnet_id: str, if_match: int | None) -> None:
    def work(uow: UnitOfWork) -> None:
        subnet = visible_subnet(uow, ctx, subnet_id, lock=True)
        env.policy.enforce(ctx, "delete_subnet", {"project_id": subnet.project_id,
                                                  "network:project_id": _network_owner(uow, subnet)})
        check_revision(if_match, subnet.revision_number)
        if subnet.is_auto_address:  # automatic addresses leave with the subnet, as in Neutron
            holders = uow.ports.addresses.ports_of_subnet(subnet_id)
            _readdressed(uow, holders, lambda: uow.ports.addresses.release_subnet(subnet_id))
        elif uow.subnets.in_use(subnet_id):
            raise errors.SubnetInUse(subnet_id=subnet_id)
        uow.subnets.delete(subnet_id)
        uow.record(events.Event(events.SUBNET_DELETED, "subnet", subnet.id, subnet.project_id, None,
                                subnet_dict(subnet)))

    env.db.transact(work, ctx.request_id)
