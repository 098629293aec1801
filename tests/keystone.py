"""A real Keystone (the PyPI `keystone` package in .venv-keystone, scripts/ensure-keystone.sh) on SQLite with
fernet tokens under uwsgi on a free loopback port, plus the few identity calls the tests need."""

from __future__ import annotations

import os
import subprocess
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import IN_CI, REPO, Api, free_port

VENV = REPO / ".venv-keystone"
ADMIN_PASSWORD = "admin-secret"
PASSWORD = "user-secret"
REGION = "RegionOne"


def keystone_installed() -> bool:
    return (VENV / "bin" / "keystone-manage").exists() and (VENV / "bin" / "uwsgi").exists()


@dataclass
class Keystone:
    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def conf(self) -> Path:
        return self.workdir / "keystone.conf"

    def _manage(self, *args: str) -> None:
        subprocess.run([str(VENV / "bin" / "keystone-manage"), "--config-file", str(self.conf), *args],
                       check=True, capture_output=True, timeout=300)

    def start(self, timeout: float = 120.0) -> Keystone:
        self.workdir.mkdir(parents=True, exist_ok=True)
        w = self.workdir
        self.conf.write_text(textwrap.dedent(f"""\
            [DEFAULT]
            log_file = {w}/keystone.log
            [database]
            connection = sqlite:///{w}/keystone.db
            [fernet_tokens]
            key_repository = {w}/fernet-keys
            [credential]
            key_repository = {w}/credential-keys
            [token]
            provider = fernet
            [identity]
            password_hash_rounds = 4
            """))
        self._manage("db_sync")
        user = ["--keystone-user", str(os.getuid()), "--keystone-group", str(os.getgid())]
        self._manage("fernet_setup", *user)
        self._manage("credential_setup", *user)
        self._manage("bootstrap", "--bootstrap-password", ADMIN_PASSWORD, "--bootstrap-region-id", REGION,
                     "--bootstrap-public-url", f"{self.url}/v3")
        with open(w / "uwsgi.log", "ab") as log:
            self.proc = subprocess.Popen(
                [str(VENV / "bin" / "uwsgi"), "--http-socket", f"127.0.0.1:{self.port}",
                 "--module", "keystone.wsgi.api:application", "--virtualenv", str(VENV),
                 "--master", "--processes", "1", "--threads", "1", "--enable-threads", "--die-on-term",
                 # one request at a time: SQLite allows one writer (threads gave "database is locked")
                 "--lazy-apps", "--add-header", "Connection: close"],  # --http-socket has no keep-alive
                env={**os.environ, "OS_KEYSTONE_CONFIG_FILES": str(self.conf)}, cwd=w, stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"keystone exited: {(w / 'uwsgi.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/v3", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"keystone did not answer within {timeout}s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    # -- identity calls ---------------------------------------------------------------------------
    def token(self, user: str, password: str = PASSWORD, project: str | None = None,
              system: bool = False) -> str:
        scope: dict[str, Any] = (
            {"system": {"all": True}} if system
            else {"project": {"name": project, "domain": {"id": "default"}}}
        )
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {
                "user": {"name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": scope,
        }}
        r = httpx.post(f"{self.url}/v3/auth/tokens", json=body, timeout=60)
        assert r.status_code == 201, r.text
        return r.headers["x-subject-token"]

    def admin(self) -> httpx.Client:
        token = self.token("admin", ADMIN_PASSWORD, "admin")
        return httpx.Client(base_url=f"{self.url}/v3", headers={"X-Auth-Token": token}, timeout=60)

    def _id(self, client: httpx.Client, kind: str, name: str) -> str | None:
        found = client.get(f"/{kind}s", params={"name": name}).json()[f"{kind}s"]
        return str(found[0]["id"]) if found else None

    def project(self, name: str) -> str:
        with self.admin() as c:
            existing = self._id(c, "project", name)
            if existing:
                return existing
            r = c.post("/projects", json={"project": {"name": name, "domain_id": "default"}})
            assert r.status_code == 201, r.text
            return str(r.json()["project"]["id"])

    def user(self, name: str, project: str, *roles: str, password: str = PASSWORD) -> str:
        """A user with `roles` on `project` (created if needed)."""
        project_id = self.project(project)
        with self.admin() as c:
            user_id = self._id(c, "user", name)
            if user_id is None:
                r = c.post("/users", json={"user": {"name": name, "password": password, "domain_id": "default"}})
                assert r.status_code == 201, r.text
                user_id = str(r.json()["user"]["id"])
            for role in roles:
                role_id = self._id(c, "role", role)
                assert role_id, role
                r = c.put(f"/projects/{project_id}/users/{user_id}/roles/{role_id}")
                assert r.status_code in (201, 204), r.text
            return user_id

    def register_service(self, service_type: str, name: str, url: str) -> None:
        """Put `url` in the catalog as the public endpoint of `service_type` (replacing an older one)."""
        with self.admin() as c:
            for svc in c.get("/services", params={"type": service_type}).json()["services"]:
                c.delete(f"/services/{svc['id']}")
            r = c.post("/services", json={"service": {"type": service_type, "name": name}})
            assert r.status_code == 201, r.text
            service_id = r.json()["service"]["id"]
            r = c.post("/endpoints", json={"endpoint": {
                "service_id": service_id, "interface": "public", "url": url, "region_id": REGION}})
            assert r.status_code == 201, r.text

    def revoke(self, token: str) -> None:
        with self.admin() as c:
            r = c.delete("/auth/tokens", headers={"X-Subject-Token": token})
            assert r.status_code == 204, r.text

    def expired_token(self, user_id: str, project_id: str) -> str:
        """A fernet token signed with this Keystone's own keys whose expiry has passed."""
        script = textwrap.dedent(f"""\
            import keystone.conf
            from keystone.token import token_formatters as tf
            keystone.conf.configure()
            keystone.conf.CONF(args=[], project="keystone", default_config_files=[{str(self.conf)!r}])
            token = tf.TokenFormatter().create_token(
                {user_id!r}, "2020-01-01T00:00:00.000000Z", ["expiredauditid00000000"],
                tf.ProjectScopedPayload, methods=["password"], project_id={project_id!r})
            print(token)
            """)
        out = subprocess.run([str(VENV / "bin" / "python"), "-c", script], check=True, capture_output=True,
                             text=True, timeout=120)
        return out.stdout.strip().splitlines()[-1]


def authtoken_config(keystone: Keystone, path: Path, user: str, password: str = PASSWORD) -> Path:
    """A trunkd --config-file with Neutron's [keystone_authtoken] section."""
    path.write_text(textwrap.dedent(f"""\
        [keystone_authtoken]
        www_authenticate_uri = {keystone.url}
        auth_url = {keystone.url}
        auth_type = password
        project_domain_name = Default
        user_domain_name = Default
        project_name = service
        username = {user}
        password = {password}
        interface = public
        """))
    return path


class TokenApi(Api):
    """Raw HTTP against a server with a Keystone token."""

    def __init__(self, url: str, token: str | None) -> None:
        super().__init__(url)
        if token is not None:
            self.client.headers["X-Auth-Token"] = token


@pytest.fixture(scope="session")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keystone]:
    if not keystone_installed():
        if IN_CI:
            pytest.fail("Keystone is required in CI: scripts/ensure-keystone.sh did not install .venv-keystone")
        pytest.skip("Keystone not installed (run scripts/ensure-keystone.sh)")
    ks = Keystone(tmp_path_factory.mktemp("keystone")).start()
    try:
        yield ks
    finally:
        ks.stop()
