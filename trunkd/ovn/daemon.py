"""`trunkd ovn-sync`: hold the Northbound lock, follow the event feed, reconcile on every change.

Several may run; the one holding the OVSDB lock acts, the others wait (and heartbeat as standby). Passes
are woken by the event feed (its own thread), by OVN (an LSP going up or down, a chassis coming or going,
the lock won) and by the resync timer (a full pass: everything listed again).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from trunkd.agent.feed import EventFeed
from trunkd.agent.retry import heartbeats, retrying
from trunkd.ovn.api import SYNC_AGENT_BINARY, SYNC_AGENT_TYPE, OvnSyncApi
from trunkd.ovn.ovn import Ovn
from trunkd.ovn.sync import TYPES, Syncer

log = logging.getLogger("trunkd.ovn")
FEED_PAGE = 1000  # events per page: a bulk change (500 subports) is one pass, not five


@dataclass(frozen=True)
class SyncConfig:
    server: str
    nb_connection: str
    sb_connection: str
    state_dir: Path
    host: str = ""
    heartbeat_interval: float = 10.0
    resync_interval: float = 60.0
    poll_wait: float = 30.0


class OvnSync:
    def __init__(self, config: SyncConfig, api: OvnSyncApi) -> None:
        self.config = config
        self.api = api
        self.host = config.host or socket.gethostname()
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.dirty = True  # a full pass is due (start, lock won, 410)
        self.changed = threading.Condition()
        self.pending: dict[str, set[str]] = {}
        self.asked = 0
        self.done = 0
        config.state_dir.mkdir(parents=True, exist_ok=True)
        feed_client = httpx.Client(base_url=config.server, auth=api.auth, timeout=config.poll_wait + 30)
        self.feed = EventFeed(config.server, config.state_dir / "ovn-sync-cursor.json", resync=self._resync,
                              resource_types=TYPES, client=feed_client, page=FEED_PAGE)
        started = time.monotonic()
        self.ovn = Ovn(config.nb_connection, config.sb_connection)
        log.info("OVN NB %s and SB %s connected in %.3fs", config.nb_connection, config.sb_connection,
                 time.monotonic() - started)
        self.syncer = Syncer(api, self.ovn)

    def _resync(self) -> None:
        log.info("event cursor expired: full resync")
        self.dirty = True
        self.wake.set()

    def configurations(self) -> dict[str, Any]:
        return {"active": self.ovn.active, "ovn_nb_connection": self.config.nb_connection,
                "ovn_sb_connection": self.config.sb_connection, "event_cursor": self.feed.cursor}

    def heartbeat(self) -> None:
        self.api.register(self.host, SYNC_AGENT_TYPE, SYNC_AGENT_BINARY, self.configurations())
        if self.ovn.active:
            self.syncer.report_chassis()

    def _heartbeats(self) -> None:
        heartbeats(self.stop, self.config.heartbeat_interval, self.heartbeat)

    def run(self) -> None:
        self.ovn.watch(self.wake.set)
        threads = [threading.Thread(target=self._heartbeats, name="heartbeat", daemon=True),
                   threading.Thread(target=self._follow, name="feed", daemon=True)]
        try:
            retrying(self.stop, "registration", self.heartbeat)
            for thread in threads:
                thread.start()
            self._loop()
        finally:
            self.stop.set()
            self.wake.set()
            with self.changed:
                self.changed.notify_all()
            for thread in threads:
                if thread.is_alive():
                    thread.join(timeout=1)
            self.ovn.close()

    def _loop(self) -> None:
        last_full = 0.0
        was_active = False
        while not self.stop.is_set():
            if not self.ovn.active:
                if was_active:
                    log.warning("lost the Northbound lock: standing by")
                was_active = False
                self.wake.wait(1.0)
                self.wake.clear()
                continue
            if not was_active:
                log.info("holding the Northbound lock %s: acting", "trunkd_ovn_sync")
                was_active, self.dirty = True, True
            full = self.dirty or time.monotonic() - last_full >= self.config.resync_interval
            self.wake.clear()
            with self.changed:
                asked, changed = self.asked, self.pending
                self.pending = {}
            if full:  # the feed thread waits while dirty: the full pass covers the feed's past up to `head`
                self.dirty = True
                head = retrying(self.stop, "reading the feed head", self.feed.head)
                if head is None:
                    return
                if self._pass(None):
                    if self.feed.cursor < head:
                        self.feed.save(head)
                    self.dirty, last_full = False, time.monotonic()
            else:
                self._pass(changed)
            with self.changed:
                self.done = asked
                self.changed.notify_all()
            due = last_full + self.config.resync_interval - time.monotonic()
            if not self.dirty and due > 0:
                self.wake.wait(due)

    def _pass(self, changed: dict[str, set[str]] | None) -> bool:
        started = time.monotonic()
        try:
            result = self.syncer.run_pass(changed)
        except Exception as exc:  # the server or OVN away: the next pass (a full one) repairs
            log.warning("pass failed, a full pass follows: %s", exc, exc_info=not isinstance(
                exc, (httpx.HTTPError, OSError)))
            self.dirty = True
            self.stop.wait(1.0)
            return False
        if result.again:
            self.stop.wait(0.1)
            self.wake.set()
        if changed is None or result.plan_size or result.ports_reported or result.trunks_reported:
            log.info("%s: %d NB changes, %d port and %d trunk statuses reported in %.3fs %s",
                     "full pass" if changed is None else "pass", result.plan_size, result.ports_reported,
                     len(result.trunks_reported), time.monotonic() - started, result.seconds)
        return True

    def _follow(self) -> None:
        """Long-poll the feed while acting; hand each page to the loop, move the cursor after its pass."""
        while not self.stop.is_set():
            if not self.ovn.active or self.dirty:
                self.stop.wait(0.2)
                continue
            events = retrying(self.stop, "polling events", lambda: self.feed.poll(self.config.poll_wait))
            if events is None:
                return
            if events:
                with self.changed:
                    for e in events:
                        self.pending.setdefault(e["resource_type"], set()).add(e["resource_id"])
                    self.asked += 1
                    ticket = self.asked
                    self.wake.set()
                    while self.done < ticket and not self.stop.is_set():
                        self.changed.wait(1.0)
            self.feed.commit()
