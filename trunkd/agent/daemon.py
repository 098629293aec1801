"""`trunkd agent`: heartbeat, follow the event feed for this host, reconcile on every change."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from trunkd.agent.api import ServerApi
from trunkd.agent.feed import EventFeed
from trunkd.agent.ovs import DATAPATH, OvsSwitch
from trunkd.agent.reconciler import Reconciler
from trunkd.agent.retry import heartbeats, retrying
from trunkd.agent.underlay import DEFAULT_BRIDGE, Underlay

log = logging.getLogger("trunkd.agent")

# Our own status reports come back as trunk.status_changed; every change that needs wiring
# arrives as another kind (subports added/removed, port bound/unbound), so these only wake us.
IGNORED_KINDS = frozenset({"trunk.status_changed"})
# What the firewall follows beyond this host's feed: groups and rules (written with no host) and ports
# anywhere, whose joining or leaving a remote group changes that group's member addresses.
SECURITY_TYPES = ("security_group", "security_group_rule", "port")
MEMBER_KEYS = ("security_groups", "fixed_ips", "allowed_address_pairs")


def concerns_firewall(event: dict[str, Any], remote_groups: set[str]) -> bool:
    """A group or rule change, or a port entering or leaving a remote group, or changing its addresses
    there (not a status or binding change: those keep the members' addresses as they are)."""
    if event.get("resource_type") != "port":
        return True
    payload = event.get("payload") or event
    state, previous = payload.get("state") or {}, payload.get("previous") or {}
    named = set(state.get("security_groups") or ()) | set(previous.get("security_groups") or ())
    if not named & remote_groups:
        return False
    return not (state and previous) or any(state.get(k) != previous.get(k) for k in MEMBER_KEYS)


@dataclass(frozen=True)
class AgentConfig:
    host: str
    server: str
    ovsdb: str
    state_dir: Path
    ovs_rundir: str | None = None
    local_ip: str | None = None
    bridge_mappings: tuple[tuple[str, str], ...] = ()  # (physnet, bridge), as --bridge-mappings lists them
    tunnel_bridge_port: str | None = None  # the underlay NIC the agent puts in `tunnel_bridge` with local_ip
    tunnel_bridge: str = DEFAULT_BRIDGE
    firewall_driver: str = "openvswitch"  # or "noop": Neutron's [securitygroup] firewall_driver
    heartbeat_interval: float = 10.0
    resync_interval: float = 60.0  # full pass even without events: repairs drift made behind our back
    poll_wait: float = 30.0

    def configurations(self) -> dict[str, Any]:
        conf: dict[str, Any] = {"bridge_mappings": dict(self.bridge_mappings), "datapath_type": DATAPATH,
                                "integration_bridge": "br-int", "firewall_driver": self.firewall_driver,
                                "tunnel_types": ["vxlan"] if self.local_ip else []}
        if self.local_ip:
            conf["tunneling_ip"] = self.local_ip
        return conf


class Agent:
    """The host agent's loops: a heartbeat thread, and the watch-and-reconcile loop."""

    def __init__(self, config: AgentConfig, api: ServerApi | None = None) -> None:
        self.config = config
        self.api = api or ServerApi(config.server)
        self.stop = threading.Event()
        self.dirty = True  # a full pass is due (start, 410, new tunnel peers)
        self.wake = threading.Event()  # a pass is wanted now
        self.changed = threading.Condition()
        self.asked = 0  # passes asked for by the feed thread
        self.done = 0  # the last ask a finished pass covered
        self.fast_asked = 0  # security refreshes asked for (groups, rules, members: the group tables only)
        self.fast_done = 0
        self.fast_members = False  # a refresh asked for reads the remote groups' members again
        config.state_dir.mkdir(parents=True, exist_ok=True)
        feed_client = httpx.Client(base_url=config.server, auth=self.api.auth, timeout=config.poll_wait + 30)
        self.feed = EventFeed(config.server, config.state_dir / f"cursor-{config.host}.json",
                              resync=self._resync, host=config.host, client=feed_client,
                              page=1000)  # passes are level-triggered: one per burst of events is enough
        started = time.monotonic()
        self.switch = OvsSwitch(config.ovsdb, config.ovs_rundir)
        log.info("OVSDB %s synced in %.3fs", config.ovsdb, time.monotonic() - started)
        self.security_feed = EventFeed(
            config.server, config.state_dir / f"security-cursor-{config.host}.json", resync=self._resync,
            resource_types=SECURITY_TYPES, page=1000,  # one refresh per burst, not per 100 events
            client=httpx.Client(base_url=config.server, auth=self.api.auth, timeout=config.poll_wait + 30))
        self.reconciler = Reconciler(self.api, self.switch, config.host, config.local_ip,
                                     dict(config.bridge_mappings), self._underlay(),
                                     firewall=config.firewall_driver == "openvswitch")

    def _underlay(self) -> Underlay | None:
        c = self.config
        if not (c.local_ip and c.tunnel_bridge_port):
            return None
        return Underlay(c.tunnel_bridge, c.tunnel_bridge_port, c.local_ip, c.ovs_rundir)

    def _resync(self) -> None:
        log.info("event cursor expired: full resync")
        self.dirty = True
        self.wake.set()

    def heartbeat(self) -> None:
        self.api.heartbeat(self.config.host, self.config.configurations(), self.feed.cursor)

    def _heartbeats(self) -> None:
        heartbeats(self.stop, self.config.heartbeat_interval, self.heartbeat)

    def run(self) -> None:
        """Three sources wake the reconcile loop: the event feed (its own thread), OVSDB row events
        (a plug, an unplug, a bridge recreated) and the --resync-interval timer for the full pass."""
        threads = [threading.Thread(target=self._heartbeats, name="heartbeat", daemon=True),
                   threading.Thread(target=self._follow, name="feed", daemon=True)]
        if self.config.firewall_driver == "openvswitch":
            threads.append(threading.Thread(target=self._follow_security, name="security-feed", daemon=True))
        try:
            retrying(self.stop, "registration", self.heartbeat)
            head = retrying(self.stop, "reading the feed head", self.feed.head)
            if head is None:
                return
            self.switch.watch(self.wake.set)
            self._pass(full=True)  # the first full pass covers the feed's past: follow from its head
            if self.feed.cursor < head:
                self.feed.save(head)
            self.security_feed.save(head)  # the full pass read every group and member: follow from here
            self.dirty, last_full = False, time.monotonic()
            for thread in threads:
                thread.start()
            while not self.stop.is_set():
                due = last_full + self.config.resync_interval - time.monotonic()
                if not self.dirty and due > 0:
                    self.wake.wait(due)
                if self.stop.is_set():
                    break
                self.wake.clear()
                with self.changed:
                    asked, fast_asked, members = self.asked, self.fast_asked, self.fast_members
                    self.fast_members = False
                full = self.dirty or time.monotonic() - last_full >= self.config.resync_interval
                if not full and asked == self.done and fast_asked > self.fast_done and self._refresh(members):
                    with self.changed:
                        self.fast_done = fast_asked
                        self.changed.notify_all()
                    continue
                self.dirty = False
                self._pass(full)
                if full:
                    last_full = time.monotonic()
                with self.changed:
                    self.done, self.fast_done = asked, fast_asked
                    self.changed.notify_all()
        finally:
            self.stop.set()
            self.wake.set()
            for thread in threads:
                if thread.is_alive():
                    thread.join(timeout=1)  # the feed thread may sit in a long-poll: it is a daemon thread
            self.switch.close()

    def _follow(self) -> None:
        """Long-poll the feed; hand each relevant page to the reconcile loop and move the cursor after it."""
        while not self.stop.is_set():
            events = retrying(self.stop, "polling events", lambda: self.feed.poll(self._wait()))
            if events is None:
                return
            if any(e["kind"] not in IGNORED_KINDS and e.get("resource_type") not in SECURITY_TYPES[:2]
                   for e in events):  # group and rule events: the security feed's (a refresh, not a pass)
                self._await_pass()
            self.feed.commit()
            if self.config.local_ip:  # other hosts' agents are not in this host's feed: compare
                peers = retrying(self.stop, "listing agents", self.reconciler.tunnel_peers)
                if peers is not None and peers != self.reconciler.peers:
                    self.dirty = True
                    self.wake.set()

    def _follow_security(self) -> None:
        """Long-poll group, rule and port events of every host; a pass for those the firewall needs."""
        while not self.stop.is_set():
            events = retrying(self.stop, "polling security events", lambda: self.security_feed.poll(self._wait()))
            if events is None:
                return
            wanted = [e for e in events if concerns_firewall(e, self.reconciler.remote_groups)]
            if wanted:
                self._await_refresh(members=any(e.get("resource_type") == "port" for e in wanted))
            self.security_feed.commit()

    def _await_refresh(self, members: bool) -> None:
        """Ask for a security refresh (or a pass) and wait until one that started after the ask is done."""
        with self.changed:
            self.fast_asked += 1
            ticket = self.fast_asked
            self.fast_members = self.fast_members or members
            self.wake.set()
            while self.fast_done < ticket and not self.stop.is_set():
                self.changed.wait(1.0)

    def _refresh(self, members: bool) -> bool:
        """The group tables alone, after a group, rule or membership change; False: a pass is needed."""
        started = time.monotonic()
        try:
            done = self.reconciler.refresh_security(members)
        except (httpx.HTTPError, RuntimeError, OSError) as exc:
            log.warning("security refresh failed, passing instead: %s", exc)
            return False
        if done:
            log.info("security refresh in %.3fs", time.monotonic() - started)
        return done

    def _await_pass(self) -> None:
        """Ask for a pass and wait until one that started after the ask has finished."""
        with self.changed:
            self.asked += 1
            ticket = self.asked
            self.wake.set()
            while self.done < ticket and not self.stop.is_set():
                self.changed.wait(1.0)

    def _wait(self) -> float:
        return min(self.config.poll_wait, self.config.heartbeat_interval) if self.config.local_ip \
            else self.config.poll_wait

    def _pass(self, full: bool = False) -> None:
        started = time.monotonic()
        result = retrying(self.stop, "reconcile pass", lambda: self.reconciler.run_pass(full))
        if result is not None and result.again:  # pass again soon, not in a busy loop
            self.stop.wait(0.1)
            self.wake.set()
        if result is not None and (full or result.plan_size or result.reported):
            log.info("%s: %d OVS changes, %d trunks reported in %.3fs %s", "full pass" if full else "pass",
                     result.plan_size, len(result.reported), time.monotonic() - started, result.seconds)
