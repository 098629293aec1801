"""/ui: the operator page. Static HTML and JS (no build step) reading the API and the event feed.

In keystone mode the page logs in: its form posts Keystone's password auth body to /ui/v3/auth/tokens,
which trunkd forwards to the Keystone of [keystone_authtoken] (the browser then needs to reach only
trunkd: one origin, no CORS set-up on Keystone). The token comes back in X-Subject-Token and the
page keeps it in the tab's sessionStorage; every API call carries it as X-Auth-Token.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from trunkd.api import http_errors
from trunkd.api.http import ctx_of, ok
from trunkd.domain import errors

PAGE = Path(__file__).resolve().parent.parent / "ui" / "index.html"
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
}


async def page(request: Request) -> Response:
    """Admins only in noauth mode: the page shows every project and follows the admin-only event feed.
    In keystone mode the HTML holds no data and is sent to anyone (it asks for a login); the API calls it
    makes are checked as always."""
    if request.app.state.auth_strategy != "keystone" and not ctx_of(request).is_admin:
        raise errors.PolicyNotAuthorized(action="get_ui")
    return HTMLResponse(PAGE.read_text(encoding="utf-8"), headers=_HEADERS)


async def session(request: Request) -> Response:
    """GET /ui/session: who the page's token is, asked first. A system-scoped token is refused here with a
    clear 403 (SystemScopeNotSupported), as every project-scoped rule of the API would refuse its calls."""
    ctx = ctx_of(request)
    if ctx.system_scope:
        raise errors.SystemScopeNotSupported()
    if request.app.state.auth_strategy != "keystone" and not ctx.is_admin:
        raise errors.PolicyNotAuthorized(action="get_ui")
    return ok({"session": {"project_id": ctx.project_id, "user_id": ctx.user_id, "roles": sorted(ctx.roles),
                           "admin": ctx.is_admin}})


async def login(request: Request) -> Response:
    """POST /ui/v3/auth/tokens: forwarded as is to Keystone; its answer (and X-Subject-Token) comes back."""
    base = request.app.state.identity_url
    if request.app.state.auth_strategy != "keystone" or not base:
        raise http_errors.HTTPNotFound()
    body = await request.body()
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.post(f"{base}/v3/auth/tokens", content=body,
                                       headers={"Content-Type": "application/json"})
    except httpx.HTTPError as exc:
        raise errors.ServiceUnavailable(f"Keystone is unreachable: {exc}") from exc
    headers = {"Cache-Control": "no-store"}
    if "X-Subject-Token" in answer.headers:
        headers["X-Subject-Token"] = answer.headers["X-Subject-Token"]
    return Response(answer.content, status_code=answer.status_code, headers=headers,
                    media_type=answer.headers.get("Content-Type", "application/json"))


ROUTES = [Route("/ui", page, methods=["GET"]), Route("/ui/session", session, methods=["GET"]),
          Route("/ui/v3/auth/tokens", login, methods=["POST"])]
