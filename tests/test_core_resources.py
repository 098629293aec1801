"""Networks, ports and the API root: the minimal core a trunk service needs (SPEC §1.1, §1.8, §1.10)."""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

import httpx
import pytest

from tests.support import Api, error_type, fresh_vlan

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
GENERATED_MAC = re.compile(r"^fa:16:3e(:[0-9a-f]{2}){3}$")
EXTENSIONS = {
    "trunk", "trunk-details", "binding", "provider", "net-mtu", "project-id", "pagination", "sorting",
    "fields", "filter-validation", "standard-attr-description", "standard-attr-revisions",
    "standard-attr-timestamp", "standard-attr-tag", "tag-creation", "revision-if-match",
    "port-security", "allowed-address-pairs", "net-mtu-writable", "external-net", "extra_dhcp_opt",
    "subnet-service-types", "tag-ports-during-bulk-creation",
    # security groups (issue 25)
    "security-group", "stateful-security-group", "security-groups-normalized-cidr", "port-security-groups-filtering",
    "security-groups-rules-belongs-to-default-sg", "quotas",
    # beyond Neutron (issue 13), always on; allocation and guard rails are listed when enabled
    "subport-desired-state", "dry-run", "port-delete-cascade", "subport-status", "metrics", "operator-ui",
}


def vlan_net(admin: Api, phys: str, seg_id: Any) -> httpx.Response:
    return admin.post("/v2.0/networks", {"network": {
        "provider:network_type": "vlan", "provider:physical_network": phys, "provider:segmentation_id": seg_id}})


def assert_bad_request(r: httpx.Response, kind: str = "HTTPBadRequest", text: str | None = None) -> None:
    assert r.status_code == 400, r.text
    assert error_type(r) == kind
    if text is not None:
        assert text in r.json()["NeutronError"]["message"], r.json()


def mac(last: int) -> str:
    return f"fa:16:3e:{random.randrange(256):02x}:{random.randrange(256):02x}:{last:02x}"


# -- root and discovery --------------------------------------------------------------------------
def test_resources_document_lists_the_four_core_resources(admin: Api) -> None:
    r = admin.get("/v2.0/")
    assert r.status_code == 200
    assert r.json() == {"resources": [
        {"name": name, "collection": f"{name}s", "links": [{"rel": "self", "href": f"{admin.url}/v2.0/{name}s"}]}
        for name in ("network", "subnet", "subnetpool", "port")
    ]}


def test_v2_without_trailing_slash_is_404(admin: Api) -> None:
    r = admin.client.get("/v2.0", follow_redirects=False)
    assert r.status_code == 404
    assert error_type(r) == "HTTPNotFound"


def test_versions_document_answers_only_get(admin: Api) -> None:
    for method in ("POST", "PUT", "DELETE"):
        r = admin.client.request(method, "/")
        assert r.status_code == 405, method
        assert error_type(r) == "HTTPMethodNotAllowed"


def test_extensions_list_exactly_what_trunkd_implements(admin: Api) -> None:
    r = admin.get("/v2.0/extensions")
    assert r.status_code == 200
    found = r.json()["extensions"]
    aliases = [e["alias"] for e in found]
    assert sorted(aliases) == sorted(EXTENSIONS) and len(aliases) == len(set(aliases))
    for ext in found:
        assert set(ext) == {"name", "alias", "description", "updated", "links"}
        assert ext["links"] == [] and ext["name"] and ext["description"]


def test_extensions_list_needs_no_policy(member: Api, project: str) -> None:
    r = member.as_(project, "").get("/v2.0/extensions")
    assert r.status_code == 200 and len(r.json()["extensions"]) == len(EXTENSIONS)


def test_show_trunk_extension(admin: Api) -> None:
    r = admin.get("/v2.0/extensions/trunk")
    assert r.status_code == 200
    assert r.json() == {"extension": {
        "name": "Trunk Extension", "alias": "trunk", "description": "Provides support for trunk ports",
        "updated": "2016-01-01T10:00:00-00:00", "links": []}}
    details = admin.get("/v2.0/extensions/trunk-details").json()["extension"]
    assert details["name"] == "Trunk port details" and details["description"] == "Expose trunk port details"


def test_unknown_extension_alias_is_404_neutron_error(admin: Api) -> None:
    r = admin.get("/v2.0/extensions/no-such-thing")
    assert r.status_code == 404
    assert error_type(r) == "HTTPNotFound"
    assert "no-such-thing" in r.json()["NeutronError"]["message"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_writing_to_extensions_is_404(admin: Api, method: str) -> None:
    for path in ("/v2.0/extensions/trunk", "/v2.0/extensions"):
        r = admin.request(method, path, {})
        assert r.status_code == 404, (method, path)
        assert error_type(r) == "HTTPNotFound"


def test_unknown_path_is_404_neutron_error(admin: Api) -> None:
    r = admin.get("/v2.0/subnetpools")
    assert r.status_code == 404 and error_type(r) == "HTTPNotFound"


def test_every_response_carries_a_request_id(admin: Api) -> None:
    for r in (admin.get("/"), admin.get("/v2.0/networks"), admin.get("/v2.0/extensions/nope")):
        assert r.headers["x-openstack-request-id"].startswith("req-")


# -- request bodies -----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/v2.0/networks", "/v2.0/ports", "/v2.0/trunks"])
def test_malformed_json_body_is_400(admin: Api, path: str) -> None:
    r = admin.post(path, raw="{not json")
    assert_bad_request(r, "MalformedRequestBody")
    assert r.json()["NeutronError"]["message"] == "Malformed request body: Cannot understand JSON."


def test_missing_resource_key_is_400(admin: Api) -> None:
    assert_bad_request(admin.post("/v2.0/networks", {"net": {}}), text="Unable to find 'network' in request body")
    net = admin.network()
    assert_bad_request(admin.put(f"/v2.0/networks/{net['id']}", {"net": {}}),
                       text="Unable to find 'network' in request body")
    assert_bad_request(admin.put(f"/v2.0/networks/{net['id']}", {}), text="Resource body required")


def test_unknown_attribute_is_400(member: Api) -> None:
    assert_bad_request(member.post("/v2.0/networks", {"network": {"colour": "red"}}),
                       text="Unrecognized attribute(s) 'colour'")
    net = member.network()
    assert_bad_request(member.put(f"/v2.0/networks/{net['id']}", {"network": {"colour": "red"}}),
                       text="Unrecognized attribute(s) 'colour'")
    assert_bad_request(member.post("/v2.0/ports", {"port": {"network_id": net["id"], "ip": "x"}}),
                       text="Unrecognized attribute(s) 'ip'")


@pytest.mark.parametrize("attr,value", [
    ("id", str(uuid.uuid4())), ("status", "DOWN"), ("project_id", "x"), ("created_at", "x"),
    ("revision_number", 9), ("subnets", []), ("provider:network_type", "vlan"),
])
def test_put_of_read_only_network_attribute_is_400(admin: Api, attr: str, value: Any) -> None:
    net = admin.network()
    r = admin.put(f"/v2.0/networks/{net['id']}", {"network": {attr: value}})
    assert_bad_request(r, text=f"Cannot update read-only attribute {attr}")
    assert admin.get(f"/v2.0/networks/{net['id']}").json()["network"] == net


@pytest.mark.parametrize("attr,value", [
    ("network_id", str(uuid.uuid4())), ("status", "ACTIVE"),
    ("binding:vif_type", "ovs"), ("tenant_id", "x"),
])
def test_put_of_read_only_port_attribute_is_400(admin: Api, attr: str, value: Any) -> None:
    port = admin.port()
    r = admin.put(f"/v2.0/ports/{port['id']}", {"port": {attr: value}})
    assert_bad_request(r, text=f"Cannot update read-only attribute {attr}")


def test_delete_with_a_body_is_400(member: Api) -> None:
    net = member.network()
    assert_bad_request(member.delete(f"/v2.0/networks/{net['id']}", raw='{"x": 1}'),
                       text="Request body is not supported in DELETE.")
    assert member.get(f"/v2.0/networks/{net['id']}").status_code == 200


def test_timestamps_are_whole_seconds_utc(member: Api) -> None:
    net = member.network()
    port = member.port(net["id"])
    trunk = member.trunk(port["id"])
    for resource in (net, port, trunk):
        assert TIMESTAMP.match(resource["created_at"]), resource
        assert TIMESTAMP.match(resource["updated_at"]), resource
        assert resource["created_at"] == resource["updated_at"]


# -- networks -------------------------------------------------------------------------------------------
def test_network_defaults(admin: Api, member: Api, project: str) -> None:
    r = member.post("/v2.0/networks", {"network": {}})
    assert r.status_code == 201
    net = r.json()["network"]
    assert {k: net[k] for k in ("name", "description", "mtu", "admin_state_up", "shared", "status", "subnets",
                                 "tags", "revision_number", "project_id", "tenant_id")} == {
        "name": "", "description": "", "mtu": 1450, "admin_state_up": True, "shared": False, "status": "ACTIVE",
        "subnets": [], "tags": [], "revision_number": 0, "project_id": project, "tenant_id": project}
    seen = admin.get(f"/v2.0/networks/{net['id']}").json()["network"]
    assert seen["provider:network_type"] == "vxlan"
    assert seen["provider:physical_network"] is None
    assert isinstance(seen["provider:segmentation_id"], int)
    assert 1 <= seen["provider:segmentation_id"] <= 16777215


def test_create_response_equals_show(member: Api) -> None:
    net = member.network(name="same", description="d")
    assert member.get(f"/v2.0/networks/{net['id']}").json()["network"] == net


def test_plain_networks_get_distinct_vxlan_ids(admin: Api) -> None:
    ids = [admin.network()["provider:segmentation_id"] for _ in range(3)]
    assert len(set(ids)) == 3 and all(1 <= i <= 16777215 for i in ids)


def test_vlan_provider_network(admin: Api) -> None:
    phys = "physnet2"
    for seg_id in (1, 4094):
        r = vlan_net(admin, phys, seg_id)
        assert r.status_code == 201, r.text
        net = r.json()["network"]
        assert (net["provider:network_type"], net["provider:physical_network"],
                net["provider:segmentation_id"]) == ("vlan", phys, seg_id)


def test_vlan_segmentation_id_needs_a_physical_network_and_is_allocated_without_one(admin: Api) -> None:
    r = admin.post("/v2.0/networks", {"network": {"provider:network_type": "vlan", "provider:segmentation_id": 5}})
    assert_bad_request(r, "InvalidInput", "segmentation_id requires physical_network for VLAN provider network")
    r = admin.post("/v2.0/networks", {"network": {"provider:network_type": "vlan",
                                                  "provider:physical_network": "physnet2"}})
    assert r.status_code == 201, r.text
    assert 1000 <= r.json()["network"]["provider:segmentation_id"] <= 2999


@pytest.mark.parametrize("seg_id", [0, 4095, 5000])
def test_vlan_segmentation_id_out_of_range_is_400(admin: Api, seg_id: int) -> None:
    r = vlan_net(admin, "physnet2", seg_id)
    assert_bad_request(r, "InvalidInput", "segmentation_id out of range (1 through 4094)")


@pytest.mark.parametrize("seg_id", [-1, "x", True, 1.5])
def test_segmentation_id_must_be_an_integer(admin: Api, seg_id: Any) -> None:
    """convert_to_int fails (InvalidInput), or the VLAN driver finds the id out of range (InvalidInput)."""
    assert_bad_request(vlan_net(admin, "physnet2", seg_id), "InvalidInput")


def test_duplicate_vlan_segment_on_the_same_physnet_is_409(admin: Api) -> None:
    vlan = fresh_vlan()
    assert vlan_net(admin, "physnet1", vlan).status_code == 201
    r = vlan_net(admin, "physnet1", vlan)
    assert r.status_code == 409
    assert error_type(r) == "VlanIdInUse"
    assert r.json()["NeutronError"]["message"] == (
        f"Unable to create the network. The VLAN {vlan} on physical network physnet1 is in use.")
    assert vlan_net(admin, "physnet2", vlan).status_code == 201


def test_vxlan_provider_network_range(admin: Api) -> None:
    seg_id = random.randrange(1_000_000, 8_000_000)
    r = admin.post("/v2.0/networks", {"network": {"provider:network_type": "vxlan",
                                                  "provider:segmentation_id": seg_id}})
    assert r.status_code == 201, r.text
    assert r.json()["network"]["provider:segmentation_id"] == seg_id
    assert r.json()["network"]["provider:physical_network"] is None
    r = admin.post("/v2.0/networks", {"network": {"provider:network_type": "vxlan", "provider:segmentation_id": 0}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    r = admin.post("/v2.0/networks", {"network": {"provider:network_type": "vxlan",
                                                  "provider:segmentation_id": 16777216}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"


def test_vxlan_top_id_is_accepted_and_allocation_stays_in_range(admin: Api) -> None:
    r = admin.post("/v2.0/networks", {"network": {"provider:network_type": "vxlan",
                                                  "provider:segmentation_id": 16777215}})
    assert r.status_code in (201, 409), r.text
    if r.status_code == 409:
        assert error_type(r) == "TunnelIdInUse"
    for _ in range(2):
        allocated = admin.network()["provider:segmentation_id"]
        assert 1 <= allocated <= 16777215


def test_vxlan_with_physical_network_is_400(admin: Api) -> None:
    r = admin.post("/v2.0/networks", {"network": {"provider:network_type": "vxlan",
                                                  "provider:physical_network": "physnet1"}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"


def test_flat_provider_network_has_no_segmentation_id(admin: Api) -> None:
    phys = f"flat-{uuid.uuid4().hex[:8]}"  # flat_networks = * (Neutron's default)
    r = admin.post("/v2.0/networks", {"network": {"provider:network_type": "flat", "provider:physical_network": phys}})
    assert r.status_code == 201, r.text
    net = r.json()["network"]
    assert (net["provider:network_type"], net["provider:physical_network"], net["provider:segmentation_id"]) == (
        "flat", phys, None)
    r = admin.post("/v2.0/networks", {"network": {"provider:network_type": "flat", "provider:physical_network": phys,
                                                  "provider:segmentation_id": 3}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"
    r = admin.post("/v2.0/networks", {"network": {"provider:network_type": "flat"}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"


def test_unknown_network_type_is_400(admin: Api) -> None:
    r = admin.post("/v2.0/networks", {"network": {"provider:network_type": "local"}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"


def test_segment_without_network_type_is_400(admin: Api) -> None:
    r = admin.post("/v2.0/networks", {"network": {"provider:segmentation_id": 7}})
    assert r.status_code == 400 and error_type(r) == "InvalidInput"


def test_update_network_name_and_mtu_bumps_revision(member: Api) -> None:
    net = member.network()
    r = member.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "renamed", "mtu": 1400}})
    assert r.status_code == 200
    updated = r.json()["network"]
    assert (updated["name"], updated["mtu"], updated["revision_number"]) == ("renamed", 1400, 1)
    assert TIMESTAMP.match(updated["updated_at"])
    assert member.get(f"/v2.0/networks/{net['id']}").json()["network"] == updated


def test_no_op_network_update_keeps_revision(member: Api) -> None:
    net = member.network(name="same")
    r = member.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "same"}})
    assert r.status_code == 200 and r.json()["network"]["revision_number"] == 0


@pytest.mark.parametrize(("mtu", "kind"), [(-1, "HTTPBadRequest"), (65536, "InvalidInput"),
                                          (1451, "InvalidInput"), ("big", "InvalidInput")])
def test_invalid_mtu_is_400(member: Api, mtu: Any, kind: str) -> None:
    """A validator failure is HTTPBadRequest; convert_to_int and ML2's maximum (1450 on VXLAN) InvalidInput."""
    assert_bad_request(member.post("/v2.0/networks", {"network": {"mtu": mtu}}), kind)


def test_network_update_honours_if_match(member: Api) -> None:
    net = member.network()
    r = member.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "x"}},
                   headers={"If-Match": "revision_number=5"})
    assert r.status_code == 412 and error_type(r) == "RevisionNumberConstraintFailed"
    r = member.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "x"}},
                   headers={"If-Match": "revision_number=0"})
    assert r.status_code == 200


def test_delete_network_with_ports_is_409_network_in_use(member: Api) -> None:
    net = member.network()
    port = member.port(net["id"])
    r = member.delete(f"/v2.0/networks/{net['id']}")
    assert r.status_code == 409
    assert error_type(r) == "NetworkInUse"
    assert net["id"] in r.json()["NeutronError"]["message"]
    assert member.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    r = member.delete(f"/v2.0/networks/{net['id']}")
    assert r.status_code == 204 and r.content == b""
    r = member.get(f"/v2.0/networks/{net['id']}")
    assert r.status_code == 404 and error_type(r) == "NetworkNotFound"


def test_missing_network_is_404(member: Api) -> None:
    for r in (member.get(f"/v2.0/networks/{uuid.uuid4()}"), member.get("/v2.0/networks/not-a-uuid"),
              member.put(f"/v2.0/networks/{uuid.uuid4()}", {"network": {"name": "x"}}),
              member.delete(f"/v2.0/networks/{uuid.uuid4()}")):
        assert r.status_code == 404 and error_type(r) == "NetworkNotFound"


def test_bulk_network_create(member: Api) -> None:
    r = member.post("/v2.0/networks", {"networks": [{"name": "b1"}, {"name": "b2"}]})
    assert r.status_code == 201
    assert [n["name"] for n in r.json()["networks"]] == ["b1", "b2"]


# -- ports -----------------------------------------------------------------------------------------------
def test_port_defaults(admin: Api, member: Api, project: str) -> None:
    net = member.network()
    r = member.post("/v2.0/ports", {"port": {"network_id": net["id"]}})
    assert r.status_code == 201
    port = r.json()["port"]
    assert GENERATED_MAC.match(port["mac_address"]), port["mac_address"]
    assert {k: port[k] for k in ("network_id", "name", "description", "admin_state_up", "fixed_ips", "device_id",
                                  "device_owner", "status", "binding:vnic_type", "tags", "revision_number",
                                  "project_id", "tenant_id")} == {
        "network_id": net["id"], "name": "", "description": "", "admin_state_up": True, "fixed_ips": [],
        "device_id": "", "device_owner": "", "status": "DOWN", "binding:vnic_type": "normal", "tags": [],
        "revision_number": 0, "project_id": project, "tenant_id": project}
    assert "trunk_details" not in port
    seen = admin.get(f"/v2.0/ports/{port['id']}").json()["port"]
    assert (seen["binding:host_id"], seen["binding:vif_type"], seen["binding:vif_details"],
            seen["binding:profile"]) == ("", "unbound", {}, {})


def test_generated_macs_differ(member: Api) -> None:
    net = member.network()
    macs = {member.port(net["id"])["mac_address"] for _ in range(5)}
    assert len(macs) == 5 and all(GENERATED_MAC.match(m) for m in macs)


def test_explicit_mac_is_kept_lowercase(member: Api) -> None:
    wanted = mac(1).upper()
    port = member.port(mac_address=wanted)
    assert port["mac_address"] == wanted.lower()


def test_duplicate_mac_on_the_same_network_is_409(member: Api) -> None:
    net = member.network()
    taken = member.port(net["id"])["mac_address"]
    r = member.post("/v2.0/ports", {"port": {"network_id": net["id"], "mac_address": taken}})
    assert r.status_code == 409
    assert error_type(r) == "MacAddressInUse"
    assert taken in r.json()["NeutronError"]["message"]
    r = member.post("/v2.0/ports", {"port": {"network_id": net["id"], "mac_address": taken.upper()}})
    assert r.status_code == 409 and error_type(r) == "MacAddressInUse"


def test_same_mac_on_another_network_is_allowed(member: Api) -> None:
    """Subports conventionally reuse the parent's MAC on other networks (SPEC §1.8)."""
    parent = member.port()
    twin = member.port(member.network()["id"], mac_address=parent["mac_address"])
    assert twin["mac_address"] == parent["mac_address"]


@pytest.mark.parametrize("bad", ["zz:16:3e:00:00:01", "fa:16:3e:00:00", "fa:16:3e:00:00:01:02", "00:00:00:00:00:00",
                                 "ff:ff:ff:ff:ff:ff", " fa:16:3e:00:00:01", 5, None])
def test_invalid_mac_is_400(member: Api, bad: Any) -> None:
    net = member.network()
    assert_bad_request(member.post("/v2.0/ports", {"port": {"network_id": net["id"], "mac_address": bad}}))


def test_port_needs_an_existing_network(member: Api) -> None:
    assert_bad_request(member.post("/v2.0/ports", {"port": {}}),
                       text="Failed to parse request. Required attribute 'network_id' not specified")
    assert_bad_request(member.post("/v2.0/ports", {"port": {"network_id": "nope"}}))
    r = member.post("/v2.0/ports", {"port": {"network_id": str(uuid.uuid4())}})
    assert r.status_code == 404 and error_type(r) == "NetworkNotFound"


def test_binding_host_without_agent_fails_binding_and_clearing_unbinds(admin: Api) -> None:
    port = admin.port()
    host = f"host-{uuid.uuid4().hex[:8]}"
    r = admin.put(f"/v2.0/ports/{port['id']}", {"port": {"binding:host_id": host}})
    assert r.status_code == 200
    bound = r.json()["port"]
    assert (bound["binding:host_id"], bound["binding:vif_type"], bound["revision_number"]) == (
        host, "binding_failed", 1)
    r = admin.put(f"/v2.0/ports/{port['id']}", {"port": {"binding:host_id": ""}})
    assert r.status_code == 200
    cleared = r.json()["port"]
    assert (cleared["binding:host_id"], cleared["binding:vif_type"], cleared["binding:vif_details"]) == (
        "", "unbound", {})
    assert cleared["revision_number"] == 2


def test_binding_host_at_create_without_agent_fails_binding(admin: Api) -> None:
    port = admin.port(**{"binding:host_id": f"host-{uuid.uuid4().hex[:8]}"})
    assert port["binding:vif_type"] == "binding_failed"


def test_binding_profile_is_stored(admin: Api) -> None:
    port = admin.port(**{"binding:profile": {"local_link_information": [{"port_id": "Eth1"}]}})
    assert port["binding:profile"] == {"local_link_information": [{"port_id": "Eth1"}]}
    r = admin.put(f"/v2.0/ports/{port['id']}", {"port": {"binding:profile": {}}})
    assert r.status_code == 200 and r.json()["port"]["binding:profile"] == {}


def test_update_device_id_and_owner(member: Api) -> None:
    port = member.port()
    r = member.put(f"/v2.0/ports/{port['id']}", {"port": {"device_id": "vm-1", "device_owner": "compute:nova"}})
    assert r.status_code == 200
    updated = r.json()["port"]
    assert (updated["device_id"], updated["device_owner"], updated["revision_number"]) == (
        "vm-1", "compute:nova", 1)
    assert member.get(f"/v2.0/ports/{port['id']}").json()["port"] == updated
    r = member.get("/v2.0/ports", params={"device_id": "vm-1", "id": port["id"]})
    assert [p["id"] for p in r.json()["ports"]] == [port["id"]]


def test_no_op_port_update_keeps_revision(member: Api) -> None:
    port = member.port(name="p")
    r = member.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "p", "admin_state_up": True}})
    assert r.status_code == 200 and r.json()["port"]["revision_number"] == 0


def test_port_update_honours_if_match(member: Api) -> None:
    port = member.port()
    r = member.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "x"}}, headers={"If-Match": "revision_number=3"})
    assert r.status_code == 412 and error_type(r) == "RevisionNumberConstraintFailed"
    r = member.delete(f"/v2.0/ports/{port['id']}", headers={"If-Match": "revision_number=3"})
    assert r.status_code == 412
    r = member.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "x"}},
                   headers={"If-Match": "revision_number=x"})
    assert r.status_code == 400


def test_delete_port_removes_it(member: Api) -> None:
    port = member.port()
    r = member.delete(f"/v2.0/ports/{port['id']}")
    assert r.status_code == 204 and r.content == b""
    for r in (member.get(f"/v2.0/ports/{port['id']}"), member.delete(f"/v2.0/ports/{port['id']}"),
              member.put(f"/v2.0/ports/{port['id']}", {"port": {"name": "x"}})):
        assert r.status_code == 404 and error_type(r) == "PortNotFound"


def test_port_create_response_equals_show(member: Api) -> None:
    port = member.port(name="p", description="d", device_owner="compute:nova")
    assert member.get(f"/v2.0/ports/{port['id']}").json()["port"] == port


def test_bulk_port_create_is_all_or_nothing(member: Api) -> None:
    net = member.network()
    taken = member.port(net["id"])["mac_address"]
    r = member.post("/v2.0/ports", {"ports": [{"network_id": net["id"], "name": "first"},
                                              {"network_id": net["id"], "mac_address": taken}]})
    assert r.status_code == 409 and error_type(r) == "MacAddressInUse"
    assert [p["name"] for p in member.get("/v2.0/ports", params={"network_id": net["id"]}).json()["ports"]] == [""]
    r = member.post("/v2.0/ports", {"ports": [{"network_id": net["id"], "name": "a"},
                                              {"network_id": net["id"], "name": "b"}]})
    assert r.status_code == 201 and [p["name"] for p in r.json()["ports"]] == ["a", "b"]
