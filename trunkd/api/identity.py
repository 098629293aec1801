"""Who is calling: from the token keystonemiddleware confirmed, or (noauth) from plain headers."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request

from trunkd.api.keystone import IDENTITY
from trunkd.domain import errors
from trunkd.domain.context import RequestContext, with_implied

DEFAULT_ROLES = frozenset({"member", "reader"})
# noauth without headers is the operator: Neutron's elevated context, plus `service` so that
# agents and local tools may set the service-only binding attributes
NOAUTH_OPERATOR_ROLES = frozenset({"admin", "service"})


def _roles(header: str | None) -> frozenset[str]:
    return frozenset(r.strip().lower() for r in (header or "").split(",") if r.strip())


def _request_id(request: Request) -> str:
    return request.scope.get("state", {}).get("request_id") or f"req-{uuid.uuid4()}"


def noauth_context(request: Request) -> RequestContext:
    """No project header means admin in `fake_project_id` (Neutron's noauth); else X-Project-Id and X-Roles."""
    given = request.headers.getlist("x-project-id") + request.headers.getlist("x-tenant-id")
    if any(not value.strip() for value in given) or ("x-roles" in request.headers and not given):
        # an empty (or blank first) project header, or roles without a project, is never the operator
        raise errors.InvalidInput(error_message="X-Project-Id must be a non-empty project id when given")
    project = given[0] if given else None
    if not project:
        return RequestContext(project_id="fake_project_id", roles=with_implied(NOAUTH_OPERATOR_ROLES),
                              request_id=_request_id(request))
    roles_header = request.headers.get("x-roles")
    roles = _roles(roles_header) if roles_header is not None else DEFAULT_ROLES
    return RequestContext(project_id=project, roles=with_implied(roles), user_id=request.headers.get("x-user-id"),
                          user_name=request.headers.get("x-user-name"), request_id=_request_id(request))


def keystone_context(request: Request) -> RequestContext:
    """The identity keystonemiddleware confirmed; none means the request never passed it (401)."""
    identity: dict[str, Any] | None = request.scope.get("state", {}).get(IDENTITY)
    if identity is None:
        raise errors.NotAuthenticated()
    return RequestContext(
        project_id=identity.get("project_id") or "",
        roles=_roles(identity.get("roles")),
        user_id=identity.get("user_id"),
        user_name=identity.get("user_name"),
        request_id=_request_id(request),
        system_scope=identity.get("system_scope") or None,
        service_roles=_roles(identity.get("service_roles")),
    )


def context_from(request: Request, strategy: str) -> RequestContext:
    return keystone_context(request) if strategy == "keystone" else noauth_context(request)
