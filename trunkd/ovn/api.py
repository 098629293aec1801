"""The calls ovn-sync makes to the trunkd server (public API only), on top of the agent's client."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trunkd.agent.api import Resource, ServerApi, ServerError, _chunks

OVN_AGENT_TYPE = "OVN Controller agent"  # Neutron's name for an ovn-controller (an SB Chassis)
OVN_AGENT_BINARY = "ovn-controller"
SYNC_AGENT_TYPE = "OVN sync"  # ovn-sync's own heartbeat (configurations.active: holds the NB lock)
SYNC_AGENT_BINARY = "trunkd-ovn-sync"
COLLECTIONS = {"network": "networks", "subnet": "subnets", "port": "ports", "trunk": "trunks",
               "security_group": "security-groups", "security_group_rule": "security-group-rules"}


class OvnSyncApi(ServerApi):
    def everything(self, resource_type: str) -> list[Resource]:
        params = {"subport_status": "true"} if resource_type == "trunk" else {}
        return self._list(COLLECTIONS[resource_type], params)

    def by_ids(self, resource_type: str, ids: Iterable[str]) -> list[Resource]:
        collection = COLLECTIONS[resource_type]
        params = {"subport_status": "true"} if resource_type == "trunk" else {}
        return [item for chunk in _chunks(ids) for item in self._list(collection, {**params, "id": chunk})]

    def agents_of(self, agent_type: str) -> list[Resource]:
        return self._list("agents", {"agent_type": agent_type})

    def register(self, host: str, agent_type: str, binary: str, configurations: dict[str, Any]) -> Resource:
        agent = {"host": host, "agent_type": agent_type, "binary": binary, "topic": "N/A",
                 "configurations": configurations}
        return dict(self._call("POST", "/v2.0/agents", ok=(200, 201), json={"agent": agent}).json()["agent"])

    def delete_agent(self, agent_id: str) -> None:
        self._call("DELETE", f"/v2.0/agents/{agent_id}", ok=(204, 404))

    def report_trunk(self, trunk_id: str, status: str, reason: str, revision: int,
                     sub_ports: list[Resource]) -> Resource | None:
        return self.report_status(trunk_id, status, reason, revision, sub_ports)


__all__ = ["OVN_AGENT_TYPE", "OvnSyncApi", "ServerError"]
