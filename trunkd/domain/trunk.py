"""The trunk aggregate: every rule of a trunk and its subports, over facts the service loaded.

The service loads (the trunk, locked; the ports' facts; whether a bound parent may be trunked),
calls one method here with the request as the API edge parsed it (domain/trunk_specs.py), saves
what it returns and records the events built here. Nothing in this module does I/O; each rule is
written once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from trunkd.domain import errors, events, guard_rails
from trunkd.domain.allocation import AUTO, Allocator, assign
from trunkd.domain.model import PortFacts, SubPort, Trunk, TrunkRole
from trunkd.domain.segmentation import SegmentationValidator
from trunkd.domain.status import TrunkStatus, transition
from trunkd.domain.subports import (
    SubportSpec,
    check_no_duplicate_segments,
    check_parent,
    resolve_subports,
    to_segmentation_id,
    wants_allocation,
)
from trunkd.domain.trunk_specs import SubportList, TrunkSpec
from trunkd.domain.views import trunk_dict

# port id -> (status, reason) of subports
SubportStatuses = Mapping[str, tuple[str, str]]
_OPERATION = {events.SUBPORTS_ADDED: "add_subports", events.SUBPORTS_REMOVED: "remove_subports"}


def stored_order(subs: Iterable[SubPort]) -> list[SubPort]:
    """Subports in the order reads return them."""
    return sorted(subs, key=lambda s: (s.segmentation_type, s.segmentation_id))


@dataclass(frozen=True)
class Rules:
    """The deployment's trunk rules: segmentation validators, VLAN allocation, guard rails."""

    validators: Mapping[str, SegmentationValidator]
    allocator: Allocator | None = None
    guard_rails: frozenset[str] = frozenset()

    @property
    def allocating(self) -> bool:
        return self.allocator is not None


# -- what the aggregate returns -------------------------------------------------------------
@dataclass(frozen=True)
class SubportChanges:
    """What a membership change did: (old, new) pairs for re-tagged subports."""

    added: list[SubPort]
    removed: list[SubPort]
    retagged: list[tuple[SubPort, SubPort]]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.retagged)

    @property
    def new(self) -> list[SubPort]:
        """Rows to write: the added and the re-tagged as they become."""
        return [*self.added, *(n for _, n in self.retagged)]

    @property
    def old(self) -> list[SubPort]:
        """Rows that go: the removed and the re-tagged as they were."""
        return [*self.removed, *(o for o, _ in self.retagged)]


@dataclass(frozen=True)
class Membership:
    """A membership change to save: the changes, the new membership (stored order) and its status."""

    changes: SubportChanges
    sub_ports: list[SubPort]
    status: TrunkStatus
    status_reason: str = ""


@dataclass(frozen=True)
class StatusChange:
    """A status move to save: the trunk's status and reason, and the subports whose status changed."""

    status: TrunkStatus
    reason: str
    subports: dict[str, tuple[str, str]]


# -- events ---------------------------------------------------------------------------------
def trunk_event(kind: str, trunk: Trunk, host: str | None, previous: Trunk | None = None,
                view: dict[str, Any] | None = None, **extra: Any) -> events.Event:
    """`view`: trunk_dict(trunk) when the caller has it already."""
    state = (view or trunk_dict(trunk)) if kind != events.TRUNK_DELETED else None
    prev = trunk_dict(previous) if previous is not None else None
    if extra:
        state = {**(state or {}), **extra}
    return events.Event(kind, "trunk", trunk.id, trunk.project_id, state, prev, host=host)


def membership_events(updated: Trunk, previous: Trunk, host: str | None,
                      changes: SubportChanges) -> list[tuple[str, dict[str, Any], events.Event]]:
    """Per kind of change (removals first): the drivers' precommit operation, its payload, the event."""
    view = trunk_dict(updated)
    found = []
    for kind, changed in ((events.SUBPORTS_REMOVED, changes.old), (events.SUBPORTS_ADDED, changes.new)):
        if not changed:
            continue
        changed_sub_ports = [s.as_dict() for s in changed]
        found.append((_OPERATION[kind], {**view, "changed_sub_ports": changed_sub_ports},
                      trunk_event(kind, updated, host, previous, view, changed_sub_ports=changed_sub_ports)))
    return found


def status_event(updated: Trunk, previous: Trunk, host: str | None) -> events.Event:
    state = {**trunk_dict(updated), "sub_port_statuses": [s.status_dict() for s in updated.sub_ports]}
    return events.Event(events.TRUNK_STATUS_CHANGED, "trunk", updated.id, updated.project_id, state,
                        trunk_dict(previous), host=host)


# -- creating -------------------------------------------------------------------------------
def _allocated(rules: Rules, trunk_id: str, parent: PortFacts, subs: list[SubPort],
               kept: Collection[SubPort]) -> list[SubPort]:
    """Pick VLANs for the subports that asked the server to (never the parent's VLAN under that rail)."""
    if rules.allocator is None:
        return subs
    reserved = list(kept)
    vlan = guard_rails.parent_vlan(parent)
    if guard_rails.PARENT_VLAN in rules.guard_rails and vlan is not None:
        reserved.append(SubPort("", "vlan", vlan))
    return assign(trunk_id, subs, reserved, rules.allocator)


def _resolve(rules: Rules, trunk_id: str, parent: PortFacts, specs: list[SubportSpec],
             facts: Mapping[str, PortFacts]) -> list[SubPort]:
    return resolve_subports(specs, trunk_id=trunk_id, parent=parent, facts=facts,
                            validators=rules.validators, allocating=rules.allocating)


def parent_needs_check(facts: Mapping[str, PortFacts], port_id: str) -> bool:
    """Whether the service must ask the drivers if the parent may be trunked (a visible port)."""
    found = facts.get(port_id)
    return found is not None and found.visible


def create(rules: Rules, trunk_id: str, spec: TrunkSpec, facts: Mapping[str, PortFacts], trunkable: bool,
           stamp: datetime) -> Trunk:
    """A new trunk (DOWN, revision 0), its subports in stored order; raises the first rule broken."""
    parent = check_parent(spec.port_id, facts.get(spec.port_id), trunkable)
    subs = _allocated(rules, trunk_id, parent, _resolve(rules, trunk_id, parent, spec.sub_ports, facts), [])
    check_no_duplicate_segments(trunk_id, subs, set())
    guard_rails.check(rules.guard_rails, parent, facts, subs)
    return Trunk(
        id=trunk_id, project_id=spec.project_id, name=spec.name, description=spec.description,
        admin_state_up=spec.admin_state_up, status=TrunkStatus.DOWN.value, status_reason="",
        port_id=spec.port_id, revision_number=0, created_at=stamp, updated_at=stamp, sub_ports=subs,
    )


# -- the aggregate --------------------------------------------------------------------------
def _already_member(spec: SubportSpec, current: Mapping[str, SubPort], facts: Mapping[str, PortFacts],
                    allocating: bool) -> bool:
    """Is this requested item identical to a subport the trunk already has?"""
    sub = current.get(spec.port_id)
    if sub is None:
        return False
    if spec.inherits:
        port = facts.get(spec.port_id)
        return port is not None and (port.network_type, port.segmentation_id) == sub.segment
    if allocating and wants_allocation(spec.segmentation_type, spec.segmentation_id):
        return True
    try:
        return (spec.segmentation_type, to_segmentation_id(spec.segmentation_id)) == sub.segment
    except ValueError:
        return False


@dataclass(frozen=True)
class TrunkAggregate:
    """One (locked) trunk and the rules it answers to."""

    trunk: Trunk
    rules: Rules

    @property
    def _current(self) -> dict[str, SubPort]:
        return {s.port_id: s for s in self.trunk.sub_ports}

    def _check_enabled(self) -> None:
        if not self.trunk.admin_state_up:
            raise errors.TrunkDisabled(trunk_id=self.trunk.id)

    def _check_not_in_error(self) -> None:
        if self.trunk.status == TrunkStatus.ERROR:
            raise errors.TrunkInErrorState(trunk_id=self.trunk.id)

    def _membership(self, changes: SubportChanges) -> Membership:
        """A membership change puts the trunk DOWN (through the status machine: always allowed)."""
        replaced = {s.port_id for s in changes.old}
        kept = [s for s in self.trunk.sub_ports if s.port_id not in replaced]
        down = transition(self.trunk.id, TrunkStatus(self.trunk.status), TrunkStatus.DOWN)
        return Membership(changes, stored_order([*kept, *changes.new]) if changes.new else kept, down)

    @staticmethod
    def parent_of(facts: Mapping[str, PortFacts], port_id: str) -> PortFacts:
        return replace(facts[port_id], visible=True)

    def add(self, specs: list[SubportSpec], facts: Mapping[str, PortFacts], *,
            idempotent: bool = False) -> Membership | None:
        """Neutron's add_subports; `idempotent` skips items identical to existing subports. None: nothing to do."""
        trunk, rules = self.trunk, self.rules
        parent = self.parent_of(facts, trunk.port_id)
        if idempotent:
            current = self._current
            specs = [s for s in specs if not _already_member(s, current, facts, rules.allocating)]
        subs = _resolve(rules, trunk.id, parent, specs, facts)
        self._check_enabled()
        self._check_not_in_error()
        subs = _allocated(rules, trunk.id, parent, subs, trunk.sub_ports)
        check_no_duplicate_segments(trunk.id, subs, {s.segment for s in trunk.sub_ports})
        guard_rails.check(rules.guard_rails, parent, facts, subs)
        if not subs:
            return None
        return self._membership(SubportChanges(added=subs, removed=[], retagged=[]))

    def remove(self, request: SubportList, *, idempotent: bool = False) -> Membership | None:
        """Neutron's remove_subports; `idempotent` skips ports that are not on the trunk."""
        self._check_enabled()
        current = self._current
        removed: list[SubPort] = []
        for port_id in request.removals():
            sub = current.get(port_id)
            if sub is not None:
                removed.append(sub)
            elif not idempotent:
                raise errors.SubPortNotFound(port_id=port_id, trunk_id=self.trunk.id)
        return self._membership(SubportChanges(added=[], removed=removed, retagged=[])) if removed else None

    def release(self, removed: list[SubPort]) -> Membership:
        """Take these (member) subports off the trunk."""
        self._check_enabled()
        return self._membership(SubportChanges(added=[], removed=removed, retagged=[]))

    @staticmethod
    def members_as_free(facts: Mapping[str, PortFacts], current: Collection[str]) -> dict[str, PortFacts]:
        """For a desired-state PUT: the trunk's own subports were checked when they joined, not "in use" here."""
        return {
            pid: replace(f, trunk_role=None, trunk_id=None, device_id="", visible=True) if pid in current else f
            for pid, f in facts.items()
        }

    def replace(self, specs: list[SubportSpec], facts: Mapping[str, PortFacts]) -> Membership | None:
        """Desired state: make the subports exactly `specs`, touching only the difference (None: no change).

        An item for a port already on the trunk with the same segmentation is left alone (its status
        too); with a new segmentation it is re-tagged; ports not listed are removed."""
        trunk, rules = self.trunk, self.rules
        current = self._current
        facts = self.members_as_free(facts, current)
        parent = self.parent_of(facts, trunk.port_id)
        wanted = [
            current[s.port_id] if s.segmentation_id == AUTO and s.port_id in current else s
            for s in _resolve(rules, trunk.id, parent, specs, facts)
        ]
        wanted = _allocated(rules, trunk.id, parent, wanted, [])
        check_no_duplicate_segments(trunk.id, wanted, set())
        names = {s.port_id for s in wanted}
        changes = SubportChanges(
            added=[s for s in wanted if s.port_id not in current],
            removed=[s for pid, s in current.items() if pid not in names],
            retagged=[(current[s.port_id], s) for s in wanted
                      if s.port_id in current and s.segment != current[s.port_id].segment],
        )
        if not changes:
            return None
        guard_rails.check(rules.guard_rails, parent, facts, changes.new)
        self._check_enabled()
        if changes.new:
            self._check_not_in_error()
        return self._membership(changes)

    def update(self, wanted: Mapping[str, object]) -> dict[str, object]:
        """The attributes (model field -> value) that a PUT really changes."""
        return {k: v for k, v in wanted.items() if getattr(self.trunk, k) != v}

    def check_deletable(self, trunkable: bool) -> None:
        """A disabled trunk stays; so does one whose bound parent the drivers cannot untrunk."""
        self._check_enabled()
        if not trunkable:
            raise errors.TrunkInUse(trunk_id=self.trunk.id)

    def set_status(self, target: TrunkStatus, reason: str = "",
                   subports: SubportStatuses | None = None) -> StatusChange | None:
        """An allowed transition (raises InvalidStatusTransition otherwise) and the subports' new statuses;
        None when nothing changes (no write, no revision bump, no event)."""
        trunk = self.trunk
        current = TrunkStatus(trunk.status)
        transition(trunk.id, current, target)
        members = {s.port_id: (s.status, s.status_reason) for s in trunk.sub_ports}
        changed = {p: v for p, v in (subports or {}).items() if p in members and members[p] != v}
        if current == target and trunk.status_reason == reason and not changed:
            return None
        return StatusChange(target, reason, changed)

    def all_subports(self, status: str, reason: str) -> dict[str, tuple[str, str]]:
        return {s.port_id: (status, reason) for s in self.trunk.sub_ports}

    def parent_unbound(self) -> StatusChange | None:
        """A trunk whose parent lost its binding goes DOWN (the VM is gone)."""
        no_vm = self.all_subports("DOWN", "parent port unbound: no instance")
        return self.set_status(TrunkStatus.DOWN, "parent port unbound", no_vm)


def instance_rail_applies(rails: frozenset[str], device_owner: str) -> bool:
    """Whether guard rail `instance-port` looks at this port (then `check_instance_owner` with its membership)."""
    return guard_rails.INSTANCE_PORT in rails and guard_rails.is_instance_owner(device_owner)


def check_instance_owner(membership: tuple[TrunkRole, str] | None, port_id: str, device_owner: str) -> None:
    """Guard rail `instance-port`: an instance may not take a subport as its own port."""
    if membership is not None and membership[0] is TrunkRole.SUBPORT:
        raise errors.SubPortUsedByInstance(port_id=port_id, device_owner=device_owner)
