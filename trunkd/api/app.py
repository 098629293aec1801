"""The ASGI application."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from trunkd.api import background, http_protocol, openapi, options
from trunkd.api.errors import HANDLERS
from trunkd.api.feed import routes as feed
from trunkd.api.feed.hub import EventHub
from trunkd.api.keystone import KeystoneAuth
from trunkd.api.layer import RequestLayer
from trunkd.api.routes import (
    agents,
    meta,
    metrics,
    networks,
    ports,
    quotas,
    security_groups,
    subnetpools,
    subnets,
    tags,
    trunk_agent,
    trunks,
    ui,
)
from trunkd.config import Config
from trunkd.drivers.setup import load_drivers
from trunkd.logs import configure
from trunkd.policy.engine import OsloPolicy, make_conf
from trunkd.service.env import Env, settings_from
from trunkd.store.feed.signal import CommitSignal
from trunkd.store.uow import Database

LOG = logging.getLogger(__name__)


def build_env(config: Config) -> Env:
    return Env(
        db=Database(config.database),
        policy=OsloPolicy(make_conf(config.config_files, config.policy_file)),
        drivers=load_drivers(config),
        settings=settings_from(config),
    )


def api_routes() -> list[BaseRoute]:
    """Every route the app serves (tests/test_fuzz.py checks each is in /openapi.json)."""
    return [
        *meta.ROUTES, *networks.ROUTES, *ports.ROUTES, *trunks.ROUTES, *trunk_agent.ROUTES, *tags.ROUTES,
        *feed.ROUTES, *agents.ROUTES, *subnets.ROUTES, *subnetpools.ROUTES, *security_groups.ROUTES, *quotas.ROUTES,
        *metrics.ROUTES, *ui.ROUTES,
        *openapi.ROUTES,
    ]


def create_app(env: Env, config: Config) -> Starlette:
    http_protocol.configure(env.settings.limits)  # this process's connections (each worker builds its app)
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
        routes=options.checked(api_routes()),
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # Neutron answers 404 to /v2.0 (no slash), not a redirect
    app.state.env = env
    app.state.signal = signal
    app.state.hub = hub
    app.state.auth_strategy = config.auth_strategy
    app.state.metrics_auth = config.metrics_auth
    app.state.identity_url = None
    auth = None
    if config.auth_strategy == "keystone":
        assert isinstance(env.policy, OsloPolicy)
        open_paths = frozenset({"/metrics"}) if config.metrics_auth == "open" else frozenset()
        auth = KeystoneAuth(env.policy.enforcer.conf, open_paths)
        app.state.identity_url = auth.identity_url  # where /ui/v3/auth/tokens sends logins
    return RequestLayer(app, auth)  # type: ignore[return-value]


def app_from_env() -> Starlette:
    """Factory for uvicorn workers: configuration comes from TRUNKD_* variables."""
    configure()  # each worker process logs as the CLI does
    config = Config.from_env()
    return create_app(build_env(config), config)
