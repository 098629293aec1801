"""One error mapper: every failure becomes a NeutronError body with the right status."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from trunkd.domain import errors


def neutron_error(exc: errors.TrunkdError) -> JSONResponse:
    body = {"NeutronError": {"type": exc.type_name, "message": exc.message, "detail": ""}}
    return JSONResponse(body, status_code=exc.code)


async def on_domain_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.TrunkdError)
    return neutron_error(exc)


async def on_http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return neutron_error(errors.HTTPMethodNotAllowed())
    return neutron_error(errors.HTTPNotFound())


def internal_error(request_id: str) -> JSONResponse:
    return neutron_error(errors.TrunkdError(
        f"Request Failed: internal server error while processing your request ({request_id})."
    ))


async def on_unexpected(request: Request, _exc: Exception) -> Response:
    return internal_error(request.scope.get("state", {}).get("request_id", ""))


HANDLERS = {
    errors.TrunkdError: on_domain_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
