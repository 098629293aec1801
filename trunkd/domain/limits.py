"""Every request limit in one place (docs/reliability.md lists them with their reasons)."""

from __future__ import annotations

MAX_BODY_BYTES = 2 * 1024 * 1024  # 413 beyond; a full 2 x 4094-subport body is about 0.8 MiB
JSON_OFF_LOOP_BYTES = 16 * 1024  # larger bodies are parsed on the thread pool, not the event loop
MAX_JSON_DEPTH = 32  # nesting of objects and arrays in a body
MAX_INT = 2**63 - 1  # every integer in a body fits a signed 64-bit column
MAX_BULK = 2048  # resources in one bulk POST (a full trunk's ports in two); ~2 ms each on SQLite
MAX_SUBPORTS_PER_TYPE = 4094  # subports per segmentation type in one request (a VLAN trunk's whole range)
MAX_SUBPORTS = 2 * MAX_SUBPORTS_PER_TYPE  # subports of all types in one request
MAX_FILTER_VALUES = 400  # values of one list filter (`?tags=a,b,…` counts each tag)
MAX_VALUE_LEN = 255  # any query value (each comma-separated tag), path segment or identity header
MAX_QUERY_BYTES = 256 * 1024  # the whole query string
MAX_ROLES_LEN = 1024  # X-Roles
MAX_HEADERS = 100  # request header fields; 431 beyond (counted as parsed)
MAX_HEADER_BYTES = 64 * 1024  # request line and headers; 431 beyond, before the rest is buffered
MAX_TAGS = 50  # tags on one resource
# Neutron's options of the same names and defaults: list attributes are rejected by length before any item
# is looked at, so every check of a request body is linear and bounded.
MAX_DNS_NAMESERVERS = 5  # max_dns_nameservers
MAX_SUBNET_HOST_ROUTES = 20  # max_subnet_host_routes
MAX_FIXED_IPS_PER_PORT = 5  # max_fixed_ips_per_port
MAX_ALLOCATION_POOLS = 256  # allocation_pools of one subnet (Neutron has no bound; its check is quadratic)
MAX_TAG_LEN = 255
MAX_ADDRESS_PAIRS = 10  # allowed_address_pairs of one port (Neutron's max_allowed_address_pair default)
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
