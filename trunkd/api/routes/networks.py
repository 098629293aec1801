"""/v2.0/networks"""

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
from trunkd.service import networks as svc


async def create(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    items, bulk = await create_body(request, "network", "networks", attributes.NETWORK)
    nets = await call(svc.create_networks, env, ctx, items)
    return created("network", "networks", [views.network(n, ctx) for n in nets], bulk)


async def index(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    query, fields = parse_list(request, attributes.NETWORK, views.filterable(ctx, "network"),
                              ctx.project_id)
    found = await call(svc.list_networks, env, ctx, query)
    return listed("networks", [views.network(n, ctx, fields) for n in found],
                  links(request, query, [n.id for n in found]))


async def show(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    net = await read_one(svc.get_network, env, ctx, request.path_params["id"])
    return ok({"network": views.network(net, ctx, fields_of(request))})


async def update(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    attrs = await update_body(request, "network", attributes.NETWORK)
    net = await call(svc.update_network, env, ctx, request.path_params["id"], attrs, if_match(request))
    return ok({"network": views.network(net, ctx)})


async def delete(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    await no_body(request)
    await call(svc.delete_network, env, ctx, request.path_params["id"], if_match(request))
    return no_content()


ROUTES = [
    Route("/v2.0/networks", index, methods=["GET"]),
    Route("/v2.0/networks", create, methods=["POST"]),
    Route("/v2.0/networks/{id}", show, methods=["GET"]),
    Route("/v2.0/networks/{id}", update, methods=["PUT"]),
    Route("/v2.0/networks/{id}", delete, methods=["DELETE"]),
]
