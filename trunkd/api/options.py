"""Opt-in request flags beyond Neutron (`?dry_run=true`, `?idempotent=true`, `?subport_status=true`)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from trunkd.api import http_errors, validators
from trunkd.store.uow import dry_run_scope

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


# The query flags each write accepts; any other query parameter on a write is a 400 before anything
# runs (a flag the route does not know, e.g. dry_run where there is no dry run, must never be ignored
# while the write happens).
# Writes whose dry run is the generic one: the whole unit of work runs, then rolls back
# (store/uow.py dry_run_scope); a 201 becomes a 200 with the would-be resource, a 204 a 200 saying
# what would go. (Trunk create and the subport actions run their own dry runs.)
DRY_RUN_WRITES: dict[tuple[str, str], str] = {
    **{(m, f"/v2.0/{c}"): s for c, s in (("networks", "network"), ("subnets", "subnet"), ("ports", "port"))
       for m in ("POST",)},
    **{(m, f"/v2.0/{c}/{{id}}"): s for c, s in (("networks", "network"), ("subnets", "subnet"), ("ports", "port"),
                                               ("trunks", "trunk")) for m in ("PUT", "DELETE")},
}
WRITE_FLAGS: dict[tuple[str, str], frozenset[str]] = {
    **{key: frozenset({"dry_run"}) for key in DRY_RUN_WRITES},
    ("POST", "/v2.0/trunks"): frozenset({"dry_run"}),
    ("PUT", "/v2.0/trunks/{id}/add_subports"): frozenset({"idempotent", "dry_run"}),
    ("PUT", "/v2.0/trunks/{id}/remove_subports"): frozenset({"idempotent", "dry_run"}),
    ("PUT", "/v2.0/trunks/{id}/sub_ports"): frozenset({"dry_run"}),
    ("DELETE", "/v2.0/ports/{id}"): frozenset({"cascade", "dry_run"}),
}
WRITES = frozenset({"POST", "PUT", "DELETE", "PATCH"})


def unknown_write_flags(method: str, path: str, names: Iterable[str]) -> list[str]:
    """The query parameters of a write that its route does not accept, sorted."""
    if method not in WRITES:
        return []
    return sorted(set(names) - WRITE_FLAGS.get((method, path), frozenset()))


def checked(routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """Each write route refusing query parameters it does not accept (400, nothing run)."""
    out: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, Route) and route.methods and route.methods & WRITES:
            out.append(Route(route.path, _refusing(route.endpoint, route.path), methods=sorted(route.methods)))
        else:
            out.append(route)
    return out


Endpoint = Callable[[Request], Awaitable[Response]]


def _refusing(endpoint: Endpoint, path: str) -> Endpoint:
    @functools.wraps(endpoint)
    async def run(request: Request) -> Response:
        unknown = unknown_write_flags(request.method, path, request.query_params.keys())
        if unknown:
            raise http_errors.HTTPBadRequest(
                msg=f"Unsupported query parameter(s) on {request.method} {path}: {', '.join(unknown)}")
        resource = DRY_RUN_WRITES.get((request.method, path))
        if resource is not None and flag(request, "dry_run"):
            with dry_run_scope():
                answer = await endpoint(request)
            return _dry_answer(answer, resource, request)
        return await endpoint(request)

    return run


def _dry_answer(answer: Response, resource: str, request: Request) -> Response:
    """What a dry run says: 200 with the would-be resource(s), or, for a delete, what would go."""
    if answer.status_code == 201:
        return Response(answer.body, status_code=200, media_type="application/json")
    if answer.status_code == 204:
        return JSONResponse({"dry_run": {"action": "delete", "resource": resource,
                                         "id": request.path_params.get("id")}})
    return answer
