"""noauth: an empty X-Project-Id (or an empty first copy of it) never makes the caller the operator."""

from __future__ import annotations

import httpx

from tests.support import Server, error_type


def test_empty_or_duplicated_empty_project_header_is_400(server: Server) -> None:
    cases = [
        [("X-Project-Id", ""), ("X-Roles", "member")],
        [("X-Project-Id", ""), ("X-Project-Id", "p1"), ("X-Roles", "member")],
        [("X-Roles", "member")],
    ]
    for headers in cases:
        body = {"network": {"name": "noauth-empty-project"}}
        r = httpx.post(server.url + "/v2.0/networks", json=body, headers=headers)
        assert r.status_code == 400, (headers, r.text)
        assert error_type(r) == "InvalidInput"
    assert httpx.get(server.url + "/v2.0/networks", headers={"X-Project-Id": "p1"}).status_code == 200
    assert httpx.get(server.url + "/v2.0/networks", params={"name": "noauth-empty-project"}).json()["networks"] == []
