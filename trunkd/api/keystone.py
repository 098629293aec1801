"""`--auth-strategy keystone`: keystonemiddleware's auth_token validates every request's X-Auth-Token.

auth_token is WSGI middleware. For each request we hand it a WSGI environ made from the ASGI scope's
headers (it needs no body) in a worker thread. If it lets the request through, the identity it confirmed
(project, user, roles, system scope) goes into the ASGI scope; if not, its own answer (401 with
WWW-Authenticate) is sent as is. Identity headers a client sends itself are stripped by auth_token first.

A confirmed identity is remembered by its tokens (a SHA-256 of them) for as long as auth_token would
take it from its own cache: `token_cache_time`, and never past the token's expiry; a token seen again
then costs a dict lookup on the event loop instead of a thread hop and auth_token's work.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import time
from collections.abc import Iterable
from typing import Any

from keystonemiddleware import auth_token
from oslo_config import cfg
from starlette.types import Scope, Send

from trunkd.api import threads

IDENTITY = "keystone_identity"
# the version document (as in Neutron); the operator page's HTML (no data) and its login proxy
UNAUTHENTICATED_PATHS = frozenset({"/", "/ui", "/ui/v3/auth/tokens"})
_WANTED = {
    "HTTP_X_IDENTITY_STATUS": "status",
    "HTTP_X_PROJECT_ID": "project_id",
    "HTTP_X_USER_ID": "user_id",
    "HTTP_X_USER_NAME": "user_name",
    "HTTP_X_ROLES": "roles",
    "HTTP_X_SERVICE_ROLES": "service_roles",
    "HTTP_OPENSTACK_SYSTEM_SCOPE": "system_scope",
}


MAX_REMEMBERED = 10_000  # identities kept at once (the oldest goes first)
_TOKEN_HEADERS = (b"x-auth-token", b"x-storage-token", b"x-service-token")


def token_key(scope: Scope) -> bytes | None:
    """What auth_token judges a request by (its token headers, in order), hashed; None without a token."""
    digest = hashlib.sha256()
    found = False
    for name, value in scope["headers"]:
        if name in _TOKEN_HEADERS:
            digest.update(name + b"\0" + value + b"\0")
            found = True
    return digest.digest() if found else None


def seconds_left(environ: dict[str, Any]) -> float:
    """Until the first of the confirmed tokens (user, service) expires; 0 if that is unknown."""
    plugin = environ.get("keystone.token_auth")
    ends: list[datetime.datetime] = [
        end for access in (getattr(plugin, "user", None), getattr(plugin, "service", None))
        if (end := getattr(access, "expires", None)) is not None]
    if not ends:
        return 0.0
    return (min(ends) - datetime.datetime.now(datetime.UTC)).total_seconds()


def _environ(scope: Scope) -> dict[str, Any]:
    server = scope.get("server") or ("127.0.0.1", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": scope["path"],
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "CONTENT_LENGTH": "0",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            continue
        key = f"HTTP_{name}"
        value = raw_value.decode("latin-1")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def identity_url(conf: cfg.ConfigOpts) -> str | None:
    """Keystone's public URL from [keystone_authtoken] (www_authenticate_uri, else auth_url), without /v3."""
    group = conf.keystone_authtoken
    url = group.www_authenticate_uri
    if not url:
        try:
            url = group.auth_url
        except cfg.NoSuchOptError:  # registered by the auth plugin only once it loads
            url = None
    if not url:
        return None
    url = str(url).rstrip("/")
    return url[:-3] if url.endswith("/v3") else url


class KeystoneAuth:
    """Deny by default: only a request whose token auth_token confirmed reaches the application."""

    def __init__(self, conf: cfg.ConfigOpts, open_paths: frozenset[str] = frozenset()) -> None:
        self.open_paths = UNAUTHENTICATED_PATHS | open_paths
        self.auth_token = auth_token.AuthProtocol(self._confirmed, {"oslo_config_config": conf})
        self.identity_url = identity_url(conf)
        self.cache_seconds = float(conf.keystone_authtoken.token_cache_time)  # -1: auth_token caches nothing
        self._remembered: dict[bytes, tuple[dict[str, Any], float]] = {}  # token key -> (identity, until)

    @staticmethod
    def _confirmed(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ["trunkd.identity"] = {name: environ.get(key) for key, name in _WANTED.items()}
        start_response("204 No Content", [])
        return []

    def _check(self, scope: Scope) -> tuple[dict[str, Any] | None, float, tuple[str, list[tuple[str, str]], bytes]]:
        """auth_token's verdict: the identity and how long it may be remembered, or the refusal."""
        environ = _environ(scope)
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer["status"], answer["headers"] = status, headers

        body = b"".join(self.auth_token(environ, start_response))
        identity = environ.get("trunkd.identity")
        if identity is not None and identity.get("status") == "Confirmed":
            return identity, min(self.cache_seconds, seconds_left(environ)), ("", [], b"")
        return None, 0.0, (answer.get("status", "401 Unauthorized"), answer.get("headers", []), body)

    def _remember(self, key: bytes, identity: dict[str, Any], seconds: float) -> None:
        if seconds <= 0:
            return
        if len(self._remembered) >= MAX_REMEMBERED:
            del self._remembered[next(iter(self._remembered))]
        self._remembered[key] = (identity, time.monotonic() + seconds)

    async def admit(self, scope: Scope, send: Send) -> bool:
        """True, with the confirmed identity in the scope, if the request may go on; else its answer
        (auth_token's 401 with WWW-Authenticate) is sent and False returned."""
        if scope["path"] in self.open_paths:
            return True
        key = token_key(scope)
        remembered = self._remembered.get(key) if key is not None else None
        if remembered is not None and time.monotonic() < remembered[1]:
            scope.setdefault("state", {})[IDENTITY] = remembered[0]
            return True
        identity, seconds, (status, headers, body) = await threads.run(self._check, scope)
        if identity is not None:
            if key is not None:
                self._remember(key, identity, seconds)
            scope.setdefault("state", {})[IDENTITY] = identity
            return True
        code = int(status.split(" ", 1)[0])
        if code < 400:  # auth_token never lets a request past without confirming it; refuse anyway
            code, body, headers = 401, b'{"error": {"code": 401, "title": "Unauthorized"}}', []
        raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers
                       if k.lower() != "content-length"]
        raw_headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": code, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})
        return False
