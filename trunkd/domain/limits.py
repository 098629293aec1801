"""Every request limit in one place (docs/reliability.md lists them with their reasons)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

MAX_BODY_BYTES = 2 * 1024 * 1024  # 413 beyond; a full 2 x 4094-subport body is about 0.8 MiB
JSON_OFF_LOOP_BYTES = 16 * 1024  # larger bodies are parsed on the thread pool, not the event loop
MAX_JSON_DEPTH = 32  # nesting of objects and arrays in a body
MAX_INT = 2**63 - 1  # every integer in a body fits a signed 64-bit column
MAX_BULK = 2048  # resources in one bulk POST (a full trunk's ports in two); ~2 ms each on SQLite
MAX_SUBPORTS_PER_TYPE = 4094  # subports per segmentation type in one request (a VLAN trunk's whole range)
MAX_SUBPORTS = 2 * MAX_SUBPORTS_PER_TYPE  # subports of all types in one request
MAX_FILTER_VALUES = 400  # values of one list filter (`?tags=a,b,…` counts each tag)
MAX_QUERY_VALUES = 2 * MAX_FILTER_VALUES  # values of all query parameters together
MAX_VALUE_LEN = 255  # any query value (each comma-separated tag), path segment or identity header
MAX_QUERY_BYTES = 256 * 1024  # the whole query string
MAX_ROLES_LEN = 1024  # X-Roles
MAX_TAGS = 50  # tags on one resource
MAX_TAG_LEN = 255
MAX_REASON_PORTS = 5  # failed subports named in a DEGRADED status_reason (the rest are counted)
MAX_REASON_LEN = 1024  # the status_reason column
MAX_PAGE = 2**31 - 1  # `limit` beyond this is treated as this (Neutron caps it at its maximum)
RETRY_AFTER_SECONDS = 5  # Retry-After of a 503 when the database is unavailable
STATEMENT_TIMEOUT_MS = 30_000  # PostgreSQL statement_timeout: no query outlives its client for long


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored on either engine (NUL, lone surrogate), or None."""
    if "\x00" in value:
        return "NUL characters are not allowed"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "lone UTF-16 surrogates are not allowed"
    return None


def valid_tag(value: object) -> bool:
    """1 to 255 characters, no comma or slash (they separate tags in filters and paths)."""
    return isinstance(value, str) and 0 < len(value) <= MAX_TAG_LEN and "," not in value and "/" not in value


@dataclass(frozen=True)
class Limits:
    """The limits an operator may change: [DEFAULT] options of Neutron's names and defaults where Neutron
    has one (trunkd/options.py `LIMIT_OPTS`). List attributes are refused by length before any item is
    looked at (`list_over_limit`), so every check of a request body is linear and bounded."""

    max_dns_nameservers: int = 5
    max_subnet_host_routes: int = 20
    max_fixed_ips_per_port: int = 5  # Neutron's name (an option up to Ocata, a constant 5 since)
    max_allowed_address_pair: int = 10
    max_allocation_pools: int = 256  # trunkd's: Neutron has no bound (and a quadratic overlap check)
    max_header_line: int = 16384  # one request header line (oslo.service's wsgi option of this name)
    max_request_header_fields: int = 100  # trunkd's: header fields of one request
    max_request_header_bytes: int = 64 * 1024  # trunkd's: request line and headers together

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def check(self) -> None:
        """ValueError naming the first limit out of range (header limits at least 1, others at least 0)."""
        for name in self.names():
            value = getattr(self, name)
            if type(value) is not int or value < (1 if "header" in name else 0):
                raise ValueError(f"{name} must be an integer of at least {1 if 'header' in name else 0}, "
                                 f"not {value!r}")


DEFAULT_LIMITS = Limits()
MAX_DNS_NAMESERVERS = DEFAULT_LIMITS.max_dns_nameservers
MAX_SUBNET_HOST_ROUTES = DEFAULT_LIMITS.max_subnet_host_routes
MAX_FIXED_IPS_PER_PORT = DEFAULT_LIMITS.max_fixed_ips_per_port
MAX_ALLOCATION_POOLS = DEFAULT_LIMITS.max_allocation_pools
MAX_ADDRESS_PAIRS = DEFAULT_LIMITS.max_allowed_address_pair
MAX_HEADERS = DEFAULT_LIMITS.max_request_header_fields
MAX_HEADER_BYTES = DEFAULT_LIMITS.max_request_header_bytes

# list attribute of a request body -> the Limits field bounding it (names are unique across resources)
LIST_LIMITS: dict[str, str] = {
    "dns_nameservers": "max_dns_nameservers",
    "host_routes": "max_subnet_host_routes",
    "fixed_ips": "max_fixed_ips_per_port",
    "allowed_address_pairs": "max_allowed_address_pair",
    "allocation_pools": "max_allocation_pools",
}


def list_over_limit(item: Mapping[str, Any], limits: Limits) -> tuple[str, int] | None:
    """The first list attribute of one resource body longer than its limit, with that limit; or None.
    Reads only lengths: constant time per attribute whatever the list holds."""
    for name, field_name in LIST_LIMITS.items():
        value = item.get(name)
        if isinstance(value, list):
            bound: int = getattr(limits, field_name)
            if len(value) > bound:
                return name, bound
    return None
