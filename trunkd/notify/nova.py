"""Nova's external events (`POST /v2.1/os-server-external-events`) for compute ports, sent from the outbox.

What Neutron 29's nova notifier decides, from trunkd's port events (each carries the port's state and
its previous state): for a port whose device_owner starts with `compute:` and whose device_id is a UUID,
`network-vif-plugged` when the status goes from DOWN/BUILD (or nothing, a new port) to ACTIVE
(status `completed`) or ERROR (`failed`), `network-vif-unplugged` on ACTIVE -> DOWN (`completed`),
`network-vif-deleted` when the port is deleted and `network-changed` when its addresses change (MAC or
fixed IPs). Neutron batches them in memory and drops them on a crash or while Nova is down; trunkd sends
them from the outbox with a durable cursor, several events per POST, retrying with back-off while Nova
(or Keystone, or the connection) fails, so none is lost, at least once. An answer from Nova about an event
(404: no such server, …) is final: logged, not retried.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, TypeGuard

from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from trunkd.notify.outbox_consumer import OutboxConsumer
from trunkd.store.uow import Database

LOG = logging.getLogger(__name__)

CURSOR = "nova"
PATH = "/os-server-external-events"
VIF_PLUGGED, VIF_UNPLUGGED = "network-vif-plugged", "network-vif-unplugged"
VIF_DELETED, CHANGED = "network-vif-deleted", "network-changed"
_STATUS = {"ACTIVE": "completed", "ERROR": "failed", "DOWN": "completed"}  # port status -> Nova's event status
_PLUGGABLE_FROM = (None, "DOWN", "BUILD")
DEFAULT_TIMEOUT = 30.0  # seconds for one POST when [nova] timeout is unset


def enabled(conf: cfg.ConfigOpts) -> bool:
    """The notifier runs when [nova] names a Keystone (auth_url)."""
    return bool(conf.nova.auth_url)


def _is_compute(port: dict[str, Any] | None) -> TypeGuard[dict[str, Any]]:
    if not port or not str(port.get("device_owner") or "").startswith("compute:"):
        return False
    try:
        uuid.UUID(str(port.get("device_id") or ""))
    except ValueError:
        return False
    return True


def _event(name: str, port: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    event = {"name": name, "server_uuid": port["device_id"], "tag": port["id"]}
    if status is not None:
        event["status"] = status
    return event


def events_for(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The Nova events an outbox row stands for (none for most)."""
    if row["resource_type"] != "port":
        return []
    payload = row["payload"] or {}
    state, previous = payload.get("state"), payload.get("previous")
    if row["kind"] == "port.deleted":
        return [_event(VIF_DELETED, previous)] if _is_compute(previous) else []
    if not _is_compute(state):
        return []
    found = []
    if previous is not None and (previous.get("mac_address") != state.get("mac_address")
                                 or previous.get("fixed_ips") != state.get("fixed_ips")):
        found.append(_event(CHANGED, state))
    before, now = (previous or {}).get("status"), state.get("status")
    if before == "ACTIVE" and now == "DOWN":
        found.append(_event(VIF_UNPLUGGED, state, _STATUS[now]))
    elif before in _PLUGGABLE_FROM and now in ("ACTIVE", "ERROR"):
        found.append(_event(VIF_PLUGGED, state, _STATUS[now]))
    return found


def _auth(conf: cfg.ConfigOpts) -> Any:
    """The [nova] auth plugin, from the options trunkd registered (keystoneauth's own loader would register
    them again and refuse the duplicates)."""
    loader: Any = ks_loading.get_plugin_loader(conf.nova.auth_type)
    values: dict[str, Any] = {}
    for opt in loader.get_options():
        try:
            values[opt.dest] = getattr(conf.nova, opt.dest)
        except cfg.NoSuchOptError:
            continue
    return loader.load_from_options(**values)


class Retry(Exception):
    """Nova (or the way to it) failed; the same events go again after a back-off."""


class NovaSender:
    """POSTs events to the compute endpoint of the Keystone catalog, through a keystoneauth session."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        auth = _auth(conf)
        self.session = ks_loading.load_session_from_conf_options(conf, "nova", auth=auth)
        self.adapter = ks_adapter.Adapter(self.session, service_type="compute", interface=conf.nova.endpoint_type,
                                          region_name=conf.nova.region_name)
        self.timeout = conf.nova.timeout or DEFAULT_TIMEOUT

    def send(self, events: list[dict[str, Any]]) -> None:
        """Deliver `events` (raises Retry when they should go again)."""
        try:
            response = self.adapter.post(PATH, json={"events": events}, raise_exc=False, timeout=self.timeout)
        except ks_exceptions.EndpointNotFound as exc:  # no compute endpoint (yet): look at the catalog again
            self.session.invalidate()
            raise Retry(f"no Nova endpoint in the catalog: {exc}") from exc
        except ks_exceptions.ClientException as exc:  # connection refused/reset, timeout, Keystone down …
            raise Retry(str(exc)) from exc
        code = response.status_code
        if code == 401:
            self.session.invalidate()
            raise Retry("Nova refused the token (401); authenticating again")
        if code >= 500:
            raise Retry(f"Nova answered {code}")
        if code >= 400:  # the whole request refused (404: none of the servers exists) — final
            LOG.warning("Nova refused %d event(s) with %d: %s", len(events), code, response.text[:500])
            return
        try:
            answered = response.json().get("events", [])
        except ValueError:
            answered = []
        for event in answered:
            if event.get("code") != 200:
                LOG.warning("Nova event not accepted: %s", event)
            else:
                LOG.info("Nova event accepted: %s", event)

    def close(self) -> None:
        self.session.session.close()


class NovaNotifier(OutboxConsumer):
    """An outbox consumer that sends one POST per batch of outbox rows, retrying it with back-off."""

    def __init__(self, db: Database, sender: NovaSender, *, batch: int, retry_interval: float,
                 retry_max_interval: float, poll_interval: float) -> None:
        super().__init__(db, CURSOR, lambda row: None, batch=batch, retry_interval=retry_interval,
                         poll_interval=poll_interval)
        self.sender, self.retry_max_interval = sender, retry_max_interval

    def run_once(self) -> int:
        rows = self.pending()
        if not rows:
            return 0
        events = [e for row in rows for e in events_for(row)]
        if events and not self._send(events):
            return 0
        self.advance(rows[-1]["seq"])
        return len(rows)

    def _send(self, events: list[dict[str, Any]]) -> bool:
        wait = self.retry_interval
        while not self.stop.is_set():
            try:
                self.sender.send(events)
                return True
            except Retry as exc:
                LOG.warning("nova: %d event(s) not delivered (%s); retrying in %.1fs", len(events), exc, wait)
            self.stop.wait(wait)
            wait = min(wait * 2, self.retry_max_interval)
        return False


def consumer(db: Database, conf: cfg.ConfigOpts) -> tuple[NovaNotifier, NovaSender]:
    sender = NovaSender(conf)
    nova = conf.nova
    return NovaNotifier(db, sender, batch=nova.batch_size, retry_interval=nova.retry_interval,
                        retry_max_interval=nova.retry_max_interval, poll_interval=nova.poll_interval), sender
