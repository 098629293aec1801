"""Domain events: what a committed change tells the world (written to the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trunkd.domain.model import Port, SecurityGroup, SecurityGroupRule
from trunkd.domain.views import port_dict, security_group_dict, security_group_rule_dict

TRUNK_CREATED = "trunk.created"
TRUNK_UPDATED = "trunk.updated"
TRUNK_DELETED = "trunk.deleted"
TRUNK_STATUS_CHANGED = "trunk.status_changed"
SUBPORTS_ADDED = "trunk.subports_added"
SUBPORTS_REMOVED = "trunk.subports_removed"
PORT_CREATED = "port.created"
PORT_UPDATED = "port.updated"
PORT_DELETED = "port.deleted"
NETWORK_CREATED = "network.created"
NETWORK_UPDATED = "network.updated"
NETWORK_DELETED = "network.deleted"
SUBNET_CREATED = "subnet.created"
SUBNET_UPDATED = "subnet.updated"
SUBNET_DELETED = "subnet.deleted"
SECURITY_GROUP_CREATED = "security_group.created"
SECURITY_GROUP_UPDATED = "security_group.updated"
SECURITY_GROUP_DELETED = "security_group.deleted"
SECURITY_GROUP_RULE_CREATED = "security_group_rule.created"
SECURITY_GROUP_RULE_DELETED = "security_group_rule.deleted"
# resource types every agent is sent whatever host it follows (their events have no host)
BROADCAST_TYPES = ("security_group", "security_group_rule")
AGENT_REGISTERED = "agent.registered"
AGENT_LOST = "agent.lost"


@dataclass(frozen=True)
class Event:
    kind: str
    resource_type: str
    resource_id: str
    project_id: str | None
    state: dict[str, Any] | None
    previous: dict[str, Any] | None = None
    host: str | None = None


def port_event(kind: str, port: Port, previous: Port | None = None) -> Event:
    return Event(
        kind, "port", port.id, port.project_id,
        port_dict(port) if kind != PORT_DELETED else None,
        port_dict(previous) if previous else None,
        host=port.host_id or (previous.host_id if previous else None) or None,
    )


def security_group_event(kind: str, group: SecurityGroup, previous: SecurityGroup | None = None) -> Event:
    """state: the group as it is now (as it was, for a delete); no host, so every agent is sent it."""
    return Event(kind, "security_group", group.id, group.project_id, security_group_dict(group),
                 security_group_dict(previous) if previous else None)


def security_group_rule_event(kind: str, rule: SecurityGroupRule) -> Event:
    view = security_group_rule_dict(rule)
    return Event(kind, "security_group_rule", rule.id, rule.project_id, view,
                 view if kind == SECURITY_GROUP_RULE_DELETED else None)
