"""openstacksdk, unmodified, against a real trunkd server.

The connection skips keystone (`auth_type='none'`) and points the network service at the
server; the noauth project and roles travel as extra session headers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import openstack
import pytest
from openstack import exceptions
from openstack.connection import Connection

from tests.support import Api, Server

Connect = Callable[..., Connection]

# The SDK warns about its own future removals (influxdb, find_* ignore_missing, ...).
pytestmark = pytest.mark.filterwarnings("ignore::openstack.warnings._RemovedInSDKWarning")


def sdk_connection(url: str, project: str | None = None, roles: str | None = None) -> Connection:
    """A connection as admin (no headers), or as `project` with `roles` (noauth headers)."""
    conn = openstack.connect(
        auth_type="none",
        auth={"endpoint": url},
        network_endpoint_override=url,
        load_yaml_config=False,
        load_envvars=False,
    )
    if project is not None:
        conn.session.additional_headers["X-Project-Id"] = project
    if roles is not None:
        conn.session.additional_headers["X-Roles"] = roles
    return conn


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def connect(server: Server) -> Connect:
    def make(project: str | None = None, roles: str | None = None) -> Connection:
        return sdk_connection(server.url, project, roles)

    return make


@pytest.fixture
def conn(connect: Connect, project: str) -> Connection:
    """A member of the fresh project (the same project as the `member` raw-HTTP fixture)."""
    return connect(project, "member,reader")


def new_port(conn: Connection, network_id: str | None = None, **attrs: Any) -> Any:
    if network_id is None:
        network_id = conn.network.create_network(name=unique("net")).id
    return conn.network.create_port(network_id=network_id, **attrs)


def vlan(port_id: str, segmentation_id: int) -> dict[str, Any]:
    return {"port_id": port_id, "segmentation_type": "vlan", "segmentation_id": segmentation_id}


# -- discovery ---------------------------------------------------------------------------


def test_sdk_resolves_network_endpoint_to_v2_0(conn: Connection, server: Server) -> None:
    assert conn.network.get_endpoint().rstrip("/") == f"{server.url}/v2.0"


def test_sdk_discovers_v2_0_from_the_unauthenticated_root_document(server: Server) -> None:
    conn = openstack.connect(auth_type="none", auth={"endpoint": server.url},
                             load_yaml_config=False, load_envvars=False)
    assert conn.network.get_endpoint().rstrip("/") == f"{server.url}/v2.0"
    name = unique("discovered")
    conn.network.create_trunk(port_id=new_port(conn).id, name=name)
    assert [t.name for t in conn.network.trunks(name=name)] == [name]


def test_find_extension_trunk_returns_the_trunk_extension(conn: Connection) -> None:
    ext = conn.network.find_extension("trunk")
    assert ext is not None
    assert ext.alias == "trunk" and ext.name == "Trunk Extension"
    assert conn.network.find_extension("trunk-details") is not None
    assert conn.network.find_extension(unique("no-such-alias")) is None


# -- networks and ports ------------------------------------------------------------------


def test_created_network_and_port_belong_to_the_callers_project(conn: Connection, project: str) -> None:
    net = conn.network.create_network(name=unique("net"))
    port = conn.network.create_port(network_id=net.id, name=unique("port"))
    assert net.project_id == project and port.project_id == project
    assert port.network_id == net.id and port.mac_address
    assert conn.network.get_port(port.id).id == port.id


# -- create / get / find -----------------------------------------------------------------


def test_create_trunk_with_subports_round_trips_through_get(conn: Connection, project: str) -> None:
    parent, sub = new_port(conn), new_port(conn)
    name = unique("trunk")
    trunk = conn.network.create_trunk(
        port_id=parent.id, name=name, description="d", sub_ports=[vlan(sub.id, 100)],
    )
    assert trunk.id and trunk.name == name and trunk.description == "d"
    assert trunk.port_id == parent.id and trunk.project_id == project
    assert trunk.status == "DOWN" and trunk.is_admin_state_up is True
    assert trunk.sub_ports == [vlan(sub.id, 100)]

    fetched = conn.network.get_trunk(trunk.id)
    assert fetched.to_dict() == trunk.to_dict()
    # unknown attributes are kept by the SDK resource
    assert fetched.revision_number == trunk.revision_number
    assert fetched.created_at == trunk.created_at


def test_create_trunk_without_subports_has_empty_subport_list(conn: Connection) -> None:
    trunk = conn.network.create_trunk(port_id=new_port(conn).id)
    assert trunk.sub_ports == [] and trunk.name == ""
    assert conn.network.get_trunk_subports(trunk) == {"sub_ports": []}


def test_get_trunk_with_fields_returns_only_those_fields(conn: Connection) -> None:
    name = unique("trunk")
    trunk = conn.network.create_trunk(port_id=new_port(conn).id, name=name)
    partial = conn.network.get_trunk(trunk.id, fields=["id", "name"])
    assert partial.id == trunk.id and partial.name == name
    assert partial.port_id is None and partial.status is None and partial.sub_ports is None


def test_find_trunk_by_name_and_by_id(conn: Connection) -> None:
    name = unique("trunk")
    trunk = conn.network.create_trunk(port_id=new_port(conn).id, name=name)
    by_name = conn.network.find_trunk(name)
    by_id = conn.network.find_trunk(trunk.id)
    assert by_name is not None and by_name.id == trunk.id
    assert by_id is not None and by_id.name == name


def test_find_missing_trunk_is_none_or_raises_not_found(conn: Connection) -> None:
    missing = unique("missing")
    assert conn.network.find_trunk(missing) is None
    with pytest.raises(exceptions.NotFoundException):
        conn.network.find_trunk(missing, ignore_missing=False)


def test_get_missing_trunk_raises_resource_not_found_with_neutron_message(conn: Connection) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(exceptions.ResourceNotFound) as info:
        conn.network.get_trunk(missing)
    assert info.value.status_code == 404
    assert info.value.details == f"Trunk {missing} could not be found."


def test_trunk_of_another_project_is_invisible(conn: Connection, connect: Connect) -> None:
    trunk = conn.network.create_trunk(port_id=new_port(conn).id, name=unique("trunk"))
    stranger = connect(unique("project"), "member,reader")
    with pytest.raises(exceptions.NotFoundException):
        stranger.network.get_trunk(trunk.id)
    assert stranger.network.find_trunk(trunk.name) is None
    assert [t.id for t in stranger.network.trunks(name=trunk.name)] == []


def test_admin_connection_sees_a_project_trunk(conn: Connection, connect: Connect, project: str) -> None:
    trunk = conn.network.create_trunk(port_id=new_port(conn).id)
    admin = connect()
    fetched = admin.network.get_trunk(trunk.id)
    assert fetched.project_id == project
    assert [t.id for t in admin.network.trunks(project_id=project)] == [trunk.id]


# -- list --------------------------------------------------------------------------------


def test_trunks_filters_by_name_port_status_and_admin_state(conn: Connection) -> None:
    tag = unique("f")
    first = conn.network.create_trunk(port_id=new_port(conn).id, name=f"{tag}-a")
    second = conn.network.create_trunk(port_id=new_port(conn).id, name=f"{tag}-b",
                                       admin_state_up=False)

    assert [t.id for t in conn.network.trunks(name=f"{tag}-a")] == [first.id]
    assert [t.id for t in conn.network.trunks(port_id=second.port_id)] == [second.id]
    down = {t.id for t in conn.network.trunks(status="DOWN")}
    assert {first.id, second.id} <= down
    assert not {first.id, second.id} & {t.id for t in conn.network.trunks(status="ACTIVE")}
    assert [t.id for t in conn.network.trunks(is_admin_state_up=False)] == [second.id]
    enabled = {t.id for t in conn.network.trunks(is_admin_state_up=True)}
    assert first.id in enabled and second.id not in enabled


def test_trunks_with_limit_one_walks_every_page(conn: Connection) -> None:
    created = {conn.network.create_trunk(port_id=new_port(conn).id).id for _ in range(3)}
    pages = list(conn.network.trunks(limit=1))
    ids = [t.id for t in pages]
    assert len(ids) == len(set(ids)) == 3
    assert set(ids) == created


def test_trunks_sub_ports_filter_is_rejected_as_bad_request(conn: Connection) -> None:
    with pytest.raises(exceptions.BadRequestException) as info:
        list(conn.network.trunks(sub_ports="x"))
    assert "sub_ports" in str(info.value.details)


# -- update ------------------------------------------------------------------------------


def test_update_trunk_name_description_and_admin_state(conn: Connection) -> None:
    trunk = conn.network.create_trunk(port_id=new_port(conn).id, name=unique("old"))
    name = unique("new")
    updated = conn.network.update_trunk(trunk, name=name, description="described")
    assert updated.name == name and updated.description == "described"
    assert updated.revision_number > 0

    disabled = conn.network.update_trunk(trunk.id, is_admin_state_up=False)
    assert disabled.is_admin_state_up is False
    assert conn.network.get_trunk(trunk.id).is_admin_state_up is False
    assert disabled.status == "DOWN"

    enabled = conn.network.update_trunk(trunk.id, is_admin_state_up=True)
    assert enabled.is_admin_state_up is True
    assert conn.network.get_trunk(trunk.id).name == name


def test_disabled_trunk_refuses_delete_with_conflict(conn: Connection) -> None:
    trunk = conn.network.create_trunk(port_id=new_port(conn).id, admin_state_up=False)
    with pytest.raises(exceptions.ConflictException) as info:
        conn.network.delete_trunk(trunk)
    assert info.value.details == f"Trunk {trunk.id} is currently disabled."
    conn.network.update_trunk(trunk, is_admin_state_up=True)
    conn.network.delete_trunk(trunk)
    assert conn.network.find_trunk(trunk.id) is None


def test_if_match_with_a_stale_revision_raises_precondition_failed(conn: Connection) -> None:
    # The trunk proxy drops `if_revision` (Trunk is not a NetworkResource), so the header is
    # sent through the SDK's own network adapter and mapped by its error handler.
    trunk = conn.network.create_trunk(port_id=new_port(conn).id)
    stale = trunk.revision_number + 5
    response = conn.network.put(f"/trunks/{trunk.id}", json={"trunk": {"name": "x"}},
                                headers={"If-Match": f"revision_number={stale}"})
    with pytest.raises(exceptions.PreconditionFailedException) as info:
        exceptions.raise_from_response(response)
    assert info.value.status_code == 412
    assert str(stale) in str(info.value.details)
    assert conn.network.get_trunk(trunk.id).name == ""


# -- subports ----------------------------------------------------------------------------


def test_add_get_and_delete_trunk_subports(conn: Connection) -> None:
    net = conn.network.create_network(name=unique("net"))
    trunk = conn.network.create_trunk(port_id=new_port(conn, net.id).id)
    s1, s2 = new_port(conn), new_port(conn)

    added = conn.network.add_trunk_subports(trunk, [vlan(s1.id, 101), vlan(s2.id, 102)])
    assert added.id == trunk.id
    assert sorted(added.sub_ports, key=lambda s: s["segmentation_id"]) == [vlan(s1.id, 101),
                                                                           vlan(s2.id, 102)]
    listed = conn.network.get_trunk_subports(trunk.id)["sub_ports"]
    assert sorted(listed, key=lambda s: s["segmentation_id"]) == [vlan(s1.id, 101), vlan(s2.id, 102)]

    removed = conn.network.delete_trunk_subports(trunk, [{"port_id": s1.id}])
    assert removed.sub_ports == [vlan(s2.id, 102)]
    assert conn.network.get_trunk_subports(trunk)["sub_ports"] == [vlan(s2.id, 102)]
    assert conn.network.get_trunk(trunk.id).status == "DOWN"


def test_adding_a_used_vlan_raises_conflict_with_neutron_message(conn: Connection) -> None:
    s1, s2 = new_port(conn), new_port(conn)
    trunk = conn.network.create_trunk(port_id=new_port(conn).id, sub_ports=[vlan(s1.id, 100)])
    with pytest.raises(exceptions.ConflictException) as info:
        conn.network.add_trunk_subports(trunk, [vlan(s2.id, 100)])
    assert info.value.status_code == 409
    assert info.value.details == (
        f"segmentation_type vlan and segmentation_id 100 already in use on trunk {trunk.id}."
    )


def test_removing_a_port_that_is_not_a_subport_raises_not_found(conn: Connection) -> None:
    trunk = conn.network.create_trunk(port_id=new_port(conn).id)
    stray = new_port(conn)
    with pytest.raises(exceptions.NotFoundException) as info:
        conn.network.delete_trunk_subports(trunk, [{"port_id": stray.id}])
    assert info.value.details == f"SubPort {stray.id} on trunk {trunk.id} could not be found."


def test_out_of_range_segmentation_id_raises_bad_request(conn: Connection) -> None:
    sub = new_port(conn)
    with pytest.raises(exceptions.BadRequestException) as info:
        conn.network.create_trunk(port_id=new_port(conn).id, sub_ports=[vlan(sub.id, 5000)])
    assert info.value.status_code == 400
    assert "5000" in str(info.value.details)


def test_subport_without_segmentation_raises_bad_request(conn: Connection) -> None:
    sub = new_port(conn)
    with pytest.raises(exceptions.BadRequestException) as info:
        conn.network.create_trunk(port_id=new_port(conn).id, sub_ports=[{"port_id": sub.id}])
    assert "missing segmentation information" in str(info.value.details)


def test_parent_port_already_used_raises_conflict_with_neutron_message(conn: Connection) -> None:
    parent = new_port(conn)
    conn.network.create_trunk(port_id=parent.id)
    with pytest.raises(exceptions.ConflictException) as info:
        conn.network.create_trunk(port_id=parent.id)
    assert info.value.details == (
        f"Port {parent.id} is currently in use and is not eligible for use as a parent port."
    )


# -- port trunk_details ------------------------------------------------------------------


def test_get_port_shows_trunk_details_only_on_the_parent(conn: Connection) -> None:
    parent, sub, plain = new_port(conn), new_port(conn), new_port(conn)
    trunk = conn.network.create_trunk(port_id=parent.id, sub_ports=[vlan(sub.id, 300)])
    details = conn.network.get_port(parent.id).trunk_details
    assert details == {
        "trunk_id": trunk.id,
        "sub_ports": [{**vlan(sub.id, 300), "mac_address": sub.mac_address}],
    }
    assert conn.network.get_port(sub.id).trunk_details is None
    assert conn.network.get_port(plain.id).trunk_details is None
    listed = {p.id: p.trunk_details for p in conn.network.ports(network_id=parent.network_id)}
    assert listed[parent.id] == details
    selected = {p.id: p for p in conn.network.ports(fields=["id", "trunk_details"])}
    assert selected[parent.id].trunk_details == details
    assert selected[parent.id].mac_address is None
    assert selected[sub.id].trunk_details is None


def test_deleting_a_parent_port_raises_conflict(conn: Connection) -> None:
    parent = new_port(conn)
    trunk = conn.network.create_trunk(port_id=parent.id)
    with pytest.raises(exceptions.ConflictException) as info:
        conn.network.delete_port(parent)
    assert info.value.details == f"Port {parent.id} is currently a parent port for trunk {trunk.id}."


# -- tags --------------------------------------------------------------------------------


def test_trunk_tags_through_the_tag_mixin(conn: Connection) -> None:
    trunk = conn.network.create_trunk(port_id=new_port(conn).id)
    conn.network.set_tags(trunk, ["red", "blue"])
    assert sorted(conn.network.get_tags(trunk)) == ["blue", "red"]

    conn.network.add_tag(trunk, "green")
    conn.network.check_tag(trunk, "green")
    assert sorted(conn.network.get_trunk(trunk.id).tags) == ["blue", "green", "red"]

    conn.network.remove_tag(trunk, "red")
    with pytest.raises(exceptions.NotFoundException):
        conn.network.check_tag(trunk, "red")
    assert sorted(trunk.fetch_tags(conn.network).tags) == ["blue", "green"]

    conn.network.remove_all_tags(trunk)
    assert conn.network.get_tags(trunk) == []


def test_trunks_filter_by_tags(conn: Connection) -> None:
    tag = unique("tag")
    tagged = conn.network.create_trunk(port_id=new_port(conn).id)
    other = conn.network.create_trunk(port_id=new_port(conn).id)
    conn.network.set_tags(tagged, [tag, "x"])
    assert [t.id for t in conn.network.trunks(tags=tag)] == [tagged.id]
    assert [t.id for t in conn.network.trunks(any_tags=f"{tag},nope")] == [tagged.id]
    assert other.id in {t.id for t in conn.network.trunks(not_tags=tag)}
    assert tagged.id not in {t.id for t in conn.network.trunks(not_any_tags=tag)}


def test_removing_a_missing_tag_raises_not_found(conn: Connection) -> None:
    trunk = conn.network.create_trunk(port_id=new_port(conn).id)
    with pytest.raises(exceptions.NotFoundException):
        conn.network.remove_tag(trunk, "absent")


# -- delete ------------------------------------------------------------------------------


def test_delete_trunk_keeps_subport_ports(conn: Connection) -> None:
    parent, sub = new_port(conn), new_port(conn)
    trunk = conn.network.create_trunk(port_id=parent.id, sub_ports=[vlan(sub.id, 7)])
    assert conn.network.delete_trunk(trunk) is None
    assert conn.network.find_trunk(trunk.id) is None
    assert conn.network.get_port(sub.id).id == sub.id
    assert conn.network.get_port(parent.id).trunk_details is None


def test_delete_missing_trunk_is_ignored_or_raises_not_found(conn: Connection) -> None:
    missing = str(uuid.uuid4())
    assert conn.network.delete_trunk(missing, ignore_missing=True) is None
    with pytest.raises(exceptions.NotFoundException) as info:
        conn.network.delete_trunk(missing, ignore_missing=False)
    assert info.value.details == f"Trunk {missing} could not be found."


# -- policy ------------------------------------------------------------------------------


def test_reader_may_read_but_writes_raise_forbidden(conn: Connection, connect: Connect,
                                                    project: str) -> None:
    sub = new_port(conn)
    trunk = conn.network.create_trunk(port_id=new_port(conn).id, name=unique("trunk"))
    reader = connect(project, "reader")

    assert reader.network.get_trunk(trunk.id).name == trunk.name
    assert reader.network.get_trunk_subports(trunk.id) == {"sub_ports": []}
    with pytest.raises(exceptions.ForbiddenException) as info:
        reader.network.update_trunk(trunk.id, name="nope")
    assert info.value.status_code == 403
    assert "update_trunk" in str(info.value.details)
    with pytest.raises(exceptions.ForbiddenException):
        reader.network.delete_trunk(trunk.id)
    with pytest.raises(exceptions.ForbiddenException):
        reader.network.add_trunk_subports(trunk.id, [vlan(sub.id, 10)])
    with pytest.raises(exceptions.ForbiddenException):
        reader.network.create_trunk(port_id=new_port(conn).id)
    assert conn.network.get_trunk(trunk.id).name == trunk.name


def test_sdk_sees_trunks_created_over_raw_http(conn: Connection, member: Api) -> None:
    trunk = member.trunk(name=unique("raw"))
    found = conn.network.find_trunk(trunk["name"])
    assert found is not None and found.id == trunk["id"]
