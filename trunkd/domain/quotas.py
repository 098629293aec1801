"""Quotas trunkd enforces, with Neutron's defaults and its limit values (-1 is unlimited)."""

from __future__ import annotations

from typing import Any

UNLIMITED = -1
MAX_LIMIT = 2**31 - 1  # Neutron's DB_INTEGER_MAX_VALUE
# Neutron's quota_security_group and quota_security_group_rule defaults
DEFAULTS: dict[str, int] = {"security_group": 10, "security_group_rule": 100}


def limit_value(value: Any) -> int:
    """Neutron's convert_to_int (TypeError: not an integer) then range(-1, 2**31 - 1) (ValueError)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"'{value}' is not an integer")
    try:
        number = int(value)
    except ValueError:
        raise TypeError(f"'{value}' is not an integer") from None
    if not UNLIMITED <= number <= MAX_LIMIT:
        raise ValueError(f"'{number}' is not in range {UNLIMITED} through {MAX_LIMIT}")
    return number


def exceeded(limit: int, used: int, wanted: int) -> bool:
    return limit != UNLIMITED and used + wanted > limit


class BelowUsage(Exception):
    """A limit below what the project holds (the API answers webob's HTTPBadRequest, as Neutron)."""
