"""/v2.0/trunks and its member actions."""

from __future__ import annotations

import functools
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trunkd.api import attributes, reasons, views
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
    parsed_body,
    update_body,
)
from trunkd.api.options import flag
from trunkd.api.query import fields_of, links, parse_list
from trunkd.domain.model import Trunk
from trunkd.domain.trunk_specs import SubportList, TrunkSpec
from trunkd.service import trunks as svc


async def create(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    dry_run = flag(request, "dry_run")
    items, bulk = await create_body(request, "trunk", "trunks", attributes.TRUNK)
    for item in items:
        attributes.check_sub_ports(item, allocating=env.settings.allocator is not None)
    specs = [TrunkSpec.from_attrs(item) for item in items]
    made = await call(svc.create_trunks, env, ctx, specs, dry_run)
    redact = await reasons.for_trunks(request, made)
    response = created("trunk", "trunks", [views.trunk(t, redact=redact) for t in made], bulk)
    if dry_run:  # nothing was created: the would-be trunk, 200
        response.status_code = 200
    return response


async def index(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    query, fields = parse_list(request, attributes.TRUNK)
    statuses = flag(request, "subport_status")
    found = await call(svc.list_trunks, env, ctx, query)
    redact = await reasons.for_trunks(request, found)
    return listed("trunks", [views.trunk(t, fields, statuses, redact) for t in found],
                  links(request, query, [t.id for t in found]))


async def show(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    trunk = await call(svc.get_trunk, env, ctx, request.path_params["id"])
    redact = await reasons.for_trunks(request, [trunk])
    return ok({"trunk": views.trunk(trunk, fields_of(request), flag(request, "subport_status"), redact)})


async def update(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    attrs = await update_body(request, "trunk", attributes.TRUNK)
    trunk = await call(svc.update_trunk, env, ctx, request.path_params["id"], attrs, if_match(request))
    return ok({"trunk": views.trunk(trunk, redact=await reasons.for_trunks(request, [trunk]))})


async def delete(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    await no_body(request)
    await call(svc.delete_trunk, env, ctx, request.path_params["id"], if_match(request))
    return no_content()


async def _membership(request: Request, use_case: Callable[..., Trunk]) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    options = {"idempotent": flag(request, "idempotent"), "dry_run": flag(request, "dry_run")}
    wanted = await parsed_body(request, SubportList.from_body, required=False)
    trunk = await call(functools.partial(use_case, **options), env, ctx, request.path_params["id"], wanted)
    return ok(views.trunk(trunk, redact=await reasons.for_trunks(request, [trunk])))


async def add_subports(request: Request) -> Response:
    return await _membership(request, svc.add_subports)


async def remove_subports(request: Request) -> Response:
    return await _membership(request, svc.remove_subports)


async def get_subports(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    trunk = await call(svc.get_trunk, env, ctx, request.path_params["id"], "get_subports")
    if not flag(request, "subport_status"):
        return ok({"sub_ports": [s.as_dict() for s in trunk.sub_ports]})
    redact = await reasons.for_trunks(request, [trunk])
    return ok({"sub_ports": [views.subport_view(s, trunk.project_id, redact) for s in trunk.sub_ports]})


async def set_subports(request: Request) -> Response:
    """Desired state (beyond Neutron): the complete list; answers the trunk and what changed."""
    ctx, env = ctx_of(request), env_of(request)
    wanted = await parsed_body(request, SubportList.from_body, required=False)
    set_state = functools.partial(svc.set_subports, dry_run=flag(request, "dry_run"))
    trunk, changes = await call(set_state, env, ctx, request.path_params["id"], wanted)
    redact = await reasons.for_trunks(request, [trunk])
    return ok({"trunk": views.trunk(trunk, redact=redact), "changes": {
        "added": [s.as_dict() for s in changes.added],
        "removed": [s.as_dict() for s in changes.removed],
        "retagged": [{**new.as_dict(), "previous_segmentation_type": old.segmentation_type,
                      "previous_segmentation_id": old.segmentation_id} for old, new in changes.retagged],
    }})


ROUTES = [
    Route("/v2.0/trunks", index, methods=["GET"]),
    Route("/v2.0/trunks", create, methods=["POST"]),
    Route("/v2.0/trunks/{id}", show, methods=["GET"]),
    Route("/v2.0/trunks/{id}", update, methods=["PUT"]),
    Route("/v2.0/trunks/{id}", delete, methods=["DELETE"]),
    Route("/v2.0/trunks/{id}/add_subports", add_subports, methods=["PUT"]),
    Route("/v2.0/trunks/{id}/remove_subports", remove_subports, methods=["PUT"]),
    Route("/v2.0/trunks/{id}/get_subports", get_subports, methods=["GET"]),
    Route("/v2.0/trunks/{id}/sub_ports", set_subports, methods=["PUT"]),
]
