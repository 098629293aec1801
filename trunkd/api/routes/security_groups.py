"""/v2.0/security-groups and /v2.0/security-group-rules"""

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
from trunkd.service import security_groups as svc


async def create_group(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    items, bulk = await create_body(request, "security_group", "security_groups", attributes.SECURITY_GROUP)
    made = await call(svc.create_groups, env, ctx, items)
    return created("security_group", "security_groups", [views.security_group(g) for g in made], bulk)


async def list_groups(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    query, fields = parse_list(request, attributes.SECURITY_GROUP)
    found = await call(svc.list_groups, env, ctx, query)
    return listed("security_groups", [views.security_group(g, fields) for g in found],
                  links(request, query, [g.id for g in found]))


async def show_group(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    group = await read_one(svc.get_group, env, ctx, request.path_params["id"])
    return ok({"security_group": views.security_group(group, fields_of(request))})


async def update_group(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    attrs = await update_body(request, "security_group", attributes.SECURITY_GROUP)
    group = await call(svc.update_group, env, ctx, request.path_params["id"], attrs, if_match(request))
    return ok({"security_group": views.security_group(group)})


async def delete_group(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    await no_body(request)
    await call(svc.delete_group, env, ctx, request.path_params["id"], if_match(request))
    return no_content()


async def create_rule(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    items, bulk = await create_body(request, "security_group_rule", "security_group_rules",
                                    attributes.SECURITY_GROUP_RULE)
    made = await call(svc.create_rules, env, ctx, items, bulk)
    return created("security_group_rule", "security_group_rules", [views.security_group_rule(r) for r in made],
                   bulk)


async def list_rules(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    query, fields = parse_list(request, attributes.SECURITY_GROUP_RULE)
    found = await call(svc.list_rules, env, ctx, query)
    return listed("security_group_rules", [views.security_group_rule(r, fields) for r in found],
                  links(request, query, [r.id for r in found]))


async def show_rule(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    rule = await read_one(svc.get_rule, env, ctx, request.path_params["id"])
    return ok({"security_group_rule": views.security_group_rule(rule, fields_of(request))})


async def delete_rule(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    await no_body(request)
    await call(svc.delete_rule, env, ctx, request.path_params["id"], if_match(request))
    return no_content()


ROUTES = [
    Route("/v2.0/security-groups", list_groups, methods=["GET"]),
    Route("/v2.0/security-groups", create_group, methods=["POST"]),
    Route("/v2.0/security-groups/{id}", show_group, methods=["GET"]),
    Route("/v2.0/security-groups/{id}", update_group, methods=["PUT"]),
    Route("/v2.0/security-groups/{id}", delete_group, methods=["DELETE"]),
    Route("/v2.0/security-group-rules", list_rules, methods=["GET"]),
    Route("/v2.0/security-group-rules", create_rule, methods=["POST"]),
    Route("/v2.0/security-group-rules/{id}", show_rule, methods=["GET"]),
    Route("/v2.0/security-group-rules/{id}", delete_rule, methods=["DELETE"]),
]
