"""systemd's readiness protocol (sd_notify): a datagram to $NOTIFY_SOCKET, no library needed."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time

LOG = logging.getLogger(__name__)


def notify(state: str) -> bool:
    """Send `state` (e.g. "READY=1") to the service manager; False when not run under one."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.connect(address)
            sock.sendall(state.encode())
        except OSError as exc:
            LOG.warning("sd_notify to %s failed: %s", address, exc)
            return False
    return True


def ready_when_listening(host: str, port: int, stop: threading.Event | None = None) -> threading.Thread | None:
    """Send READY=1 once host:port accepts connections (the API serves), from a thread."""
    if not os.environ.get("NOTIFY_SOCKET"):
        return None

    def wait() -> None:
        while not (stop and stop.is_set()):
            with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
                notify(f"READY=1\nSTATUS=serving on {host}:{port}\nMAINPID={os.getpid()}")
                return
            time.sleep(0.1)

    thread = threading.Thread(target=wait, name="sd-notify", daemon=True)
    thread.start()
    return thread
