"""List query parameters (SPEC §1.9): sort, pagination and links, filters, fields, their 400s.

The TrunksSearchCriteriaTest cases (SPEC §2.1 items 17-25) run on five trunks named test1, abc1,
test10, 123test and test1 in a fresh project, so nothing else on the shared server shows up.
"""

from __future__ import annotations

import math
import urllib.parse
import uuid
from typing import Any

import httpx
import pytest

from tests.support import Api, error_type

NAMES = ["test1", "abc1", "test10", "123test", "test1"]


def items(r: httpx.Response, collection: str = "trunks") -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    return list(r.json()[collection])


def ids(r: httpx.Response, collection: str = "trunks") -> list[str]:
    return [i["id"] for i in items(r, collection)]


def names(r: httpx.Response, collection: str = "trunks") -> list[str]:
    return [i["name"] for i in items(r, collection)]


def page_links(r: httpx.Response, collection: str = "trunks") -> dict[str, str]:
    found = r.json().get(f"{collection}_links", [])
    by_rel = {link["rel"]: link["href"] for link in found}
    assert len(by_rel) == len(found), found
    return by_rel


def query_of(href: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)


def follow(api: Api, href: str) -> httpx.Response:
    """GET an absolute link exactly as given (asserting it points back at this server)."""
    assert href.startswith(api.url + "/v2.0/"), href
    return api.client.get(href)


@pytest.fixture
def five(member: Api) -> list[dict[str, Any]]:
    """TrunksSearchCriteriaTest's trunks, in a project of their own."""
    return [member.trunk(name=name) for name in NAMES]


def sorted_all(api: Api, direction: str = "asc") -> list[str]:
    """Ids of the whole listing, sorted by name in one request."""
    return ids(api.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": direction}))


# -- sorting -----------------------------------------------------------------------------------
def test_sort_by_name_asc_matches_a_case_insensitive_sort(member: Api, five: list[dict[str, Any]]) -> None:
    got = names(member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": "asc"}))
    assert got == sorted(NAMES, key=str.lower) == ["123test", "abc1", "test1", "test1", "test10"]


def test_sort_by_name_desc_is_the_reverse_order(member: Api, five: list[dict[str, Any]]) -> None:
    got = names(member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": "desc"}))
    assert got == sorted(NAMES, key=str.lower, reverse=True)


def test_sort_on_two_keys_breaks_name_ties_by_the_second(member: Api, five: list[dict[str, Any]]) -> None:
    r = member.get("/v2.0/trunks", params=[("sort_key", "name"), ("sort_dir", "asc"),
                                           ("sort_key", "id"), ("sort_dir", "desc")])
    twins = sorted((t["id"] for t in five if t["name"] == "test1"), reverse=True)
    assert ids(r)[2:4] == twins


def test_sort_by_id_desc_orders_ids(member: Api, five: list[dict[str, Any]]) -> None:
    r = member.get("/v2.0/trunks", params={"sort_key": "id", "sort_dir": "desc"})
    assert ids(r) == sorted((t["id"] for t in five), reverse=True)


# -- pagination ---------------------------------------------------------------------------------
@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5])
def test_limit_returns_exactly_limit_items(member: Api, five: list[dict[str, Any]], limit: int) -> None:
    assert len(items(member.get("/v2.0/trunks", params={"limit": limit}))) == limit


def test_limit_0_returns_everything_without_links(member: Api, five: list[dict[str, Any]]) -> None:
    r = member.get("/v2.0/trunks", params={"limit": 0})
    assert sorted(ids(r)) == sorted(t["id"] for t in five)
    assert "trunks_links" not in r.json()


def test_no_limit_has_no_links(member: Api, five: list[dict[str, Any]]) -> None:
    r = member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": "asc"})
    assert len(items(r)) == 5 and "trunks_links" not in r.json()


def test_paging_with_marker_rebuilds_the_sorted_list(member: Api, five: list[dict[str, Any]]) -> None:
    expected = sorted_all(member)
    got: list[str] = []
    params: dict[str, Any] = {"sort_key": "name", "sort_dir": "asc", "limit": 1}
    for _ in expected:
        page = ids(member.get("/v2.0/trunks", params=params))
        assert len(page) == 1
        got += page
        params["marker"] = page[-1]
    assert got == expected
    assert ids(member.get("/v2.0/trunks", params=params)) == []


@pytest.mark.parametrize("key,direction", [("admin_state_up", "desc"), ("status", "asc"), ("name", "desc")])
def test_paging_on_any_sort_key_with_ties_rebuilds_the_list(
    member: Api, five: list[dict[str, Any]], key: str, direction: str
) -> None:
    r = member.put(f"/v2.0/trunks/{five[2]['id']}", {"trunk": {"admin_state_up": False}})
    assert r.status_code == 200
    expected = ids(member.get("/v2.0/trunks", params={"sort_key": key, "sort_dir": direction}))
    got: list[str] = []
    params: dict[str, Any] = {"sort_key": key, "sort_dir": direction, "limit": 2}
    while True:
        page = ids(member.get("/v2.0/trunks", params=params))
        got += page
        if len(page) < 2:
            break
        params["marker"] = page[-1]
    assert got == expected and len(got) == 5


def test_following_next_links_then_previous_links_walks_both_ways(
    member: Api, five: list[dict[str, Any]]
) -> None:
    expected = sorted_all(member)
    r = member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": "asc", "limit": 1})
    forward: list[str] = []
    for _ in expected:
        page = ids(r)
        assert len(page) == 1
        forward += page
        r = follow(member, page_links(r)["next"])
    assert forward == expected
    # the page after the last item is empty and has no `next`
    assert ids(r) == []
    assert "next" not in page_links(r)
    backward: list[str] = []
    for _ in expected:
        r = follow(member, page_links(r)["previous"])
        page = ids(r)
        assert len(page) == 1
        backward += page
    assert backward == list(reversed(expected))


def test_page_reverse_asc_returns_the_page_before_the_marker_in_order(
    member: Api, five: list[dict[str, Any]]
) -> None:
    first3 = ids(member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": "asc", "limit": 3}))
    r = member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": "asc", "limit": 2,
                                           "marker": first3[-1], "page_reverse": "True"})
    assert ids(r) == first3[:2]


def test_page_reverse_desc_returns_the_page_before_the_marker_in_order(
    member: Api, five: list[dict[str, Any]]
) -> None:
    first3 = ids(member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": "desc", "limit": 3}))
    r = member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": "desc", "limit": 2,
                                           "marker": first3[-1], "page_reverse": "True"})
    assert ids(r) == first3[:2]


def test_page_reverse_without_marker_returns_the_last_items(member: Api, five: list[dict[str, Any]]) -> None:
    expected = sorted_all(member)
    r = member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": "asc", "limit": 2,
                                           "page_reverse": "True"})
    assert ids(r) == expected[-2:]


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_page_reverse_following_previous_links_rebuilds_the_ordering(
    member: Api, five: list[dict[str, Any]], direction: str
) -> None:
    expected = sorted_all(member, direction)
    r = member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": direction, "limit": 2,
                                           "page_reverse": "True"})
    collected: list[str] = []
    for _ in range(math.ceil(len(expected) / 2)):
        page = ids(r)
        assert 1 <= len(page) <= 2
        collected = page + collected
        links = page_links(r)
        if "previous" not in links:
            break
        r = follow(member, links["previous"])
    assert collected == expected
    # the short first page ends the reverse walk: no `previous` link
    assert "previous" not in page_links(r)


def test_unknown_marker_starts_from_the_beginning(member: Api, five: list[dict[str, Any]]) -> None:
    expected = sorted_all(member)
    for marker in (str(uuid.uuid4()), "not-an-id"):
        r = member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": "asc", "limit": 2,
                                               "marker": marker})
        assert ids(r) == expected[:2]


def test_marker_without_limit_is_ignored(member: Api, five: list[dict[str, Any]]) -> None:
    expected = sorted_all(member)
    r = member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": "asc", "marker": expected[2]})
    assert ids(r) == expected


# -- links ------------------------------------------------------------------------------------
def test_links_are_absolute_and_keep_the_query_with_a_new_marker(
    member: Api, five: list[dict[str, Any]]
) -> None:
    r = member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": "asc", "limit": 2,
                                           "name": ["test1", "abc1", "test10"]})
    page = ids(r)
    links = page_links(r)
    assert set(links) == {"next", "previous"}
    for href in links.values():
        assert href.startswith(f"{member.url}/v2.0/trunks?"), href
    nxt, prev = query_of(links["next"]), query_of(links["previous"])
    assert nxt["marker"] == [page[-1]] and "page_reverse" not in nxt
    assert prev["marker"] == [page[0]] and prev["page_reverse"] == ["True"]
    for q in (nxt, prev):
        assert q["sort_key"] == ["name"] and q["sort_dir"] == ["asc"] and q["limit"] == ["2"]
        assert sorted(q["name"]) == ["abc1", "test1", "test10"]


def test_short_forward_page_has_previous_but_no_next(member: Api, five: list[dict[str, Any]]) -> None:
    r = member.get("/v2.0/trunks", params={"limit": 10})
    assert len(items(r)) == 5
    assert set(page_links(r)) == {"previous"}


def test_full_page_has_both_links_even_when_nothing_follows(member: Api, five: list[dict[str, Any]]) -> None:
    r = member.get("/v2.0/trunks", params={"limit": 5})
    assert set(page_links(r)) == {"next", "previous"}
    assert ids(follow(member, page_links(r)["next"])) == []


def test_empty_forward_page_previous_link_has_no_marker(member: Api) -> None:
    r = member.get("/v2.0/trunks", params={"limit": 3})
    assert items(r) == []
    links = page_links(r)
    assert set(links) == {"previous"}
    q = query_of(links["previous"])
    assert "marker" not in q and q["page_reverse"] == ["True"]


def test_links_honour_x_forwarded_proto(member: Api, five: list[dict[str, Any]]) -> None:
    r = member.get("/v2.0/trunks", params={"limit": 1}, headers={"X-Forwarded-Proto": "https"})
    for href in page_links(r).values():
        assert href.startswith("https://"), href


# -- filters ----------------------------------------------------------------------------------
def test_filter_by_name_returns_only_matches(member: Api, five: list[dict[str, Any]]) -> None:
    r = member.get("/v2.0/trunks", params={"name": "test1"})
    assert sorted(ids(r)) == sorted(t["id"] for t in five if t["name"] == "test1")
    assert names(r) == ["test1", "test1"]


def test_repeated_filter_key_ors_the_values(member: Api, five: list[dict[str, Any]]) -> None:
    r = member.get("/v2.0/trunks", params=[("name", "abc1"), ("name", "123test")])
    assert sorted(names(r)) == ["123test", "abc1"]
    r = member.get("/v2.0/trunks", params=[("id", five[0]["id"]), ("id", five[2]["id"])])
    assert sorted(ids(r)) == sorted([five[0]["id"], five[2]["id"]])


def test_filter_by_unknown_value_returns_empty_list(member: Api, five: list[dict[str, Any]]) -> None:
    assert items(member.get("/v2.0/trunks", params={"name": "nope"})) == []
    assert items(member.get("/v2.0/trunks", params={"id": str(uuid.uuid4())})) == []


def test_empty_filter_value_is_dropped(member: Api, five: list[dict[str, Any]]) -> None:
    assert len(items(member.get("/v2.0/trunks", params={"name": ""}))) == 5


def test_filter_by_status(member: Api, five: list[dict[str, Any]]) -> None:
    assert len(items(member.get("/v2.0/trunks", params={"status": "DOWN"}))) == 5
    assert items(member.get("/v2.0/trunks", params={"status": "ACTIVE"})) == []


@pytest.mark.parametrize("true_value", ["true", "True", "1"])
def test_filter_by_admin_state_up_converts_booleans(
    member: Api, five: list[dict[str, Any]], true_value: str
) -> None:
    disabled = five[1]["id"]
    r = member.put(f"/v2.0/trunks/{disabled}", {"trunk": {"admin_state_up": False}})
    assert r.status_code == 200, r.text
    enabled = sorted(t["id"] for t in five if t["id"] != disabled)
    assert sorted(ids(member.get("/v2.0/trunks", params={"admin_state_up": true_value}))) == enabled
    assert ids(member.get("/v2.0/trunks", params={"admin_state_up": "false"})) == [disabled]
    assert ids(member.get("/v2.0/trunks", params={"admin_state_up": "False"})) == [disabled]


def test_filter_by_admin_state_up_rejects_non_booleans(member: Api) -> None:
    r = member.get("/v2.0/trunks", params={"admin_state_up": "maybe"})
    assert r.status_code == 400
    assert error_type(r) == "InvalidInput"  # Neutron's convert_to_boolean
    assert r.json()["NeutronError"]["message"] == "Invalid input for operation: 'maybe' cannot be converted to boolean."


def test_filter_by_port_id(member: Api, five: list[dict[str, Any]]) -> None:
    r = member.get("/v2.0/trunks", params={"port_id": five[3]["port_id"]})
    assert ids(r) == [five[3]["id"]]


def test_filter_by_description(member: Api) -> None:
    wanted = member.trunk(description="the one")
    member.trunk(description="another")
    assert ids(member.get("/v2.0/trunks", params={"description": "the one"})) == [wanted["id"]]


def test_filter_by_project_id_and_tenant_id(admin: Api, member: Api, five: list[dict[str, Any]]) -> None:
    mine = sorted(t["id"] for t in five)
    assert sorted(ids(admin.get("/v2.0/trunks", params={"project_id": member.project}))) == mine
    assert sorted(ids(admin.get("/v2.0/trunks", params={"tenant_id": member.project}))) == mine
    assert items(admin.get("/v2.0/trunks", params={"project_id": f"nobody-{uuid.uuid4().hex}"})) == []


def test_filter_by_revision_number(member: Api, five: list[dict[str, Any]]) -> None:
    changed = five[4]["id"]
    r = member.put(f"/v2.0/trunks/{changed}", {"trunk": {"name": "renamed"}})
    assert r.status_code == 200 and r.json()["trunk"]["revision_number"] == 1
    assert ids(member.get("/v2.0/trunks", params={"revision_number": 1})) == [changed]
    assert len(items(member.get("/v2.0/trunks", params={"revision_number": 0}))) == 4


def test_filter_by_non_integer_revision_number_is_400(member: Api) -> None:
    r = member.get("/v2.0/trunks", params={"revision_number": "x"})
    assert r.status_code == 400
    assert error_type(r) == "InvalidInput"  # an integer filter converts as convert_to_int does
    assert r.json()["NeutronError"]["message"] == "Invalid input for operation: 'x' is not an integer."


@pytest.fixture
def tagged(member: Api, five: list[dict[str, Any]]) -> dict[str, str]:
    """Tags red+blue, red, blue, none, green on the five trunks; returns label -> id."""
    labels = ["red+blue", "red", "blue", "none", "green"]
    tag_sets = [["red", "blue"], ["red"], ["blue"], [], ["green"]]
    for trunk, tags in zip(five, tag_sets, strict=True):
        r = member.put(f"/v2.0/trunks/{trunk['id']}/tags", {"tags": tags})
        assert r.status_code == 200, r.text
    return {label: t["id"] for label, t in zip(labels, five, strict=True)}


def _labels(member: Api, tagged: dict[str, str], params: Any) -> set[str]:
    by_id = {v: k for k, v in tagged.items()}
    return {by_id[i] for i in ids(member.get("/v2.0/trunks", params=params))}


@pytest.mark.parametrize("params", [{"tags": "red,blue"}, [("tags", "red"), ("tags", "blue")]])
def test_tags_filter_needs_all_tags(member: Api, tagged: dict[str, str], params: Any) -> None:
    assert _labels(member, tagged, params) == {"red+blue"}


@pytest.mark.parametrize("params", [{"tags-any": "red,green"}, [("tags-any", "red"), ("tags-any", "green")]])
def test_tags_any_filter_needs_one_tag(member: Api, tagged: dict[str, str], params: Any) -> None:
    assert _labels(member, tagged, params) == {"red+blue", "red", "green"}


@pytest.mark.parametrize("params", [{"not-tags": "red,blue"}, [("not-tags", "red"), ("not-tags", "blue")]])
def test_not_tags_filter_excludes_those_with_all_tags(member: Api, tagged: dict[str, str], params: Any) -> None:
    assert _labels(member, tagged, params) == {"red", "blue", "none", "green"}


@pytest.mark.parametrize("params", [{"not-tags-any": "red,blue"},
                                    [("not-tags-any", "red"), ("not-tags-any", "blue")]])
def test_not_tags_any_filter_excludes_those_with_any_tag(
    member: Api, tagged: dict[str, str], params: Any
) -> None:
    assert _labels(member, tagged, params) == {"none", "green"}


def test_tag_filters_combine_with_each_other_and_attributes(member: Api, tagged: dict[str, str]) -> None:
    assert _labels(member, tagged, {"tags-any": "red,blue", "not-tags": "blue"}) == {"red"}
    assert _labels(member, tagged, {"tags": "red", "name": "abc1"}) == {"red"}


# -- fields -----------------------------------------------------------------------------------
def test_fields_returns_only_those_keys(member: Api, five: list[dict[str, Any]]) -> None:
    r = member.get("/v2.0/trunks", params=[("fields", "id"), ("fields", "name")])
    assert all(set(t) == {"id", "name"} for t in items(r))
    assert sorted(ids(r)) == sorted(t["id"] for t in five)


def test_fields_ignores_unknown_names(member: Api, five: list[dict[str, Any]]) -> None:
    r = member.get("/v2.0/trunks", params=[("fields", "name"), ("fields", "bogus")])
    assert sorted(t["name"] for t in items(r)) == sorted(NAMES)
    assert all(set(t) == {"name"} for t in items(r))


def test_fields_on_show(member: Api, five: list[dict[str, Any]]) -> None:
    r = member.get(f"/v2.0/trunks/{five[0]['id']}", params=[("fields", "status"), ("fields", "sub_ports")])
    assert r.status_code == 200
    assert r.json() == {"trunk": {"status": "DOWN", "sub_ports": []}}


def test_fields_with_pagination_still_links_by_id(member: Api, five: list[dict[str, Any]]) -> None:
    expected = sorted_all(member)
    r = member.get("/v2.0/trunks", params={"fields": "name", "sort_key": "name", "sort_dir": "asc", "limit": 2})
    assert [set(t) for t in items(r)] == [{"name"}, {"name"}]
    assert query_of(page_links(r)["next"])["marker"] == [expected[1]]


# -- query errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["bogus", "sub_ports", "created_at", "updated_at", "tags_any", "segmentation_id"])
def test_unknown_or_unfilterable_key_is_400(member: Api, key: str) -> None:
    r = member.get("/v2.0/trunks", params={key: "x"})
    assert r.status_code == 400
    assert error_type(r) == "HTTPBadRequest"
    assert r.json()["NeutronError"]["message"] == f"['{key}'] is invalid attribute for filtering"


def test_sort_key_without_matching_sort_dir_count_is_400(member: Api) -> None:
    for params in ({"sort_key": "name"}, {"sort_dir": "asc"},
                   [("sort_key", "name"), ("sort_key", "id"), ("sort_dir", "asc")]):
        r = member.get("/v2.0/trunks", params=params)
        assert r.status_code == 400, params
        assert error_type(r) == "HTTPBadRequest"
        assert r.json()["NeutronError"]["message"] == "The number of sort_keys and sort_dirs must be same"


def test_invalid_sort_dir_is_400(member: Api) -> None:
    r = member.get("/v2.0/trunks", params={"sort_key": "name", "sort_dir": "up"})
    assert r.status_code == 400
    assert error_type(r) == "HTTPBadRequest"
    assert "is invalid value for sort_dirs" in r.json()["NeutronError"]["message"]


@pytest.mark.parametrize("key", ["created_at", "description", "revision_number", "sub_ports", "bogus"])
def test_non_sortable_sort_key_is_400(member: Api, key: str) -> None:
    r = member.get("/v2.0/trunks", params={"sort_key": key, "sort_dir": "asc"})
    assert r.status_code == 400
    assert error_type(r) == "HTTPBadRequest"
    assert r.json()["NeutronError"]["message"] == f"['{key}'] is invalid attribute for sort_keys"


@pytest.mark.parametrize("key", ["id", "name", "admin_state_up", "port_id", "status", "project_id", "tenant_id"])
def test_every_documented_sort_key_is_accepted(member: Api, five: list[dict[str, Any]], key: str) -> None:
    assert len(items(member.get("/v2.0/trunks", params={"sort_key": key, "sort_dir": "desc"}))) == 5


@pytest.mark.parametrize("limit", ["-1", "x", "1.5"])
def test_invalid_limit_is_400(member: Api, limit: str) -> None:
    r = member.get("/v2.0/trunks", params={"limit": limit})
    assert r.status_code == 400
    assert error_type(r) == "BadRequest"
    assert f"Limit must be an integer 0 or greater and not '{limit}'" in r.json()["NeutronError"]["message"]


# -- networks and ports share the list machinery ----------------------------------------------
def test_networks_filter_sort_and_page_with_networks_links(member: Api) -> None:
    made = {name: member.network(name=name)["id"] for name in ("n-b", "n-a", "n-c")}
    mine = {"project_id": member.project}
    r = member.get("/v2.0/networks", params={**mine, "name": "n-a"})
    assert ids(r, "networks") == [made["n-a"]]
    r = member.get("/v2.0/networks", params={**mine, "sort_key": "name", "sort_dir": "desc"})
    assert names(r, "networks") == ["n-c", "n-b", "n-a"]
    r = member.get("/v2.0/networks", params={**mine, "sort_key": "name", "sort_dir": "asc", "limit": 2})
    assert names(r, "networks") == ["n-a", "n-b"]
    links = page_links(r, "networks")
    assert set(links) == {"next", "previous"}
    assert links["next"].startswith(f"{member.url}/v2.0/networks?")
    r = follow(member, links["next"])
    assert names(r, "networks") == ["n-c"]
    assert set(page_links(r, "networks")) == {"previous"}


def test_networks_page_on_a_boolean_sort_key(member: Api) -> None:
    made = sorted(member.network()["id"] for _ in range(3))
    params: dict[str, Any] = {"project_id": member.project, "sort_key": "shared", "sort_dir": "asc", "limit": 1}
    got: list[str] = []
    for _ in made:
        page = ids(member.get("/v2.0/networks", params=params), "networks")
        got += page
        params["marker"] = page[-1]
    assert got == made


def test_networks_reject_unknown_filter_and_honour_fields(member: Api) -> None:
    r = member.get("/v2.0/networks", params={"bogus": "1"})
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    net = member.network()
    r = member.get("/v2.0/networks", params=[("id", net["id"]), ("fields", "id"), ("fields", "mtu")])
    assert items(r, "networks") == [{"id": net["id"], "mtu": 1450}]  # ML2: VXLAN 1500 - 50


def test_ports_filter_sort_and_page_with_ports_links(member: Api) -> None:
    net = member.network()
    made = [member.port(net["id"], name=f"p{i}", device_owner="compute:nova" if i % 2 else "")
            for i in range(3)]
    on_net = {"network_id": net["id"]}
    r = member.get("/v2.0/ports", params={**on_net, "device_owner": "compute:nova"})
    assert ids(r, "ports") == [made[1]["id"]]
    r = member.get("/v2.0/ports", params={**on_net, "sort_key": "name", "sort_dir": "desc"})
    assert names(r, "ports") == ["p2", "p1", "p0"]
    r = member.get("/v2.0/ports", params={**on_net, "sort_key": "name", "sort_dir": "asc", "limit": 1})
    walked = names(r, "ports")
    while "next" in page_links(r, "ports"):
        href = page_links(r, "ports")["next"]
        assert href.startswith(f"{member.url}/v2.0/ports?")
        r = follow(member, href)
        walked += names(r, "ports")
    assert walked == ["p0", "p1", "p2"]


def test_ports_reject_unknown_filter_and_bad_limit(member: Api) -> None:
    r = member.get("/v2.0/ports", params={"trunk_details": "x"})
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    r = member.get("/v2.0/ports", params={"limit": "x"})
    assert r.status_code == 400
    assert "Limit must be an integer 0 or greater and not 'x'" in r.json()["NeutronError"]["message"]
