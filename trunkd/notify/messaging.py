"""Neutron's notifications on the message bus (oslo.messaging), sent from the outbox after commit.

Neutron's API layer (neutron/api/v2/base.py) sends `<resource>.create.end` and `.update.end` with
`{"<resource>": view}` and `.delete.end` with `{"<resource>_id": id, "<resource>": view}`, publisher
`network.<host>`, priority INFO. It sends them after its transaction, so a crash loses them; trunkd
sends them from the outbox with a durable cursor: at least once, in order. Neutron sends none for
add_subports/remove_subports (a member action) nor for status changes (set over RPC); trunkd sends
`trunk.update.end` with the trunk after a subport change, so a consumer sees the new sub_ports.
The message id is derived from the outbox sequence number: a repeat after a crash has the same id.
"""

from __future__ import annotations

import socket
import uuid
import warnings
from typing import Any

from oslo_config import cfg
from oslo_utils import timeutils

from trunkd.notify.outbox_consumer import OutboxConsumer
from trunkd.store.uow import Database

CURSOR = "notifications"
RESOURCES = ("trunk", "port", "network", "subnet", "subnetpool")
_ACTION = {"created": "create", "updated": "update", "deleted": "delete",
           "subports_added": "update", "subports_removed": "update"}
_ID_NAMESPACE = uuid.UUID("6f1d2b2e-6a4e-4f55-9b59-7472756e6b64")
_EXTRA = ("changed_sub_ports",)  # ours on subport events; not part of Neutron's view


def notification(row: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(event_type, payload) in Neutron's format for an outbox row, or None if Neutron sends none."""
    resource = row["resource_type"]
    action = _ACTION.get(row["kind"].split(".", 1)[-1])
    if resource not in RESOURCES or action is None:
        return None
    payload = row["payload"] or {}
    if action == "delete":
        view = payload.get("previous") or {"id": row["resource_id"]}
        return f"{resource}.delete.end", {f"{resource}_id": row["resource_id"], resource: view}
    view = {k: v for k, v in (payload.get("state") or {}).items() if k not in _EXTRA}
    return f"{resource}.{action}.end", {resource: view}


def context(row: dict[str, Any]) -> dict[str, Any]:
    """What Neutron puts in the message's context that we know: project and request id."""
    return {"project_id": row["project_id"], "tenant_id": row["project_id"], "request_id": row["request_id"],
            "is_admin": False}


class BusSender:
    """Sends one notification through oslo.messaging's transport, raising when it did not go out
    (oslo's Notifier.info and its drivers log and drop a failed send, which at-least-once cannot have;
    the rabbit driver publishes with confirms, so a return means the broker has it)."""

    def __init__(self, conf: cfg.ConfigOpts, host: str | None = None, retry: int = 0) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import oslo_messaging

        self.transport = oslo_messaging.get_notification_transport(conf)
        self.target = oslo_messaging.Target
        self.notifier = oslo_messaging.Notifier(self.transport, publisher_id=f"network.{host or socket.gethostname()}")
        self.retry = retry

    def __call__(self, row: dict[str, Any]) -> None:
        found = notification(row)
        if found is None:
            return
        event_type, payload = found
        message = {
            "message_id": str(uuid.uuid5(_ID_NAMESPACE, f"{row['seq']}")),
            "publisher_id": self.notifier.publisher_id,
            "event_type": event_type,
            "priority": "INFO",
            "payload": payload,
            "timestamp": str(timeutils.utcnow()),
        }
        extensions = self.notifier._driver_mgr.extensions  # the configured drivers (messagingv2 …)
        if not extensions:
            raise RuntimeError("no notification driver configured ([oslo_messaging_notifications] driver)")
        for ext in extensions:
            driver = ext.obj
            if not hasattr(driver, "topics"):  # log, noop …: nothing to confirm
                driver.notify(context(row), message, "INFO", self.retry)
                continue
            # what MessagingDriver.notify does, without its catch-all: a send the broker did not
            # confirm raises here, so the consumer retries it
            for topic in driver.topics:
                self.transport._send_notification(self.target(topic=f"{topic}.info"), context(row), message,
                                                  version=driver.version, retry=self.retry)

    def close(self) -> None:
        self.transport.cleanup()


def consumer(db: Database, conf: cfg.ConfigOpts) -> tuple[OutboxConsumer, BusSender]:
    """The outbox consumer that sends Neutron's notifications, configured from [notifications]."""
    sender = BusSender(conf, conf.host)
    return OutboxConsumer(db, CURSOR, sender, batch=conf.notifications.batch_size,
                          retry_interval=conf.notifications.retry_interval,
                          poll_interval=conf.notifications.poll_interval), sender
