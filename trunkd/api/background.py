"""Tasks each API process runs beside the HTTP server: commit wake-ups, dispatcher, retention, loop probe."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import timedelta
from typing import Any

from trunkd.api import threads
from trunkd.api.feed.hub import EventHub
from trunkd.api.loop_lag import probe_forever
from trunkd.config import Config
from trunkd.service.agents import announce_lost
from trunkd.service.env import Env
from trunkd.service.feed.dispatcher import dispatch_once
from trunkd.service.feed.reading import prune_events
from trunkd.store.feed.signal import CommitSignal, listen_postgres

LOG = logging.getLogger(__name__)
IDLE_POLL = 5.0


async def _dispatch_forever(env: Env, signal: CommitSignal) -> None:
    while True:
        armed = signal.arm()
        try:
            consumed = await threads.run(dispatch_once, env)
        except Exception:
            LOG.exception("dispatcher batch failed; retrying")
            consumed = 0
            await asyncio.sleep(1.0)
        if not consumed:
            await signal.wait(armed, IDLE_POLL)


async def _every(seconds: float, job: Callable[[], object], what: str) -> None:
    while True:
        try:
            await threads.run(job)
        except Exception:
            LOG.exception("%s failed; retrying later", what)
        await asyncio.sleep(seconds)


@contextlib.asynccontextmanager
async def running(env: Env, config: Config, signal: CommitSignal, hub: EventHub) -> AsyncIterator[None]:
    """Start the background tasks for the app's lifetime."""
    signal.attach(asyncio.get_running_loop())
    env.db.add_listener(signal.fire)
    age = timedelta(seconds=config.event_retention_seconds)
    # the bus and Nova notifiers' cursors hold their events
    held = (*(("notifications",) if config.notifications else ()), *(("nova",) if config.nova_notifications else ()))
    jobs: list[Coroutine[Any, Any, None]] = [
        hub.run(),
        probe_forever(),  # event-loop blocking, on /metrics
        _every(config.event_prune_interval,
               lambda: prune_events(env, age, config.event_retention_count, held), "event retention"),
        _every(max(config.agent_down_time / 3, 0.1), lambda: announce_lost(env), "agent loss check"),
    ]
    if env.db.engine.dialect.name == "postgresql":
        jobs.append(listen_postgres(env.db.url, signal))
    if any(d.agent_type is None for d in env.drivers.drivers):
        jobs.append(_dispatch_forever(env, signal))
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
