"""The ASGI application."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trunkd.api import background
from trunkd.api.errors import HANDLERS, internal_error
from trunkd.api.policy import NoAuthPolicy
from trunkd.api.routes import agents, events, meta, networks, ports, tags, trunk_agent, trunks
from trunkd.config import Config
from trunkd.drivers.setup import load_drivers
from trunkd.service.env import Env, Settings
from trunkd.store.signal import CommitSignal
from trunkd.store.uow import Database

LOG = logging.getLogger(__name__)


class RequestId:
    """Give every request an id (X-Openstack-Request-Id) and turn any unexpected error into a
    logged 500 NeutronError carrying that id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req-{uuid.uuid4()}"
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []),
                                      (b"x-openstack-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            LOG.exception("unexpected error in request %s %s %s", request_id, scope["method"], scope["path"])
            if not started:
                await internal_error(request_id)(scope, receive, send_with_id)


def build_env(config: Config) -> Env:
    return Env(
        db=Database(config.database),
        policy=NoAuthPolicy(),
        drivers=load_drivers(config),
        settings=Settings(agent_down_time=config.agent_down_time, ml2=config.ml2),
    )


def create_app(env: Env, config: Config) -> Starlette:
    signal = CommitSignal()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with background.running(env, config, signal):
            yield
        env.db.dispose()

    app = Starlette(
        routes=[
            *meta.ROUTES, *networks.ROUTES, *ports.ROUTES, *trunks.ROUTES, *trunk_agent.ROUTES, *tags.ROUTES,
            *events.ROUTES, *agents.ROUTES,
        ],
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # Neutron answers 404 to /v2.0 (no slash), not a redirect
    app.state.env = env
    app.state.signal = signal
    return RequestId(app)  # type: ignore[return-value]


def app_from_env() -> Starlette:
    """Factory for uvicorn workers: configuration comes from TRUNKD_* variables."""
    config = Config.from_env()
    return create_app(build_env(config), config)
