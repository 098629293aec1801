"""Test support: a real trunkd server in a subprocess, a small HTTP client, databases."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pymysql

PG_ADMIN_URL = os.environ.get("TRUNKD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN_URL = os.environ.get("TRUNKD_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/")
IN_CI = os.environ.get("CI") == "true"
REPO = Path(__file__).resolve().parent.parent
# The shared test servers know two physical networks, each with the default allocation range
# 1000-2999; tests that need an explicit VLAN id take one from fresh_vlan() (outside that range).
TEST_SERVER_ENV = {"TRUNKD_NETWORK_VLAN_RANGES": "physnet1:1000:2999,physnet2:1000:2999"}
_EXPLICIT_VLANS = itertools.chain(range(2, 1000), range(3000, 4094))


def fresh_vlan() -> int:
    """A VLAN id no other test of this process uses, free on physnet1 and physnet2 alike."""
    return next(_EXPLICIT_VLANS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _mariadb_connect() -> pymysql.connections.Connection[Any]:
    from sqlalchemy.engine import make_url

    url = make_url(MARIADB_ADMIN_URL)
    return pymysql.connect(host=url.host or "127.0.0.1", port=url.port or 3306, user=url.username or "root",
                           password=url.password or "", connect_timeout=3, autocommit=True)


def mariadb_available() -> bool:
    try:
        _mariadb_connect().close()
        return True
    except pymysql.err.OperationalError:
        return False


@contextmanager
def throwaway_database(engine: str, tmp: Path) -> Iterator[str]:
    """A fresh, empty database URL for one server; dropped afterwards."""
    if engine == "sqlite":
        tmp.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{tmp / 'trunkd.db'}"
        return
    name = f"trunkd_test_{uuid.uuid4().hex[:12]}"
    if engine == "mariadb":
        with _mariadb_connect() as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        try:
            yield f"{MARIADB_ADMIN_URL.rstrip('/')}/{name}"
        finally:
            with _mariadb_connect() as conn, conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        return
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    """A `trunkd serve` subprocess listening on 127.0.0.1."""

    database: str
    workdir: Path
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / f"server-{self.port}.log"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "trunkd.cli", "serve", "--database", self.database,
                "--host", "127.0.0.1", "--port", str(self.port), *self.args]

    def start(self, timeout: float = 120.0) -> Server:  # a bound: start-up takes 20-40 s at load 15+
        env = {**os.environ, "TRUNKD_LOG_LEVEL": "warning", "PYTHONPATH": str(REPO), **TEST_SERVER_ENV,
               **self.env}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.command(), cwd=self.workdir, env=env, stdout=log,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"trunkd exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"trunkd did not answer within {timeout}s:\n{self.log.read_text()}")

    def stop(self, kill: bool = False) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


class Api:
    """Raw HTTP against a server, as a given project and roles (noauth headers)."""

    def __init__(self, url: str, project: str | None = None, roles: str | None = None) -> None:
        headers = {"Content-Type": "application/json"}
        if project is not None:
            headers["X-Project-Id"] = project
        if roles is not None:
            headers["X-Roles"] = roles
        self.url = url
        self.project = project
        self.client = httpx.Client(base_url=url, headers=headers, timeout=60)

    def as_(self, project: str | None, roles: str | None = None) -> Api:
        return Api(self.url, project, roles)

    def request(self, method: str, path: str, body: Any = None, *, raw: str | bytes | None = None,
                headers: dict[str, str] | None = None, params: Any = None) -> httpx.Response:
        content = raw if raw is not None else (None if body is None else httpx.Request(
            "POST", "http://x", json=body).content)
        return self.client.request(method, path, content=content, headers=headers, params=params)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    # -- fixtures-as-methods: each asserts the expected success code ----------------------
    def network(self, **attrs: Any) -> dict[str, Any]:
        r = self.post("/v2.0/networks", {"network": {"name": f"net-{uuid.uuid4().hex[:6]}", **attrs}})
        assert r.status_code == 201, r.text
        return r.json()["network"]

    def subnet(self, network_id: str | None = None, cidr: str = "10.0.0.0/24", **attrs: Any) -> dict[str, Any]:
        network_id = network_id or self.network()["id"]
        version = 6 if ":" in cidr else 4
        r = self.post("/v2.0/subnets", {"subnet": {"network_id": network_id, "cidr": cidr,
                                                   "ip_version": version, **attrs}})
        assert r.status_code == 201, r.text
        return r.json()["subnet"]

    def port(self, network_id: str | None = None, **attrs: Any) -> dict[str, Any]:
        network_id = network_id or self.network()["id"]
        r = self.post("/v2.0/ports", {"port": {"network_id": network_id, **attrs}})
        assert r.status_code == 201, r.text
        return r.json()["port"]

    def trunk(self, port_id: str | None = None, **attrs: Any) -> dict[str, Any]:
        port_id = port_id or self.port()["id"]
        r = self.post("/v2.0/trunks", {"trunk": {"port_id": port_id, **attrs}})
        assert r.status_code == 201, r.text
        return r.json()["trunk"]


def force_status(server: Server, trunk_id: str, status: str) -> None:
    """Move a trunk to `status` as an agent would (PUT …/status as admin, at its current revision)."""
    api = Api(server.url)
    trunk = api.get(f"/v2.0/trunks/{trunk_id}").json()["trunk"]
    r = api.put(f"/v2.0/trunks/{trunk_id}/status",
                {"status": status, "reason": "set by test", "revision_number": trunk["revision_number"]})
    assert r.status_code == 200, r.text


def error_type(response: httpx.Response) -> str:
    """The NeutronError type of an error response (asserts the body shape)."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()["NeutronError"]
    assert set(body) == {"type", "message", "detail"}, body
    return str(body["type"])
