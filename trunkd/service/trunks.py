"""Trunk use cases: load the facts, ask the trunk aggregate (domain/trunk.py), save, record its events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from trunkd.domain import errors, events
from trunkd.domain.context import RequestContext
from trunkd.domain.listing import ListQuery
from trunkd.domain.model import PortFacts, Trunk, TrunkRole
from trunkd.domain.subports import SubportSpec
from trunkd.domain.trunk import (
    Membership,
    Rules,
    SubportChanges,
    TrunkAggregate,
    check_instance_owner,
    instance_rail_applies,
    membership_events,
    parent_needs_check,
    stored_order,
    trunk_event,
)
from trunkd.domain.trunk import create as new_trunk
from trunkd.domain.trunk_specs import SubportList, TrunkSpec
from trunkd.domain.views import trunk_dict
from trunkd.service.common import check_revision, readable
from trunkd.service.env import Env, scope
from trunkd.service.subport_binding import unbind_subports
from trunkd.service.trunk_status import host_of
from trunkd.store.clock import now
from trunkd.store.uow import UnitOfWork

__all__ = ["SubportChanges", "add_subports", "create_trunks", "delete_trunk", "get_trunk", "list_trunks",
           "remove_subports", "set_subports", "update_trunk", "visible_trunk"]


def visible_trunk(uow: UnitOfWork, ctx: RequestContext, trunk_id: str, *, lock: bool = False) -> Trunk:
    trunk = uow.trunks.get(trunk_id, scope(ctx), lock=lock)
    if trunk is None:
        raise errors.TrunkNotFound(trunk_id=trunk_id)
    return trunk


def _facts(uow: UnitOfWork, ctx: RequestContext, port_ids: Collection[str]) -> dict[str, PortFacts]:
    """Lock the ports, then fetch what validation needs; marks which the caller may see."""
    uow.ports.lock(port_ids)
    own = scope(ctx)
    return {
        pid: f if own is None or f.project_id == own else replace(f, visible=False)
        for pid, f in uow.ports.facts(port_ids).items()
    }


def rules_of(env: Env) -> Rules:
    return Rules(env.drivers.validators, env.settings.allocator, env.settings.guard_rails)


def _aggregate(env: Env, trunk: Trunk) -> TrunkAggregate:
    return TrunkAggregate(trunk, rules_of(env))

def _can_trunk(env: Env, uow: UnitOfWork, host_id: str, vif_type: str) -> bool:
    """Neutron's rule: an unbound port always; a bound one only if the driver in charge allows it."""
    if not host_id:
        return True
    return env.drivers.can_trunk_bound(vif_type, uow.agents.live_types(host_id, env.settings.agent_down_time))


# -- create ---------------------------------------------------------------------------------
def _create_one(env: Env, uow: UnitOfWork, ctx: RequestContext, spec: TrunkSpec) -> Trunk:
    trunk_id = str(uuid.uuid4())
    facts = _facts(uow, ctx, spec.port_ids())
    parent = facts.get(spec.port_id)
    trunkable = parent is None or not parent_needs_check(facts, spec.port_id) or _can_trunk(
        env, uow, parent.host_id, parent.vif_type)
    trunk = new_trunk(rules_of(env), trunk_id, spec, facts, trunkable, now())
    uow.trunks.insert(trunk)
    stored = replace(trunk, sub_ports=stored_order(trunk.sub_ports))  # as a later GET shows it (not read back)
    view = trunk_dict(stored)
    env.drivers.precommit("create", view)
    uow.record(trunk_event(events.TRUNK_CREATED, stored, facts[spec.port_id].host_id or None, view=view))
    return stored


def create_trunks(env: Env, ctx: RequestContext, items: Sequence[TrunkSpec | Mapping[str, Any]],
                  dry_run: bool = False) -> list[Trunk]:
    """Create one or more trunks, all or nothing, in one transaction (or only validate: dry run)."""
    specs = [TrunkSpec.of(item) for item in items]
    for spec in specs:
        env.policy.enforce(ctx, "create_trunk", spec.target)
    return env.db.transact(
        lambda uow: [_create_one(env, uow, ctx, spec) for spec in specs], ctx.request_id, dry_run=dry_run
    )


# -- read -----------------------------------------------------------------------------------
def get_trunk(env: Env, ctx: RequestContext, trunk_id: str, rule: str = "get_trunk") -> Trunk:
    with env.db.read() as uow:
        trunk = visible_trunk(uow, ctx, trunk_id)
    env.policy.enforce(ctx, rule, {"project_id": trunk.project_id})
    return trunk


def list_trunks(env: Env, ctx: RequestContext, query: ListQuery) -> list[Trunk]:
    with env.db.read() as uow:
        found = uow.trunks.page(query, scope(ctx))
    return readable(env, ctx, "get_trunk", found, lambda t: {"project_id": t.project_id})


# -- update / delete ------------------------------------------------------------------------
def update_trunk(
    env: Env, ctx: RequestContext, trunk_id: str, attrs: dict[str, Any], if_match: int | None
) -> Trunk:
    def work(uow: UnitOfWork) -> Trunk:
        trunk = visible_trunk(uow, ctx, trunk_id, lock=True)
        env.policy.enforce(ctx, "update_trunk", {"project_id": trunk.project_id})
        check_revision(if_match, trunk.revision_number)
        changes = _aggregate(env, trunk).update(attrs)
        if not changes:
            return trunk
        uow.trunks.update(trunk_id, changes)
        updated = visible_trunk(uow, ctx, trunk_id)
        uow.record(trunk_event(events.TRUNK_UPDATED, updated, host_of(uow, trunk), trunk))
        return updated

    return env.db.transact(work, ctx.request_id)


def _delete_in(env: Env, uow: UnitOfWork, trunk: Trunk) -> None:
    """Delete a (locked, visible, authorised) trunk inside the caller's unit of work, with its event."""
    parent = uow.ports.binding(trunk.port_id)
    host_id = parent[0] if parent is not None else ""
    _aggregate(env, trunk).check_deletable(parent is None or _can_trunk(env, uow, *parent))
    env.drivers.precommit("delete", trunk_dict(trunk))
    uow.trunks.delete(trunk)
    unbind_subports(uow, [s.port_id for s in trunk.sub_ports])
    uow.record(trunk_event(events.TRUNK_DELETED, trunk, host_id or None, trunk))


def delete_trunk(env: Env, ctx: RequestContext, trunk_id: str, if_match: int | None) -> None:
    def work(uow: UnitOfWork) -> None:
        trunk = visible_trunk(uow, ctx, trunk_id, lock=True)
        env.policy.enforce(ctx, "delete_trunk", {"project_id": trunk.project_id})
        check_revision(if_match, trunk.revision_number)
        _delete_in(env, uow, trunk)

    env.db.transact(work, ctx.request_id)


# -- subports -------------------------------------------------------------------------------
def _save_membership(env: Env, uow: UnitOfWork, trunk: Trunk, change: Membership) -> Trunk:
    """Write a membership change: rows, status, revision bumped once, drivers' vetoes, an event per kind.

    The new membership is known (change.sub_ports, stored order): not read back."""
    changes = change.changes
    if changes.removed:
        uow.trunks.remove_subports(trunk.id, [s.port_id for s in changes.removed])
        unbind_subports(uow, [s.port_id for s in changes.removed])
    if changes.retagged:
        uow.trunks.retag_subports(trunk.id, [n for _, n in changes.retagged])
    if changes.added:
        uow.trunks.add_subports(trunk.id, changes.added)
    updated = uow.trunks.update_known(trunk, {"status": change.status.value, "status_reason": change.status_reason},
                                      change.sub_ports)
    for operation, payload, event in membership_events(updated, trunk, host_of(uow, trunk), changes):
        env.drivers.precommit(operation, payload)
        uow.record(event)
    return updated


Decide = Callable[[UnitOfWork, TrunkAggregate], Membership | None]


def _change_membership(env: Env, ctx: RequestContext, trunk_id: str, rules: tuple[str, ...], decide: Decide,
                       dry_run: bool) -> tuple[Trunk, SubportChanges]:
    """The member actions: lock the visible trunk, enforce `rules`, let the aggregate decide, save."""
    def work(uow: UnitOfWork) -> tuple[Trunk, SubportChanges]:
        trunk = visible_trunk(uow, ctx, trunk_id, lock=True)
        target = {"project_id": trunk.project_id}
        for rule in rules:
            env.policy.enforce(ctx, rule, target)
        change = decide(uow, _aggregate(env, trunk))
        if change is None:
            return trunk, SubportChanges([], [], [])
        return _save_membership(env, uow, trunk, change), change.changes

    return env.db.transact(work, ctx.request_id, dry_run=dry_run)


def _specs_and_facts(uow: UnitOfWork, ctx: RequestContext, aggregate: TrunkAggregate,
                     request: SubportList) -> tuple[list[SubportSpec], dict[str, PortFacts]]:
    specs = request.specs(allocating=aggregate.rules.allocating)
    return specs, _facts(uow, ctx, [aggregate.trunk.port_id, *(s.port_id for s in specs)])


def add_subports(env: Env, ctx: RequestContext, trunk_id: str, wanted: SubportList | Mapping[str, Any], *,
                 idempotent: bool = False, dry_run: bool = False) -> Trunk:
    """Neutron's add_subports; `idempotent` skips items identical to existing subports."""
    request = SubportList.of(wanted)

    def decide(uow: UnitOfWork, aggregate: TrunkAggregate) -> Membership | None:
        return aggregate.add(*_specs_and_facts(uow, ctx, aggregate, request), idempotent=idempotent)

    return _change_membership(env, ctx, trunk_id, ("add_subports",), decide, dry_run)[0]


def remove_subports(env: Env, ctx: RequestContext, trunk_id: str, wanted: SubportList | Mapping[str, Any], *,
                    idempotent: bool = False, dry_run: bool = False) -> Trunk:
    """Neutron's remove_subports; `idempotent` skips ports that are not on the trunk."""
    request = SubportList.of(wanted)

    def decide(_uow: UnitOfWork, aggregate: TrunkAggregate) -> Membership | None:
        return aggregate.remove(request, idempotent=idempotent)

    return _change_membership(env, ctx, trunk_id, ("remove_subports",), decide, dry_run)[0]


def set_subports(env: Env, ctx: RequestContext, trunk_id: str, wanted: SubportList | Mapping[str, Any], *,
                 dry_run: bool = False) -> tuple[Trunk, SubportChanges]:
    """Desired state: make the trunk's subports exactly the list given, touching only the difference.

    Nothing to do means no write, no revision bump and no event (TrunkAggregate.replace)."""
    request = SubportList.of(wanted)

    def decide(uow: UnitOfWork, aggregate: TrunkAggregate) -> Membership | None:
        return aggregate.replace(*_specs_and_facts(uow, ctx, aggregate, request))

    return _change_membership(env, ctx, trunk_id, ("add_subports", "remove_subports"), decide, dry_run)


# -- the trunk side of port changes ---------------------------------------------------------
def check_instance_rail(env: Env, uow: UnitOfWork, port_id: str, device_owner: str) -> None:
    """Guard rail `instance-port`: an instance may not take a subport as its own port."""
    if instance_rail_applies(env.settings.guard_rails, device_owner):
        check_instance_owner(uow.ports.trunk_membership(port_id), port_id, device_owner)


def release_port(env: Env, uow: UnitOfWork, ctx: RequestContext, role: TrunkRole, trunk_id: str,
                 port_id: str) -> None:
    """DELETE /v2.0/ports/{id}?cascade=trunk: free the port from its trunk role in the deleting unit of work.

    A parent goes with its trunk, a subport with its membership; the trunk rules still hold (a disabled
    trunk, or one whose bound parent cannot be untrunked, 409s)."""
    trunk = visible_trunk(uow, ctx, trunk_id, lock=True)
    if role is TrunkRole.PARENT:
        env.policy.enforce(ctx, "delete_trunk", {"project_id": trunk.project_id})
        _delete_in(env, uow, trunk)
        return
    env.policy.enforce(ctx, "remove_subports", {"project_id": trunk.project_id})
    change = _aggregate(env, trunk).release([s for s in trunk.sub_ports if s.port_id == port_id])
    _save_membership(env, uow, trunk, change)
