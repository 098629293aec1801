"""The five routes of a plain resource (list, create, show, update, delete), made from its use cases.

For resources whose answer is their stored view (subnets, subnet pools, security groups and their
rules); networks, ports and trunks shape theirs for the caller and keep modules of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trunkd.api.attributes import Attr
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


@dataclass(frozen=True)
class Resource:
    singular: str  # "subnet": the body's key, and `attrs`' resource name
    collection: str  # "subnets"
    path: str  # "/v2.0/subnets"
    attrs: Mapping[str, Attr]
    view: Callable[..., dict[str, Any]]  # view(item, fields=None)
    create: Callable[..., list[Any]]  # create(env, ctx, items), or with `create_needs_bulk` (…, bulk)
    index: Callable[..., list[Any]]  # index(env, ctx, query)
    show: Callable[..., Any]  # show(env, ctx, id): one resource of bounded size (read_one)
    delete: Callable[..., None]  # delete(env, ctx, id, if_match)
    update: Callable[..., Any] | None = None  # update(env, ctx, id, attrs, if_match); None: no PUT
    create_needs_bulk: bool = False  # whether the body was a list changes what create does


def routes(r: Resource) -> list[Route]:
    async def create(request: Request) -> Response:
        ctx, env = ctx_of(request), env_of(request)
        items, bulk = await create_body(request, r.singular, r.collection, r.attrs)
        made = await call(r.create, env, ctx, items, *((bulk,) if r.create_needs_bulk else ()))
        return created(r.singular, r.collection, [r.view(item) for item in made], bulk)

    async def index(request: Request) -> Response:
        ctx, env = ctx_of(request), env_of(request)
        query, fields = parse_list(request, r.attrs)
        found = await call(r.index, env, ctx, query)
        return listed(r.collection, [r.view(item, fields) for item in found],
                      links(request, query, [item.id for item in found]))

    async def show(request: Request) -> Response:
        ctx, env = ctx_of(request), env_of(request)
        item = await read_one(r.show, env, ctx, request.path_params["id"])
        return ok({r.singular: r.view(item, fields_of(request))})

    async def update(request: Request) -> Response:
        assert r.update is not None
        ctx, env = ctx_of(request), env_of(request)
        attrs = await update_body(request, r.singular, r.attrs)
        item = await call(r.update, env, ctx, request.path_params["id"], attrs, if_match(request))
        return ok({r.singular: r.view(item)})

    async def delete(request: Request) -> Response:
        ctx, env = ctx_of(request), env_of(request)
        await no_body(request)
        await call(r.delete, env, ctx, request.path_params["id"], if_match(request))
        return no_content()

    one = f"{r.path}/{{id}}"
    made = [Route(r.path, index, methods=["GET"]), Route(r.path, create, methods=["POST"]),
            Route(one, show, methods=["GET"])]
    if r.update is not None:
        made.append(Route(one, update, methods=["PUT"]))
    made.append(Route(one, delete, methods=["DELETE"]))
    return made
