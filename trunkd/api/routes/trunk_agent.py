"""Agent-side calls: bind a trunk's subports, report the trunk's status and its host's port statuses."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trunkd.api import reasons, views
from trunkd.api.http import call, ctx_of, env_of, json_body, ok
from trunkd.service import port_status
from trunkd.service import subport_binding as svc


async def bind_subports(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    body = await json_body(request, required=False)
    trunk, outcomes, host = await call(svc.bind_subports, env, ctx, request.path_params["id"], body)
    redact = await reasons.for_trunks(request, [trunk])
    return ok({"trunk": views.trunk(trunk, redact=redact), "sub_ports": [o.as_dict(host) for o in outcomes]})


async def report_status(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    trunk = await call(svc.report_status, env, ctx, request.path_params["id"], await json_body(request))
    return ok({"trunk": views.trunk(trunk, redact=await reasons.for_trunks(request, [trunk]))})


async def report_port_status(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    body = await json_body(request)
    answer = await call(port_status.report_port_status, env, ctx, request.path_params["host"], body)
    return ok({"ports": answer})


ROUTES = [
    Route("/v2.0/trunks/{id}/bind_subports", bind_subports, methods=["PUT"]),
    Route("/v2.0/trunks/{id}/status", report_status, methods=["PUT"]),
    Route("/v2.0/hosts/{host}/port_status", report_port_status, methods=["PUT"]),
]
