"""A generic outbox consumer for side effects outside the database: send after commit, at least once.

The cursor (a consumer_cursors row) moves only after the batch's events were handed over, so a crash
repeats at most one batch and never skips an event. Events go out one at a time in sequence order (so
in order per resource); a failed send is retried, the same event, until it goes through or `stop` is set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from trunkd.store.uow import Database, UnitOfWork

LOG = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]  # an outbox row (seq, kind, resource_type, payload …); raises to retry


class OutboxConsumer:
    def __init__(self, db: Database, name: str, handle: Handler, *, batch: int = 200,
                 retry_interval: float = 2.0, poll_interval: float = 0.5) -> None:
        self.db, self.name, self.handle = db, name, handle
        self.batch, self.retry_interval, self.poll_interval = batch, retry_interval, poll_interval
        self.stop = threading.Event()

    def position(self) -> int:
        return self.db.transact(lambda uow: uow.cursors.take(self.name))

    def pending(self) -> list[dict[str, Any]]:
        """The next batch of outbox rows after this consumer's cursor."""
        after = self.position()
        with self.db.read() as uow:
            return uow.outbox.read(after, self.batch)

    def advance(self, last: int) -> None:
        """Move the cursor to `last`, once what came before it has been handed over."""

        def work(uow: UnitOfWork) -> None:
            uow.cursors.take(self.name)
            uow.cursors.advance(self.name, last)

        self.db.transact(work)

    def run_once(self) -> int:
        """Hand over one batch; returns how many events were handed over (0: none pending or stopped)."""
        rows = self.pending()
        done = 0
        for row in rows:
            if not self._deliver(row):
                break
            done += 1
        if done:
            self.advance(rows[done - 1]["seq"])
        return done

    def _deliver(self, row: dict[str, Any]) -> bool:
        while not self.stop.is_set():
            try:
                self.handle(row)
                return True
            except Exception as exc:
                LOG.warning("%s: event %s not sent (%s); retrying in %.1fs", self.name, row["seq"], exc,
                            self.retry_interval)
                self.stop.wait(self.retry_interval)
        return False

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                handed = self.run_once()
            except Exception:
                LOG.exception("%s: outbox pass failed; retrying", self.name)
                handed = 0
                self.stop.wait(self.retry_interval)
            if not handed:
                self.stop.wait(self.poll_interval)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name=f"outbox-{self.name}", daemon=True)
        thread.start()
        return thread
