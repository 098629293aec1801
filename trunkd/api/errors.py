"""One error mapper: every failure becomes a NeutronError body with the right status."""

from __future__ import annotations

import logging
import time

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from trunkd.api import http_errors
from trunkd.domain import errors
from trunkd.domain.limits import RETRY_AFTER_SECONDS
from trunkd.store.faults import unavailable_cause

LOG = logging.getLogger(__name__)
_LOG_EVERY = 30.0  # seconds between two log lines for the same unavailability cause
_last_logged: dict[str, float] = {}


def _printable(message: str) -> str:
    """A message that encodes as UTF-8 even when it echoes a lone surrogate from the request."""
    return message.encode("utf-8", "backslashreplace").decode("utf-8")


def neutron_error(exc: errors.TrunkdError) -> JSONResponse:
    body = {"NeutronError": {"type": exc.type_name, "message": _printable(exc.message), "detail": ""}}
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if exc.code == 503 else None
    return JSONResponse(body, status_code=exc.code, headers=headers)


async def on_domain_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.TrunkdError)
    return neutron_error(exc)


async def on_http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return neutron_error(http_errors.HTTPMethodNotAllowed())
    return neutron_error(http_errors.HTTPNotFound())


def internal_error(request_id: str) -> JSONResponse:
    return neutron_error(errors.TrunkdError(
        f"Request Failed: internal server error while processing your request ({request_id})."
    ))


def unavailable(cause: str, exc: BaseException | None = None) -> JSONResponse:
    """503 for a database that is down, restarting, read-only or full; one log line per cause,
    with the driver's own words (what the operator needs to find the reason)."""
    stamp = time.monotonic()
    if stamp - _last_logged.get(cause, -_LOG_EVERY) >= _LOG_EVERY:
        _last_logged[cause] = stamp
        said = getattr(exc, "orig", exc)
        LOG.warning("answering 503: %s (%s: %s; logged at most every %.0f s per cause)", cause,
                    type(said).__name__, str(said).strip()[:500], _LOG_EVERY)
    return neutron_error(errors.ServiceUnavailable(
        f"The service is unavailable: {cause}. Retry after {RETRY_AFTER_SECONDS} seconds."
    ))


async def on_unexpected(request: Request, exc: Exception) -> Response:
    cause = unavailable_cause(exc)
    if cause is not None:
        return unavailable(cause, exc)
    return internal_error(request.scope.get("state", {}).get("request_id", ""))


HANDLERS = {
    errors.TrunkdError: on_domain_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
