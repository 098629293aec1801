"""Security groups as ML2/OVN writes them (Neutron 29 `neutron/common/ovn/acl.py`, `ovn_client`): one Port_Group
`pg_<group id>` per group holding its rules' ACLs, and `neutron_pg_drop` with the default drop ACLs.

Pure: a rule (Neutron wire format) in, the ACL's direction, match, action and priority out. A remote group is
matched through the address sets OVN keeps itself for every Port_Group (`$pg_<id>_ip4`, `$pg_<id>_ip6`), as
Neutron 29 does (`ovn_pg_addrset_name`); no Address_Set rows are written.
"""

from __future__ import annotations

from typing import Any

from trunkd.domain.security_groups import PROTOCOLS

PG_DROP = "neutron_pg_drop"  # ovn_const.OVN_DROP_PORT_GROUP_NAME
PRIORITY_ALLOW = 1002  # ovn_const.ACL_PRIORITY_ALLOW
PRIORITY_DROP = 1000  # ovn_const.ACL_PRIORITY_DROP (1001 is the per-group log-drop, unused here)
SG_KEY = "neutron:security_group_id"
RULE_KEY = "neutron:security_group_rule_id"
ALLOW_RELATED = "allow-related"
ALLOW_STATELESS = "allow-stateless"
DROP = "drop"
TRANSPORT = {"6": "tcp", "17": "udp", "132": "sctp"}  # acl.TRANSPORT_PROTOCOLS, by number
ICMP = ("1", "58")  # acl.ICMP_PROTOCOLS, by number
TRUSTED_PREFIX = "network:"  # neutron_lib.utils.net.is_port_trusted


def port_group_name(group_id: str) -> str:
    """utils.ovn_port_group_name: `pg-<id>` with every `-` made `_`."""
    return f"pg-{group_id}".replace("-", "_")


def pg_addrset_name(group_id: str, ip_version: str) -> str:
    """utils.ovn_pg_addrset_name: the address set OVN derives from the group's Port_Group."""
    return f"pg-{group_id}-{ip_version}".replace("-", "_")


def trusted(port: dict[str, Any]) -> bool:
    return (port.get("device_owner") or "").startswith(TRUSTED_PREFIX)


def _protocol_number(protocol: Any) -> str | None:
    if protocol is None or protocol in ("", "any"):
        return None
    text = str(protocol)
    if text.isdigit() and 0 <= int(text) <= 255:
        return text
    number = PROTOCOLS.get(text)
    return None if number is None else str(number)


def rule_match(rule: dict[str, Any], port_group: str) -> str:
    """The ACL match of one rule on its group's Port_Group, built in Neutron's order: direction, ethertype,
    remote prefix, remote group, protocol and ports (or ICMP type/code)."""
    ingress = rule["direction"] == "ingress"
    match = f"{'outport' if ingress else 'inport'} == @{port_group}"
    ip, icmp = ("ip4", "icmp4") if rule.get("ethertype") == "IPv4" else ("ip6", "icmp6")
    if rule.get("ethertype") in ("IPv4", "IPv6"):
        match += f" && {ip}"
    side = "src" if ingress else "dst"
    cidr = rule.get("normalized_cidr") or rule.get("remote_ip_prefix")
    if cidr:
        match += f" && {ip}.{side} == {cidr}"
    if rule.get("remote_group_id"):
        match += f" && {ip}.{side} == ${pg_addrset_name(rule['remote_group_id'], ip)}"
    number = _protocol_number(rule.get("protocol"))
    if number is None:
        return match
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if number in TRANSPORT:
        name = TRANSPORT[number]
        match += f" && {name}"
        if low is not None and low == high:
            match += f" && {name}.dst == {int(low)}"
        else:
            if low is not None:
                match += f" && {name}.dst >= {int(low)}"
            if high is not None:
                match += f" && {name}.dst <= {int(high)}"
    elif number in ICMP:
        match += f" && {icmp}"
        if low is not None:
            match += f" && {icmp}.type == {int(low)}"
        if high is not None:
            match += f" && {icmp}.code == {int(high)}"
    else:
        match += f" && ip.proto == {number}"
    return match


def rule_direction(rule: dict[str, Any]) -> str:
    return "to-lport" if rule["direction"] == "ingress" else "from-lport"


def rule_action(stateful: bool) -> str:
    return ALLOW_RELATED if stateful else ALLOW_STATELESS


def drop_matches() -> list[tuple[str, str]]:
    """(direction, match) of neutron_pg_drop's two ACLs: all IP dropped unless a group's rule allows it."""
    return [("from-lport", f"inport == @{PG_DROP} && ip"), ("to-lport", f"outport == @{PG_DROP} && ip")]
