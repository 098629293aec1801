"""The NeutronError type and text of generic 400s and 405s, as Neutron 29 answers (SPEC.md §1.11; docs/api.md)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import Api, error_type

METHOD_NOT_ALLOWED = (
    "The server could not comply with the request since it is either malformed or otherwise incorrect."
)


def assert_error(r: httpx.Response, status: int, kind: str, message: str) -> None:
    assert r.status_code == status, r.text
    assert error_type(r) == kind
    assert r.json()["NeutronError"]["message"] == message


@pytest.fixture
def trunk(member: Api) -> dict[str, Any]:
    return member.trunk()


def member_urls(member: Api, trunk: dict[str, Any]) -> dict[str, str]:
    port = member.port()
    return {
        "trunk": f"/v2.0/trunks/{trunk['id']}",
        "network": f"/v2.0/networks/{port['network_id']}",
        "port": f"/v2.0/ports/{port['id']}",
    }


# -- bodies ------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["{not json", "{\"trunk\": ", "\xff"])
def test_a_body_that_is_not_json_is_malformed_request_body(member: Api, trunk: dict[str, Any], raw: str) -> None:
    sends = [("POST", "/v2.0/trunks"), ("POST", "/v2.0/networks"), ("POST", "/v2.0/ports"),
             *(("PUT", url) for url in member_urls(member, trunk).values()),
             *(("PUT", f"/v2.0/trunks/{trunk['id']}/{action}")
               for action in ("add_subports", "remove_subports", "tags"))]
    for method, url in sends:
        r = member.request(method, url, raw=raw.encode("latin-1"))
        assert_error(r, 400, "MalformedRequestBody", "Malformed request body: Cannot understand JSON.")
    assert member.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"] == trunk


def test_an_empty_body_on_put_of_a_resource_is_bad_request(member: Api, trunk: dict[str, Any]) -> None:
    for url in member_urls(member, trunk).values():
        assert_error(member.put(url, raw=b""), 400, "BadRequest", "Bad body request: Invalid format: b''.")


def test_an_empty_body_on_post_is_resource_body_required(member: Api) -> None:
    for url in ("/v2.0/trunks", "/v2.0/networks", "/v2.0/ports"):
        assert_error(member.post(url, raw=b""), 400, "HTTPBadRequest", "Resource body required")


# -- values that do not convert: InvalidInput, in bodies and in list filters --------------------
NOT_A_BOOLEAN = "Invalid input for operation: 'maybe' cannot be converted to boolean."


def test_a_non_boolean_in_a_body_is_invalid_input(member: Api, trunk: dict[str, Any]) -> None:
    port = member.port()
    assert_error(member.post("/v2.0/trunks", {"trunk": {"port_id": port["id"], "admin_state_up": "maybe"}}),
                 400, "InvalidInput", NOT_A_BOOLEAN)
    assert_error(member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"admin_state_up": "maybe"}}),
                 400, "InvalidInput", NOT_A_BOOLEAN)
    assert_error(member.post("/v2.0/networks", {"network": {"admin_state_up": "maybe"}}),
                 400, "InvalidInput", NOT_A_BOOLEAN)
    assert_error(member.put(f"/v2.0/ports/{port['id']}", {"port": {"admin_state_up": "maybe"}}),
                 400, "InvalidInput", NOT_A_BOOLEAN)
    assert member.get("/v2.0/trunks", params={"port_id": port["id"]}).json()["trunks"] == []


@pytest.mark.parametrize("collection", ["trunks", "networks", "ports"])
def test_a_non_boolean_list_filter_is_invalid_input(member: Api, collection: str) -> None:
    r = member.get(f"/v2.0/{collection}", params={"admin_state_up": "maybe"})
    assert_error(r, 400, "InvalidInput", NOT_A_BOOLEAN)


def test_booleans_convert_as_neutron_does(member: Api, trunk: dict[str, Any]) -> None:
    for value, expected in (("False", False), ("yes", True), ("0", False), ("on", True), (1, True)):
        r = member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"admin_state_up": value}})
        assert r.status_code == 200 and r.json()["trunk"]["admin_state_up"] is expected, (value, r.text)


def test_a_non_integer_is_invalid_input(admin: Api) -> None:
    r = admin.post("/v2.0/networks", {"network": {"mtu": "big"}})
    assert_error(r, 400, "InvalidInput", "Invalid input for operation: 'big' is not an integer.")


# -- headers and limits ------------------------------------------------------------------------
@pytest.mark.parametrize(("header", "message"), [
    ("revision_number=abc", "Revision number etag must be in the format of revision_number=<int>."),
    ("revision_number=", "Revision number etag must be in the format of revision_number=<int>."),
    ("revision_number=1, revision_number=2", "Multiple revision_number etags are not supported."),
])
def test_a_malformed_if_match_is_bad_request(member: Api, trunk: dict[str, Any], header: str, message: str) -> None:
    url = f"/v2.0/trunks/{trunk['id']}"
    for r in (member.put(url, {"trunk": {"name": "x"}}, headers={"If-Match": header}),
              member.delete(url, headers={"If-Match": header})):
        assert_error(r, 400, "BadRequest", f"Bad if-match request: {message}")
    assert member.get(url).json()["trunk"] == trunk


@pytest.mark.parametrize("collection", ["trunks", "ports", "networks"])
def test_more_than_50_tags_is_bad_request_naming_the_collection(member: Api, collection: str) -> None:
    resource = {"trunks": member.trunk, "ports": member.port, "networks": member.network}[collection]()
    r = member.put(f"/v2.0/{collection}/{resource['id']}/tags", {"tags": [f"t{i}" for i in range(51)]})
    assert_error(r, 400, "BadRequest",
                 f"Bad {collection} request: The number of tags exceed the per-resource limit of 50.")


# -- wrong methods -----------------------------------------------------------------------------
WRONG_METHODS = [
    ("GET", "add_subports"), ("POST", "add_subports"), ("DELETE", "add_subports"),
    ("GET", "remove_subports"), ("POST", "remove_subports"), ("DELETE", "remove_subports"),
    ("PUT", "get_subports"), ("POST", "get_subports"), ("DELETE", "get_subports"),
    ("POST", ""), ("PATCH", ""),
]


@pytest.mark.parametrize(("method", "action"), WRONG_METHODS)
def test_a_wrong_method_on_a_member_or_action_is_405(member: Api, trunk: dict[str, Any], method: str,
                                                     action: str) -> None:
    url = f"/v2.0/trunks/{trunk['id']}" + (f"/{action}" if action else "")
    assert_error(member.request(method, url, {}), 405, "HTTPMethodNotAllowed", METHOD_NOT_ALLOWED)
    assert member.get(f"/v2.0/trunks/{trunk['id']}").json()["trunk"] == trunk


@pytest.mark.parametrize("collection", ["trunks", "networks", "ports"])
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_a_wrong_method_on_a_collection_is_405(member: Api, collection: str, method: str) -> None:
    assert_error(member.request(method, f"/v2.0/{collection}"), 405, "HTTPMethodNotAllowed", METHOD_NOT_ALLOWED)
