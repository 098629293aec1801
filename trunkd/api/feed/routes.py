"""/v2.0/events: the resumable, long-polling event feed."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trunkd.api import http_errors
from trunkd.api.http import call, ctx_of, env_of, ok
from trunkd.service.feed import reading as svc

MAX_WAIT = 60.0


def _number(request: Request, name: str, default: float, low: float, high: float) -> float:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise http_errors.HTTPBadRequest(msg=f"'{name}' must be a number from {low:g} to {high:g}, not '{raw}'")
    return value


async def index(request: Request) -> Response:
    ctx, env = ctx_of(request), env_of(request)
    after = int(_number(request, "after", 0, 0, 2**62))
    limit = int(_number(request, "limit", 100, 1, svc.MAX_LIMIT))
    wait = _number(request, "wait", 0, 0, MAX_WAIT)
    types = [t for t in request.query_params.getlist("resource_type") if t]
    host = request.query_params.get("host") or None
    hub = request.app.state.hub
    deadline = time.monotonic() + wait
    while True:
        page = await call(svc.read_events, env, ctx, after, limit, types, host)
        remaining = deadline - time.monotonic()
        if page.events or remaining <= 0:
            break
        # parked without database work until an event matching the filters commits
        await hub.wait(page.latest, types, host, remaining)
    return ok({"events": page.events, "next_after": page.next_after, "latest": page.latest})


ROUTES = [Route("/v2.0/events", index, methods=["GET"])]
