"""Value checks for request attributes: each returns the converted value or raises ValueError."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from trunkd.api import http_errors
from trunkd.domain import errors
from trunkd.domain.limits import (
    MAX_ADDRESS_PAIRS,
    MAX_ALLOCATION_POOLS,
    MAX_DNS_NAMESERVERS,
    MAX_FIXED_IPS_PER_PORT,
    MAX_SUBNET_HOST_ROUTES,
    MAX_TAGS,
    valid_tag,
)
from trunkd.domain.subports import is_uuid

Validator = Callable[[Any], Any]
# The JSON Schema of what each validator accepts (the OpenAPI document is generated from it).
SCHEMAS: dict[Validator, dict[str, Any]] = {}


def _described(check: Validator, schema: dict[str, Any]) -> Validator:
    SCHEMAS[check] = schema
    return check


class ConversionError(ValueError):
    """A value a Neutron converter (convert_to_boolean, convert_to_int) refuses: InvalidInput on
    the wire, where a failed validator is HTTPBadRequest."""
MAC_RE = re.compile(r"^[0-9a-fA-F][02468aceACE](:[0-9a-fA-F]{2}){5}$")
VNIC_TYPES = frozenset({
    "normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder",
    "smart-nic", "remote-managed", "vdpa",
})


def uuid(value: Any) -> str:
    if not is_uuid(value):
        raise ValueError(f"'{value}' is not a valid UUID")
    return str(value)


def string(max_len: int) -> Validator:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"'{value}' is not a valid string")
        if len(value) > max_len:
            raise ValueError(f"'{value}' exceeds maximum length of {max_len}")
        return value

    return _described(check, {"type": "string", "maxLength": max_len})


def _printable(char: str) -> bool:
    category = unicodedata.category(char)
    return not category.startswith("C") and (not category.startswith("Z") or category == "Zs")


def name_string(max_len: int) -> Validator:
    """Printable characters, no leading or trailing whitespace (Neutron's name_string)."""
    base = string(max_len)

    def check(value: Any) -> str:
        value = base(value)
        if not all(map(_printable, value)) or value != value.strip():
            raise ValueError(f"'{value}' is not a valid string")
        return value

    return _described(check, {"type": "string", "maxLength": max_len, "pattern": r"^(\S(.*\S)?)?$"})


_TRUE = ("1", "t", "true", "on", "y", "yes")
_FALSE = ("0", "f", "false", "off", "n", "no")


def boolean(value: Any) -> bool:
    """Neutron's convert_to_boolean (oslo's strict bool_from_string)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConversionError(f"'{value}' cannot be converted to boolean")


def to_int(value: Any) -> int:
    """Neutron's convert_to_int, refusing booleans and floats (which it would truncate)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConversionError(f"'{value}' is not an integer")
    try:
        return int(value)
    except ValueError:
        raise ConversionError(f"'{value}' is not an integer") from None


def mtu(value: Any) -> int:
    """An MTU: non-negative, 0 meaning the largest the network allows (Neutron's non_negative). The
    upper bound is the network's maximum (trunkd.domain.ml2); the lower bounds come from its subnets
    (68 for IPv4, 1280 for IPv6: NetworkMTUSubnetConflict)."""
    number = to_int(value)
    if number < 0:
        raise ValueError(f"'{number}' should be non-negative")
    return number


# As Neutron 29 checks them: "network:", "neutron:", and (its list += "compute:") any single character
# of "compute:", so "test:type_1" passes there; clients (tempest among them) rely on that.
SERVICE_TYPE_PREFIXES = ("network:", "neutron:", *"compute:")


def service_types(value: Any) -> list[str]:
    """Subnet service types: device owners, prefix-checked exactly as Neutron does (SERVICE_TYPE_PREFIXES)."""
    if not value:
        return []
    if not isinstance(value, list):
        raise ValueError("Subnet service types must be a list")
    for item in value:
        if not isinstance(item, str):
            raise errors.InvalidInputSubnetServiceType(service_type=item)
        if not item.startswith(SERVICE_TYPE_PREFIXES):
            raise errors.InvalidSubnetServiceType(service_type=item)
    return list(dict.fromkeys(value))


DHCP_BLANK_OPTS = ("router", "classless-static-route")


def _oneline(value: Any, max_len: int, what: str) -> str:
    if not isinstance(value, str) or not value or "\n" in value or "\r" in value:
        raise ValueError(f"'{value}' is not a valid one-line, non-empty {what}")
    if len(value) > max_len:
        raise ValueError(f"'{value}' exceeds maximum length of {max_len}")
    return value


def _dhcp_opt(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or set(item) - {"opt_name", "opt_value", "ip_version"} \
            or "opt_name" not in item or "opt_value" not in item:
        raise errors.InvalidInput(error_message=f"No valid key specs matched for: {item}")
    name, value = item["opt_name"], item["opt_value"]
    try:
        if name in DHCP_BLANK_OPTS:
            if value is not None and (not isinstance(value, str) or len(value) > 255):
                raise ValueError(value)
        else:
            _oneline(name, 64, "option name")
            if value is not None:
                _oneline(value, 255, "option value")
        version = to_int(item["ip_version"]) if item.get("ip_version") is not None else 4
        if version not in (4, 6):
            raise ValueError(version)
    except ValueError:
        raise errors.InvalidInput(error_message=f"No valid key specs matched for: {item}") from None
    return {"opt_name": name, "opt_value": value, "ip_version": version}


def extra_dhcp_opts(value: Any) -> list[dict[str, Any]]:
    """A port's extra DHCP options: opt_name, opt_value (None removes it on update), ip_version 4 or 6."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise errors.InvalidInput(error_message=f"'{value}' is not a list")
    found = [_dhcp_opt(i) for i in value]
    keys = [(o["opt_name"], o["ip_version"]) for o in found]
    if len(set(keys)) != len(keys):
        raise errors.InvalidInput(error_message=f"Duplicate items in the list: '{value}'")
    return found


def integer(low: int, high: int) -> Validator:
    def check(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(f"'{value}' is not an integer")
        try:
            number = int(value) if isinstance(value, (int, str)) else None
        except ValueError:
            number = None
        if number is None:
            raise ValueError(f"'{value}' is not an integer")
        if not low <= number <= high:
            raise ValueError(f"'{number}' is not in range {low} through {high}")
        return number

    return _described(check, {"type": "integer", "minimum": low, "maximum": high})


def mac_address(value: Any) -> str:
    if not isinstance(value, str) or not MAC_RE.match(value) or value == "00:00:00:00:00:00":
        raise ValueError(f"'{value}' is not a valid MAC address")
    return value.lower()


def mapping(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"'{value}' is not a dictionary")
    return value


def vnic_type(value: Any) -> str:
    if not isinstance(value, str) or value not in VNIC_TYPES:
        raise ValueError(f"'{value}' is not in {sorted(VNIC_TYPES)}")
    return str(value)


def tag(value: Any) -> str:
    if not valid_tag(value):
        raise ValueError(f"'{value}' is not a valid tag")
    return value


def tag_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"'{value}' is not a list of tags")
    tags = list(dict.fromkeys(tag(t) for t in value))
    if len(tags) > MAX_TAGS:
        raise ValueError(f"The number of tags exceed the per-resource limit of {MAX_TAGS}")
    return tags


def binding_profile(value: Any) -> dict[str, Any]:
    """binding:profile; `migrating_to` names a host, so it is a host_id-sized string."""
    profile = mapping(value)
    host = profile.get("migrating_to")
    if host is not None and not (isinstance(host, str) and len(host) <= 255):
        raise ValueError(f"'migrating_to' must be a host name of at most 255 characters, not '{host}'")
    return profile


def anything(value: Any) -> Any:
    return value


_described(uuid, {"type": "string", "format": "uuid"})
_described(boolean, {"type": "boolean"})
_described(mac_address, {"type": "string", "pattern": MAC_RE.pattern})
_described(mapping, {"type": "object"})
_described(vnic_type, {"type": "string", "enum": sorted(VNIC_TYPES)})
_described(tag, {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^,/]+$"})
_described(tag_list, {"type": "array", "items": SCHEMAS[tag], "maxItems": MAX_TAGS})
_described(binding_profile, {"type": "object", "properties": {"migrating_to": {"type": "string", "maxLength": 255}}})
_described(to_int, {"type": "integer"})
_described(mtu, {"type": "integer", "minimum": 0, "maximum": 65535})
_described(service_types, {"type": "array", "items": {"type": "string", "pattern": "^(network:|neutron:|[compute:])"}})
_described(extra_dhcp_opts, {"type": "array", "items": {"type": "object", "required": ["opt_name", "opt_value"],
                                                        "properties": {
                                                            "opt_name": {"type": "string", "maxLength": 64},
                                                            "opt_value": {"type": ["string", "null"],
                                                                          "maxLength": 255},
                                                            "ip_version": {"type": "integer", "enum": [4, 6]}}}})


# -- addresses (neutron_lib's validate_ip_address, validate_subnet, ip_pools, hostroutes …) --------
def ip_address(value: Any) -> str:
    """An IP address in canonical form; IPv4 must be written canonically (no zero padding)."""
    try:
        ip = ipaddress.ip_address(value if isinstance(value, str) else "")
    except ValueError:
        raise ValueError(f"'{value}' is not a valid IP address") from None
    if ip.version == 4 and str(ip) != value:
        raise ValueError(f"'{value}' is not an accepted IP address, '{ip}' is recommended")
    return str(ip)


def ip_address_or_none(value: Any) -> str | None:
    return None if value is None else ip_address(value)


def cidr(value: Any) -> str:
    """A subnet written as address/prefix; returned as its network (10.0.0.5/24 -> 10.0.0.0/24)."""
    try:
        if not isinstance(value, str) or "/" not in value or value != value.strip():
            raise ValueError
        iface = ipaddress.ip_interface(value)
        if iface.version == 4 and str(iface) != value:
            raise ValueError
    except ValueError:
        raise ValueError(f"'{value}' is not a valid IP subnet") from None
    return str(iface.network)


def _dicts(value: Any, what: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ValueError(f"Invalid data format for {what}: '{value}'")
    for item in value:
        if not isinstance(item, dict):
            raise ValueError(f"Invalid data format for {what}: '{item}'")
        missing = [k for k in keys if k not in item]
        extra = sorted(set(item) - set(keys))
        if missing or extra:
            raise ValueError(f"Expected keys: {sorted(keys)}, provided keys: {sorted(item)}")
    return value


def ip_pools(value: Any) -> list[dict[str, str]]:
    if isinstance(value, list) and len(value) > MAX_ALLOCATION_POOLS:
        raise errors.InvalidInput(
            error_message=f"The number of allocation pools exceeds the limit {MAX_ALLOCATION_POOLS}")
    return [{"start": ip_address(p["start"]), "end": ip_address(p["end"])}
            for p in _dicts(value, "IP pool", ("start", "end"))]


def nameservers(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"Invalid data format for nameserver: '{value}'")
    if len(value) > MAX_DNS_NAMESERVERS:
        raise errors.DNSNameServersExhausted(subnet_id="new subnet", quota=MAX_DNS_NAMESERVERS)
    seen: dict[str, None] = {}
    for host in value:
        try:
            ip = ip_address(host)
        except ValueError as exc:
            raise ValueError(f"'{host}' is not a valid nameserver. {exc}") from None
        if ip in seen:
            raise ValueError(f"Duplicate nameserver '{host}'")
        seen[ip] = None
    return list(seen)


def host_routes(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if isinstance(value, list) and len(value) > MAX_SUBNET_HOST_ROUTES:
        raise errors.HostRoutesExhausted(subnet_id="new subnet", quota=MAX_SUBNET_HOST_ROUTES)
    routes: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for route in _dicts(value, "hostroute", ("destination", "nexthop")):
        entry = {"destination": cidr(route["destination"]), "nexthop": ip_address(route["nexthop"])}
        key = (entry["destination"], entry["nexthop"])
        if key in seen:
            raise ValueError(f"Duplicate hostroute '{route}'")
        seen.add(key)
        routes.append(entry)
    return routes


def one_of(*values: Any) -> Validator:
    def check(value: Any) -> Any:
        if value not in values:
            raise ValueError(f"'{value}' is not in {list(values)}")
        return value

    return check


def ip_version(value: Any) -> int:
    try:
        number = int(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number not in (4, 6):
        raise ValueError(f"'{value}' is not in [4, 6]")
    return number


def fixed_ips(value: Any) -> list[dict[str, str]]:
    """[{subnet_id?, ip_address?}]: shapes and values only (the service checks them against subnets)."""
    if not isinstance(value, list):
        raise ValueError(f"Invalid data format for fixed IP: '{value}'")
    if len(value) > MAX_FIXED_IPS_PER_PORT:
        raise errors.InvalidInput(error_message="Exceeded maximum amount of fixed ips per port.")
    found: list[dict[str, str]] = []
    addresses: set[str] = set()
    for item in value:
        if not isinstance(item, dict) or set(item) - {"subnet_id", "ip_address"}:
            raise ValueError(f"Invalid data format for fixed IP: '{item}'")
        entry: dict[str, str] = {}
        if "ip_address" in item:
            entry["ip_address"] = ip_address(item["ip_address"])
            if entry["ip_address"] in addresses:
                raise ValueError(f"Duplicate IP address '{item['ip_address']}'")
            addresses.add(entry["ip_address"])
        if "subnet_id" in item:
            entry["subnet_id"] = uuid(item["subnet_id"])
        found.append(entry)
    return found


def allowed_address_pairs(value: Any) -> list[dict[str, str]]:
    """Neutron's _validate_allowed_address_pairs: IP or CIDR, optional unicast MAC, no duplicates."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise http_errors.HTTPBadRequest(msg="Allowed address pairs must be a list.")
    if len(value) > MAX_ADDRESS_PAIRS:
        raise errors.AllowedAddressPairExhausted(quota=MAX_ADDRESS_PAIRS)
    pairs: list[dict[str, str]] = []
    for pair in value:
        if not isinstance(pair, dict):
            raise ValueError(f"'{pair}' is not a dictionary")
        if "mac_address" in pair:
            try:
                mac_address(pair["mac_address"])
            except ValueError as exc:
                raise http_errors.HTTPBadRequest(msg=str(exc)) from None
        if "ip_address" not in pair:
            raise errors.AllowedAddressPairsMissingIP()
        key = (pair.get("mac_address"), pair["ip_address"])
        if any((p.get("mac_address"), p["ip_address"]) == key for p in pairs):
            raise errors.DuplicateAddressPairInRequest(mac_address=key[0], ip_address=key[1])
        extra = set(pair) - {"mac_address", "ip_address"}
        if extra:
            raise http_errors.HTTPBadRequest(msg=f"Unrecognized attribute(s) '{', '.join(sorted(extra))}'")
        ip = pair["ip_address"]
        try:
            net = ipaddress.ip_network(cidr(ip)) if "/" in str(ip) else ipaddress.ip_network(ip_address(ip))
        except ValueError as exc:
            raise http_errors.HTTPBadRequest(msg=str(exc)) from None
        if net.is_multicast:
            raise http_errors.HTTPBadRequest(msg=f"'{ip}' is a multicast IP address or subnet")
        mac = pair.get("mac_address")
        if mac is not None and int(mac.split(":")[0], 16) & 1:
            raise http_errors.HTTPBadRequest(msg=f"'{mac}' is a multicast MAC address")
        pairs.append({**({"mac_address": mac.lower()} if mac is not None else {}), "ip_address": ip})
    return pairs


def security_groups(value: Any) -> list[str]:
    """Neutron's uuid_list (None is [], as convert_none_to_empty_list): UUIDs, no duplicates."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"'{value}' is not a list")
    for item in value:
        uuid(item)
    duplicates = sorted({str(v) for v in value if value.count(v) > 1})
    if duplicates:
        raise ValueError(f"Duplicate items in the list: '{', '.join(duplicates)}'")
    return [str(v) for v in value]
