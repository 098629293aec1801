"""Follow trunkd's event feed with a durable cursor: list + watch, resync on 410."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

Event = dict[str, Any]
FAR_FUTURE = 2**62


class EventFeed:
    """At-least-once delivery of events in sequence order; the cursor survives restarts.

    `resync` is called when the cursor fell out of retention (410): it must rebuild the
    consumer's view from the resource lists; events from the head read just before it follow.
    """

    def __init__(
        self,
        url: str,
        cursor_file: Path,
        *,
        resync: Callable[[], None],
        headers: Mapping[str, str] | None = None,
        resource_types: tuple[str, ...] = (),
        host: str | None = None,
        page: int = 100,
        client: httpx.Client | None = None,
    ) -> None:
        self.cursor_file = cursor_file
        self.resync = resync
        self.params: dict[str, Any] = {"limit": page, "resource_type": list(resource_types)}
        if host:
            self.params["host"] = host
        self.client = client or httpx.Client(base_url=url, headers=dict(headers or {}), timeout=90)
        self.cursor = self._load()
        self._next = self.cursor

    def _load(self) -> int:
        try:
            return int(json.loads(self.cursor_file.read_text())["after"])
        except FileNotFoundError:
            return 0

    def save(self, cursor: int) -> None:
        """Persist atomically (write, fsync, rename) so a crash never leaves a torn cursor."""
        tmp = self.cursor_file.with_suffix(".tmp")
        with open(tmp, "w") as f:
            json.dump({"after": cursor}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.cursor_file)
        self.cursor = cursor

    def head(self) -> int:
        r = self.client.get("/v2.0/events", params={"after": FAR_FUTURE, "limit": 1})
        r.raise_for_status()
        return int(r.json()["latest"])

    def poll(self, wait: float = 30.0) -> list[Event]:
        """The next page after the cursor (long-polls up to `wait` s). Does not move the cursor."""
        r = self.client.get("/v2.0/events", params={**self.params, "after": self.cursor, "wait": wait})
        if r.status_code == 410:
            head = self.head()
            self.resync()
            self.save(head)
            return self.poll(wait)
        r.raise_for_status()
        body = r.json()
        self._next = int(body["next_after"])
        return list(body["events"])

    def commit(self) -> None:
        """Persist the cursor past the page last returned by `poll` (once it has been handled)."""
        if self._next != self.cursor:
            self.save(self._next)

    def follow(self, handle: Callable[[Event], None], *, until: Callable[[], bool], wait: float = 30.0) -> None:
        """Hand each event to `handle`, saving the cursor after each page, until `until()`."""
        while not until():
            events = self.poll(wait)
            for event in events:
                handle(event)
            self.commit()
