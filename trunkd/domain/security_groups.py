"""Security group rules as Neutron 29 reads them: protocol, port, ethertype and prefix conversions, the
checks in Neutron's order, the duplicate key, and the rules a new group starts with."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from trunkd.domain import errors

INGRESS, EGRESS = "ingress", "egress"
IPV4, IPV6 = "IPv4", "IPv6"
ETHERTYPES = (IPV4, IPV6)
PROTO_ANY = "any"
# neutron_lib.constants.IP_PROTOCOL_MAP (icmpv6 is the legacy name of ipv6-icmp)
PROTOCOLS: dict[str, int] = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2, "ip": 0,
    "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58, "ipv6-nonxt": 59,
    "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17,
    "udplite": 136, "vrrp": 112,
}
# number -> canonical name (the last name of a number wins, as in neutron-lib: 0 is `ip`, 58 `ipv6-icmp`)
PROTOCOL_NAMES: dict[str, str] = {str(num): name for name, num in PROTOCOLS.items() if name != "icmpv6"}
SUPPORTED_PROTOCOLS = (None, PROTO_ANY, *PROTOCOLS)
PORT_PROTOCOLS = ("dccp", "sctp", "tcp", "udp", "udplite")
PORT_PROTOCOL_NUMBERS = (33, 132, 6, 17, 136)
ICMP_NUMBERS = (1, 58)
LEGACY_ICMPV6 = ("icmp", "icmpv6")
IPV6_ONLY_PROTOCOLS = ("ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts", "ipv6-route",
                       "41", "44", "58", "59", "60", "43")
ANY_PREFIXES = ("0.0.0.0/0", "::/0", None)
DEFAULT_NAME = "default"
DEFAULT_DESCRIPTION = "Default security group"


def _supported() -> str:
    return str(list(SUPPORTED_PROTOCOLS))


def convert_protocol(value: Any) -> str | None:
    """The API's protocol converter: None or `any` is no protocol; names are lower-cased; 0-255 kept as text."""
    if value is None or value == PROTO_ANY:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise errors.SecurityGroupRuleInvalidProtocol(protocol=value, values=_supported())
    try:
        number = int(value)
    except ValueError:
        if value.lower() in PROTOCOLS or value.lower() == PROTO_ANY:
            return None if value.lower() == PROTO_ANY else value.lower()
        raise errors.SecurityGroupRuleInvalidProtocol(protocol=value, values=_supported()) from None
    if 0 <= number <= 255:
        return str(value)
    raise errors.SecurityGroupRuleInvalidProtocol(protocol=value, values=_supported())


def convert_ethertype(value: Any) -> str:
    if isinstance(value, str):
        for ethertype in ETHERTYPES:
            if ethertype.lower() == value.lower():
                return ethertype
    raise errors.SecurityGroupRuleInvalidEtherType(ethertype=value, values=str(list(ETHERTYPES)))


def convert_port(value: Any) -> int | None:
    """A port (or ICMP type/code) value: 0-65535, given as a number or its text."""
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise errors.SecurityGroupInvalidPortValue(port=value) from None
    if not 0 <= number <= 65535:
        raise errors.SecurityGroupInvalidPortValue(port=value)
    return number


def convert_ip_prefix(value: Any) -> str | None:
    """A remote prefix as given (host bits kept), with its mask: `10.0.0.1` is `10.0.0.1/32`."""
    if not value:
        return None
    if not isinstance(value, str):
        raise errors.InvalidCIDR(input=value)
    try:
        return str(ipaddress.ip_interface(value))
    except ValueError:
        raise errors.InvalidCIDR(input=value) from None


def normalized_cidr(prefix: str | None) -> str | None:
    """The network of a remote prefix (`10.0.0.34/24` -> `10.0.0.0/24`)."""
    return None if not prefix else str(ipaddress.ip_interface(prefix).network)


def protocol_number(protocol: str | None) -> int | None:
    if protocol is None:
        return None
    return PROTOCOLS[protocol] if protocol in PROTOCOLS else int(protocol)


def _name_and_number(protocol: str | None, ethertype: str) -> tuple[str, str] | None:
    """Neutron's _get_ip_proto_name_and_num: what makes `tcp` and `6` the same protocol."""
    if protocol is None:
        return None
    if ethertype == IPV6:
        if protocol in LEGACY_ICMPV6:
            protocol = "ipv6-icmp"
        elif protocol == "1":
            protocol = "58"
    if protocol in PROTOCOLS:
        return protocol, str(PROTOCOLS[protocol])
    if protocol in PROTOCOL_NAMES:
        return PROTOCOL_NAMES[protocol], protocol
    return protocol, protocol


def _check_port_range(rule: Mapping[str, Any]) -> None:
    low, high = rule["port_range_min"], rule["port_range_max"]
    if low is None and high is None:
        return
    if not rule["protocol"]:
        raise errors.SecurityGroupProtocolRequiredWithPorts()
    number = protocol_number(rule["protocol"])
    if number in PORT_PROTOCOL_NUMBERS:
        if low == 0 or high == 0:
            raise errors.SecurityGroupInvalidPortValue(port=0)
        if low is None or high is None or low > high:
            raise errors.SecurityGroupInvalidPortRange()
    elif number in ICMP_NUMBERS:
        for attr, name in (("port_range_min", "type"), ("port_range_max", "code")):
            if rule[attr] is not None and not 0 <= rule[attr] <= 255:
                raise errors.SecurityGroupInvalidIcmpValue(field=name, attr=attr, value=rule[attr])
        if low is None and high is not None:
            raise errors.SecurityGroupMissingIcmpType(value=high)
    else:
        raise errors.SecurityGroupInvalidProtocolForPort(
            protocol=number, valid_port_protocols=", ".join(p.upper() for p in PORT_PROTOCOLS))


def check_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """Neutron's _validate_base_security_group_rule_attributes, in its order; returns the canonical rule
    (legacy IPv6 ICMP names made `ipv6-icmp`/58, a full 1-65535 range made no range)."""
    rule = dict(rule)
    if rule["ethertype"] == IPV6:
        if rule["protocol"] in LEGACY_ICMPV6:
            rule["protocol"] = "ipv6-icmp"
        elif rule["protocol"] == "1":
            rule["protocol"] = "58"
    if rule["port_range_min"] == 1 and rule["port_range_max"] == 65535:
        rule["port_range_min"] = rule["port_range_max"] = None
    _check_port_range(rule)
    prefix = rule["remote_ip_prefix"]
    if prefix:
        version = ipaddress.ip_interface(prefix).version
        if rule["ethertype"] != f"IPv{version}":
            raise errors.SecurityGroupRuleParameterConflict(ethertype=rule["ethertype"], cidr=prefix)
    if rule["protocol"] in IPV6_ONLY_PROTOCOLS and rule["ethertype"] == IPV4:
        raise errors.SecurityGroupEthertypeConflictWithProtocol(ethertype=rule["ethertype"],
                                                                protocol=rule["protocol"])
    remotes = [k for k in ("remote_ip_prefix", "remote_group_id", "remote_address_group_id") if rule.get(k)]
    if len(remotes) > 1:
        raise errors.SecurityGroupMultipleRemoteEntites()
    return rule


def rule_key(rule: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes two rules of a group the same (Neutron's _rule_to_key)."""
    prefix = rule.get("remote_ip_prefix")
    return (
        rule["direction"], rule["ethertype"], rule.get("port_range_max"), rule.get("port_range_min"),
        _name_and_number(rule.get("protocol"), rule["ethertype"]), rule.get("remote_group_id"),
        rule.get("remote_address_group_id"), None if prefix in ANY_PREFIXES else prefix,
        rule["security_group_id"],
    )


def find_duplicates(new: Iterable[Mapping[str, Any]], existing: Iterable[Mapping[str, Any]]) -> None:
    """DuplicateSecurityGroupRuleInPost within the request, then SecurityGroupRuleExists against the group."""
    keys: set[tuple[Any, ...]] = set()
    for rule in new:
        key = rule_key(rule)
        if key in keys:
            raise errors.DuplicateSecurityGroupRuleInPost()
        keys.add(key)
    for rule in existing:
        if rule_key(rule) in keys:
            raise errors.SecurityGroupRuleExists(rule_id=rule["id"])


def template_rules(group_id: str, default: bool) -> list[dict[str, Any]]:
    """Neutron's default rule templates: every group may send anything (IPv4 and IPv6); a project's
    default group also takes anything from its own members."""
    rules = []
    for ethertype in ETHERTYPES:
        rules.append({"direction": EGRESS, "ethertype": ethertype, "remote_group_id": None})
        if default:
            rules.append({"direction": INGRESS, "ethertype": ethertype, "remote_group_id": group_id})
    return [{**r, "protocol": None, "port_range_min": None, "port_range_max": None, "remote_ip_prefix": None,
             "remote_address_group_id": None, "security_group_id": group_id} for r in rules]


def check_statefulness(stateful: Iterable[bool]) -> None:
    """A port's groups are all stateful or all stateless."""
    if len(set(stateful)) > 1:
        raise errors.SecurityGroupConflict(
            reason="Cannot apply both stateful and stateless security groups on the same port at the same time")


def is_trusted(device_owner: str) -> bool:
    """Neutron's is_port_trusted: network-owned ports (DHCP, routers) get no security groups by default."""
    return device_owner.startswith("network:")
