"""The basics answer: version document, a trunk round trip."""

from tests.support import Api


def test_versions_document_needs_no_auth(admin: Api) -> None:
    r = admin.as_(None).client.get("/", headers={"X-Project-Id": ""})
    assert r.status_code == 200
    (version,) = r.json()["versions"]
    assert version["id"] == "v2.0" and version["status"] == "CURRENT"
    assert version["links"][0]["href"].endswith("/v2.0/")


def test_trunk_with_subport_shows_in_parent_trunk_details(member: Api) -> None:
    parent, sub = member.port(), member.port()
    trunk = member.trunk(
        parent["id"],
        sub_ports=[{"port_id": sub["id"], "segmentation_type": "vlan", "segmentation_id": 100}],
    )
    details = member.get(f"/v2.0/ports/{parent['id']}").json()["port"]["trunk_details"]
    assert details == {
        "trunk_id": trunk["id"],
        "sub_ports": [{"port_id": sub["id"], "segmentation_type": "vlan", "segmentation_id": 100,
                       "mac_address": sub["mac_address"]}],
    }
