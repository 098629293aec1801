"""The feed-following client: durable cursor across restarts, resync when the cursor expired."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import Api, Server
from trunkd.agent.feed import EventFeed


def collect(feed: EventFeed, count: int) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    feed.follow(seen.append, until=lambda: len(seen) >= count or time.monotonic() > deadline, wait=2)
    return seen


def test_a_restarted_follower_resumes_exactly_after_its_cursor(server: Server, admin: Api, tmp_path: Path) -> None:
    cursor = tmp_path / "cursor.json"
    start = EventFeed(server.url, cursor, resync=lambda: None)
    start.save(start.head())
    nets = [admin.network()["id"] for _ in range(3)]
    first = collect(EventFeed(server.url, cursor, resync=lambda: None, resource_types=("network",)), 3)
    assert [e["resource_id"] for e in first] == nets
    more = [admin.network()["id"] for _ in range(2)]
    again = collect(EventFeed(server.url, cursor, resync=lambda: None, resource_types=("network",)), 2)
    assert [e["resource_id"] for e in again] == more, "no repeat, no gap after a restart"


def test_an_expired_cursor_triggers_one_resync_then_follows_from_the_head(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    srv = make_server(TRUNKD_EVENT_RETENTION_COUNT="2", TRUNKD_EVENT_PRUNE_INTERVAL="0.2")
    admin = Api(srv.url)
    cursor = tmp_path / "cursor.json"
    resyncs: list[int] = []
    feed = EventFeed(srv.url, cursor, resync=lambda: resyncs.append(1))
    for _ in range(6):
        admin.network()
    deadline = time.monotonic() + 20
    while admin.get("/v2.0/events", params={"after": 0}).status_code != 410 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert feed.poll(wait=0) == []
    assert resyncs == [1] and feed.cursor == 6
    net = admin.network()["id"]
    assert [e["resource_id"] for e in collect(feed, 1)] == [net]
