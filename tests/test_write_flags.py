"""A query flag a write does not support is a 400 with nothing written (dry_run where there was no dry
run used to be ignored while the write happened; every network, subnet, port and trunk write has one
now: tests/test_dry_run.py), on both engines."""

from __future__ import annotations

from tests.support import Api, error_type


def test_dry_run_where_unsupported_is_400_and_nothing_is_written(admin: Api) -> None:
    net = admin.network()["id"]
    name = f"never-{net}"  # the server is shared: a name no other test uses
    port = admin.port(net)
    parent = admin.port(net)
    trunk = admin.post("/v2.0/trunks", {"trunk": {"port_id": parent["id"]}}).json()["trunk"]
    attempts = [
        ("DELETE", f"/v2.0/ports/{parent['id']}?cascade=trunk&dry_run=true&force=1"),
        ("DELETE", f"/v2.0/ports/{port['id']}?idempotent=true"),
        ("DELETE", f"/v2.0/networks/{net}?cascade=true"),
        ("DELETE", f"/v2.0/trunks/{trunk['id']}?dryrun=true"),
        ("PUT", f"/v2.0/trunks/{trunk['id']}?idempotent=true"),
        ("POST", "/v2.0/ports?cascade=trunk"),
        ("POST", "/v2.0/networks?no_such_flag=1"),
        ("PUT", f"/v2.0/ports/{port['id']}?idempotent=true"),
        ("DELETE", f"/v2.0/networks/{net}/tags?dry_run=true"),
    ]
    bodies = {"PUT": {"trunk": {"name": "renamed"}}, "POST": {"port": {"network_id": net}}}
    for method, path in attempts:
        body = bodies.get(method)
        if path.startswith("/v2.0/networks?"):
            body = {"network": {"name": name}}
        if path.startswith("/v2.0/ports/") and method == "PUT":
            body = {"port": {"name": "renamed"}}
        r = admin.request(method, path, body)
        assert r.status_code == 400, (method, path, r.text)
        assert error_type(r) == "HTTPBadRequest"
    assert admin.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]["name"] == trunk["name"]
    assert admin.get(f"/v2.0/ports/{parent['id']}").status_code == 200
    assert admin.get(f"/v2.0/ports/{port['id']}").json()["port"]["name"] == port["name"]
    assert len(admin.get("/v2.0/ports", params={"network_id": net}).json()["ports"]) == 2
    assert admin.get("/v2.0/networks", params={"name": name}).json()["networks"] == []


def test_supported_write_flags_still_work(admin: Api) -> None:
    parent = admin.port()
    r = admin.post("/v2.0/trunks?dry_run=true", {"trunk": {"port_id": parent["id"]}})
    assert r.status_code == 200, r.text
    assert admin.get("/v2.0/trunks", params={"port_id": parent["id"]}).json()["trunks"] == []
    trunk = admin.post("/v2.0/trunks", {"trunk": {"port_id": parent["id"]}}).json()["trunk"]
    assert admin.delete(f"/v2.0/ports/{parent['id']}?cascade=trunk").status_code == 204
    assert admin.get(f"/v2.0/trunks/{trunk['id']}").status_code == 404
