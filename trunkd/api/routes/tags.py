"""/v2.0/{networks,ports,trunks}/{id}/tags[/{tag}]"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trunkd.api import http_errors
from trunkd.api.http import call, ctx_of, env_of, no_content, ok, parsed_body
from trunkd.service import tags as svc


def _where(request: Request) -> tuple[str, str]:
    collection = request.path_params["collection"]
    if collection not in svc.KINDS:
        raise http_errors.HTTPNotFound()
    return collection, request.path_params["id"]


async def index(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    return ok({"tags": await call(svc.get_tags, env, ctx, *_where(request))})


async def check(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    await call(svc.has_tag, env, ctx, *_where(request), request.path_params["tag"])
    return no_content()


async def replace(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    tags = await parsed_body(request, lambda body: svc.tags_from_body(body, _where(request)[0]), required=False)
    await call(svc.change_tags, env, ctx, *_where(request), "update", lambda _current: tags)
    return ok({"tags": tags})


async def add_many(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    tags = await parsed_body(request, lambda body: svc.tags_from_body(body, _where(request)[0]), required=False)
    await call(svc.change_tags, env, ctx, *_where(request), "create",
               lambda current: current + [t for t in tags if t not in current])
    return ok({"tags": tags})


async def add_one(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    tag = svc.check_tag(request.path_params["tag"])
    await call(svc.change_tags, env, ctx, *_where(request), "update",
               lambda current: current if tag in current else [*current, tag])
    return no_content(201)


async def clear(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    await call(svc.change_tags, env, ctx, *_where(request), "delete", lambda _current: [])
    return no_content()


async def remove_one(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    await call(svc.remove_tag, env, ctx, *_where(request), request.path_params["tag"])
    return no_content()


_BASE = "/v2.0/{collection:str}/{id}/tags"
ROUTES = [
    Route(_BASE, index, methods=["GET"]),
    Route(_BASE, replace, methods=["PUT"]),
    Route(_BASE, add_many, methods=["POST"]),
    Route(_BASE, clear, methods=["DELETE"]),
    Route(_BASE + "/{tag}", check, methods=["GET"]),
    Route(_BASE + "/{tag}", add_one, methods=["PUT"]),
    Route(_BASE + "/{tag}", remove_one, methods=["DELETE"]),
]
