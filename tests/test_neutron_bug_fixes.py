"""Where trunkd deliberately differs from Neutron 29: one test per SPEC §1.14 "Fix" bullet and per
"Observed on a live Neutron 29" bullet. Each docstring names the Neutron behaviour it guards against."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
import pytest

from tests.support import Api, Server, error_type, force_status


def vlan(port_id: str, segmentation_id: Any) -> dict[str, Any]:
    return {"port_id": port_id, "segmentation_type": "vlan", "segmentation_id": segmentation_id}


def show(api: Api, trunk_id: str) -> dict[str, Any]:
    r = api.get(f"/v2.0/trunks/{trunk_id}")
    assert r.status_code == 200, r.text
    return r.json()["trunk"]


def trunk_count(api: Api) -> int:
    r = api.get("/v2.0/trunks")
    assert r.status_code == 200, r.text
    return len(r.json()["trunks"])


def inherit_port(admin: Api) -> dict[str, Any]:
    """A port on a VLAN provider network whose VLAN is allocated from physnet1's range (1000-2999)."""
    net = admin.network(**{"provider:network_type": "vlan", "provider:physical_network": "physnet1"})
    return admin.port(net["id"])



def all_at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Fire the calls from parallel threads released together; responses in call order."""
    barrier = threading.Barrier(len(calls))
    results: list[httpx.Response | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


# == SPEC §1.14 Fix: 500 on a missing sub_ports body (plus the live observations) ================
@pytest.mark.parametrize(("label", "raw"), [
    ("empty object", b"{}"),
    ("no body", b""),
    ("JSON list", b'[{"port_id": "x"}]'),
    ("JSON null", b"null"),
    ("wrong key", b'{"subports": []}'),
])
def test_add_subports_without_a_sub_ports_object_is_400_not_500(member: Api, label: str, raw: bytes) -> None:
    """Neutron 29 answers 500 to add_subports with {}, no body or a JSON list (bug: missing
    sub_ports body); trunkd answers 400 InvalidInput."""
    trunk = member.trunk()
    r = member.put(f"/v2.0/trunks/{trunk['id']}/add_subports", raw=raw)
    assert r.status_code == 400, (label, r.text)
    assert error_type(r) == "InvalidInput"
    assert "sub_ports" in r.json()["NeutronError"]["message"]
    assert show(member, trunk["id"]) == trunk


@pytest.mark.parametrize("raw", [b"{}", b"", b"[]"], ids=["empty object", "no body", "JSON list"])
def test_remove_subports_without_a_sub_ports_object_is_400_not_500(member: Api, raw: bytes) -> None:
    """Neutron 29 answers 500 to remove_subports with {}; trunkd answers 400 InvalidInput."""
    sub = member.port()
    trunk = member.trunk(sub_ports=[vlan(sub["id"], 2)])
    r = member.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", raw=raw)
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert show(member, trunk["id"]) == trunk


def test_add_subports_with_a_malformed_json_body_is_400(member: Api) -> None:
    """Not valid JSON at all: 400, never a 500."""
    r = member.put(f"/v2.0/trunks/{member.trunk()['id']}/add_subports", raw=b'{"sub_ports": [')
    assert r.status_code == 400
    error_type(r)


# == SPEC §1.14 Fix: the validator's early return on inherit =====================================
def test_create_checks_items_after_an_inherit_entry_for_a_non_uuid_port_id(admin: Api) -> None:
    """Neutron's sub_ports validator returns at the first inherit item, so a later non-uuid port_id
    reaches the plugin (404 live); trunkd validates every item: 400 HTTPBadRequest."""
    r = admin.post("/v2.0/trunks", {"trunk": {"port_id": admin.port()["id"], "sub_ports": [
        {"port_id": inherit_port(admin)["id"], "segmentation_type": "inherit"},
        vlan("not-a-uuid", 5),
    ]}})
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert "not-a-uuid" in r.json()["NeutronError"]["message"]


def test_add_checks_items_after_an_inherit_entry_for_a_non_uuid_port_id(admin: Api) -> None:
    """Observed on Neutron 29: after an inherit item a later non-uuid port_id gives 404 instead of
    400. trunkd: 400 InvalidInput, and nothing is added."""
    trunk = admin.trunk()
    r = admin.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [
        {"port_id": inherit_port(admin)["id"], "segmentation_type": "inherit"},
        vlan("not-a-uuid", 5),
    ]})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert show(admin, trunk["id"])["sub_ports"] == []


def test_create_checks_items_after_an_inherit_entry_for_duplicate_segmentation(admin: Api) -> None:
    """Neutron's early return on inherit skips the uniqueness check of the later items;
    trunkd rejects a duplicate vlan after an inherit entry with 400 before any port lookup."""
    r = admin.post("/v2.0/trunks", {"trunk": {"port_id": str(uuid.uuid4()), "sub_ports": [
        {"port_id": str(uuid.uuid4()), "segmentation_type": "inherit"},
        vlan(str(uuid.uuid4()), 7),
        vlan(str(uuid.uuid4()), 7),
    ]}})
    assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert "not unique" in r.json()["NeutronError"]["message"]


# == SPEC §1.14 Fix: the DOWN flip on an empty add or remove =====================================
@pytest.mark.parametrize("action", ["add_subports", "remove_subports"])
def test_empty_add_or_remove_does_not_flip_status_to_down(server: Server, member: Api, action: str) -> None:
    """Neutron forces DOWN on add/remove of an empty list (and fires no driver event, so the trunk
    stays DOWN). trunkd changes nothing: status, revision_number and updated_at stay."""
    trunk = member.trunk(sub_ports=[vlan(member.port()["id"], 2)])
    force_status(server, trunk["id"], "ACTIVE")
    before = show(member, trunk["id"])
    assert before["status"] == "ACTIVE"
    time.sleep(1.1)  # whole-second timestamps: any write now would move updated_at
    r = member.put(f"/v2.0/trunks/{trunk['id']}/{action}", {"sub_ports": []})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ACTIVE"
    assert show(member, trunk["id"]) == before


# == SPEC §1.14 Fix: the parent-vs-trunk id in the MTU message ===================================
def test_mtu_error_names_the_trunk_id_not_the_parent_port_id(member: Api) -> None:
    """Neutron's SubPortMtuGreaterThanTrunkPortMtu passes the parent port id as `trunk_id`;
    trunkd's message names the trunk."""
    parent = member.port(member.network(mtu=1400)["id"])
    sub = member.port(member.network()["id"])  # tenant VXLAN: 1450
    trunk = member.trunk(parent["id"])
    r = member.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [vlan(sub["id"], 2)]})
    assert r.status_code == 409 and error_type(r) == "SubPortMtuGreaterThanTrunkPortMtu"
    text = r.json()["NeutronError"]["message"]
    assert f"trunk {trunk['id']}" in text
    assert parent["id"] not in text


# == SPEC §1.14 Fix: revision not bumped on membership change ====================================
def test_membership_change_bumps_revision_even_when_already_down(member: Api) -> None:
    """Live Neutron 29: add/remove on a trunk that is already DOWN moves updated_at but leaves
    revision_number at 0 (subport rows are not standard attributes). trunkd bumps it each time,
    so If-Match sees membership changes."""
    sub = member.port()
    trunk = member.trunk()
    assert trunk["status"] == "DOWN" and trunk["revision_number"] == 0
    r = member.put(f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [vlan(sub["id"], 2)]})
    assert r.status_code == 200 and r.json()["revision_number"] == 1
    r = member.put(f"/v2.0/trunks/{trunk['id']}", {"trunk": {"name": "stale"}},
                   headers={"If-Match": "revision_number=0"})
    assert r.status_code == 412 and error_type(r) == "RevisionNumberConstraintFailed"
    r = member.put(f"/v2.0/trunks/{trunk['id']}/remove_subports", {"sub_ports": [{"port_id": sub["id"]}]})
    assert r.status_code == 200 and r.json()["revision_number"] == 2


# == SPEC §1.14 Fix: races between validation and insert; parent and subport at once =============
def test_a_trunk_parent_cannot_become_a_subport_of_another_trunk(member: Api) -> None:
    """Neutron enforces "never both parent and subport" in the plugin only; trunkd also has a
    constraint. Adding trunk A's parent to trunk B is 409 ParentPortInUse."""
    a, b = member.trunk(), member.trunk()
    r = member.put(f"/v2.0/trunks/{b['id']}/add_subports", {"sub_ports": [vlan(a["port_id"], 2)]})
    assert r.status_code == 409 and error_type(r) == "ParentPortInUse"
    assert show(member, b["id"])["sub_ports"] == []


def test_a_subport_cannot_become_the_parent_of_a_new_trunk(member: Api) -> None:
    """The other direction: a port that is a subport is refused as a parent, 409 TrunkPortInUse."""
    sub = member.port()
    member.trunk(sub_ports=[vlan(sub["id"], 2)])
    before = trunk_count(member)
    r = member.post("/v2.0/trunks", {"trunk": {"port_id": sub["id"]}})
    assert r.status_code == 409 and error_type(r) == "TrunkPortInUse"
    assert trunk_count(member) == before


def test_concurrent_creates_on_one_parent_make_exactly_one_trunk(member: Api) -> None:
    """Neutron's validator admits a check/insert race; trunkd: exactly one 201, the rest 409."""
    parent = member.port()
    results = all_at_once([
        lambda: member.post("/v2.0/trunks", {"trunk": {"port_id": parent["id"]}}) for _ in range(6)
    ])
    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [409] * 5, [r.text for r in results]
    assert {error_type(r) for r in results if r.status_code == 409} == {"ParentPortInUse"}
    assert len(member.get("/v2.0/trunks", params={"port_id": parent["id"]}).json()["trunks"]) == 1


def test_concurrent_adds_of_one_port_to_different_trunks_make_one_subport(member: Api) -> None:
    """One port raced onto several trunks at once: one wins, the others get 409 TrunkPortInUse."""
    sub = member.port()
    trunks = [member.trunk() for _ in range(5)]
    results = all_at_once([
        partial(member.put, f"/v2.0/trunks/{t['id']}/add_subports", {"sub_ports": [vlan(sub["id"], 2)]})
        for t in trunks
    ])
    assert sorted(r.status_code for r in results) == [200] + [409] * 4, [r.text for r in results]
    assert {error_type(r) for r in results if r.status_code == 409} == {"TrunkPortInUse"}
    holders = [t["id"] for t in trunks if show(member, t["id"])["sub_ports"]]
    assert len(holders) == 1


def race_parent_against_subport(member: Api, port_id: str, other_trunk_id: str) -> None:
    created, added = all_at_once([
        lambda: member.post("/v2.0/trunks", {"trunk": {"port_id": port_id}}),
        lambda: member.put(f"/v2.0/trunks/{other_trunk_id}/add_subports",
                           {"sub_ports": [vlan(port_id, 2)]}),
    ])
    assert created.status_code in (201, 409) and added.status_code in (200, 409), (created.text, added.text)
    assert (created.status_code == 201) != (added.status_code == 200), (created.text, added.text)
    if created.status_code == 409:
        assert error_type(created) == "TrunkPortInUse"
    else:
        assert error_type(added) == "ParentPortInUse"


def test_concurrent_parent_and_subport_claims_on_one_port_never_both_win(member: Api) -> None:
    """A new trunk on port P racing with adding P as a subport elsewhere: P ends up in one role."""
    for _ in range(3):
        race_parent_against_subport(member, member.port()["id"], member.trunk()["id"])


def test_concurrent_adds_of_one_vlan_to_one_trunk_keep_it_unique(member: Api) -> None:
    """Different ports with the same VLAN raced onto one trunk: one 200, the others 409
    DuplicateSubPort (the unique constraint is the last word, never a 500)."""
    trunk = member.trunk()
    ports = [member.port() for _ in range(5)]
    results = all_at_once([
        partial(member.put, f"/v2.0/trunks/{trunk['id']}/add_subports", {"sub_ports": [vlan(p["id"], 42)]})
        for p in ports
    ])
    assert sorted(r.status_code for r in results) == [200] + [409] * 4, [r.text for r in results]
    assert {error_type(r) for r in results if r.status_code == 409} == {"DuplicateSubPort"}
    assert len(show(member, trunk["id"])["sub_ports"]) == 1


# == Observed on Neutron 29: tags calls on a nonexistent or foreign trunk ========================
TAG_CALLS = [
    ("GET", "tags", None),
    ("GET", "tags/red", None),
    ("PUT", "tags", {"tags": ["red"]}),
    ("PUT", "tags/red", None),
    ("POST", "tags", {"tags": ["red"]}),
    ("DELETE", "tags", None),
    ("DELETE", "tags/red", None),
]


@pytest.mark.parametrize(("method", "path", "body"), TAG_CALLS)
def test_tags_on_a_nonexistent_trunk_are_404_trunk_not_found(
    member: Api, method: str, path: str, body: Any
) -> None:
    """Neutron 29 answers 500 to tags calls on a trunk that does not exist; trunkd 404 TrunkNotFound."""
    missing = str(uuid.uuid4())
    r = member.request(method, f"/v2.0/trunks/{missing}/{path}", body)
    assert r.status_code == 404 and error_type(r) == "TrunkNotFound"
    assert missing in r.json()["NeutronError"]["message"]


@pytest.mark.parametrize(("method", "path", "body"), TAG_CALLS)
def test_tags_on_another_projects_trunk_are_404_like_the_trunk_itself(
    admin: Api, member: Api, method: str, path: str, body: Any
) -> None:
    """Neutron 29 answers 403 for tags on another project's trunk while the trunk itself is 404
    (an existence leak); trunkd answers 404 TrunkNotFound for both and changes nothing."""
    theirs = admin.trunk()
    assert admin.put(f"/v2.0/trunks/{theirs['id']}/tags/blue").status_code == 201
    r = member.request(method, f"/v2.0/trunks/{theirs['id']}/{path}", body)
    assert r.status_code == 404 and error_type(r) == "TrunkNotFound"
    assert admin.get(f"/v2.0/trunks/{theirs['id']}/tags").json() == {"tags": ["blue"]}


# == Observed on Neutron 29: segmentation_id [5] (500), 5.5 (stored as 5), true (stored as 1) ====
@pytest.mark.parametrize("segmentation_id", [[5], 5.5, True, False, "5.5"], ids=repr)
def test_non_integer_segmentation_id_on_add_is_400_not_500_or_truncated(
    member: Api, segmentation_id: Any
) -> None:
    """Neutron 29: [5] gives 500, 5.5 is stored as 5 and true as 1. trunkd: 400 InvalidInput."""
    trunk = member.trunk()
    r = member.put(f"/v2.0/trunks/{trunk['id']}/add_subports",
                   {"sub_ports": [vlan(member.port()["id"], segmentation_id)]})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    assert show(member, trunk["id"])["sub_ports"] == []


@pytest.mark.parametrize("segmentation_id", [[5], 5.5, True], ids=repr)
def test_non_integer_segmentation_id_on_create_is_400_not_500_or_truncated(
    member: Api, segmentation_id: Any
) -> None:
    """The same on create: no 500, no silent truncation, no trunk made."""
    r = member.post("/v2.0/trunks", {"trunk": {"port_id": member.port()["id"],
                                               "sub_ports": [vlan(member.port()["id"], segmentation_id)]}})
    assert r.status_code == 400
    assert error_type(r) in {"InvalidInput", "HTTPBadRequest"}
    assert trunk_count(member) == 0


# == Observed on Neutron 29: another project's project_id on create (kept: 400) ==================
def test_member_creating_a_trunk_for_another_project_is_400(member: Api) -> None:
    """Neutron 29 answers 400 when a non-admin names another project on create; trunkd keeps it."""
    for key in ("project_id", "tenant_id"):
        r = member.post("/v2.0/trunks", {"trunk": {"port_id": member.port()["id"], key: "someone-else"}})
        assert r.status_code == 400 and error_type(r) == "HTTPBadRequest"
    assert trunk_count(member) == 0


def test_admin_may_create_a_trunk_for_another_project(admin: Api, project: str) -> None:
    """The counterpart: admin naming a project creates the trunk there."""
    parent = admin.port(admin.network(project_id=project)["id"], project_id=project)
    trunk = admin.trunk(parent["id"], project_id=project)
    assert trunk["project_id"] == trunk["tenant_id"] == project


# == Observed on Neutron 29: unknown extension alias is a 404 without a NeutronError body ========
def test_unknown_extension_alias_is_404_with_a_neutron_error_body(member: Api) -> None:
    """Neutron 29's 404 for an unknown alias is not a NeutronError; trunkd's is."""
    r = member.get("/v2.0/extensions/no-such-extension")
    assert r.status_code == 404
    assert error_type(r) == "HTTPNotFound"
    assert member.get("/v2.0/extensions/trunk").json()["extension"]["alias"] == "trunk"
