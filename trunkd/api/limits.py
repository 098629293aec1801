"""Request limits, enforced before routing and before any database work.

The constants and the configurable `Limits` live in `trunkd.domain.limits`; this module applies them to
what arrives over HTTP: the body (size, JSON depth, strings, integers, list attributes), the path, the
query string and the identity headers. (The header limits are applied in `api/http_protocol.py`.)
"""

from __future__ import annotations

import json
import math
import urllib.parse
from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import Scope

from trunkd.api import threads
from trunkd.domain import errors
from trunkd.domain import limits as L
from trunkd.domain.listing import TAG_FILTERS

_HEADERS = {b"x-project-id": L.MAX_VALUE_LEN, b"x-tenant-id": L.MAX_VALUE_LEN, b"x-user-id": L.MAX_VALUE_LEN,
            b"x-roles": L.MAX_ROLES_LEN}


class RequestEntityTooLarge(errors.TrunkdError):
    code = 413
    template = "Request body is larger than %(limit)s bytes."


def _bad(msg: str) -> errors.InvalidInput:
    return errors.InvalidInput(error_message=msg)


def _check_value(where: str, value: str, max_len: int = L.MAX_VALUE_LEN) -> None:
    problem = L.text_problem(value)
    if problem is None and len(value) > max_len:
        problem = f"longer than {max_len} characters"
    if problem is not None:
        raise _bad(f"{where}: {problem}")


def check_query(raw: bytes) -> None:
    """Query values: bounded size, count per key and in all, and length; no NUL. Counted before each
    value is looked at, and stopped at the first excess, so a long query costs little loop time."""
    if len(raw) > L.MAX_QUERY_BYTES:
        raise _bad(f"query string is longer than {L.MAX_QUERY_BYTES} bytes")
    counts: dict[str, int] = {}
    total = 0
    for pair in raw.decode("latin-1").split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        key, value = urllib.parse.unquote_plus(key), urllib.parse.unquote_plus(value)
        pieces = value.split(",") if key in TAG_FILTERS else [value]
        counts[key] = counts.get(key, 0) + len(pieces)
        total += len(pieces)
        if counts[key] > L.MAX_FILTER_VALUES:
            raise _bad(f"query parameter {key!r} has more than {L.MAX_FILTER_VALUES} values")
        if total > L.MAX_QUERY_VALUES:
            raise _bad(f"query string has more than {L.MAX_QUERY_VALUES} values")
        _check_value("query parameter name", key)
        for piece in pieces:
            _check_value(f"query parameter {key!r}", piece)


def check_scope(scope: Scope) -> None:
    """Everything known before the body: declared size, path, query, identity headers."""
    for segment in scope["path"].split("/"):
        _check_value("path segment", segment)
    check_query(scope.get("query_string", b""))
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > L.MAX_BODY_BYTES:
            raise RequestEntityTooLarge(limit=L.MAX_BODY_BYTES)
        if name in _HEADERS:
            _check_value(f"header {name.decode()}", value.decode("latin-1"), _HEADERS[name])


def check_lists(item: Any, limits: L.Limits, resource_id: str | None = None) -> None:
    """The list attributes of one resource body against the configured limits, by length only, with
    Neutron's error types; before any item is converted or looked up."""
    if not isinstance(item, dict):
        return
    over = L.list_over_limit(item, limits)
    if over is None:
        return
    name, bound = over
    subnet = resource_id or "new subnet"
    if name == "dns_nameservers":
        raise errors.DNSNameServersExhausted(subnet_id=subnet, quota=bound)
    if name == "host_routes":
        raise errors.HostRoutesExhausted(subnet_id=subnet, quota=bound)
    if name == "allowed_address_pairs":
        raise errors.AllowedAddressPairExhausted(quota=bound)
    if name == "fixed_ips":
        raise _bad("Exceeded maximum amount of fixed ips per port.")
    raise _bad(f"The number of allocation pools exceeds the limit {bound}")


async def read_body(request: Request) -> bytes:
    """The body, refused with 413 as soon as it grows past the limit (chunked bodies too)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > L.MAX_BODY_BYTES:
            raise RequestEntityTooLarge(limit=L.MAX_BODY_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_MIN_INT = -L.MAX_INT - 1


class _Rounded(Exception):
    """orjson read an integer past 64 bits as a float: json must read the body instead."""


def _check_scalar(item: Any, strings: bool, rounded: bool) -> None:
    kind = type(item)
    if kind is str:
        if strings:
            problem = L.text_problem(item)
            if problem:
                raise _bad(f"string in request body: {problem}")
    elif kind is int:
        if not _MIN_INT <= item <= L.MAX_INT:
            raise _bad("integer in request body does not fit in 64 bits")
    elif kind is float:
        if not math.isfinite(item):
            raise _bad("number in request body is not finite")
        if rounded and abs(item) >= 2.0**63:
            raise _Rounded


def check_json(value: Any, *, strings: bool = True, rounded: bool = False) -> None:
    """Depth, integers, floats and (with `strings`) strings, keys too, of a parsed body; raises
    InvalidInput. With `rounded`, a float past 64-bit integers raises _Rounded."""
    if type(value) is not dict and type(value) is not list:
        _check_scalar(value, strings, rounded)
        return
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > L.MAX_JSON_DEPTH:
            raise _bad(f"request body is nested deeper than {L.MAX_JSON_DEPTH} levels")
        if type(item) is dict:
            if strings:
                for key in item:
                    _check_scalar(key, strings, rounded)
            values = item.values()
        else:
            values = item
        for v in values:
            kind = type(v)
            if kind is dict or kind is list:
                stack.append((v, depth + 1))
            elif kind is int:  # the common scalars first, inline: this runs for every value of 4094 items
                if not _MIN_INT <= v <= L.MAX_INT:
                    raise _bad("integer in request body does not fit in 64 bits")
            elif kind is float or (kind is str and strings):
                _check_scalar(v, strings, rounded)


def parse_json(raw: bytes) -> Any:
    """The body, parsed and checked. orjson reads what it can: its strings are valid UTF-8 (it
    refuses lone surrogates), so they need a check only when the body escapes a NUL; json reads
    the rest exactly (integers past 64 bits, lone surrogates), and all of that is checked."""
    try:
        value = orjson.loads(raw)
        check_json(value, strings=b"\\u0000" in raw, rounded=True)
        return value
    except (orjson.JSONDecodeError, _Rounded):
        pass
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise errors.MalformedRequestBody(reason="Cannot understand JSON") from None
    check_json(value)
    return value


async def parse_body(raw: bytes) -> Any:
    """Parse and check a JSON body; large ones on the thread pool so the event loop stays free."""
    if len(raw) > L.JSON_OFF_LOOP_BYTES:
        return await threads.run(parse_json, raw)
    return parse_json(raw)
