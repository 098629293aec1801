"""List query parameters (filters, fields, sort, page) and the `<collection>_links` they imply."""

from __future__ import annotations

import re
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request

from trunkd.api import http_errors
from trunkd.api.attributes import Attr
from trunkd.api.validators import ConversionError
from trunkd.domain import errors
from trunkd.domain.limits import MAX_INT, MAX_PAGE
from trunkd.domain.listing import TAG_FILTERS, ListQuery

CONTROL = frozenset({"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse", "subport_status"})


def _bad(msg: str) -> http_errors.HTTPBadRequest:
    return http_errors.HTTPBadRequest(msg=msg)


def _values(request: Request, key: str) -> list[str]:
    return [v for v in request.query_params.getlist(key) if v]


def _limit(request: Request) -> int | None:
    raw = request.query_params.get("limit", "0")
    try:
        limit = int(raw)
    except ValueError:
        limit = -1
    if limit < 0:
        raise errors.BadRequest(resource="limit", msg=f"Limit must be an integer 0 or greater and not '{raw}'")
    return min(limit, MAX_PAGE) or None


def _sorts(request: Request, attrs: Mapping[str, Attr]) -> list[tuple[str, bool]]:
    keys, dirs = _values(request, "sort_key"), _values(request, "sort_dir")
    if len(keys) != len(dirs):
        raise _bad("The number of sort_keys and sort_dirs must be same")
    absent = [k for k in keys if k not in attrs or not attrs[k].sort]
    if absent:
        raise _bad(f"{absent} is invalid attribute for sort_keys")
    invalid = [d for d in dirs if d not in ("asc", "desc")]
    if invalid:
        raise _bad(f"{invalid} is invalid value for sort_dirs, valid value is 'asc' and 'desc'")
    return [(k, d == "asc") for k, d in zip(keys, dirs, strict=True)]


def parse_list(request: Request, attrs: Mapping[str, Attr],
               readable: Callable[[str], bool] = lambda _key: True,
               own_project: str | None = None) -> tuple[ListQuery, list[str]]:
    """The ListQuery and the requested `fields` ([] for all). A filter on an attribute the caller may not
    read is applied, as Neutron applies it, but to the caller's own resources only (`ListQuery.owner`):
    matching a shared or external network of another project would reveal what the view hides."""
    filters: dict[str, list[Any]] = defaultdict(list)
    tag_filters: dict[str, list[str]] = defaultdict(list)
    invalid: list[str] = []
    hidden: list[str] = []
    for key in dict.fromkeys(request.query_params.keys()):
        if key in CONTROL:
            continue
        values = _values(request, key)
        if key in TAG_FILTERS:
            tag_filters[key].extend(t for v in values for t in v.split(",") if t)
            continue
        attr = attrs.get(key)
        if attr is None or attr.filter is None:
            invalid.append(key)
            continue
        if not readable(key):
            hidden.append(key)
        for value in values:
            try:
                converted = attr.filter(value)
                if isinstance(converted, int) and not -MAX_INT - 1 <= converted <= MAX_INT:
                    raise ValueError(f"'{value}' does not fit in 64 bits")
                filters[key].append(converted)
            except ConversionError as exc:
                raise errors.InvalidInput(error_message=str(exc)) from None
            except ValueError as exc:
                raise _bad(f"Invalid input for {key}. Reason: {exc}.") from None
    if hidden and own_project is None:  # no project to limit the list to: refused like an unknown attribute
        invalid += hidden
    if invalid:
        raise _bad(f"{invalid} is invalid attribute for filtering")
    page_reverse = request.query_params.get("page_reverse", "false").lower() in ("true", "1")
    limit = _limit(request)
    query = ListQuery(
        filters={k: v for k, v in filters.items() if v},
        tag_filters={k: v for k, v in tag_filters.items() if v},
        sorts=_sorts(request, attrs),
        limit=limit,
        marker=request.query_params.get("marker") if limit else None,
        page_reverse=page_reverse and bool(limit),
        owner=own_project if hidden else None,
    )
    return query, _values(request, "fields")


def fields_of(request: Request) -> list[str]:
    return _values(request, "fields")


def select_fields(view: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """Only the requested keys (unknown names are ignored); all when none are asked for."""
    if not fields:
        return view
    return {k: view[k] for k in fields if k in view}


# Host: a DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port (RFC 9110 §7.2)
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?|\[[0-9A-Fa-f:.]{2,45}\])"
                   r"(?::[0-9]{1,5})?")


def _host(request: Request) -> str:
    """The Host header if it is a well-formed host[:port]; else the address the server answers on."""
    given = request.headers.get("host", "")
    if len(given) <= 261 and _HOST.fullmatch(given) and int(given.rpartition("]")[2].partition(":")[2] or 1) <= 65535:
        return given
    host, port = request.scope.get("server") or ("127.0.0.1", 9696)
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


def base_url(request: Request) -> str:
    """Scheme and host as the client sees them, for links: X-Forwarded-Proto when it is http or https (the
    first of a proxy chain's list), and the Host header when it is a well-formed host[:port]. Anything else
    is ignored, not echoed: the server's own scheme and address stand in (docs/reliability.md)."""
    proto = request.headers.get("x-forwarded-proto", "").split(",", 1)[0].strip().lower()
    scheme = proto if proto in ("http", "https") else request.url.scheme
    return f"{scheme}://{_host(request)}"


def _link(request: Request, marker: str | None, reverse: bool) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("marker", "page_reverse")]
    if marker is not None:
        params.append(("marker", marker))
    if reverse:
        params.append(("page_reverse", "True"))
    return f"{base_url(request)}{request.url.path}?{urllib.parse.urlencode(params)}"


def links(request: Request, query: ListQuery, ids: list[str]) -> list[dict[str, str]]:
    """Neutron's pagination links for a page whose item ids are `ids`."""
    if not query.limit:
        return []
    short = len(ids) < query.limit
    found: list[dict[str, str]] = []
    if not (short and not query.page_reverse):
        found.append({"rel": "next", "href": _link(request, ids[-1] if ids else None, False)})
    if not (short and query.page_reverse):
        found.append({"rel": "previous", "href": _link(request, ids[0] if ids else None, True)})
    return found
