"""The tags subresource, the same for networks, ports and trunks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trunkd.domain import errors, events
from trunkd.domain.context import RequestContext
from trunkd.domain.limits import MAX_TAGS, valid_tag
from trunkd.domain.views import network_dict, port_dict, security_group_dict, subnet_dict, trunk_dict
from trunkd.service.env import Env
from trunkd.service.networks import visible_network
from trunkd.service.ports import visible_port
from trunkd.service.security_groups import visible_group
from trunkd.service.subnets import visible_subnet
from trunkd.service.trunks import visible_trunk
from trunkd.store.uow import UnitOfWork


@dataclass(frozen=True)
class Taggable:
    singular: str
    find: Callable[..., Any]
    repo: Callable[[UnitOfWork], Any]
    view: Callable[[Any], dict[str, Any]]
    updated: str


KINDS = {
    "networks": Taggable("network", visible_network, lambda u: u.networks, network_dict, events.NETWORK_UPDATED),
    "ports": Taggable("port", visible_port, lambda u: u.ports, port_dict, events.PORT_UPDATED),
    "trunks": Taggable("trunk", visible_trunk, lambda u: u.trunks, trunk_dict, events.TRUNK_UPDATED),
    "subnets": Taggable("subnet", visible_subnet, lambda u: u.subnets, subnet_dict, events.SUBNET_UPDATED),
    "security-groups": Taggable("security_group", visible_group, lambda u: u.security_groups, security_group_dict,
                                events.SECURITY_GROUP_UPDATED),
}


def check_tag(tag: Any) -> str:
    if not valid_tag(tag):
        raise errors.InvalidInput(error_message=f"'{tag}' is not a valid tag")
    return tag


def _check_limit(collection: str, tags: list[str]) -> None:
    """Neutron's validate_tags_limit: a BadRequest naming the collection."""
    if len(set(tags)) > MAX_TAGS:
        raise errors.BadRequest(
            resource=collection, msg=f"The number of tags exceed the per-resource limit of {MAX_TAGS}")


def tags_from_body(body: Any, collection: str) -> list[str]:
    if not isinstance(body, dict) or not isinstance(body.get("tags"), list) or len(body) != 1:
        raise errors.InvalidInput(error_message="Invalid tags body")
    tags = [check_tag(t) for t in body["tags"]]
    _check_limit(collection, tags)
    return list(dict.fromkeys(tags))


def _host(resource: Any) -> str | None:
    return getattr(resource, "host_id", None) or None


def get_tags(env: Env, ctx: RequestContext, collection: str, resource_id: str) -> list[str]:
    kind = KINDS[collection]
    with env.db.read() as uow:
        resource = kind.find(uow, ctx, resource_id)
    env.policy.enforce(ctx, f"get_{kind.singular}:tags", {"project_id": resource.project_id})
    return list(resource.tags)


def has_tag(env: Env, ctx: RequestContext, collection: str, resource_id: str, tag: str) -> None:
    if tag not in get_tags(env, ctx, collection, resource_id):
        raise errors.TagNotFound(tag=tag)


def change_tags(
    env: Env,
    ctx: RequestContext,
    collection: str,
    resource_id: str,
    rule: str,
    wanted: Callable[[list[str]], list[str]],
) -> list[str]:
    """Replace a resource's tags with wanted(current); a real change bumps the revision."""
    kind = KINDS[collection]

    def work(uow: UnitOfWork) -> list[str]:
        resource = kind.find(uow, ctx, resource_id, lock=True)
        env.policy.enforce(ctx, f"{rule}_{kind.singular}:tags", {"project_id": resource.project_id})
        current = list(resource.tags)
        new = wanted(current)
        _check_limit(collection, new)
        if set(new) == set(current):
            return sorted(current)
        repo = kind.repo(uow)
        repo.tags.remove(resource_id, set(current) - set(new))
        repo.tags.add(resource_id, [t for t in new if t not in current])
        repo.update(resource_id, {})
        updated = kind.find(uow, ctx, resource_id)
        uow.record(
            events.Event(kind.updated, kind.singular, resource_id, resource.project_id,
                         kind.view(updated), kind.view(resource), host=_host(resource))
        )
        return sorted(new)

    return env.db.transact(work, ctx.request_id)


def remove_tag(env: Env, ctx: RequestContext, collection: str, resource_id: str, tag: str) -> None:
    def without(current: list[str]) -> list[str]:
        if tag not in current:
            raise errors.TagNotFound(tag=tag)
        return [t for t in current if t != tag]

    change_tags(env, ctx, collection, resource_id, "delete", without)
