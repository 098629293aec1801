"""/v2.0/quotas: the limits of the resources trunkd counts (security groups and their rules)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trunkd.api import attributes, http_errors
from trunkd.api.http import call, ctx_of, env_of, json_body, no_body, no_content, ok
from trunkd.api.validators import boolean
from trunkd.domain import errors, quotas
from trunkd.service import quotas as svc


async def index(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    return ok({"quotas": await call(svc.index, env, ctx)})


async def show(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    return ok({"quota": await call(svc.show, env, ctx, request.path_params["project_id"])})


async def defaults(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    return ok({"quota": await call(svc.defaults, env, ctx, request.path_params["project_id"])})


def _limits(body: Any) -> tuple[dict[str, int], bool]:
    item = attributes.body_item(body, "quota")
    item = dict(item)
    force = item.pop("force", None)
    item.pop("check_limit", None)
    unknown = sorted(k for k in item if k not in quotas.DEFAULTS)
    if unknown:
        raise http_errors.HTTPBadRequest(msg=f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    limits = {}
    for name, value in item.items():
        try:
            limits[name] = quotas.limit_value(value)
        except TypeError as exc:
            raise errors.InvalidInput(error_message=str(exc)) from None
        except ValueError as exc:
            raise http_errors.HTTPBadRequest(msg=f"Invalid input for {name}. Reason: {exc}.") from None
    try:
        forced = force is not None and boolean(force)
    except ValueError as exc:
        raise http_errors.HTTPBadRequest(msg=str(exc)) from None
    return limits, forced


async def update(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    limits, force = _limits(await json_body(request))
    try:
        found = await call(svc.update, env, ctx, request.path_params["project_id"], limits, force)
    except quotas.BelowUsage as exc:
        raise http_errors.HTTPBadRequest(msg=str(exc)) from None
    return ok({"quota": found})


async def reset(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    await no_body(request)
    await call(svc.reset, env, ctx, request.path_params["project_id"])
    return no_content()


ROUTES = [
    Route("/v2.0/quotas", index, methods=["GET"]),
    Route("/v2.0/quotas/{project_id}", show, methods=["GET"]),
    Route("/v2.0/quotas/{project_id}", update, methods=["PUT"]),
    Route("/v2.0/quotas/{project_id}", reset, methods=["DELETE"]),
    Route("/v2.0/quotas/{project_id}/default", defaults, methods=["GET"]),
]
