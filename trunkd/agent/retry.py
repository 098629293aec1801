"""What every reconciler process (host agent, ovn-sync) does while its server may be away."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import httpx

log = logging.getLogger("trunkd.agent")
T = TypeVar("T")


def retrying(stop: threading.Event, what: str, fn: Callable[[], T]) -> T | None:
    """Call fn until it succeeds (the server may be down or restarting), backing off up to 5 s; None once
    `stop` is set."""
    delay = 0.2
    while not stop.is_set():
        try:
            return fn()
        except (httpx.HTTPError, RuntimeError, OSError) as exc:
            log.warning("%s failed, retrying in %.1fs: %s", what, delay, exc)
            stop.wait(delay)
            delay = min(delay * 2, 5.0)
    return None


def heartbeats(stop: threading.Event, interval: float, beat: Callable[[], None]) -> None:
    """Call beat every `interval` seconds until `stop`; a failed beat is logged and the next one tried."""
    while not stop.wait(interval):
        try:
            beat()
        except (httpx.HTTPError, RuntimeError) as exc:
            log.warning("heartbeat failed: %s", exc)
