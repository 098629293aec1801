"""/metrics in the Prometheus text format: judged by the get_metrics rule (admin or service), or open to
anyone with [DEFAULT] metrics_auth = open (no project data in it)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trunkd.api.http import call, ctx_of, env_of
from trunkd.api.metrics import CONTENT_TYPE, render
from trunkd.service.stats import snapshot


async def scrape(request: Request) -> Response:
    if request.app.state.metrics_auth != "open":
        ctx = ctx_of(request)
        env_of(request).policy.enforce(ctx, "get_metrics", {"project_id": ctx.project_id})
    stats = await call(snapshot, env_of(request))
    return Response(render(stats), media_type=CONTENT_TYPE)


ROUTES = [Route("/metrics", scrape, methods=["GET"])]
