"""port_security_enabled, allowed_address_pairs and their rules with security_groups (both engines)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, error_type


def post_port(api: Api, network_id: str, **attrs: Any) -> Any:
    return api.post("/v2.0/ports", {"port": {"network_id": network_id, **attrs}})


def test_extensions_list_port_security_address_pairs_and_security_groups(member: Api) -> None:
    aliases = {e["alias"] for e in member.get("/v2.0/extensions").json()["extensions"]}
    assert {"port-security", "allowed-address-pairs", "security-group", "stateful-security-group"} <= aliases
    assert member.get("/v2.0/extensions/security-group").status_code == 200
    assert member.get("/v2.0/security-groups").status_code == 200


def test_port_security_defaults_to_the_networks(member: Api) -> None:
    on = member.network()
    off = member.network(port_security_enabled=False)
    assert (on["port_security_enabled"], off["port_security_enabled"]) == (True, False)
    assert member.port(on["id"])["port_security_enabled"] is True
    assert member.port(off["id"])["port_security_enabled"] is False
    assert member.port(off["id"], port_security_enabled=True)["port_security_enabled"] is True
    found = member.get("/v2.0/networks", params={"port_security_enabled": "false", "id": [on["id"], off["id"]]})
    assert [n["id"] for n in found.json()["networks"]] == [off["id"]]


def test_network_port_security_can_be_updated(member: Api) -> None:
    net = member.network()
    r = member.put(f"/v2.0/networks/{net['id']}", {"network": {"port_security_enabled": False}})
    assert r.status_code == 200
    assert r.json()["network"]["port_security_enabled"] is False
    assert r.json()["network"]["revision_number"] == net["revision_number"] + 1


def test_allowed_address_pairs_are_stored_and_the_mac_defaults_to_the_ports(member: Api) -> None:
    pairs = [{"ip_address": "10.50.0.5"}, {"ip_address": "10.60.0.0/24", "mac_address": "FA:16:3E:00:00:AA"},
             {"ip_address": "2001:db8::5"}]
    port = member.port(member.network()["id"], allowed_address_pairs=pairs)
    assert port["allowed_address_pairs"] == [
        {"ip_address": "10.50.0.5", "mac_address": port["mac_address"]},
        {"ip_address": "10.60.0.0/24", "mac_address": "fa:16:3e:00:00:aa"},
        {"ip_address": "2001:db8::5", "mac_address": port["mac_address"]},
    ]
    path = f"/v2.0/ports/{port['id']}"
    assert member.get(path).json()["port"] == port
    r = member.put(path, {"port": {"allowed_address_pairs": [{"ip_address": "10.70.0.1"}]}})
    assert r.status_code == 200, r.text
    assert r.json()["port"]["allowed_address_pairs"] == [{"ip_address": "10.70.0.1",
                                                         "mac_address": port["mac_address"]}]
    assert r.json()["port"]["revision_number"] == port["revision_number"] + 1
    r = member.put(path, {"port": {"allowed_address_pairs": None}})
    assert r.json()["port"]["allowed_address_pairs"] == []


@pytest.mark.parametrize(("pairs", "code", "kind"), [
    ([{"mac_address": "fa:16:3e:00:00:01"}], 400, "AllowedAddressPairsMissingIP"),
    ([{"ip_address": "10.0.0.1"}, {"ip_address": "10.0.0.1"}], 400, "DuplicateAddressPairInRequest"),
    ([{"ip_address": "10.0.0.1", "bogus": 1}], 400, "HTTPBadRequest"),
    ([{"ip_address": "10.0.0.300"}], 400, "HTTPBadRequest"),
    ([{"ip_address": "10.0.0.0/33"}], 400, "HTTPBadRequest"),
    ([{"ip_address": "224.0.0.1"}], 400, "HTTPBadRequest"),
    ([{"ip_address": "10.0.0.1", "mac_address": "01:00:5e:00:00:01"}], 400, "HTTPBadRequest"),
    ([{"ip_address": "10.0.0.1", "mac_address": "nope"}], 400, "HTTPBadRequest"),
    ([{"ip_address": f"10.0.0.{i}"} for i in range(1, 12)], 400, "AllowedAddressPairExhausted"),
    ("10.0.0.1", 400, "HTTPBadRequest"),
])
def test_bad_address_pairs_are_rejected_with_neutrons_errors(
    member: Api, pairs: Any, code: int, kind: str
) -> None:
    net = member.network()
    r = post_port(member, net["id"], allowed_address_pairs=pairs)
    assert r.status_code == code, r.text
    assert error_type(r) == kind
    assert member.get("/v2.0/ports", params={"network_id": net["id"]}).json()["ports"] == []


def test_address_pairs_need_port_security(member: Api) -> None:
    net = member.network()
    r = post_port(member, net["id"], port_security_enabled=False, allowed_address_pairs=[{"ip_address": "10.0.0.1"}])
    assert r.status_code == 409
    assert error_type(r) == "AddressPairAndPortSecurityRequired"
    port = member.port(net["id"], allowed_address_pairs=[{"ip_address": "10.0.0.1"}])
    path = f"/v2.0/ports/{port['id']}"
    r = member.put(path, {"port": {"port_security_enabled": False}})
    assert r.status_code == 409
    assert error_type(r) == "AddressPairAndPortSecurityRequired"
    assert member.get(path).json()["port"] == port
    r = member.put(path, {"port": {"port_security_enabled": False, "allowed_address_pairs": []}})
    assert error_type(r) == "PortSecurityPortHasSecurityGroup"  # the default group it was given
    r = member.put(path, {"port": {"port_security_enabled": False, "allowed_address_pairs": [],
                                   "security_groups": []}})
    assert r.status_code == 200, r.text
    assert (r.json()["port"]["port_security_enabled"], r.json()["port"]["allowed_address_pairs"]) == (False, [])
    r = member.put(path, {"port": {"allowed_address_pairs": [{"ip_address": "10.0.0.2"}]}})
    assert r.status_code == 409
    assert error_type(r) == "AddressPairAndPortSecurityRequired"


def test_security_groups_empty_list_and_bad_values(member: Api) -> None:
    net = member.network()
    port = member.port(net["id"], security_groups=[])
    assert port["security_groups"] == []
    assert member.get(f"/v2.0/ports/{port['id']}").json()["port"]["security_groups"] == []
    r = member.put(f"/v2.0/ports/{port['id']}", {"port": {"security_groups": []}})
    assert r.status_code == 200
    assert r.json()["port"]["revision_number"] == port["revision_number"]
    for value, kind in ((["8b3c2a1e-0000-4000-8000-000000000000"], "SecurityGroupNotFound"),
                        (["default"], "HTTPBadRequest"), ("x", "HTTPBadRequest")):
        for r in (post_port(member, net["id"], security_groups=value),
                  member.put(f"/v2.0/ports/{port['id']}", {"port": {"security_groups": value}})):
            assert error_type(r) == kind, r.text
    assert [p["id"] for p in member.get("/v2.0/ports", params={"network_id": net["id"]}).json()["ports"]] == [
        port["id"]]


def test_member_may_not_set_port_security_on_another_projects_shared_network(member: Api, admin: Api) -> None:
    shared = admin.network(shared=True)
    assert member.port(shared["id"])["port_security_enabled"] is True
    r = post_port(member, shared["id"], port_security_enabled=False)
    assert r.status_code == 403
    assert error_type(r) == "PolicyNotAuthorized"
