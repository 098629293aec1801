"""Who is calling, from noauth headers."""

from __future__ import annotations

import uuid

from starlette.requests import Request

from trunkd.domain.context import RequestContext

DEFAULT_ROLES = frozenset({"member", "reader"})


def context_from(request: Request) -> RequestContext:
    """No project header means admin in `fake_project_id` (Neutron's noauth)."""
    request_id = request.scope.get("state", {}).get("request_id") or f"req-{uuid.uuid4()}"
    project = request.headers.get("x-project-id") or request.headers.get("x-tenant-id")
    if not project:
        return RequestContext(
            project_id="fake_project_id", roles=frozenset({"admin", "member", "reader"}),
            request_id=request_id,
        )
    roles_header = request.headers.get("x-roles")
    roles = (
        frozenset(r.strip().lower() for r in roles_header.split(",") if r.strip())
        if roles_header is not None else DEFAULT_ROLES
    )
    return RequestContext(
        project_id=project, roles=roles, user_id=request.headers.get("x-user-id"),
        request_id=request_id,
    )
