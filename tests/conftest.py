"""Fixtures: one real server per database engine, shared by the API tests."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.keystone import keystone  # noqa: F401  (a real Keystone, one per test session)
from tests.support import IN_CI, Api, Server, mariadb_available, postgres_available, throwaway_database

ENGINES = ["sqlite", "postgresql", "mariadb"]


def require_engine(engine: str) -> None:
    if engine == "postgresql" and not postgres_available():
        if IN_CI:
            pytest.fail("PostgreSQL is required in CI but cannot be reached (TRUNKD_TEST_PG)")
        pytest.skip("PostgreSQL not reachable")
    if engine == "mariadb" and not mariadb_available():
        if IN_CI:
            pytest.fail("MariaDB is required in CI but cannot be reached (TRUNKD_TEST_MARIADB)")
        pytest.skip("MariaDB not reachable")


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    require_engine(request.param)
    return str(request.param)


@pytest.fixture(scope="session")
def server(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp(f"server-{engine}")
    with throwaway_database(engine, workdir) as url:
        srv = Server(database=url, workdir=workdir).start()
        try:
            yield srv
        finally:
            srv.stop()


@pytest.fixture
def admin(server: Server) -> Api:
    """Admin (no noauth headers: admin in fake_project_id)."""
    return Api(server.url)


@pytest.fixture
def project() -> str:
    return f"project-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def member(server: Server, project: str) -> Api:
    """A member of a fresh project (roles member,reader)."""
    return Api(server.url, project)


@contextlib.contextmanager
def _servers(engine: str, workdir_for: Callable[[int], Path]) -> Iterator[Callable[..., Server]]:
    """A factory of dedicated servers (own database unless one is given); all stopped on exit."""
    with contextlib.ExitStack() as stack:
        count = 0

        def make(*args: str, database: str | None = None, **env: str) -> Server:
            nonlocal count
            workdir = workdir_for(count)
            count += 1
            workdir.mkdir(parents=True, exist_ok=True)
            url = database or stack.enter_context(throwaway_database(engine, workdir / "db"))
            srv = Server(database=url, workdir=workdir, args=list(args), env=env).start()
            stack.callback(srv.stop)
            return srv

        yield make


@pytest.fixture
def make_server(engine: str, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start dedicated servers for one test."""
    with _servers(engine, lambda n: tmp_path / f"srv{n}") as make:
        yield make


@pytest.fixture(scope="module")
def module_server(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """Like make_server, but the servers live for the whole test module (e.g. a feature switched on)."""
    with _servers(engine, lambda _n: tmp_path_factory.mktemp(f"module-{engine}")) as make:
        yield make
