"""Opt-in request flags beyond Neutron (`?dry_run=true`, `?idempotent=true`, `?subport_status=true`)."""

from __future__ import annotations

from starlette.requests import Request

from trunkd.api import http_errors, validators

# flags that may ride along on list requests without being taken for filters
LIST_FLAGS = frozenset({"subport_status"})


def flag(request: Request, name: str) -> bool:
    """A boolean query flag; absent is false, a value that is not a boolean is a 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return False
    try:
        return validators.boolean(raw)
    except ValueError:
        problem = f"Invalid value for '{name}': '{raw}' cannot be converted to boolean"
        raise http_errors.HTTPBadRequest(msg=problem) from None
