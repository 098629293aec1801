"""trunkd's policy rules, registered in code: Neutron 29's defaults (neutron/conf/policies) for the
networks, ports and trunks trunkd serves, plus the agent-facing rules trunkd adds.

Listed by `oslopolicy-sample-generator --namespace trunkd` (entry point `oslo.policy.policies`).
A policy.yaml overrides any of them. An action no rule names is admin-only; an attribute without a
`get_<resource>:<attribute>` rule is visible to whoever may read the resource.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from oslo_policy import policy


@policy.register("field")
class FieldCheck(policy.Check):
    """Neutron's `field:<resource>:<attr>=<value>` check (`=~regex` matches); True/False compare as booleans."""

    def __init__(self, kind: str, match: str) -> None:
        super().__init__(kind, match)
        _resource, field_value = match.split(":", 1)
        self.field, value = field_value.split("=", 1)
        self.regex = re.compile(value[1:]) if value.startswith("~") else None
        self.value: Any = {"true": True, "false": False}.get(value.lower(), value)

    def __call__(self, target: Mapping[str, Any], creds: Mapping[str, Any], enforcer: Any,
                 current_rule: str | None = None) -> bool:
        found = target.get(self.field)
        if found is None:
            return False
        if self.regex is not None:
            return bool(self.regex.match(str(found)))
        return bool(found == self.value)


# neutron_lib.policy.rules
ADMIN = "rule:admin_only"
SERVICE = "rule:service_api"
PROJECT_MEMBER = "role:member and project_id:%(project_id)s"
PROJECT_READER = "role:reader and project_id:%(project_id)s"
ADMIN_OR_SERVICE = f"({ADMIN}) or ({SERVICE})"
ADMIN_OR_PROJECT_MEMBER = f"({ADMIN}) or ({PROJECT_MEMBER})"
ADMIN_OR_PROJECT_READER = f"({ADMIN}) or ({PROJECT_READER})"
# neutron/conf/policies/base.py
NET_OWNER_MEMBER = "role:member and rule:network_owner"
NET_OWNER_READER = "role:reader and rule:network_owner"
ADMIN_OR_NET_OWNER_MEMBER = f"({ADMIN}) or ({NET_OWNER_MEMBER})"
ADMIN_OR_NET_OWNER_READER = f"({ADMIN}) or ({NET_OWNER_READER})"
ADVSVC = "rule:context_is_advsvc"

PROJECT = ["project"]
Operation = policy.Operation


def _or(*checks: str) -> str:
    return " or ".join(f"({c})" for c in checks)


def _ops(method: str, *paths: str) -> list[Operation]:
    return [policy.Operation(method=method, path=p) for p in paths]


def _rule(name: str, check: str, description: str, operations: list[Operation]) -> policy.DocumentedRuleDefault:
    return policy.DocumentedRuleDefault(
        name=name, check_str=check, description=description, operations=operations, scope_types=PROJECT,
    )


BASE = [
    policy.RuleDefault("context_is_admin", "role:admin", description="Rule for cloud admin access"),
    policy.RuleDefault("service_api", "role:service", description="Default rule for the service-to-service APIs."),
    policy.RuleDefault("owner", "project_id:%(project_id)s", description="Rule for resource owner access"),
    policy.RuleDefault("admin_or_owner", "rule:context_is_admin or rule:owner",
                       description="Rule for admin or owner access"),
    policy.RuleDefault("context_is_advsvc", "role:advsvc", description="Rule for advsvc role access"),
    policy.RuleDefault("network_owner", "project_id:%(network:project_id)s",
                       description="Rule for network owner access"),
    policy.RuleDefault("admin_only", "rule:context_is_admin", description="Rule for admin-only access"),
    policy.RuleDefault("regular_user", "", description="Rule for regular user access"),
    policy.RuleDefault("shared", "field:networks:shared=True", description="Rule of shared network"),
    policy.RuleDefault("external", "field:networks:router:external=True",
                       description="Definition of an external network"),
    policy.RuleDefault("external_network", "field:subnets:router:external=True",
                       description="Definition of an external network"),
    policy.RuleDefault("default", "rule:admin_or_owner", description="Default access rule"),
    policy.RuleDefault("network_device", "field:port:device_owner=~^network:",
                       description="Definition of port with network device_owner"),
    policy.RuleDefault("compute_device", "field:port:device_owner=~^compute:",
                       description="Definition of port with compute device_owner"),
    policy.RuleDefault("baremetal_device", "field:port:device_owner=~^baremetal:",
                       description="Definition of port with baremetal device_owner"),
    policy.RuleDefault("manila_device", "field:port:device_owner=~^manila:",
                       description="Definition of port with manila device_owner"),
]


def _tag_rules(singular: str, create: str, get: str, update: str, delete: str) -> list[policy.DocumentedRuleDefault]:
    plural = f"/{singular}s/{{id}}"
    tags, tag = f"{plural}/tags", f"{plural}/tags/{{tag_id}}"
    return [
        _rule(f"create_{singular}:tags", create, f"Create the {singular} tags", _ops("POST", tags)),
        _rule(f"get_{singular}:tags", get, f"Get the {singular} tags", _ops("GET", tags, tag)),
        _rule(f"update_{singular}:tags", update, f"Update the {singular} tags", _ops("PUT", tags, tag)),
        _rule(f"delete_{singular}:tags", delete, f"Delete the {singular} tags", _ops("DELETE", tags, tag)),
    ]


NETWORKS, NETWORK = "/networks", "/networks/{id}"
NETWORK_RULES = [
    _rule("create_network", ADMIN_OR_PROJECT_MEMBER, "Create a network", _ops("POST", NETWORKS)),
    *(_rule(f"create_network:{attr}", ADMIN, f"Create a network with the ``{attr}`` attribute", _ops("POST", NETWORKS))
      for attr in ("shared", "router:external", "provider:network_type", "provider:physical_network",
                   "provider:segmentation_id")),
    _rule("get_network", _or(ADMIN_OR_PROJECT_READER, SERVICE, "rule:shared", "rule:external", ADVSVC),
          "Get a network", _ops("GET", NETWORKS, NETWORK)),
    *(_rule(f"get_network:{attr}", ADMIN, f"Get the ``{attr}`` attribute of a network", _ops("GET", NETWORKS, NETWORK))
      for attr in ("provider:network_type", "provider:physical_network", "provider:segmentation_id")),
    _rule("update_network", ADMIN_OR_PROJECT_MEMBER, "Update a network", _ops("PUT", NETWORK)),
    _rule("update_network:shared", ADMIN, "Update the ``shared`` attribute of a network", _ops("PUT", NETWORK)),
    _rule("update_network:router:external", ADMIN, "Update the ``router:external`` attribute of a network",
          _ops("PUT", NETWORK)),
    _rule("delete_network", ADMIN_OR_PROJECT_MEMBER, "Delete a network", _ops("DELETE", NETWORK)),
    *_tag_rules("network", ADMIN_OR_PROJECT_MEMBER,
                _or(ADMIN_OR_PROJECT_READER, "rule:shared", "rule:external", ADVSVC),
                ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_PROJECT_MEMBER),
]

PORTS, PORT = "/ports", "/ports/{id}"
PORT_RULES = [
    _rule("create_port", _or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, "rule:shared"), "Create a port",
          _ops("POST", PORTS)),
    _rule("create_port:device_id", _or(ADMIN_OR_PROJECT_MEMBER, SERVICE),
          "Specify ``device_id`` attribute when creating a port", _ops("POST", PORTS)),
    _rule("create_port:device_owner", _or("not rule:network_device", ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
          "Specify ``device_owner`` attribute when creating a port", _ops("POST", PORTS)),
    _rule("create_port:mac_address", _or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
          "Specify ``mac_address`` attribute when creating a port", _ops("POST", PORTS)),
    _rule("create_port:binding:host_id", ADMIN_OR_SERVICE,
          "Specify ``binding:host_id`` attribute when creating a port", _ops("POST", PORTS)),
    _rule("create_port:binding:profile", SERVICE,
          "Specify ``binding:profile`` attribute when creating a port", _ops("POST", PORTS)),
    _rule("create_port:binding:vnic_type", _or(ADMIN_OR_PROJECT_MEMBER, SERVICE),
          "Specify ``binding:vnic_type`` attribute when creating a port", _ops("POST", PORTS)),
    _rule("create_port:fixed_ips", _or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, "rule:shared"),
          "Specify ``fixed_ips`` information when creating a port", _ops("POST", PORTS)),
    _rule("create_port:fixed_ips:ip_address", _or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
          "Specify IP address in ``fixed_ips`` when creating a port", _ops("POST", PORTS)),
    _rule("create_port:port_security_enabled", _or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
          "Specify ``port_security_enabled`` attribute when creating a port", _ops("POST", PORTS)),
    _rule("create_port:allowed_address_pairs", _or(ADMIN_OR_NET_OWNER_MEMBER, SERVICE),
          "Specify ``allowed_address_pairs`` attribute when creating a port", _ops("POST", PORTS)),
    _rule("get_port", _or(ADMIN_OR_SERVICE, NET_OWNER_READER, PROJECT_READER), "Get a port",
          _ops("GET", PORTS, PORT)),
    *(_rule(f"get_port:binding:{attr}", ADMIN_OR_SERVICE, f"Get ``binding:{attr}`` attribute of a port",
            _ops("GET", PORTS, PORT))
      for attr in ("vif_type", "vif_details", "host_id", "profile")),
    _rule("update_port", _or(ADMIN_OR_SERVICE, PROJECT_MEMBER), "Update a port", _ops("PUT", PORT)),
    _rule("update_port:device_id", _or(ADMIN_OR_PROJECT_MEMBER, SERVICE),
          "Update ``device_id`` attribute of a port", _ops("PUT", PORT)),
    _rule("update_port:device_owner", _or("not rule:network_device", ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
          "Update ``device_owner`` attribute of a port", _ops("PUT", PORT)),
    _rule("update_port:fixed_ips", _or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
          "Specify ``fixed_ips`` information when updating a port", _ops("PUT", PORT)),
    _rule("update_port:fixed_ips:ip_address", _or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
          "Specify IP address in ``fixed_ips`` information when updating a port", _ops("PUT", PORT)),
    _rule("update_port:mac_address", _or(ADMIN_OR_SERVICE, "role:manager and rule:network_owner"),
          "Update ``mac_address`` attribute of a port", _ops("PUT", PORT)),
    _rule("update_port:port_security_enabled", _or(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
          "Update ``port_security_enabled`` attribute of a port", _ops("PUT", PORT)),
    _rule("update_port:allowed_address_pairs", _or(ADMIN_OR_NET_OWNER_MEMBER, SERVICE),
          "Update ``allowed_address_pairs`` attribute of a port", _ops("PUT", PORT)),
    _rule("update_port:binding:host_id", ADMIN_OR_SERVICE, "Update ``binding:host_id`` attribute of a port",
          _ops("PUT", PORT)),
    _rule("update_port:binding:profile", SERVICE, "Update ``binding:profile`` attribute of a port",
          _ops("PUT", PORT)),
    _rule("update_port:binding:vnic_type", _or(ADMIN_OR_SERVICE, PROJECT_MEMBER),
          "Update ``binding:vnic_type`` attribute of a port", _ops("PUT", PORT)),
    _rule("delete_port", _or(
        ADMIN_OR_SERVICE,
        f"service_roles:service and ({_or(NET_OWNER_MEMBER, PROJECT_MEMBER)})",
        "not rule:compute_device and not rule:baremetal_device and not rule:manila_device and "
        f"({_or(NET_OWNER_MEMBER, PROJECT_MEMBER)})",
    ), "Delete a port", _ops("DELETE", PORT)),
    *_tag_rules("port", _or(ADMIN_OR_PROJECT_MEMBER, ADVSVC),
                _or(ADVSVC, ADMIN_OR_NET_OWNER_READER, PROJECT_READER),
                _or(ADMIN_OR_PROJECT_MEMBER, ADVSVC),
                _or(ADVSVC, PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER)),
]

SUBNETS, SUBNET = "/subnets", "/subnets/{id}"
SUBNET_OWNER = _or(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER)
SUBNET_RULES = [
    _rule("create_subnet", ADMIN_OR_NET_OWNER_MEMBER, "Create a subnet", _ops("POST", SUBNETS)),
    _rule("get_subnet", _or(PROJECT_READER, "rule:shared", "rule:external_network", ADMIN_OR_NET_OWNER_READER,
                            SERVICE), "Get a subnet", _ops("GET", SUBNETS, SUBNET)),
    _rule("update_subnet", SUBNET_OWNER, "Update a subnet", _ops("PUT", SUBNET)),
    _rule("delete_subnet", SUBNET_OWNER, "Delete a subnet", _ops("DELETE", SUBNET)),
    *_tag_rules("subnet", SUBNET_OWNER,
                _or(PROJECT_READER, "rule:shared", "rule:external_network", ADMIN_OR_NET_OWNER_READER),
                SUBNET_OWNER, SUBNET_OWNER),
]

TRUNKS, TRUNK = "/trunks", "/trunks/{id}"
TRUNK_RULES = [
    _rule("create_trunk", ADMIN_OR_PROJECT_MEMBER, "Create a trunk", _ops("POST", TRUNKS)),
    _rule("get_trunk", ADMIN_OR_PROJECT_READER, "Get a trunk", _ops("GET", TRUNKS, TRUNK)),
    _rule("update_trunk", ADMIN_OR_PROJECT_MEMBER, "Update a trunk", _ops("PUT", TRUNK)),
    _rule("delete_trunk", ADMIN_OR_PROJECT_MEMBER, "Delete a trunk", _ops("DELETE", TRUNK)),
    _rule("get_subports", ADMIN_OR_PROJECT_READER, "List subports attached to a trunk",
          _ops("GET", f"{TRUNK}/get_subports")),
    _rule("add_subports", ADMIN_OR_PROJECT_MEMBER, "Add subports to a trunk", _ops("PUT", f"{TRUNK}/add_subports")),
    _rule("remove_subports", ADMIN_OR_PROJECT_MEMBER, "Delete subports from a trunk",
          _ops("PUT", f"{TRUNK}/remove_subports")),
    *_tag_rules("trunk", ADMIN_OR_PROJECT_MEMBER, ADMIN_OR_PROJECT_READER, ADMIN_OR_PROJECT_MEMBER,
                ADMIN_OR_PROJECT_MEMBER),
]

SGS, SG = "/security-groups", "/security-groups/{id}"
SG_RULES_PATH, SG_RULE_PATH = "/security-group-rules", "/security-group-rules/{id}"
SG_OWNER_MEMBER = "role:member and rule:sg_owner"
SG_OWNER_READER = "role:reader and rule:sg_owner"
SG_READ = _or(ADMIN_OR_PROJECT_READER, "rule:shared_security_group")
# neutron/conf/policies/security_group.py; reading groups and rules is also the service role's (trunkd's
# agents read them to enforce them, as Neutron's agents do over RPC)
SECURITY_GROUP_RULES = [
    policy.RuleDefault("sg_owner", "project_id:%(security_group:project_id)s",
                       description="Rule for security group owner access"),
    policy.RuleDefault("admin_or_sg_owner", "rule:context_is_admin or project_id:%(security_group:project_id)s",
                       description="Rule for admin or security group owner access"),
    policy.RuleDefault("admin_owner_or_sg_owner", "rule:owner or rule:admin_or_sg_owner",
                       description="Rule for resource owner, admin or security group owner access"),
    policy.RuleDefault("shared_security_group", "field:security_groups:shared=True",
                       description="Definition of a shared security group"),
    policy.RuleDefault("rule_default_sg", "field:security_group_rules:belongs_to_default_sg=True",
                       description="Definition of a security group rule that belongs to the project default "
                                   "security group"),
    _rule("create_default_security_group", _or(ADMIN_OR_SERVICE, PROJECT_READER),
          "Create a default security group for a project. This rule is only used internally while creating "
          "a default SG for a project.", _ops("POST", SGS)),
    _rule("create_security_group", ADMIN_OR_PROJECT_MEMBER, "Create a security group", _ops("POST", SGS)),
    _rule("get_security_group", _or(SG_READ, SERVICE), "Get a security group", _ops("GET", SGS, SG)),
    _rule("update_security_group", ADMIN_OR_PROJECT_MEMBER, "Update a security group", _ops("PUT", SG)),
    _rule("delete_security_group", ADMIN_OR_PROJECT_MEMBER, "Delete a security group", _ops("DELETE", SG)),
    *_tag_rules("security_group", ADMIN_OR_PROJECT_MEMBER, SG_READ, ADMIN_OR_PROJECT_MEMBER,
                ADMIN_OR_PROJECT_MEMBER),
    _rule("create_security_group_rule", _or(ADMIN, SG_OWNER_MEMBER), "Create a security group rule",
          _ops("POST", SG_RULES_PATH)),
    _rule("get_security_group_rule", _or(ADMIN, SG_OWNER_READER, SERVICE), "Get a security group rule",
          _ops("GET", SG_RULES_PATH, SG_RULE_PATH)),
    _rule("delete_security_group_rule", _or(ADMIN, SG_OWNER_MEMBER), "Delete a security group rule",
          _ops("DELETE", SG_RULE_PATH)),
]

QUOTAS_PATH, QUOTA_PATH = "/quotas", "/quotas/{id}"
PROJECT_MANAGER = "role:manager and project_id:%(project_id)s"
# neutron/conf/policies/quotas.py
QUOTA_RULES = [
    _rule("get_quota", _or(ADMIN, PROJECT_MANAGER), "Get a resource quota",
          _ops("GET", QUOTAS_PATH, QUOTA_PATH)),
    _rule("update_quota", ADMIN, "Update a resource quota", _ops("PUT", QUOTA_PATH)),
    _rule("delete_quota", ADMIN, "Delete a resource quota", _ops("DELETE", QUOTA_PATH)),
]

# trunkd's own: what host agents call (with a service user's token) and operators use.
AGENT_RULES = [
    _rule("get_events", ADMIN_OR_SERVICE, "Read the event feed", _ops("GET", "/events")),
    _rule("report_agent", ADMIN_OR_SERVICE, "Register an agent or send its heartbeat", _ops("POST", "/agents")),
    _rule("get_agent", ADMIN_OR_SERVICE, "List or show agents", _ops("GET", "/agents", "/agents/{id}")),
    _rule("delete_agent", ADMIN, "Delete an agent", _ops("DELETE", "/agents/{id}")),
    _rule("bind_subports", ADMIN_OR_SERVICE, "Bind a trunk's subports to its parent's host",
          _ops("PUT", f"{TRUNK}/bind_subports")),
    _rule("report_trunk_status", ADMIN_OR_SERVICE, "Report a trunk's status", _ops("PUT", f"{TRUNK}/status")),
    _rule("report_port_status", ADMIN_OR_SERVICE, "Report the statuses of ports bound to a host",
          _ops("PUT", "/hosts/{host}/port_status")),
]


def list_rules() -> list[policy.RuleDefault]:
    """Every rule trunkd registers (the `oslo.policy.policies` entry point)."""
    return [*BASE, *NETWORK_RULES, *PORT_RULES, *SUBNET_RULES, *TRUNK_RULES, *SECURITY_GROUP_RULES, *QUOTA_RULES,
            *AGENT_RULES]
