"""Hostile input (issue #12, items 1-3): bounded work per request and a typed 4xx, never a 500,
for the same input on both engines, checked before any database work."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.support import Api, Server, error_type
from tests.test_agents_binding import bind, heartbeat, new_host, sub, trunk_of, vlan_network
from trunkd.api import limits as limits_api
from trunkd.domain import errors, limits
from trunkd.store.engine import make_engine


def raw_post(api: Api, path: str, text: str) -> httpx.Response:
    return api.post(path, raw=text.encode("utf-8", "surrogatepass"))


def port_body(network_id: str, profile: str) -> str:
    """A port-create body with a hand-written binding:profile (JSON the json module would not write)."""
    return '{"port": {"network_id": "' + network_id + '", "binding:profile": ' + profile + "}}"


def assert_400(r: httpx.Response) -> str:
    assert r.status_code == 400, r.text
    return error_type(r)


# -- characters the engines cannot store ---------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/v2.0/networks/%00", "/v2.0/trunks/%00/add_subports", "/v2.0/ports?name=%00", "/v2.0/networks?tags=a,%00",
    "/v2.0/trunks?%00=1",
])
def test_nul_in_path_or_filter_is_refused(admin: Api, path: str) -> None:
    assert_400(admin.get(path))


def test_nul_and_lone_surrogates_in_bodies_are_refused(admin: Api) -> None:
    for name in ("a\\u0000b", "\\ud800", "x\\udfff"):
        r = raw_post(admin, "/v2.0/networks", '{"network": {"name": "' + name + '"}}')
        assert_400(r)
    # also in keys, deep inside free-form mappings, and in a value an error message would echo
    net = admin.network()
    for body in (port_body(net["id"], '{"\\ud800": 1}'), port_body(net["id"], '{"a": ["\\u0000"]}'),
                 '{"port": {"network_id": "\\ud800"}}'):
        assert_400(raw_post(admin, "/v2.0/ports", body))
    names = [n["name"] for n in admin.get("/v2.0/networks").json()["networks"]]
    assert not any("\x00" in n for n in names)


def test_non_finite_and_huge_numbers_in_bodies_are_refused(admin: Api) -> None:
    net = admin.network()
    for value in ("NaN", "Infinity", "1e999", str(2**64), str(-(2**70))):
        assert_400(raw_post(admin, "/v2.0/ports", port_body(net["id"], '{"n": ' + value + "}")))
    assert_400(raw_post(admin, "/v2.0/networks", '{"network": {"mtu": ' + str(2**80) + "}}"))


def test_deeply_nested_json_is_refused(admin: Api) -> None:
    net = admin.network()
    for depth in (limits.MAX_JSON_DEPTH + 1, 100_000):
        nested = "[" * depth + "]" * depth
        assert_400(raw_post(admin, "/v2.0/ports", port_body(net["id"], '{"x": ' + nested + "}")))


# -- lengths and ranges, the same on both engines --------------------------------------------------
def test_identity_headers_longer_than_their_column_are_refused(server: Server) -> None:
    long_project = Api(server.url, "p" * 256)
    assert_400(long_project.post("/v2.0/networks", {"network": {"name": "n"}}))
    assert_400(long_project.get("/v2.0/networks"))
    ok = Api(server.url, "p" * 255)
    assert ok.post("/v2.0/networks", {"network": {"name": "n"}}).status_code == 201


def test_long_path_segments_and_filter_values_are_refused(admin: Api) -> None:
    assert_400(admin.get("/v2.0/trunks/" + "x" * 256))
    assert_400(admin.get("/v2.0/ports", params={"binding:host_id": "h" * 256}))
    assert admin.get("/v2.0/trunks/" + "x" * 255).status_code == 404


def test_long_migrating_to_host_is_refused(admin: Api) -> None:
    port = admin.port()
    r = admin.put(f"/v2.0/ports/{port['id']}", {"port": {"binding:profile": {"migrating_to": "h" * 256}}})
    assert_400(r)
    r = admin.put(f"/v2.0/ports/{port['id']}", {"port": {"binding:profile": {"migrating_to": "h" * 255}}})
    assert r.status_code == 200, r.text


def test_huge_limit_and_if_match_values(admin: Api) -> None:
    admin.network()
    for limit in (str(2**64), str(2**200)):
        r = admin.get("/v2.0/networks", params={"limit": limit})
        assert r.status_code == 200, r.text
    assert_400(admin.get("/v2.0/networks", params={"limit": "9" * 5000}))
    net = admin.network()
    for digits in ("9" * 20, "9" * 5000, str(2**63)):
        r = admin.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "x"}},
                      headers={"If-Match": f"revision_number={digits}"})
        assert_400(r)
    r = admin.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "x"}},
                  headers={"If-Match": f"revision_number={2**63 - 1}"})
    assert r.status_code == 412, r.text


def test_tag_limit_holds_on_create(admin: Api) -> None:
    tags = [f"t{i}" for i in range(limits.MAX_TAGS + 1)]
    assert_400(admin.post("/v2.0/networks", {"network": {"tags": tags}}))
    net = admin.network()
    assert_400(admin.post("/v2.0/ports", {"port": {"network_id": net["id"], "tags": tags}}))
    assert_400(admin.post("/v2.0/ports", {"port": {"network_id": net["id"], "tags": ["a,b"]}}))
    r = admin.post("/v2.0/networks", {"network": {"tags": tags[: limits.MAX_TAGS]}})
    assert r.status_code == 201 and len(r.json()["network"]["tags"]) == limits.MAX_TAGS


# -- sizes: refused before any lookup ---------------------------------------------------------------
def test_oversized_body_gets_413(admin: Api) -> None:
    big = json.dumps({"tags": ["x" * 200] * (limits.MAX_BODY_BYTES // 200)})
    net = admin.network()
    r = admin.put(f"/v2.0/networks/{net['id']}/tags", raw=big)
    assert r.status_code == 413 and error_type(r) == "RequestEntityTooLarge"

    def chunks() -> Any:  # no Content-Length: the streamed size is counted
        for _ in range(limits.MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    r = admin.client.put(f"/v2.0/networks/{net['id']}/tags", content=chunks())
    assert r.status_code == 413, r.text


def test_bulk_size_is_bounded(admin: Api) -> None:
    net = admin.network()
    items = [{"network_id": net["id"]}] * (limits.MAX_BULK + 1)
    r = admin.post("/v2.0/ports", {"ports": items})
    assert "at most" in error_type(r) + r.text and r.status_code == 400
    assert admin.get("/v2.0/ports", params={"network_id": net["id"]}).json()["ports"] == []


def test_subports_per_request_are_bounded_before_any_lookup(admin: Api) -> None:
    too_many = [{"port_id": str(uuid.uuid4()), "segmentation_type": "vlan", "segmentation_id": i % 4094 + 1}
                for i in range(limits.MAX_SUBPORTS_PER_TYPE + 1)]
    missing = str(uuid.uuid4())  # no such trunk: a 400 (not a 404) shows nothing was looked up
    r = admin.put(f"/v2.0/trunks/{missing}/add_subports", {"sub_ports": too_many})
    assert_400(r)
    assert_400(admin.put(f"/v2.0/trunks/{missing}/remove_subports", {"sub_ports": too_many}))
    assert_400(admin.post("/v2.0/trunks", {"trunk": {"port_id": missing, "sub_ports": too_many}}))
    r = admin.put(f"/v2.0/trunks/{missing}/add_subports", {"sub_ports": too_many[:4094]})
    assert r.status_code != 500 and r.status_code in (400, 404), r.text


# -- list filters: set-based and capped -------------------------------------------------------------
@pytest.mark.parametrize("collection", ["networks", "ports", "trunks"])
def test_many_tag_filter_values_are_set_based_and_capped(admin: Api, collection: str) -> None:
    tag = f"t-{uuid.uuid4().hex[:8]}"
    make = {"networks": admin.network, "ports": admin.port, "trunks": admin.trunk}[collection]
    both, one = make(), make()
    for res, tags in ((both, [tag, tag + "b"]), (one, [tag])):
        assert admin.put(f"/v2.0/{collection}/{res['id']}/tags", {"tags": tags}).status_code == 200
    noise = [f"n{i}" for i in range(limits.MAX_FILTER_VALUES - 2)]

    def ids(**params: str) -> set[str]:
        r = admin.get(f"/v2.0/{collection}", params=params)
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()[collection]}

    assert ids(tags=f"{tag},{tag}b") == {both["id"]}
    assert ids(**{"tags-any": ",".join([*noise, tag])}) >= {both["id"], one["id"]}
    assert ids(tags=",".join([tag, *noise])) == set()
    assert ids(**{"not-tags": f"{tag},{tag}b"}) & {both["id"], one["id"]} == {one["id"]}
    assert ids(**{"not-tags-any": ",".join([*noise, tag])}) & {both["id"], one["id"]} == set()
    over = ",".join(f"v{i}" for i in range(limits.MAX_FILTER_VALUES + 1))
    for key in ("tags", "not-tags", "tags-any", "not-tags-any"):
        assert_400(admin.get(f"/v2.0/{collection}", params={key: over}))
    assert_400(admin.get(f"/v2.0/{collection}", params=[("id", str(uuid.uuid4()))] * 401))


def test_postgresql_statements_have_a_timeout(engine: str, server: Server) -> None:
    if engine != "postgresql":
        pytest.skip("statement_timeout is a PostgreSQL setting")
    eng = make_engine(server.database)
    try:
        with eng.connect() as conn:
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "30s"
    finally:
        eng.dispose()


def test_a_marker_the_caller_cannot_see_does_not_position_the_page(admin: Api, server: Server) -> None:
    project = f"p-{uuid.uuid4().hex[:8]}"
    member = Api(server.url, project)
    for _ in range(3):
        member.network()
    first = member.get("/v2.0/networks", params={"limit": 2, "sort_key": "name", "sort_dir": "asc"}).json()
    hidden = admin.network(name="~zzz")  # sorts after every member network: a visible marker would empty the page
    page = member.get("/v2.0/networks", params={"limit": 2, "sort_key": "name", "sort_dir": "asc",
                                                "marker": hidden["id"]}).json()
    assert [n["id"] for n in page["networks"]] == [n["id"] for n in first["networks"]]
    for collection, make in (("ports", admin.port), ("trunks", admin.trunk)):
        for _ in range(2):
            {"ports": member.port, "trunks": member.trunk}[collection]()
        hidden = make()
        plain = member.get(f"/v2.0/{collection}", params={"limit": 5}).json()[collection]
        marked = member.get(f"/v2.0/{collection}", params={"limit": 5, "marker": hidden["id"]}).json()[collection]
        assert [x["id"] for x in marked] == [x["id"] for x in plain]


# -- status_reason ---------------------------------------------------------------------------------
def test_many_failed_subports_give_a_bounded_degraded_reason(admin: Api) -> None:
    host = new_host()
    heartbeat(admin, host)
    parent = admin.port(vlan_network(admin, "physnet1")["id"])  # MTU 1500, as the subports' networks
    # the agent maps physnet1 only: every subport on physnet2 fails to bind
    strays = [admin.port(vlan_network(admin, "physnet2")["id"]) for _ in range(12)]
    trunk = admin.trunk(parent["id"], sub_ports=[sub(p, 30 + i) for i, p in enumerate(strays)])
    bind(admin, parent["id"], host)
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/bind_subports")
    assert r.status_code == 200, r.text
    assert [o["outcome"] for o in r.json()["sub_ports"]] == ["failed"] * 12
    shown = trunk_of(admin, trunk["id"])
    assert shown["status"] == "DEGRADED"
    reason = shown["status_reason"]
    assert len(reason) <= limits.MAX_REASON_LEN and reason.startswith("12 subport(s) failed to bind")
    assert "and 7 more" in reason and sorted(p["id"] for p in strays)[0] in reason
    again = admin.put(f"/v2.0/trunks/{trunk['id']}/bind_subports")  # the agent's retry is idempotent
    assert again.status_code == 200 and trunk_of(admin, trunk["id"])["status_reason"] == reason


def test_non_string_values_for_enumerated_attributes_are_refused(admin: Api) -> None:
    """Found by the fuzzer: a dict for binding:vnic_type raised TypeError (500)."""
    port = admin.port()
    for value in ({}, [], 1, None):
        assert_400(admin.put(f"/v2.0/ports/{port['id']}", {"port": {"binding:vnic_type": value}}))


def test_the_mac_lookup_of_port_create_uses_an_index(tmp_path: Any) -> None:
    from trunkd.store.ports import PortRepo
    from trunkd.store.tables import metadata

    eng = make_engine(f"sqlite:///{tmp_path / 'mac.db'}")
    seen: list[tuple[str, Any]] = []
    sa.event.listen(eng, "before_cursor_execute", lambda _c, _cur, sql, params, _ctx, _many: seen.append((sql, params)))
    try:
        metadata.create_all(eng)
        with eng.connect() as conn:
            PortRepo(conn).mac_taken(str(uuid.uuid4()), "FA:16:3E:00:00:01")
            sql, params = seen[-1]
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
    finally:
        eng.dispose()
    assert "network_id=? AND mac_address=?" in plan, plan  # both columns from the index, no row filter
    assert "fa:16:3e:00:00:01" in params


def test_integer_filters_beyond_their_column(admin: Api) -> None:
    """Found after merging #10's converters: a 32-bit column filtered by a larger number gave a 500 on
    PostgreSQL. Beyond the column no row matches; beyond 64 bits the value is refused."""
    admin.network()
    for key in ("mtu", "provider:segmentation_id"):
        for value in (str(2**31), str(2**40), str(-(2**31) - 1)):
            r = admin.get("/v2.0/networks", params={key: value})
            assert r.status_code == 200 and r.json()["networks"] == [], r.text
    for key in ("revision_number", "mtu"):
        assert_400(admin.get("/v2.0/networks", params={key: str(2**64)}))


@pytest.mark.parametrize(("raw", "parsed"), [
    (b'{"a": 1.5e19, "b": -1.5e19}', {"a": 1.5e19, "b": -1.5e19}),  # big floats that are floats
    (b'{"n": "12345678901234567890123"}', {"n": "12345678901234567890123"}),  # digits in a string
    (str(-(2**63)).encode(), -(2**63)),
    (b'{"k": [true, null, "\\\\u0000 is text here"]}', {"k": [True, None, "\\u0000 is text here"]}),
])
def test_bodies_the_fast_parser_must_read_exactly(raw: bytes, parsed: object) -> None:
    assert limits_api.parse_json(raw) == parsed


@pytest.mark.parametrize("raw", [
    str(2**63).encode(),  # orjson reads it as an int past the column
    b'{"a": [1, {"b": 99999999999999999999}]}',  # ... and this one as a float: json must read it
    b'{"k\\u0000": 1}',
    b'["\\ud800"]',
])
def test_bodies_the_fast_parser_must_not_let_through(raw: bytes) -> None:
    with pytest.raises(errors.InvalidInput):
        limits_api.parse_json(raw)
