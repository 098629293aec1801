"""Which events of other hosts make the agent refresh its security-group flows (trunkd.agent.daemon)."""

from __future__ import annotations

from trunkd.agent.daemon import concerns_firewall

PORT = {"security_groups": ["web"], "fixed_ips": [{"ip_address": "10.0.0.5"}], "allowed_address_pairs": [],
        "status": "DOWN"}


def port_event(state: dict[str, object] | None, previous: dict[str, object] | None) -> dict[str, object]:
    return {"resource_type": "port", "kind": "port.updated", "state": state, "previous": previous}


def test_group_and_rule_events_always_concern_the_firewall() -> None:
    for kind in ("security_group", "security_group_rule"):
        assert concerns_firewall({"resource_type": kind, "kind": f"{kind}.created"}, set())


def test_a_port_matters_only_when_it_enters_leaves_or_readdresses_a_remote_group() -> None:
    remote = {"web"}
    assert concerns_firewall(port_event(PORT, None), remote), "created in the group"
    assert concerns_firewall(port_event(None, PORT), remote), "deleted from it"
    assert concerns_firewall(port_event({**PORT, "security_groups": []}, PORT), remote), "left it"
    assert concerns_firewall(port_event({**PORT, "fixed_ips": [{"ip_address": "10.0.0.6"}]}, PORT), remote)
    assert not concerns_firewall(port_event({**PORT, "status": "ACTIVE"}, PORT), remote), "a status change"
    assert not concerns_firewall(port_event(PORT, None), {"other"}), "not a remote group anyone uses"
