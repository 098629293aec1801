"""The ASGI application."""

from __future__ import annotations

import contextlib
import gc
import logging
import uuid
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trunkd.api import background, openapi, options
from trunkd.api.errors import HANDLERS, internal_error, unavailable
from trunkd.api.feed import routes as feed
from trunkd.api.feed.hub import EventHub
from trunkd.api.keystone import KeystoneAuth
from trunkd.api.limits import RequestLimits
from trunkd.api.metrics import RequestMetrics
from trunkd.api.routes import (
    agents,
    meta,
    metrics,
    networks,
    ports,
    quotas,
    security_groups,
    subnets,
    tags,
    trunk_agent,
    trunks,
    ui,
)
from trunkd.config import Config
from trunkd.drivers.setup import load_drivers
from trunkd.logs import REQUEST_ID, configure
from trunkd.policy.engine import OsloPolicy, make_conf
from trunkd.service.env import Env, settings_from
from trunkd.store.faults import unavailable_cause
from trunkd.store.feed.signal import CommitSignal
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
        REQUEST_ID.set(request_id)  # this request's log lines carry it
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
        except Exception as exc:
            cause = unavailable_cause(exc)  # already answered 503 and logged in one line
            if cause is None:
                LOG.exception("unexpected error in request %s %s %s", request_id, scope["method"], scope["path"])
            if not started:
                response = unavailable(cause, exc) if cause is not None else internal_error(request_id)
                await response(scope, receive, send_with_id)


def build_env(config: Config) -> Env:
    return Env(
        db=Database(config.database),
        policy=OsloPolicy(make_conf(config.config_files, config.policy_file)),
        drivers=load_drivers(config),
        settings=settings_from(config),
    )


def create_app(env: Env, config: Config) -> Starlette:
    signal = CommitSignal()
    hub = EventHub(env, signal)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with background.running(env, config, signal, hub):
            # everything built at start-up lives as long as the process: keep it out of the
            # collector's full passes, which otherwise rescan it while a large request allocates
            gc.freeze()
            yield
        env.db.dispose()

    app = Starlette(
        routes=options.checked([
            *meta.ROUTES, *networks.ROUTES, *ports.ROUTES, *trunks.ROUTES, *trunk_agent.ROUTES, *tags.ROUTES,
            *feed.ROUTES, *agents.ROUTES, *subnets.ROUTES, *security_groups.ROUTES, *quotas.ROUTES, *metrics.ROUTES,
            *ui.ROUTES, *openapi.ROUTES,
        ]),
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # Neutron answers 404 to /v2.0 (no slash), not a redirect
    app.state.env = env
    app.state.signal = signal
    app.state.hub = hub
    app.state.auth_strategy = config.auth_strategy
    app.state.identity_url = None
    inner: ASGIApp = app
    if config.auth_strategy == "keystone":
        assert isinstance(env.policy, OsloPolicy)
        inner = keystone_auth = KeystoneAuth(app, env.policy.enforcer.conf)
        app.state.identity_url = keystone_auth.identity_url  # where /ui/v3/auth/tokens sends logins
    return RequestId(RequestMetrics(RequestLimits(inner)))  # type: ignore[return-value]


def app_from_env() -> Starlette:
    """Factory for uvicorn workers: configuration comes from TRUNKD_* variables."""
    configure()  # each worker process logs as the CLI does
    config = Config.from_env()
    return create_app(build_env(config), config)
