"""Security groups and rules as Neutron 29 answers them (every engine, one shared server)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support import Api, error_type

RULES = "/v2.0/security-group-rules"
GROUPS = "/v2.0/security-groups"


def group(api: Api, **attrs: Any) -> dict[str, Any]:
    r = api.post(GROUPS, {"security_group": {"name": f"sg-{uuid.uuid4().hex[:6]}", **attrs}})
    assert r.status_code == 201, r.text
    return r.json()["security_group"]


def post_rule(api: Api, group_id: str, **attrs: Any) -> Any:
    return api.post(RULES, {"security_group_rule": {"security_group_id": group_id, "direction": "ingress",
                                                    **attrs}})


def rule(api: Api, group_id: str, **attrs: Any) -> dict[str, Any]:
    r = post_rule(api, group_id, **attrs)
    assert r.status_code == 201, r.text
    return r.json()["security_group_rule"]


def default_group(api: Api) -> dict[str, Any]:
    found = api.get(GROUPS, params={"name": "default"}).json()["security_groups"]
    assert len(found) == 1, found
    return found[0]


def shape(r: dict[str, Any]) -> tuple[Any, ...]:
    return r["direction"], r["ethertype"], r["protocol"], r["remote_group_id"], r["remote_ip_prefix"]


def test_default_group_is_made_on_first_need_with_neutrons_rules(member: Api) -> None:
    listed = member.get(GROUPS).json()["security_groups"]
    assert [g["name"] for g in listed] == ["default"]
    default = listed[0]
    assert (default["description"], default["stateful"], default["shared"]) == ("Default security group", True,
                                                                               False)
    assert sorted(shape(r) for r in default["security_group_rules"]) == [
        ("egress", "IPv4", None, None, None), ("egress", "IPv6", None, None, None),
        ("ingress", "IPv4", None, default["id"], None), ("ingress", "IPv6", None, default["id"], None)]
    assert all(r["belongs_to_default_sg"] for r in default["security_group_rules"])
    assert member.get(GROUPS).json()["security_groups"] == listed  # made once
    new = group(member, description="web")
    assert sorted(shape(r) for r in new["security_group_rules"]) == [
        ("egress", "IPv4", None, None, None), ("egress", "IPv6", None, None, None)]
    assert not any(r["belongs_to_default_sg"] for r in new["security_group_rules"])
    assert new["project_id"] == new["tenant_id"] == member.project
    assert new["revision_number"] == 0 and new["created_at"].endswith("Z") and new["tags"] == []


def test_ports_get_the_default_group_unless_they_name_theirs(member: Api) -> None:
    net = member.network()
    port = member.port(net["id"])
    default = default_group(member)
    assert port["security_groups"] == [default["id"]]
    web, db = group(member), group(member)
    named = member.port(net["id"], security_groups=[db["id"], web["id"]])
    assert named["security_groups"] == [db["id"], web["id"]]
    assert member.port(net["id"], port_security_enabled=False)["security_groups"] == []
    assert member.port(net["id"], device_owner="network:dhcp")["security_groups"] == []
    r = member.post("/v2.0/ports", {"port": {"network_id": net["id"], "port_security_enabled": False,
                                             "security_groups": [web["id"]]}})
    assert error_type(r) == "PortSecurityAndIPRequiredForSecurityGroups"
    found = member.get("/v2.0/ports", params={"security_groups": web["id"]}).json()["ports"]
    assert [p["id"] for p in found] == [named["id"]]
    r = member.put(f"/v2.0/ports/{port['id']}", {"port": {"security_groups": [web["id"]]}})
    assert r.status_code == 200, r.text
    assert r.json()["port"]["security_groups"] == [web["id"]]
    assert r.json()["port"]["revision_number"] == port["revision_number"] + 1
    r = member.put(f"/v2.0/ports/{port['id']}", {"port": {"port_security_enabled": False}})
    assert error_type(r) == "PortSecurityPortHasSecurityGroup"
    r = member.put(f"/v2.0/ports/{port['id']}", {"port": {"port_security_enabled": False, "security_groups": None}})
    assert r.status_code == 200, r.text
    assert r.json()["port"]["security_groups"] == []
    r = member.put(f"/v2.0/ports/{port['id']}", {"port": {"security_groups": [web["id"]]}})
    assert error_type(r) == "PortSecurityAndIPRequiredForSecurityGroups"


def test_another_projects_group_is_not_found_and_stateful_mixes_conflict(member: Api, admin: Api) -> None:
    other = admin.as_(f"p-{uuid.uuid4().hex[:8]}", "member,reader")
    theirs = group(other)
    net = member.network()
    for r in (member.get(f"{GROUPS}/{theirs['id']}"),
              member.post("/v2.0/ports", {"port": {"network_id": net["id"], "security_groups": [theirs["id"]]}}),
              member.delete(f"{GROUPS}/{theirs['id']}"), post_rule(member, theirs["id"])):
        assert error_type(r) == "SecurityGroupNotFound", r.text
    assert theirs["id"] not in {g["id"] for g in member.get(GROUPS).json()["security_groups"]}
    stateless, stateful = group(member, stateful=False), group(member)
    assert stateless["stateful"] is False
    r = member.post("/v2.0/ports", {"port": {"network_id": net["id"],
                                             "security_groups": [stateful["id"], stateless["id"]]}})
    assert (r.status_code, error_type(r)) == (409, "SecurityGroupConflict")
    member.port(net["id"], security_groups=[stateless["id"]])
    r = member.put(f"{GROUPS}/{stateless['id']}", {"security_group": {"stateful": True}})
    assert (r.status_code, error_type(r)) == (409, "SecurityGroupInUse")


def test_group_update_delete_and_the_default_groups_rules(member: Api, admin: Api) -> None:
    sg = group(member)
    r = member.put(f"{GROUPS}/{sg['id']}", {"security_group": {"name": "renamed", "description": "d"}})
    assert r.status_code == 200, r.text
    assert (r.json()["security_group"]["name"], r.json()["security_group"]["revision_number"]) == ("renamed", 1)
    default = default_group(member)
    for body, kind in (({"name": "x"}, "SecurityGroupCannotUpdateDefault"),):
        assert error_type(member.put(f"{GROUPS}/{default['id']}", {"security_group": body})) == kind
    assert error_type(member.post(GROUPS, {"security_group": {"name": "Default"}})) == (
        "SecurityGroupDefaultAlreadyExists")
    assert error_type(member.post(GROUPS, {"security_group": {"name": True}})) == "HTTPBadRequest"
    assert error_type(member.post(GROUPS, {"security_group": {"name": "x" * 256}})) == "HTTPBadRequest"
    assert error_type(member.delete(f"{GROUPS}/{default['id']}")) == "SecurityGroupCannotRemoveDefault"
    port = member.port(member.network()["id"], security_groups=[sg["id"]])
    r = member.delete(f"{GROUPS}/{sg['id']}")
    assert (r.status_code, error_type(r)) == (409, "SecurityGroupInUse")
    member.delete(f"/v2.0/ports/{port['id']}")
    assert member.delete(f"{GROUPS}/{sg['id']}").status_code == 204
    assert error_type(member.get(f"{GROUPS}/{sg['id']}")) == "SecurityGroupNotFound"
    # the admin may delete a project's default group; the project's next port update makes a new one
    port = member.port(member.network()["id"], security_groups=[])
    assert admin.delete(f"{GROUPS}/{default['id']}").status_code == 204
    assert member.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "again"}}).status_code == 200
    assert admin.get(GROUPS, params={"project_id": member.project, "name": "default"}).json()["security_groups"]


@pytest.mark.parametrize(("attrs", "expected"), [
    ({"protocol": "TCP", "port_range_min": 22, "port_range_max": "22"}, ("tcp", 22, 22)),
    ({"protocol": "6", "port_range_min": 1, "port_range_max": 65535}, ("6", None, None)),
    ({"protocol": "any"}, (None, None, None)),
    ({"protocol": "icmp", "port_range_min": 8, "port_range_max": 0}, ("icmp", 8, 0)),
    ({"protocol": "icmp", "ethertype": "ipv6"}, ("ipv6-icmp", None, None)),
    ({"protocol": "1", "ethertype": "IPv6"}, ("58", None, None)),
    ({"protocol": "icmpv6", "ethertype": "IPv6"}, ("ipv6-icmp", None, None)),
    ({"protocol": 132, "port_range_min": 5, "port_range_max": 10}, ("132", 5, 10)),
])
def test_rule_conversions(member: Api, attrs: dict[str, Any], expected: tuple[Any, ...]) -> None:
    made = rule(member, group(member)["id"], **attrs)
    assert (made["protocol"], made["port_range_min"], made["port_range_max"]) == expected
    assert member.get(f"{RULES}/{made['id']}").json()["security_group_rule"] == made


@pytest.mark.parametrize(("attrs", "kind"), [
    ({"protocol": "bogus"}, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": 256}, "SecurityGroupRuleInvalidProtocol"),
    ({"ethertype": "IPv5"}, "SecurityGroupRuleInvalidEtherType"),
    ({"protocol": "tcp", "port_range_min": 70000, "port_range_max": 70000}, "SecurityGroupInvalidPortValue"),
    ({"protocol": "tcp", "port_range_min": 0, "port_range_max": 10}, "SecurityGroupInvalidPortValue"),
    ({"protocol": "tcp", "port_range_min": 10, "port_range_max": 5}, "SecurityGroupInvalidPortRange"),
    ({"protocol": "tcp", "port_range_min": 10}, "SecurityGroupInvalidPortRange"),
    ({"port_range_min": 10, "port_range_max": 10}, "SecurityGroupProtocolRequiredWithPorts"),
    ({"protocol": "gre", "port_range_min": 10, "port_range_max": 10}, "SecurityGroupInvalidProtocolForPort"),
    ({"protocol": "icmp", "port_range_min": 256}, "SecurityGroupInvalidIcmpValue"),
    ({"protocol": "icmp", "port_range_max": 0}, "SecurityGroupMissingIcmpType"),
    ({"protocol": "ipv6-icmp"}, "SecurityGroupEthertypeConflictWithProtocol"),
    ({"protocol": "58"}, "SecurityGroupEthertypeConflictWithProtocol"),
    ({"remote_ip_prefix": "2001:db8::/64"}, "SecurityGroupRuleParameterConflict"),
    ({"remote_ip_prefix": "10.0.0.0/33"}, "InvalidCIDR"),
    ({"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "SELF"}, "SecurityGroupMultipleRemoteEntites"),
    ({"remote_group_id": str(uuid.uuid4())}, "SecurityGroupNotFound"),
    ({"remote_address_group_id": str(uuid.uuid4())}, "AddressGroupNotFound"),
    ({"direction": "sideways"}, "HTTPBadRequest"),
    ({"bogus": 1}, "HTTPBadRequest"),
])
def test_bad_rules_get_neutrons_error_types(member: Api, attrs: dict[str, Any], kind: str) -> None:
    sg = group(member)
    if attrs.get("remote_group_id") == "SELF":
        attrs = {**attrs, "remote_group_id": sg["id"]}
    r = post_rule(member, sg["id"], **attrs)
    assert error_type(r) == kind, r.text
    assert r.status_code in (400, 404)
    assert len(member.get(f"{GROUPS}/{sg['id']}").json()["security_group"]["security_group_rules"]) == 2


def test_rule_duplicates_prefixes_and_listing(member: Api, admin: Api) -> None:
    sg = group(member)
    first = rule(member, sg["id"], protocol="tcp", port_range_min=80, port_range_max=80,
                 remote_ip_prefix="10.0.0.34/24")
    assert (first["remote_ip_prefix"], first["normalized_cidr"]) == ("10.0.0.34/24", "10.0.0.0/24")
    r = post_rule(member, sg["id"], protocol="6", port_range_min=80, port_range_max=80,
                  remote_ip_prefix="10.0.0.34/24")
    assert (r.status_code, error_type(r)) == (409, "SecurityGroupRuleExists")
    assert first["id"] in r.json()["NeutronError"]["message"]
    assert rule(member, sg["id"], remote_ip_prefix="10.1.2.3")["remote_ip_prefix"] == "10.1.2.3/32"
    own = rule(member, sg["id"], remote_group_id=sg["id"])
    assert (own["remote_ip_prefix"], own["normalized_cidr"]) == (None, None)
    bulk = {"security_group_rules": [{"security_group_id": sg["id"], "direction": "egress", "protocol": "udp"}] * 2}
    r = member.post(RULES, bulk)
    assert (r.status_code, error_type(r)) == (409, "DuplicateSecurityGroupRuleInPost")
    other = group(member)
    r = member.post(RULES, {"security_group_rules": [
        {"security_group_id": sg["id"], "direction": "egress", "protocol": "udp"},
        {"security_group_id": other["id"], "direction": "egress", "protocol": "udp"}]})
    assert error_type(r) == "SecurityGroupNotSingleGroupRules"
    r = member.post(RULES, {"security_group_rules": [
        {"security_group_id": sg["id"], "direction": "egress", "protocol": "udp"},
        {"security_group_id": sg["id"], "direction": "egress", "protocol": "sctp"}]})
    assert r.status_code == 201, r.text
    listed = member.get(RULES, params={"security_group_id": sg["id"]}).json()["security_group_rules"]
    assert len(listed) == 2 + 5
    assert member.get(GROUPS + f"/{sg['id']}").json()["security_group"]["revision_number"] == 4
    # an admin's rule in the member's group is the member's to see; the admin's own group's is not
    admin_rule = rule(admin, sg["id"], protocol="gre")
    admins = group(admin)
    hidden = rule(admin, admins["id"], protocol="gre")
    seen = {r["id"] for r in member.get(RULES).json()["security_group_rules"]}
    assert admin_rule["id"] in seen and hidden["id"] not in seen
    assert error_type(member.get(f"{RULES}/{hidden['id']}")) == "SecurityGroupRuleNotFound"
    assert member.delete(f"{RULES}/{first['id']}").status_code == 204
    assert error_type(member.get(f"{RULES}/{first['id']}")) == "SecurityGroupRuleNotFound"
    page = member.get(RULES, params={"security_group_id": sg["id"], "limit": 2, "sort_key": "protocol",
                                     "sort_dir": "asc"}).json()
    assert len(page["security_group_rules"]) == 2 and page["security_group_rules_links"]


def test_quota_of_groups(member: Api) -> None:
    member.get(GROUPS)  # the default group counts
    for _ in range(9):
        group(member)
    r = member.post(GROUPS, {"security_group": {"name": "eleventh"}})
    assert (r.status_code, error_type(r)) == (409, "OverQuota")


def test_quotas_api_sets_shows_and_resets_limits(member: Api, admin: Api) -> None:
    path = f"/v2.0/quotas/{member.project}"
    assert member.get(path).json()["quota"] == {"security_group": 10, "security_group_rule": 100}
    assert error_type(member.put(path, {"quota": {"security_group": 50}})) == "PolicyNotAuthorized"
    assert error_type(member.get("/v2.0/quotas/someone-else")) == "PolicyNotAuthorized"
    for value, kind in ((-2, "HTTPBadRequest"), (2**31, "HTTPBadRequest"), ("value", "InvalidInput"),
                        (True, "InvalidInput")):
        assert error_type(admin.put(path, {"quota": {"security_group": value, "force": True}})) == kind
    assert error_type(admin.put(path, {"quota": {"network": 5}})) == "HTTPBadRequest"
    member.get(GROUPS)  # the default group (1 group, 4 rules)
    r = admin.put(path, {"quota": {"security_group_rule": 3}})
    assert error_type(r) == "HTTPBadRequest" and "already used 4" in r.json()["NeutronError"]["message"]
    r = admin.put(path, {"quota": {"security_group": 2, "security_group_rule": 5, "force": True}})
    assert r.json()["quota"] == {"security_group": 2, "security_group_rule": 5}
    assert member.get(path).json()["quota"] == {"security_group": 2, "security_group_rule": 5}
    r = member.post(GROUPS, {"security_group": {"name": "two-more-rules"}})
    assert (r.status_code, error_type(r)) == (409, "OverQuota")  # its 2 egress rules pass the rule quota
    assert "security_group_rule" in r.json()["NeutronError"]["message"]
    assert admin.put(path, {"quota": {"security_group_rule": -1}}).status_code == 200
    group(member)
    r = member.post(GROUPS, {"security_group": {"name": "third"}})
    assert (r.status_code, error_type(r)) == (409, "OverQuota")
    listed = admin.get("/v2.0/quotas").json()["quotas"]
    assert {"project_id": member.project, "tenant_id": member.project, "security_group": 2,
            "security_group_rule": -1} in listed
    assert admin.delete(path).status_code == 204
    assert member.get(path).json()["quota"] == {"security_group": 10, "security_group_rule": 100}
    assert member.get(f"{path}/default").json()["quota"] == {"security_group": 10, "security_group_rule": 100}


def test_group_events_reach_every_host_and_port_events_carry_groups(member: Api, admin: Api) -> None:
    cursor = admin.get("/v2.0/events", params={"after": 10**15, "limit": 1}).json()["latest"]
    sg = group(member)
    made = rule(member, sg["id"], protocol="tcp", port_range_min=22, port_range_max=22)
    member.delete(f"{RULES}/{made['id']}")
    port = member.port(member.network()["id"], security_groups=[sg["id"]], **{})
    events = admin.get("/v2.0/events", params={"after": cursor, "host": "some-host",
                                               "resource_type": ["security_group", "security_group_rule"]}
                       ).json()["events"]
    kinds = [(e["kind"], e["resource_id"]) for e in events if e["resource_id"] in (sg["id"], made["id"])]
    assert kinds == [("security_group.created", sg["id"]), ("security_group_rule.created", made["id"]),
                     ("security_group_rule.deleted", made["id"])]
    created = next(e for e in events if e["kind"] == "security_group_rule.created" and e["resource_id"] == made["id"])
    assert created["state"]["port_range_min"] == 22 and created["host"] is None
    everything = admin.get("/v2.0/events", params={"after": cursor}).json()["events"]
    port_event = next(e for e in everything if e["resource_id"] == port["id"])
    assert port_event["state"]["security_groups"] == [sg["id"]]


def test_concurrent_first_requests_of_a_project_make_one_default_group(server: Any, admin: Api) -> None:
    """Eight first requests of a new project at once (ports and group lists): one default group, which every
    port got (the default group's key decides the race; the losers' transactions are retried)."""
    project = f"race-{uuid.uuid4().hex[:8]}"
    net = admin.network(shared=True)
    apis = [admin.as_(project, "member,reader") for _ in range(8)]

    def first(i: int) -> Any:
        api = apis[i]
        if i % 2:
            return api.get(GROUPS)
        return api.post("/v2.0/ports", {"port": {"network_id": net["id"]}})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(first, range(8)))
    assert [r.status_code for r in answers] == [201, 200] * 4, [r.text for r in answers]
    defaults = admin.get(GROUPS, params={"project_id": project, "name": "default"}).json()["security_groups"]
    assert len(defaults) == 1
    assert {tuple(r.json()["port"]["security_groups"]) for r in answers[::2]} == {(defaults[0]["id"],)}
