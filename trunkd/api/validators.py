"""Value checks for request attributes: each returns the converted value or raises ValueError."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from trunkd.domain.subports import is_uuid

Validator = Callable[[Any], Any]


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

    return check


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

    return check


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
    """An MTU: 0 (the largest the network allows) or at least 68 (IPv4's minimum); the upper
    bound is the network's own maximum, which ML2 computes (trunkd.domain.ml2)."""
    number = to_int(value)
    if number != 0 and number < 68:
        raise ValueError(f"'{number}' is smaller than 68 (use 0 for the largest the network allows)")
    return number


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

    return check


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
    if value not in VNIC_TYPES:
        raise ValueError(f"'{value}' is not in {sorted(VNIC_TYPES)}")
    return str(value)


def tag_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) and 0 < len(t) <= 255 for t in value):
        raise ValueError(f"'{value}' is not a list of tags")
    return list(dict.fromkeys(value))


def anything(value: Any) -> Any:
    return value
