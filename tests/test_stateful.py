"""Hypothesis stateful tests (issue #12, item 7): random add / remove / delete sequences on two
trunks of a live server (both engines), checked step by step against a small model of the rules."""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tests.support import Api, Server

POOL = 6  # candidate subports shared by both trunks
VLANS = st.integers(min_value=1, max_value=4)  # few ids, so clashes are common


class Model:
    """What the rules say: per trunk, port -> vlan; a port belongs to at most one trunk."""

    def __init__(self) -> None:
        self.members: dict[str, dict[str, int]] = {}

    def owner(self, port: str) -> str | None:
        return next((t for t, m in self.members.items() if port in m), None)

    def add(self, trunk: str, parent_ids: set[str], items: list[tuple[str, int]]) -> int:
        ports = [p for p, _ in items]
        if len(set(ports)) != len(ports) or len({v for _, v in items}) != len(items):
            return 400  # shape: a port or a segment twice in one request
        for port, _ in items:
            if port in parent_ids or self.owner(port) is not None:
                return 409  # a parent, or already a subport of some trunk
        taken = set(self.members[trunk].values())
        if any(v in taken for _, v in items):
            return 409  # DuplicateSubPort
        self.members[trunk].update(dict(items))
        return 200

    def remove(self, trunk: str, ports: list[str]) -> int:
        if len(set(ports)) != len(ports):
            return 400
        if any(p not in self.members[trunk] for p in ports):
            return 404
        for p in ports:
            del self.members[trunk][p]
        return 200


def machine_for(server: Server) -> type[RuleBasedStateMachine]:
    class Trunks(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.api = Api(server.url)
            net = self.api.network()["id"]
            self.pool = [self.api.port(net)["id"] for _ in range(POOL)]
            self.parents = {name: self.api.port(net)["id"] for name in ("a", "b")}
            self.trunks: dict[str, str] = {}
            self.model = Model()
            for name in self.parents:
                self._create(name)

        def _create(self, name: str) -> None:
            self.trunks[name] = self.api.trunk(self.parents[name])["id"]
            self.model.members[name] = {}

        @rule(name=st.sampled_from(["a", "b"]),
              items=st.lists(st.tuples(st.integers(0, POOL + 1), VLANS), min_size=0, max_size=4))
        def add(self, name: str, items: list[tuple[int, int]]) -> None:
            parents = list(self.parents.values())
            ids = [(self.pool[i] if i < POOL else parents[i - POOL], vlan) for i, vlan in items]
            body = {"sub_ports": [{"port_id": p, "segmentation_type": "vlan", "segmentation_id": v} for p, v in ids]}
            r = self.api.put(f"/v2.0/trunks/{self.trunks[name]}/add_subports", body)
            expected = self.model.add(name, set(parents), ids)
            assert r.status_code == expected, (r.status_code, r.text, ids)

        @rule(name=st.sampled_from(["a", "b"]), picks=st.lists(st.integers(0, POOL - 1), max_size=3))
        def remove(self, name: str, picks: list[int]) -> None:
            ports = [self.pool[i] for i in picks]
            body = {"sub_ports": [{"port_id": p} for p in ports]}
            r = self.api.put(f"/v2.0/trunks/{self.trunks[name]}/remove_subports", body)
            assert r.status_code == self.model.remove(name, ports), (r.status_code, r.text)

        @precondition(lambda self: bool(self.trunks))
        @rule(name=st.sampled_from(["a", "b"]))
        def delete_and_recreate(self, name: str) -> None:
            r = self.api.delete(f"/v2.0/trunks/{self.trunks[name]}")
            assert r.status_code == 204, r.text
            del self.model.members[name]
            self._create(name)  # its subports are free again

        @invariant()
        def server_matches_model(self) -> None:
            for name, trunk_id in self.trunks.items():
                r = self.api.get(f"/v2.0/trunks/{trunk_id}/get_subports")
                assert r.status_code == 200
                shown: dict[str, Any] = {s["port_id"]: s["segmentation_id"] for s in r.json()["sub_ports"]}
                assert shown == self.model.members[name]

    return Trunks


def test_subport_membership_follows_the_rules(server: Server) -> None:
    run_state_machine_as_test(machine_for(server), settings=settings(
        max_examples=8, stateful_step_count=10, deadline=None, derandomize=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ))
