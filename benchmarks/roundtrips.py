"""A TCP proxy that counts round trips: how many times a client waited for its server to answer.

Put between trunkd and PostgreSQL (or MariaDB), it counts, over every connection, each change of
direction from client-to-server bytes to server-to-client bytes: one request-and-answer, whatever the
protocol batches into it (a pipeline of statements sent together and answered together is one).
Unprompted server messages (a NOTIFY on a LISTEN connection) are not counted. The figure does not
depend on the machine's load, unlike a time.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Iterator


class RoundTripProxy:
    """Listens on 127.0.0.1:<port>, forwards every connection to `target`, counts round trips."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._lock = threading.Lock()
        self.round_trips = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> RoundTripProxy:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _accept(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.2)
            if not ready:
                continue
            client, _ = self._listener.accept()
            server = socket.create_connection(self.target)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(target=self._pump, args=(client, server), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        """One thread per connection: the last direction decides whether an answer starts a round trip."""
        client_spoke = False
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([client, server], [], [], 0.2)
                for sock in ready:
                    data = sock.recv(262144)
                    if not data:
                        return
                    if sock is client:
                        server.sendall(data)
                        client_spoke = True
                    else:
                        if client_spoke:
                            with self._lock:
                                self.round_trips += 1
                        client_spoke = False
                        client.sendall(data)
        except OSError:
            return
        finally:
            client.close()
            server.close()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._listener.close()


@contextlib.contextmanager
def proxied(target: tuple[str, int]) -> Iterator[RoundTripProxy]:
    proxy = RoundTripProxy(target).start()
    try:
        yield proxy
    finally:
        proxy.stop()
