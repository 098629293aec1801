"""The one ASGI layer in front of the routes.

Per request, in this order: an id (`X-Openstack-Request-Id`, and on every log line), the limits known
before the body (`limits.check_scope`), the token (keystone mode), then the routes; around all of it
the request metrics, and an unexpected error answered as a logged 500 NeutronError carrying the id.
One layer with one wrapper of `send`, where there were four middlewares each wrapping it again.
"""

from __future__ import annotations

import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trunkd.api.errors import internal_error, neutron_error, unavailable
from trunkd.api.keystone import KeystoneAuth
from trunkd.api.limits import check_scope
from trunkd.api.metrics import observe
from trunkd.domain import errors
from trunkd.logs import REQUEST_ID
from trunkd.store.faults import unavailable_cause

LOG = logging.getLogger(__name__)


class RequestLayer:
    def __init__(self, app: ASGIApp, auth: KeystoneAuth | None = None) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = f"req-{uuid.uuid4()}"
        scope.setdefault("state", {})["request_id"] = request_id
        REQUEST_ID.set(request_id)  # this request's log lines carry it
        id_header = (b"x-openstack-request-id", request_id.encode())
        status = 0  # none sent yet

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), id_header]
            await send(message)

        try:
            try:
                check_scope(scope)
            except errors.TrunkdError as exc:
                await neutron_error(exc)(scope, receive, send_with_id)
                return
            if self.auth is None or await self.auth.admit(scope, send_with_id):
                await self.app(scope, receive, send_with_id)
        except Exception as exc:
            cause = unavailable_cause(exc)  # already answered 503 and logged in one line
            if cause is None:
                LOG.exception("unexpected error in request %s %s %s", request_id, scope["method"], scope["path"])
            if not status:
                response = unavailable(cause, exc) if cause is not None else internal_error(request_id)
                await response(scope, receive, send_with_id)
        finally:
            observe(scope, status or 500, time.perf_counter() - started)
