"""/ui: the operator page. Static HTML and JS (no build step) reading the API and the event feed."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from trunkd.api.http import ctx_of
from trunkd.domain import errors

PAGE = Path(__file__).resolve().parent.parent / "ui" / "index.html"


async def page(request: Request) -> Response:
    """Admins only: the page shows every project and follows the admin-only event feed."""
    if not ctx_of(request).is_admin:
        raise errors.PolicyNotAuthorized(action="get_ui")
    return HTMLResponse(PAGE.read_text(encoding="utf-8"), headers={
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
    })


ROUTES = [Route("/ui", page, methods=["GET"])]
