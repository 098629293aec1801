"""/metrics in the Prometheus text format (unauthenticated, like GET /: no project data in it)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trunkd.api.http import call, env_of
from trunkd.api.metrics import CONTENT_TYPE, render
from trunkd.service.stats import snapshot


async def scrape(request: Request) -> Response:
    stats = await call(snapshot, env_of(request))
    return Response(render(stats), media_type=CONTENT_TYPE)


ROUTES = [Route("/metrics", scrape, methods=["GET"])]
