"""/v2.0/ports"""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trunkd.api import attributes, http_errors, reasons, views
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
    update_body,
)
from trunkd.api.options import flag
from trunkd.api.query import fields_of, links, parse_list
from trunkd.service import ports as svc


async def create(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    items, bulk = await create_body(request, "port", "ports", attributes.PORT)
    made = await call(svc.create_ports, env, ctx, items)
    return created("port", "ports", [views.port(p, None, ctx) for p in made], bulk)


async def index(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    query, fields = parse_list(request, attributes.PORT, views.filterable(ctx, "port"),
                              ctx.project_id)
    found, details = await call(svc.list_ports, env, ctx, query)
    statuses = flag(request, "subport_status")
    redact = await reasons.redactor(request, [reasons.of_port(p, details.get(p.id)) for p in found]) \
        if statuses else views.full_reasons
    return listed("ports", [views.port(p, details.get(p.id), ctx, fields, statuses, redact) for p in found],
                  links(request, query, [p.id for p in found]))


async def show(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    port, details = await call(svc.get_port, env, ctx, request.path_params["id"])
    statuses = flag(request, "subport_status")
    redact = await reasons.redactor(request, [reasons.of_port(port, details)]) if statuses else views.full_reasons
    return ok({"port": views.port(port, details, ctx, fields_of(request), statuses, redact)})


async def update(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    attrs = await update_body(request, "port", attributes.PORT)
    port, details = await call(svc.update_port, env, ctx, request.path_params["id"], attrs, if_match(request))
    return ok({"port": views.port(port, details, ctx)})


async def delete(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    await no_body(request)
    cascade = request.query_params.get("cascade")
    if cascade not in (None, "trunk"):
        raise http_errors.HTTPBadRequest(msg=f"Invalid value for 'cascade': '{cascade}' (the only value is 'trunk')")
    delete = functools.partial(svc.delete_port, cascade=cascade is not None)
    await call(delete, env, ctx, request.path_params["id"], if_match(request))
    return no_content()


ROUTES = [
    Route("/v2.0/ports", index, methods=["GET"]),
    Route("/v2.0/ports", create, methods=["POST"]),
    Route("/v2.0/ports/{id}", show, methods=["GET"]),
    Route("/v2.0/ports/{id}", update, methods=["PUT"]),
    Route("/v2.0/ports/{id}", delete, methods=["DELETE"]),
]
