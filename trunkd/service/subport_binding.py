"""Binding a trunk's subports to the parent's host, and the agent's status reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from trunkd.domain import errors, events
from trunkd.domain.context import RequestContext
from trunkd.domain.events import port_event
from trunkd.domain.limits import MAX_REASON_LEN, MAX_REASON_PORTS
from trunkd.domain.model import SUBPORT_STATUSES, Agent, Port, Trunk
from trunkd.domain.status import TrunkStatus
from trunkd.domain.subports import count_error
from trunkd.service import binding
from trunkd.service.env import Env, check_host
from trunkd.service.trunk_status import all_subports, host_of, set_status
from trunkd.store.uow import UnitOfWork

SUBPORT_OWNER = "trunk:subport"


@dataclass(frozen=True)
class Outcome:
    port_id: str
    bound: bool
    reason: str = ""

    def as_dict(self, host: str) -> dict[str, Any]:
        return {"port_id": self.port_id, "outcome": "bound" if self.bound else "failed",
                "reason": self.reason, "binding:host_id": host if self.bound else None}


def _record_port_changes(uow: UnitOfWork, before: Mapping[str, Port], port_ids: Collection[str]) -> None:
    for port in uow.ports.get_many(port_ids):
        uow.record(port_event(events.PORT_UPDATED, port, before[port.id]))


def degraded_reason(failed: list[Outcome]) -> str:
    """How many subports failed and the first few, always within the status_reason column."""
    shown = failed[:MAX_REASON_PORTS]
    names = "; ".join(f"{o.port_id} ({o.reason})" for o in shown)
    more = f"; and {len(failed) - len(shown)} more" if len(failed) > len(shown) else ""
    reason = f"{len(failed)} subport(s) failed to bind: {names}{more}"
    if len(reason) > MAX_REASON_LEN:
        reason = reason[: MAX_REASON_LEN - 1] + "…"
    return reason


def unbind_subports(uow: UnitOfWork, port_ids: Collection[str]) -> None:
    """Undo the trunk binding of ports leaving a trunk (set-based), with their events."""
    before = {p.id: p for p in uow.ports.get_many(port_ids, device_owner=SUBPORT_OWNER)}
    if not before:
        return
    uow.ports.update_many(list(before), {"host_id": "", "vif_type": binding.UNBOUND, "vif_details": {},
                                         "device_owner": "", "device_id": "", "status": "DOWN"})
    _record_port_changes(uow, before, list(before))


def bind_subports(env: Env, ctx: RequestContext, trunk_id: str, body: Any) -> tuple[Trunk, list[Outcome], str]:
    """Bind the listed subports (all when none are listed) to the parent's host, one outcome each.

    What cannot be bound keeps its previous binding and the trunk goes DEGRADED naming it; a
    parent that failed to bind is not recoverable here: the trunk goes ERROR.
    """
    env.policy.enforce(ctx, "bind_subports", {"project_id": ctx.project_id})
    wanted = body.get("sub_ports") if isinstance(body, dict) else body
    if wanted is not None and not (
        isinstance(wanted, list) and all(isinstance(i, dict) and "port_id" in i for i in wanted)
    ):
        raise errors.InvalidInput(error_message="'sub_ports' must be a list of {'port_id': …} objects")
    too_many = count_error(wanted)
    if too_many:
        raise errors.InvalidInput(error_message=too_many)

    def work(uow: UnitOfWork) -> tuple[Trunk, list[Outcome], str]:
        trunk = uow.trunks.get(trunk_id, lock=True)
        if trunk is None:
            raise errors.TrunkNotFound(trunk_id=trunk_id)
        parent = uow.ports.get(trunk.port_id)
        assert parent is not None
        host = str(parent.profile.get("migrating_to") or parent.host_id)
        if not host:
            raise errors.ParentPortNotBound(trunk_id=trunk_id, port_id=parent.id)
        check_host(env, ctx, host)
        members = {s.port_id for s in trunk.sub_ports}
        ids = members if wanted is None else [i["port_id"] for i in wanted]
        for port_id in ids:
            if port_id not in members:
                raise errors.SubPortNotFound(port_id=port_id, trunk_id=trunk_id)
        if parent.vif_type == binding.BINDING_FAILED:
            reason = f"parent port {parent.id} failed to bind on host {host}"
            failed = [Outcome(p, False, reason) for p in sorted(ids)]
            statuses = {o.port_id: ("ERROR", reason) for o in failed}
            return set_status(uow, trunk, TrunkStatus.ERROR, reason, statuses), failed, host
        ports = {p.id: p for p in uow.ports.get_many(ids)}
        nets = uow.networks.get_many({p.network_id for p in ports.values()})
        agents = uow.agents.live(host, env.settings.agent_down_time)
        outcomes: list[Outcome] = []
        rebind: dict[str, list[str]] = defaultdict(list)  # agent id -> ports whose binding changes
        by_id: dict[str, Agent] = {}
        for port_id in sorted(ids):
            net = nets[ports[port_id].network_id]
            agent = binding.reaching_agent(agents, net)
            if agent is None:
                segment = " ".join(x for x in (net.network_type, net.physical_network) if x)
                reason = (f"no live Open vSwitch agent or OVN chassis on host {host} reaches network {net.id} "
                          f"({segment})")
                outcomes.append(Outcome(port_id, False, reason))
                continue
            outcomes.append(Outcome(port_id, True))
            port = ports[port_id]
            if (port.host_id, port.vif_type, port.vif_details, port.device_owner) != (
                host, *binding.ovs_binding(agent), SUBPORT_OWNER
            ):
                rebind[agent.id].append(port_id)
                by_id[agent.id] = agent
        for agent_id, same in rebind.items():
            vif_type, details = binding.ovs_binding(by_id[agent_id])
            uow.ports.update_many(same, {"host_id": host, "vif_type": vif_type, "vif_details": details,
                                         "device_owner": SUBPORT_OWNER, "device_id": trunk.id})
        _record_port_changes(uow, ports, [p for same in rebind.values() for p in same])
        failed = [o for o in outcomes if not o.bound]
        if failed:
            statuses = {o.port_id: ("ERROR", o.reason) for o in failed}
            trunk = set_status(uow, trunk, TrunkStatus.DEGRADED, degraded_reason(failed), statuses)
        else:
            trunk = set_status(uow, trunk, TrunkStatus.BUILD, f"subports bound to {host}; wiring")
        return trunk, outcomes, host

    return env.db.transact(work, ctx.request_id)


def _subport_reports(body: Mapping[str, Any]) -> dict[str, tuple[str, str]] | None:
    """The optional per-subport part of a status report: [{port_id, status, reason?}, …]."""
    items = body.get("sub_ports")
    if items is None:
        return None
    usage = "'sub_ports' must be a list of {'port_id': P, 'status': ACTIVE|DOWN|ERROR, 'reason': R}"
    if not isinstance(items, list):
        raise errors.InvalidInput(error_message=usage)
    found: dict[str, tuple[str, str]] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("port_id"), str) or item["port_id"] in found:
            raise errors.InvalidInput(error_message=usage)
        reason = item.get("reason", "")
        if item.get("status") not in SUBPORT_STATUSES or not isinstance(reason, str) or len(reason) > 1024:
            raise errors.InvalidInput(error_message=usage)
        found[item["port_id"]] = (item["status"], reason)
    return found


def report_status(env: Env, ctx: RequestContext, trunk_id: str, body: Any) -> Trunk:
    """An agent's verdict, computed from `revision_number`; a stale one is refused (409).

    Optional `sub_ports` reports each subport's status (ACTIVE, DOWN, ERROR) with a reason; without
    it, ACTIVE means every subport is wired (ACTIVE) and other statuses leave them as they were.
    """
    env.policy.enforce(ctx, "report_trunk_status", {"project_id": ctx.project_id})
    if not isinstance(body, dict) or not isinstance(body.get("status"), str) or not isinstance(
        body.get("revision_number"), int
    ) or isinstance(body.get("revision_number"), bool):
        raise errors.InvalidInput(error_message="body must be {'status': S, 'revision_number': N, 'reason': R}")
    try:
        target = TrunkStatus(body["status"])
    except ValueError:
        raise errors.InvalidInput(error_message=f"unknown trunk status '{body['status']}'") from None
    reason = body.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 1024:
        raise errors.InvalidInput(error_message="'reason' must be a string of at most 1024 characters")
    reported = _subport_reports(body)

    def work(uow: UnitOfWork) -> Trunk:
        trunk = uow.trunks.get(trunk_id, lock=True)
        if trunk is None:
            raise errors.TrunkNotFound(trunk_id=trunk_id)
        if body["revision_number"] != trunk.revision_number:
            raise errors.StaleStatusReport(trunk_id=trunk_id, reported=body["revision_number"],
                                           current=trunk.revision_number)
        # after the stale check: a parent unbound meanwhile (no host) bumped the revision, the agent gets 409
        check_host(env, ctx, host_of(uow, trunk) or "")
        statuses = reported
        if statuses is None and target == TrunkStatus.ACTIVE:
            statuses = all_subports(trunk, "ACTIVE", "")
        for port_id in statuses or {}:
            if port_id not in {s.port_id for s in trunk.sub_ports}:
                raise errors.SubPortNotFound(port_id=port_id, trunk_id=trunk_id)
        return set_status(uow, trunk, target, reason, statuses)

    return env.db.transact(work, ctx.request_id)
