"""/v2.0/subnetpools"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trunkd.api import attributes, views
from trunkd.api.http import (
    call,
    create_body,
    created,
    ctx_of,
    env_of,
    if_match,
    listed,
    no_body,
    no_content,
    ok,
    read_one,
    update_body,
)
from trunkd.api.query import fields_of, links, parse_list
from trunkd.service import subnetpools as svc


async def create(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    items, bulk = await create_body(request, "subnetpool", "subnetpools", attributes.SUBNETPOOL)
    made = await call(svc.create_subnetpools, env, ctx, items)
    return created("subnetpool", "subnetpools", [views.subnetpool(p) for p in made], bulk)


async def index(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    query, fields = parse_list(request, attributes.SUBNETPOOL)
    found = await call(svc.list_subnetpools, env, ctx, query)
    return listed("subnetpools", [views.subnetpool(p, fields) for p in found],
                  links(request, query, [p.id for p in found]))


async def show(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    pool = await read_one(svc.get_subnetpool, env, ctx, request.path_params["id"])
    return ok({"subnetpool": views.subnetpool(pool, fields_of(request))})


async def update(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    attrs = await update_body(request, "subnetpool", attributes.SUBNETPOOL)
    pool = await call(svc.update_subnetpool, env, ctx, request.path_params["id"], attrs, if_match(request))
    return ok({"subnetpool": views.subnetpool(pool)})


async def delete(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    await no_body(request)
    await call(svc.delete_subnetpool, env, ctx, request.path_params["id"], if_match(request))
    return no_content()


ROUTES = [
    Route("/v2.0/subnetpools", index, methods=["GET"]),
    Route("/v2.0/subnetpools", create, methods=["POST"]),
    Route("/v2.0/subnetpools/{id}", show, methods=["GET"]),
    Route("/v2.0/subnetpools/{id}", update, methods=["PUT"]),
    Route("/v2.0/subnetpools/{id}", delete, methods=["DELETE"]),
]
