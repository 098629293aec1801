"""Wake long-polls when events commit: in-process always, across processes via PostgreSQL NOTIFY."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from sqlalchemy.engine import make_url

from trunkd.store.feed.outbox import NOTIFY_CHANNEL

LOG = logging.getLogger(__name__)


class CommitSignal:
    """A broadcast 'something committed' for waiters on one event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._armed = False

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()

    def _fire(self) -> None:
        if self._event is not None:
            self._armed = False
            self._event.set()
            self._event = asyncio.Event()

    def fire(self, _seq: int | None = None) -> None:
        """Thread-safe: called after a commit from any thread. Wakes the event loop only when
        someone armed since the last fire (a commit nobody waits for costs nothing here)."""
        if self._armed and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._fire)

    def arm(self) -> asyncio.Event | None:
        """Take this before reading, so a commit between the read and the wait is not missed."""
        self._armed = True
        return self._event

    @staticmethod
    async def wait(armed: asyncio.Event | None, timeout: float) -> None:
        """Return when a commit after arm() is signalled, or after `timeout` seconds."""
        if armed is None or timeout <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(armed.wait(), timeout)


async def listen_postgres(url: str, signal: CommitSignal) -> None:
    """LISTEN for outbox commits of every process; reconnects until cancelled."""
    parsed = make_url(url).set(drivername="postgresql")
    dsn = parsed.render_as_string(hide_password=False)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                async for _ in conn.notifies():
                    signal._fire()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database may restart; keep listening
            LOG.warning("event LISTEN connection lost (%s); reconnecting", exc)
            await asyncio.sleep(1.0)
