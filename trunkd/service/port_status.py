"""The host agent's port status reports: ACTIVE when plugged and wired on the bound host, DOWN when not."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from trunkd.domain import errors, events
from trunkd.domain.context import RequestContext
from trunkd.domain.limits import MAX_BULK
from trunkd.service.env import Env, check_host
from trunkd.service.ports import port_event
from trunkd.store.uow import UnitOfWork

# Neutron's port statuses (neutron_lib.constants PORT_STATUS_*); an agent reports ACTIVE or DOWN,
# BUILD and ERROR are accepted as Neutron's update_device_* paths can leave them.
PORT_STATUSES = ("ACTIVE", "DOWN", "BUILD", "ERROR")
MAX_REPORTED_PORTS = MAX_BULK


def _parse(body: Any) -> dict[str, str]:
    """port id -> reported status (the last one wins when a port is listed twice)."""
    items = body.get("ports") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise errors.InvalidInput(error_message="body must be {'ports': [{'port_id': P, 'status': S}, …]}")
    if len(items) > MAX_REPORTED_PORTS:
        raise errors.InvalidInput(error_message=f"at most {MAX_REPORTED_PORTS} ports in one status report")
    wanted: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("port_id"), str) or not item["port_id"]:
            raise errors.InvalidInput(error_message="each entry must be {'port_id': P, 'status': S}")
        extra = sorted(set(item) - {"port_id", "status"})
        if extra:
            raise errors.InvalidInput(error_message=f"unknown keys in a port status entry: {extra}")
        if item.get("status") not in PORT_STATUSES:
            raise errors.InvalidInput(
                error_message=f"status of port {item['port_id']} must be one of {', '.join(PORT_STATUSES)}"
            )
        wanted[item["port_id"]] = item["status"]
    return wanted


def report_port_status(env: Env, ctx: RequestContext, host: str, body: Any) -> list[dict[str, Any]]:
    """Set the reported statuses of ports bound to `host`, set-based, one event per real change.

    A port not bound to `host` (or not there at all) changes nothing and answers an error entry.
    """
    env.policy.enforce(ctx, "report_port_status", {"project_id": ctx.project_id, "binding:host_id": host})
    check_host(env, ctx, host)
    wanted = _parse(body)

    def work(uow: UnitOfWork) -> list[dict[str, Any]]:
        uow.ports.lock(wanted)
        before = {p.id: p for p in uow.ports.get_many(wanted)}
        to_change: dict[str, list[str]] = defaultdict(list)
        for port_id, status in wanted.items():
            port = before.get(port_id)
            if port is not None and port.host_id == host and port.status != status:
                to_change[status].append(port_id)
        for status, ids in to_change.items():
            uow.ports.update_many(ids, {"status": status})
        changed = {i for ids in to_change.values() for i in ids}
        after = {p.id: p for p in uow.ports.get_many(changed)} if changed else {}
        for port_id in sorted(changed):
            uow.record(port_event(events.PORT_UPDATED, after[port_id], before[port_id]))
        answer: list[dict[str, Any]] = []
        for port_id in wanted:
            port = after.get(port_id) or before.get(port_id)
            if port is None or port.host_id != host:
                answer.append({"port_id": port_id, "status": port.status if port else None,
                               "revision_number": port.revision_number if port else None, "changed": False,
                               "error": {"type": "PortNotBoundToHost",
                                         "message": f"Port {port_id} is not bound to host {host}."}})
            else:
                answer.append({"port_id": port_id, "status": port.status, "revision_number": port.revision_number,
                               "changed": port_id in changed})
        return answer

    return env.db.transact(work, ctx.request_id)
