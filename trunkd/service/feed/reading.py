"""Reading the event feed (the outbox) and keeping it within retention."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from trunkd.domain import errors
from trunkd.domain.context import RequestContext
from trunkd.service.env import Env
from trunkd.store.feed.outbox import Head, serialise
from trunkd.store.uow import UnitOfWork

MAX_LIMIT = 1000


@dataclass(frozen=True)
class FeedPage:
    events: list[dict[str, Any]]
    latest: int
    # where the consumer resumes: past every event scanned, matching the filters or not
    next_after: int


def read_events(
    env: Env, ctx: RequestContext, after: int, limit: int, resource_types: Sequence[str], host: str | None
) -> FeedPage:
    env.policy.enforce(ctx, "get_events", {"project_id": ctx.project_id})
    with env.db.read() as uow:
        pruned = uow.outbox.pruned_through()
        latest = uow.outbox.latest()
        if after < pruned:
            raise errors.EventCursorExpired(after=after, oldest=pruned + 1, latest=latest)
        limit = min(limit, MAX_LIMIT)
        rows = uow.outbox.read(after, limit, resource_types, host)
    last = rows[-1]["seq"] if rows else after
    next_after = last if len(rows) == limit else max(last, latest)
    return FeedPage([serialise(r) for r in rows], latest, next_after)


def new_heads(env: Env, after: int, limit: int) -> list[Head]:
    """The next events' (seq, resource_type, host) after `after`, for waking long-polls."""
    with env.db.read() as uow:
        return uow.outbox.heads_since(after, limit)


def prune_events(env: Env, max_age: timedelta, max_count: int) -> int:
    """Apply retention; never drops an event a registered agent has not consumed."""

    def work(uow: UnitOfWork) -> int:
        return uow.outbox.prune(
            max_age=max_age, max_count=max_count, keep_from=uow.agents.oldest_cursor()
        )

    return env.db.transact(work)
