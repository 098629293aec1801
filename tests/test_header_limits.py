"""Request headers are bounded in the HTTP layer: 431 NeutronError past the count or the size, before
the rest of the header is read; ordinary requests on the same server are unaffected (both engines)."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

from tests.support import Api, Server
from trunkd.domain.limits import MAX_HEADER_BYTES, MAX_HEADERS


def _connect(server: Server) -> socket.socket:
    url = urlsplit(server.url)
    sock = socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=30)
    return sock


def _answer(sock: socket.socket) -> tuple[int, dict[str, object]]:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert body.startswith(b"{"), data
    return int(head.split(b" ")[1]), json.loads(body)


def test_a_huge_header_gets_431_before_it_is_all_sent(server: Server, admin: Api) -> None:
    sock = _connect(server)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ")
    sent = 0
    try:
        while sent < 64 * MAX_HEADER_BYTES:  # 4 MiB offered; the server stops reading long before
            sock.sendall(b"a" * 16384)
            sent += 16384
    except OSError:
        pass  # the server closed the connection: it will not buffer the rest
    status, body = _answer(sock)
    assert status == 431
    assert body["NeutronError"]["type"] == "RequestHeaderFieldsTooLarge"  # type: ignore[index]
    assert admin.get("/").status_code == 200


def test_too_many_headers_get_431_and_the_request_never_runs(server: Server, admin: Api) -> None:
    net = admin.network()["id"]
    sock = _connect(server)
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(MAX_HEADERS + 1))
    sock.sendall(b"DELETE /v2.0/networks/" + net.encode() + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    status, body = _answer(sock)
    assert status == 431
    assert body["NeutronError"]["type"] == "RequestHeaderFieldsTooLarge"  # type: ignore[index]
    assert admin.get(f"/v2.0/networks/{net}").status_code == 200


def test_headers_within_the_limits_are_served(server: Server, admin: Api) -> None:
    headers = {f"X-H{i}": "v" * 100 for i in range(MAX_HEADERS - 10)}
    assert admin.get("/v2.0/networks", headers=headers).status_code == 200
