"""The tags subresource (SPEC §1.4.9): trunks in depth, networks and ports as a smoke test."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support import Api, error_type


@pytest.fixture
def trunk(member: Api) -> dict[str, Any]:
    return member.trunk()


def tags_url(trunk: dict[str, Any], tag: str | None = None) -> str:
    base = f"/v2.0/trunks/{trunk['id']}/tags"
    return base if tag is None else f"{base}/{tag}"


def revision(api: Api, trunk: dict[str, Any]) -> int:
    r = api.get(f"/v2.0/trunks/{trunk['id']}")
    assert r.status_code == 200, r.text
    return int(r.json()["trunk"]["revision_number"])


def current_tags(api: Api, trunk: dict[str, Any]) -> list[str]:
    r = api.get(tags_url(trunk))
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"tags"}
    return sorted(r.json()["tags"])


def put_tags(api: Api, trunk: dict[str, Any], tags: list[str]) -> None:
    r = api.put(tags_url(trunk), {"tags": tags})
    assert r.status_code == 200, r.text


# -- reading -----------------------------------------------------------------------------------
def test_new_trunk_has_no_tags(member: Api, trunk: dict[str, Any]) -> None:
    assert trunk["tags"] == []
    assert member.get(tags_url(trunk)).json() == {"tags": []}


def test_check_tag_is_204_when_present(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, ["present"])
    r = member.get(tags_url(trunk, "present"))
    assert r.status_code == 204
    assert r.content == b""


def test_check_tag_is_404_tag_not_found_when_absent(member: Api, trunk: dict[str, Any]) -> None:
    r = member.get(tags_url(trunk, "absent"))
    assert r.status_code == 404
    assert error_type(r) == "TagNotFound"
    assert "absent" in r.json()["NeutronError"]["message"]


def test_tags_show_on_the_trunk_and_in_lists(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, ["b", "a"])
    shown = member.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"]
    assert sorted(shown["tags"]) == ["a", "b"]
    (listed,) = member.get("/v2.0/trunks", params={"id": trunk["id"]}).json()["trunks"]
    assert sorted(listed["tags"]) == ["a", "b"]


# -- replacing and adding ------------------------------------------------------------------------
def test_put_tags_replaces_the_whole_set_and_echoes_it(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, ["old1", "old2"])
    r = member.put(tags_url(trunk), {"tags": ["new", "old1"]})
    assert r.status_code == 200
    assert sorted(r.json()["tags"]) == ["new", "old1"] and set(r.json()) == {"tags"}
    assert current_tags(member, trunk) == ["new", "old1"]


def test_put_empty_tags_clears_them(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, ["x"])
    r = member.put(tags_url(trunk), {"tags": []})
    assert r.status_code == 200 and r.json() == {"tags": []}
    assert current_tags(member, trunk) == []


def test_put_one_tag_is_201_and_idempotent(member: Api, trunk: dict[str, Any]) -> None:
    for _ in range(2):
        r = member.put(tags_url(trunk, "solo"))
        assert r.status_code == 201
        assert r.content == b""
    assert current_tags(member, trunk) == ["solo"]


def test_put_one_tag_keeps_the_others(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, ["a"])
    assert member.put(tags_url(trunk, "b")).status_code == 201
    assert current_tags(member, trunk) == ["a", "b"]


def test_post_tags_adds_only_missing_and_echoes_the_body(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, ["a", "b"])
    r = member.post(tags_url(trunk), {"tags": ["b", "c"]})
    assert r.status_code == 200
    assert r.json() == {"tags": ["b", "c"]}
    assert current_tags(member, trunk) == ["a", "b", "c"]


# -- deleting --------------------------------------------------------------------------------------
def test_delete_all_tags_is_204(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, ["a", "b"])
    r = member.delete(tags_url(trunk))
    assert r.status_code == 204 and r.content == b""
    assert current_tags(member, trunk) == []


def test_delete_one_tag_is_204_and_keeps_the_others(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, ["a", "b"])
    r = member.delete(tags_url(trunk, "a"))
    assert r.status_code == 204 and r.content == b""
    assert current_tags(member, trunk) == ["b"]


def test_delete_absent_tag_is_404_tag_not_found(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, ["a"])
    r = member.delete(tags_url(trunk, "nope"))
    assert r.status_code == 404
    assert error_type(r) == "TagNotFound"
    assert current_tags(member, trunk) == ["a"]


# -- limits and bodies -----------------------------------------------------------------------------
def test_more_than_50_tags_is_400(member: Api, trunk: dict[str, Any]) -> None:
    r = member.put(tags_url(trunk), {"tags": [f"t{i}" for i in range(51)]})
    assert r.status_code == 400
    assert error_type(r) == "BadRequest"  # Neutron's validate_tags_limit
    assert r.json()["NeutronError"]["message"] == (
        "Bad trunks request: The number of tags exceed the per-resource limit of 50.")
    assert current_tags(member, trunk) == []


def test_exactly_50_tags_is_allowed(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, [f"t{i}" for i in range(50)])
    assert len(current_tags(member, trunk)) == 50


def test_adding_a_51st_tag_is_400(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, [f"t{i}" for i in range(50)])
    r = member.put(tags_url(trunk, "one-more"))
    assert r.status_code == 400 and error_type(r) == "BadRequest"
    r = member.post(tags_url(trunk), {"tags": ["one-more"]})
    assert r.status_code == 400 and error_type(r) == "BadRequest"
    assert len(current_tags(member, trunk)) == 50


def test_tag_longer_than_255_is_400(member: Api, trunk: dict[str, Any]) -> None:
    too_long = "x" * 256
    for r in (member.put(tags_url(trunk), {"tags": [too_long]}),
              member.post(tags_url(trunk), {"tags": [too_long]}),
              member.put(tags_url(trunk, too_long))):
        assert r.status_code == 400
        assert error_type(r) == "InvalidInput"
    assert current_tags(member, trunk) == []


def test_tag_of_255_characters_is_allowed(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, ["y" * 255])
    assert current_tags(member, trunk) == ["y" * 255]


@pytest.mark.parametrize("body", [
    {"tags": "a"},
    {"tags": {"a": 1}},
    {"tags": [1]},
    {"tags": [None]},
    {"tag": ["a"]},
    {},
    ["a"],
    "a",
    {"tags": ["a"], "extra": 1},
])
def test_malformed_tags_body_is_400_invalid_input(member: Api, trunk: dict[str, Any], body: Any) -> None:
    for r in (member.put(tags_url(trunk), body), member.post(tags_url(trunk), body)):
        assert r.status_code == 400
        assert error_type(r) == "InvalidInput"
        if not isinstance(body, dict) or not isinstance(body.get("tags"), list) or len(body) != 1:
            assert "Invalid tags body" in r.json()["NeutronError"]["message"]
    assert current_tags(member, trunk) == []


def test_missing_tags_body_is_400_invalid_input(member: Api, trunk: dict[str, Any]) -> None:
    r = member.put(tags_url(trunk))
    assert r.status_code == 400
    assert error_type(r) == "InvalidInput"
    assert "Invalid tags body" in r.json()["NeutronError"]["message"]


def test_non_json_tags_body_is_400(member: Api, trunk: dict[str, Any]) -> None:
    r = member.put(tags_url(trunk), raw="{not json")
    assert r.status_code == 400
    assert error_type(r) == "MalformedRequestBody"


def test_tags_in_trunk_create_body_is_400(member: Api) -> None:
    port = member.port()
    r = member.post("/v2.0/trunks", {"trunk": {"port_id": port["id"], "tags": ["a"]}})
    assert r.status_code == 400
    assert error_type(r) == "HTTPBadRequest"
    assert member.get("/v2.0/trunks", params={"port_id": port["id"]}).json()["trunks"] == []


def test_tags_in_trunk_update_body_is_400(member: Api, trunk: dict[str, Any]) -> None:
    r = member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"tags": ["a"]}})
    assert r.status_code == 400
    assert error_type(r) == "HTTPBadRequest"
    assert "Cannot update read-only attribute tags" in r.json()["NeutronError"]["message"]


# -- revision_number ---------------------------------------------------------------------------------
def test_every_real_tag_change_bumps_revision(member: Api, trunk: dict[str, Any]) -> None:
    rev = revision(member, trunk)
    changes = [
        lambda: member.put(tags_url(trunk), {"tags": ["a"]}),
        lambda: member.put(tags_url(trunk, "b")),
        lambda: member.post(tags_url(trunk), {"tags": ["c"]}),
        lambda: member.delete(tags_url(trunk, "a")),
        lambda: member.delete(tags_url(trunk)),
    ]
    for change in changes:
        assert change().status_code in (200, 201, 204)
        new = revision(member, trunk)
        assert new > rev
        rev = new


def test_idempotent_tag_calls_do_not_bump_revision(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, ["a", "b"])
    rev = revision(member, trunk)
    assert member.put(tags_url(trunk), {"tags": ["b", "a"]}).status_code == 200
    assert member.put(tags_url(trunk, "a")).status_code == 201
    assert member.post(tags_url(trunk), {"tags": ["a"]}).status_code == 200
    assert revision(member, trunk) == rev
    assert member.delete(tags_url(trunk)).status_code == 204
    rev = revision(member, trunk)
    assert member.delete(tags_url(trunk)).status_code == 204
    assert revision(member, trunk) == rev


def test_tag_change_honoured_by_if_match_on_update(member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, ["a"])
    r = member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "x"}},
                   headers={"If-Match": f"revision_number={trunk['revision_number']}"})
    assert r.status_code == 412
    assert error_type(r) == "RevisionNumberConstraintFailed"


# -- missing and foreign trunks ----------------------------------------------------------------------
def _every_tag_call(api: Api, trunk_id: str) -> list[Any]:
    base = f"/v2.0/trunks/{trunk_id}/tags"
    return [
        api.get(base),
        api.get(f"{base}/a"),
        api.put(base, {"tags": ["a"]}),
        api.put(f"{base}/a"),
        api.post(base, {"tags": ["a"]}),
        api.delete(base),
        api.delete(f"{base}/a"),
    ]


@pytest.mark.parametrize("trunk_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_tag_calls_on_a_missing_trunk_are_404_trunk_not_found(member: Api, trunk_id: str) -> None:
    for r in _every_tag_call(member, trunk_id):
        assert r.status_code == 404, (r.request.method, r.request.url)
        assert error_type(r) == "TrunkNotFound"


def test_tag_calls_on_another_projects_trunk_are_404(admin: Api, member: Api, trunk: dict[str, Any]) -> None:
    put_tags(member, trunk, ["a"])
    other = admin.as_(f"other-{uuid.uuid4().hex[:8]}")
    for r in _every_tag_call(other, trunk["id"]):
        assert r.status_code == 404, (r.request.method, r.request.url)
        assert error_type(r) == "TrunkNotFound"
    assert current_tags(member, trunk) == ["a"]


def test_admin_can_tag_any_projects_trunk(admin: Api, member: Api, trunk: dict[str, Any]) -> None:
    assert admin.put(tags_url(trunk, "by-admin")).status_code == 201
    assert current_tags(member, trunk) == ["by-admin"]


def test_unknown_collection_tags_is_404(member: Api) -> None:
    r = member.get(f"/v2.0/routers/{uuid.uuid4()}/tags")
    assert r.status_code == 404
    assert error_type(r) == "HTTPNotFound"


# -- networks and ports --------------------------------------------------------------------------------
@pytest.mark.parametrize("collection", ["networks", "ports"])
def test_tags_lifecycle_on_networks_and_ports(member: Api, collection: str) -> None:
    resource = member.network() if collection == "networks" else member.port()
    singular = collection[:-1]
    base = f"/v2.0/{collection}/{resource['id']}"
    r = member.put(f"{base}/tags", {"tags": ["a", "b"]})
    assert r.status_code == 200 and sorted(r.json()["tags"]) == ["a", "b"]
    assert member.put(f"{base}/tags/c").status_code == 201
    assert member.post(f"{base}/tags", {"tags": ["d"]}).json() == {"tags": ["d"]}
    assert member.get(f"{base}/tags/a").status_code == 204
    r = member.get(f"{base}/tags/z")
    assert r.status_code == 404 and error_type(r) == "TagNotFound"
    assert member.delete(f"{base}/tags/a").status_code == 204
    shown = member.get(base).json()[singular]
    assert sorted(shown["tags"]) == ["b", "c", "d"]
    assert shown["revision_number"] == 4
    listed = member.get(f"/v2.0/{collection}", params={"tags": "b,c", "id": resource["id"]})
    assert [i["id"] for i in listed.json()[collection]] == [resource["id"]]
    assert member.delete(f"{base}/tags").status_code == 204
    assert member.get(f"{base}/tags").json() == {"tags": []}


@pytest.mark.parametrize("collection", ["networks", "ports"])
def test_tag_calls_on_missing_network_or_port_are_404(member: Api, collection: str) -> None:
    r = member.get(f"/v2.0/{collection}/{uuid.uuid4()}/tags")
    assert r.status_code == 404
    assert error_type(r) == ("NetworkNotFound" if collection == "networks" else "PortNotFound")


def test_networks_and_ports_accept_tags_on_create(member: Api) -> None:
    net = member.network(tags=["n1", "n2"])
    assert sorted(net["tags"]) == ["n1", "n2"]
    port = member.port(net["id"], tags=["p1"])
    assert port["tags"] == ["p1"]
    assert member.get(f"/v2.0/ports/{port['id']}/tags").json() == {"tags": ["p1"]}
