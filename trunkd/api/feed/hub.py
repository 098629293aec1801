"""One shared waiter per process for the event long-polls.

An idle long-poll costs no database work: it parks here with its filters. After a commit (this
process's own, or PostgreSQL NOTIFY from another) the hub reads the new outbox heads once, `(seq,
resource_type, host)` only, and wakes just the polls those events match; they then read their
page as usual. While any poll waits, the hub also checks the outbox head once every `RECHECK`
seconds, so commits of processes that cannot signal this one (several processes on one SQLite
file, a dropped LISTEN connection) are seen: one query per process, never one per poller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from trunkd.api import threads
from trunkd.domain.events import BROADCAST_TYPES
from trunkd.service.env import Env
from trunkd.service.feed.reading import new_heads
from trunkd.store.feed.outbox import Head
from trunkd.store.feed.signal import CommitSignal

LOG = logging.getLogger(__name__)
RECHECK = 1.0
HEADS_PER_READ = 10_000
REMEMBER = 100_000  # recent heads kept to answer a poll that registers just after they arrived


@dataclass(eq=False)
class Waiter:
    seen_through: int  # the outbox head the poll's own read saw
    types: frozenset[str]
    host: str | None
    woken: asyncio.Event = field(default_factory=asyncio.Event)

    def wants(self, head: Head) -> bool:
        return (head.seq > self.seen_through and (not self.types or head.resource_type in self.types)
                and (self.host is None or head.host == self.host
                     or (head.host is None and head.resource_type in BROADCAST_TYPES)))


_LIVE: weakref.WeakSet[EventHub] = weakref.WeakSet()


def close_all() -> None:
    """The server is stopping: every parked long-poll answers now, and new ones do not park."""
    for hub in list(_LIVE):
        hub.close()


class EventHub:
    def __init__(self, env: Env, signal: CommitSignal) -> None:
        _LIVE.add(self)
        self.closing = False
        self.env = env
        self.signal = signal
        self._by_host: dict[str | None, set[Waiter]] = defaultdict(set)  # None: polls without a host filter
        self._count = 0
        self._wanted = asyncio.Event()
        self._head: int | None = None  # None while idle: nothing is tracked
        self._known_from = 0  # `_recent` holds every head in (_known_from, _head]
        self._recent: deque[Head] = deque(maxlen=REMEMBER)
        self.refreshes = 0

    @property
    def waiting(self) -> int:
        """Long-polls parked here now."""
        return self._count

    async def wait(self, seen_through: int, types: Sequence[str], host: str | None, timeout: float) -> None:
        """Return when an event matching the filters commits after `seen_through`, or at `timeout`."""
        waiter = Waiter(seen_through, frozenset(types), host)
        if self.closing or self._already_there(waiter):
            return
        self._by_host[host].add(waiter)
        self._count += 1
        self._wanted.set()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.woken.wait(), timeout)
        finally:
            self._count -= 1
            self._by_host[host].discard(waiter)
            if not self._by_host[host]:
                del self._by_host[host]

    def close(self) -> None:
        self.closing = True
        for waiter in self._waiters():
            waiter.woken.set()

    def _already_there(self, waiter: Waiter) -> bool:
        if self._head is None or waiter.seen_through >= self._head:
            return False
        if waiter.seen_through < self._known_from:
            return True  # older than what the hub remembers: let the poll re-read
        return any(waiter.wants(h) for h in reversed(self._recent) if h.seq > waiter.seen_through)

    def _waiters(self) -> list[Waiter]:
        return [w for ws in self._by_host.values() for w in ws]

    async def run(self) -> None:
        """The hub's task: idle while nobody polls; otherwise refresh on each signal or RECHECK."""
        while True:
            if not self._count:
                self._head = None
                self._recent.clear()
                self._wanted.clear()
                await self._wanted.wait()
            armed = self.signal.arm()
            try:
                await self._refresh()
            except Exception:
                LOG.exception("event hub refresh failed; retrying")
                await asyncio.sleep(RECHECK)
            if self._count:
                await self.signal.wait(armed, RECHECK)

    async def _refresh(self) -> None:
        if self._head is None:
            waiting = self._waiters()
            if not waiting:
                return
            self._head = self._known_from = min(w.seen_through for w in waiting)
        while True:
            heads = await threads.run(new_heads, self.env, self._head, HEADS_PER_READ)
            self.refreshes += 1
            if heads:
                self._take(heads)
            if len(heads) < HEADS_PER_READ:
                return

    def _take(self, heads: list[Head]) -> None:
        if len(self._recent) + len(heads) > REMEMBER:
            dropped = len(self._recent) + len(heads) - REMEMBER
            self._known_from = (list(self._recent) + heads)[dropped - 1].seq
        self._recent.extend(heads)
        self._head = heads[-1].seq
        anyhost = self._by_host.get(None, set())
        for head in heads:
            if head.host is not None:
                waiters: Iterable[Waiter] = (*self._by_host.get(head.host, ()), *anyhost)
            elif head.resource_type in BROADCAST_TYPES:  # every host's polls are sent these
                waiters = [w for ws in self._by_host.values() for w in ws]
            else:
                waiters = anyhost
            for waiter in waiters:
                if not waiter.woken.is_set() and waiter.wants(head):
                    waiter.woken.set()
