"""/v2.0/agents: agent heartbeats (report state), listing and removal."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trunkd.api import attributes
from trunkd.api.http import call, ctx_of, env_of, json_body, no_body, no_content, ok, read_one
from trunkd.service import agents as svc


async def report(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    items, _bulk = attributes.parse_create(await json_body(request), "agent", "agents", attributes.AGENT, ctx)
    attrs = items[0]
    attrs.pop("project_id", None)
    agent, new = await call(svc.report_state, env, ctx, attrs)
    return ok({"agent": svc.agent_dict(agent, env.settings.agent_down_time)}, 201 if new else 200)


async def index(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    found = await call(svc.list_agents, env, ctx)
    host = request.query_params.get("host")
    kind = request.query_params.get("agent_type")
    down = env.settings.agent_down_time
    return ok({"agents": [
        svc.agent_dict(a, down) for a in found
        if (host is None or a.host == host) and (kind is None or a.agent_type == kind)
    ]})


async def show(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    agent = await read_one(svc.get_agent, env, ctx, request.path_params["id"])
    return ok({"agent": svc.agent_dict(agent, env.settings.agent_down_time)})


async def delete(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    await no_body(request)
    await call(svc.delete_agent, env, ctx, request.path_params["id"])
    return no_content()


ROUTES = [
    Route("/v2.0/agents", index, methods=["GET"]),
    Route("/v2.0/agents", report, methods=["POST"]),
    Route("/v2.0/agents/{id}", show, methods=["GET"]),
    Route("/v2.0/agents/{id}", delete, methods=["DELETE"]),
]
