"""Idle event long-polls cost no database work: the statements a commit causes do not grow with
the number of parked pollers, and a commit wakes only the polls whose filters it matches."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import event

from tests.support import free_port, throwaway_database
from trunkd.api.app import build_env, create_app
from trunkd.api.feed.hub import EventHub
from trunkd.config import Config
from trunkd.service.env import Env
from trunkd.store.migrate import upgrade

WAIT = 8  # each poll's long-poll budget (s); every poll here is bounded by it


class InProcess:
    """The real app under uvicorn in a thread, so the test can count its SQL statements."""

    def __init__(self, url: str) -> None:
        config = replace(Config.from_env(), database=url)
        self.env: Env = build_env(config)
        app = create_app(self.env, config)
        inner: Any = app
        while not hasattr(inner, "state"):  # through the middlewares to the Starlette app
            inner = inner.app
        self.hub: EventHub = inner.state.hub
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.statements = 0
        event.listen(self.env.db.engine, "before_cursor_execute", self._count)

    def _count(self, *_args: Any) -> None:
        self.statements += 1

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> InProcess:
        self.thread.start()
        until(lambda: self.server.started, "server start")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=WAIT + 10)


def until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture
def app(engine: str, tmp_path: Path) -> Iterator[InProcess]:
    with throwaway_database(engine, tmp_path) as url:
        upgrade(url)
        with InProcess(url) as running:
            yield running


def park(app: InProcess, hosts: list[str], after: int) -> tuple[list[threading.Thread], dict[str, Any]]:
    """Start one long-poll per host; return once every one of them is parked in the hub."""
    answers: dict[str, Any] = {}
    before = app.hub.waiting

    def poll(host: str) -> None:
        params: dict[str, Any] = {"after": after, "wait": WAIT, "host": host}
        answers[host] = httpx.get(app.url + "/v2.0/events", params=params, timeout=WAIT + 10).json()

    threads = [threading.Thread(target=poll, args=(h,)) for h in hosts]
    for t in threads:
        t.start()
    until(lambda: app.hub.waiting == before + len(hosts), f"{len(hosts)} parked polls")
    return threads, answers


def statements_per_commit(app: InProcess, api: httpx.Client, commits: int) -> float:
    """Statements (the writes' own, plus whatever wakes the polls) per network create."""
    refreshes = app.hub.refreshes
    app.statements = 0
    for i in range(commits):
        assert api.post("/v2.0/networks", json={"network": {"name": f"n{i}"}}).status_code == 201
    until(lambda: app.hub.refreshes > refreshes, "the hub to read the new heads")
    time.sleep(0.2)  # let any (wrongly) woken poll do its reads before counting
    return app.statements / commits


def test_commit_costs_the_same_statements_with_1_or_40_idle_pollers(app: InProcess) -> None:
    with httpx.Client(base_url=app.url, timeout=30) as api:
        # the project's default security group, made on first need, before the polls park: its events go
        # to every agent (no host), which would wake them all
        assert api.get("/v2.0/security-groups").status_code == 200
        head = api.get("/v2.0/events", params={"after": 0}).json()["latest"]
        threads, answers = park(app, ["idle-0"], head)
        one = statements_per_commit(app, api, 10)
        more, more_answers = park(app, [f"idle-{i}" for i in range(1, 40)], head)
        forty = statements_per_commit(app, api, 10)
        assert app.hub.waiting == 40, "no poll returned: none matched"
        # re-reading once per poller per commit would add ~3 x 39 statements; the slack covers
        # the hub's periodic head check (one read a second, whatever the number of polls)
        assert forty <= one + 2, (one, forty)

        # an event for one host wakes that poll alone, with its event
        port = api.post("/v2.0/ports", json={"port": {"network_id": api.post(
            "/v2.0/networks", json={"network": {}}).json()["network"]["id"]}}).json()["port"]
        r = api.put(f"/v2.0/ports/{port['id']}", json={"port": {"binding:host_id": "idle-7"}})
        assert r.status_code == 200, r.text
        until(lambda: "idle-7" in more_answers, "the idle-7 poll to answer", timeout=WAIT)
        assert [e["resource_id"] for e in more_answers["idle-7"]["events"]] == [port["id"]]
        assert app.hub.waiting == 39 and len(answers) == 0
        for t in threads + more:
            t.join(timeout=WAIT + 10)
    assert all(a["events"] == [] for h, a in {**answers, **more_answers}.items() if h != "idle-7")
