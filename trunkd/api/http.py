"""Shared request plumbing for the route modules."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from trunkd.api import http_errors, threads
from trunkd.api.attributes import Attr, parse_create, parse_update
from trunkd.api.identity import context_from
from trunkd.api.limits import parse_body, parse_json, read_body
from trunkd.domain import errors
from trunkd.domain.context import RequestContext
from trunkd.domain.limits import JSON_OFF_LOOP_BYTES, MAX_INT, Limits
from trunkd.service.env import Env

T = TypeVar("T")
_IF_MATCH = re.compile(r"^\s*revision_number=([0-9]{1,19})\s*$")


def env_of(request: Request) -> Env:
    return request.app.state.env  # type: ignore[no-any-return]


def ctx_of(request: Request) -> RequestContext:
    """The caller (from its confirmed token, or noauth headers), bound to the policy that judges it."""
    if hasattr(request.state, "ctx"):
        return request.state.ctx  # type: ignore[no-any-return]
    ctx = replace(context_from(request, request.app.state.auth_strategy), policy=env_of(request).policy)
    request.state.ctx = ctx
    request.state.request_id = ctx.request_id
    return ctx


async def call(fn: Callable[..., T], *args: Any) -> T:
    """Run a (blocking) use case off the event loop."""
    return await threads.run(fn, *args)


async def read_one(fn: Callable[..., T], env: Env, *args: Any) -> T:
    """Run a read of one resource of bounded size (`fn(env, *args)`). On SQLite it runs here, on the
    event loop's own connection: it only computes (the pages are cached, a WAL reader never waits for a
    writer), in less time than the two thread switches of `call` would take. Elsewhere it is `call`."""
    if env.db.reads_on_loop:
        with env.db.on_loop():
            return fn(env, *args)
    return await call(fn, env, *args)


async def json_body(request: Request, *, required: bool = True) -> Any:
    """The decoded body, with Neutron's answers: 400 MalformedRequestBody when it is not JSON;
    when it is empty, 400 BadRequest on PUT and HTTPBadRequest on POST (or None if not required).
    The size, depth and content limits of `api/limits.py` apply first."""
    raw = await read_body(request)
    if not raw.strip():
        if not required:
            return None
        if request.method == "PUT":
            raise errors.BadRequest(resource="body", msg=f"Invalid format: {raw!r}")
        raise http_errors.HTTPBadRequest(msg="Resource body required")
    return await parse_body(raw)


def limits_of(request: Request) -> Limits:
    return env_of(request).settings.limits


async def parsed_body(request: Request, parse: Callable[[Any], T], *, required: bool = True) -> T:
    """Body -> JSON -> `parse` (the attribute checks), with json_body's answers for an empty body (None
    goes to `parse` when not required). A body past JSON_OFF_LOOP_BYTES is decoded and checked on the
    thread pool, all of it, so no request keeps the event loop busy for long (api/loop_lag.py counts it)."""
    raw = await read_body(request)
    if not raw.strip():
        if not required:
            return parse(None)
        if request.method == "PUT":
            raise errors.BadRequest(resource="body", msg=f"Invalid format: {raw!r}")
        raise http_errors.HTTPBadRequest(msg="Resource body required")
    if len(raw) <= JSON_OFF_LOOP_BYTES:
        return parse(parse_json(raw))
    return await threads.run(lambda: parse(parse_json(raw)))


async def create_body(request: Request, resource: str, collection: str,
                      attrs: Mapping[str, Attr]) -> tuple[list[dict[str, Any]], bool]:
    """A POST body, parsed and checked (`attributes.parse_create`) within the configured limits."""
    ctx, limits = ctx_of(request), limits_of(request)
    return await parsed_body(request, lambda body: parse_create(body, resource, collection, attrs, ctx, limits))


async def update_body(request: Request, resource: str, attrs: Mapping[str, Attr]) -> dict[str, Any]:
    """A PUT body, parsed and checked (`attributes.parse_update`) within the configured limits."""
    limits, resource_id = limits_of(request), request.path_params.get("id")
    return await parsed_body(request, lambda body: parse_update(body, resource, attrs, limits, resource_id))


async def no_body(request: Request) -> None:
    if (await read_body(request)).strip():
        raise http_errors.HTTPBadRequest(msg="Request body is not supported in DELETE.")


def if_match(request: Request) -> int | None:
    """The revision an `If-Match: revision_number=N` header demands, if any."""
    values = [v.strip() for h in request.headers.getlist("if-match") for v in h.split(",") if v.strip()]
    revisions = [v for v in values if v.startswith("revision_number")]
    if not revisions:
        return None
    if len(revisions) > 1:
        raise errors.BadRequest(resource="if-match", msg="Multiple revision_number etags are not supported")
    match = _IF_MATCH.match(revisions[0])
    if match is None or int(match.group(1)) > MAX_INT:
        raise errors.BadRequest(
            resource="if-match", msg="Revision number etag must be in the format of revision_number=<int>")
    return int(match.group(1))


class FastJSONResponse(JSONResponse):
    """The same compact UTF-8 JSON as Starlette's, encoded by orjson (several times faster)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def ok(body: Any, status: int = 200) -> JSONResponse:
    return FastJSONResponse(body, status_code=status)


def no_content(status: int = 204) -> Response:
    return Response(status_code=status)


def created(resource: str, collection: str, views: list[dict[str, Any]], bulk: bool) -> JSONResponse:
    """201 with `{resource: …}`, or `{collection: […]}` for a bulk request."""
    return ok({collection: views} if bulk else {resource: views[0]}, 201)


def listed(collection: str, views: list[dict[str, Any]], page_links: list[dict[str, str]]) -> JSONResponse:
    body: dict[str, Any] = {collection: views}
    if page_links:
        body[f"{collection}_links"] = page_links
    return ok(body)
