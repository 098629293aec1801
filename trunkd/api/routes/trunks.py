"""/v2.0/trunks and its member actions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trunkd.api import attributes, views
from trunkd.api.http import (
    call,
    created,
    ctx_of,
    env_of,
    if_match,
    json_body,
    listed,
    no_body,
    no_content,
    ok,
)
from trunkd.api.query import fields_of, links, parse_list
from trunkd.service import trunks as svc


async def create(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    items, bulk = attributes.parse_create(await json_body(request), "trunk", "trunks", attributes.TRUNK, ctx)
    for item in items:
        attributes.check_sub_ports(item)
    made = await call(svc.create_trunks, env, ctx, items)
    return created("trunk", "trunks", [views.trunk(t) for t in made], bulk)


async def index(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    query, fields = parse_list(request, attributes.TRUNK)
    found = await call(svc.list_trunks, env, ctx, query)
    return listed("trunks", [views.trunk(t, fields) for t in found], links(request, query, [t.id for t in found]))


async def show(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    trunk = await call(svc.get_trunk, env, ctx, request.path_params["id"])
    return ok({"trunk": views.trunk(trunk, fields_of(request))})


async def update(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    attrs = attributes.parse_update(await json_body(request), "trunk", attributes.TRUNK)
    trunk = await call(svc.update_trunk, env, ctx, request.path_params["id"], attrs, if_match(request))
    return ok({"trunk": views.trunk(trunk)})


async def delete(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    await no_body(request)
    await call(svc.delete_trunk, env, ctx, request.path_params["id"], if_match(request))
    return no_content()


async def add_subports(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    body = await json_body(request, required=False)
    trunk = await call(svc.add_subports, env, ctx, request.path_params["id"], body)
    return ok(views.trunk(trunk))


async def remove_subports(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    body = await json_body(request, required=False)
    trunk = await call(svc.remove_subports, env, ctx, request.path_params["id"], body)
    return ok(views.trunk(trunk))


async def get_subports(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    trunk = await call(svc.get_trunk, env, ctx, request.path_params["id"], "get_subports")
    return ok({"sub_ports": [s.as_dict() for s in trunk.sub_ports]})


ROUTES = [
    Route("/v2.0/trunks", index, methods=["GET"]),
    Route("/v2.0/trunks", create, methods=["POST"]),
    Route("/v2.0/trunks/{id}", show, methods=["GET"]),
    Route("/v2.0/trunks/{id}", update, methods=["PUT"]),
    Route("/v2.0/trunks/{id}", delete, methods=["DELETE"]),
    Route("/v2.0/trunks/{id}/add_subports", add_subports, methods=["PUT"]),
    Route("/v2.0/trunks/{id}/remove_subports", remove_subports, methods=["PUT"]),
    Route("/v2.0/trunks/{id}/get_subports", get_subports, methods=["GET"]),
]
