"""/v2.0/subnets"""

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
from trunkd.service import subnets as svc


async def create(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    items, bulk = await create_body(request, "subnet", "subnets", attributes.SUBNET)
    made = await call(svc.create_subnets, env, ctx, items)
    return created("subnet", "subnets", [views.subnet(s) for s in made], bulk)


async def index(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    query, fields = parse_list(request, attributes.SUBNET)
    found = await call(svc.list_subnets, env, ctx, query)
    return listed("subnets", [views.subnet(s, fields) for s in found],
                  links(request, query, [s.id for s in found]))


async def show(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    subnet = await read_one(svc.get_subnet, env, ctx, request.path_params["id"])
    return ok({"subnet": views.subnet(subnet, fields_of(request))})


async def update(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    attrs = await update_body(request, "subnet", attributes.SUBNET)
    subnet = await call(svc.update_subnet, env, ctx, request.path_params["id"], attrs, if_match(request))
    return ok({"subnet": views.subnet(subnet)})


async def delete(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    await no_body(request)
    await call(svc.delete_subnet, env, ctx, request.path_params["id"], if_match(request))
    return no_content()


ROUTES = [
    Route("/v2.0/subnets", index, methods=["GET"]),
    Route("/v2.0/subnets", create, methods=["POST"]),
    Route("/v2.0/subnets/{id}", show, methods=["GET"]),
    Route("/v2.0/subnets/{id}", update, methods=["PUT"]),
    Route("/v2.0/subnets/{id}", delete, methods=["DELETE"]),
]
