"""Pure rules of the features beyond Neutron: allocation and guard rails (no database, no server)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from trunkd.domain import errors, guard_rails
from trunkd.domain.allocation import AUTO, Allocator, assign, parse_allocator
from trunkd.domain.model import PortFacts, SubPort
from trunkd.domain.subports import shape_error

PARENT = PortFacts(id="p", network_id="net-p", project_id="x", device_id="", host_id="", vif_type="unbound",
                   mtu=1500, network_type="vlan", segmentation_id=42, trunk_role=None, trunk_id=None, visible=True,
                   mac_address="fa:16:3e:00:00:01", device_owner="")


def test_parse_allocator_accepts_the_documented_values_only() -> None:
    assert parse_allocator("off", "1-4094") is None and parse_allocator("", "1-4094") is None
    assert parse_allocator("on", "1-4094") == Allocator("random", 1, 4094)
    assert parse_allocator("Lowest", "10-20") == Allocator("lowest", 10, 20)
    for policy, id_range in (("first", "1-4094"), ("random", "0-10"), ("random", "5"), ("random", "9-3")):
        with pytest.raises(ValueError):
            parse_allocator(policy, id_range)


def test_assign_fills_only_auto_items_around_kept_and_explicit_ids() -> None:
    subs = [SubPort("a", "vlan", AUTO), SubPort("b", "vlan", 2), SubPort("c", "vlan", AUTO)]
    done = assign("t", subs, [SubPort("k", "vlan", 1)], Allocator("lowest", 1, 10))
    assert [s.segmentation_id for s in done] == [3, 2, 4]
    assert assign("t", [SubPort("a", "vlan", 7)], [], Allocator()) == [SubPort("a", "vlan", 7)]


def test_random_assignment_is_distinct_and_exhaustion_names_the_range() -> None:
    subs = [SubPort(str(i), "vlan", AUTO) for i in range(5)]
    done = assign("t", subs, [], Allocator("random", 100, 104))
    assert sorted(s.segmentation_id for s in done) == [100, 101, 102, 103, 104]
    with pytest.raises(errors.SegmentationIdsExhausted, match="100-104"):
        assign("t", [*subs, SubPort("x", "vlan", AUTO)], [], Allocator("random", 100, 104))


def test_shape_accepts_items_without_id_only_when_allocating() -> None:
    items = [{"port_id": "00000000-0000-0000-0000-000000000001", "segmentation_type": "vlan"}]
    assert shape_error(items) is not None
    assert shape_error(items, allocating=True) is None
    vxlan = [{"port_id": "00000000-0000-0000-0000-000000000001", "segmentation_type": "vxlan"}]
    assert shape_error(vxlan, allocating=True) is not None


@pytest.mark.parametrize(("rail", "port", "sub", "error"), [
    (guard_rails.SUBPORT_NETWORK, {"network_id": "net-p"}, 5, errors.SubPortOnParentNetwork),
    (guard_rails.PARENT_VLAN, {}, 42, errors.SubPortVlanIsParentVlan),
    (guard_rails.PARENT_MAC, {"mac_address": "fa:16:3e:00:00:02"}, 5, errors.SubPortMacMismatch),
    (guard_rails.INSTANCE_PORT, {"device_owner": "compute:az1"}, 5, errors.SubPortUsedByInstance),
])
def test_each_rail_fires_only_when_enabled(rail: str, port: dict, sub: int, error: type) -> None:
    facts = {"s": replace(PARENT, **{"id": "s", "network_id": "net-s", **port})}
    subs = [SubPort("s", "vlan", sub)]
    guard_rails.check(frozenset(), PARENT, facts, subs)
    others = frozenset(guard_rails.RAILS) - {rail}
    guard_rails.check(others, PARENT, facts, subs)
    with pytest.raises(error):
        guard_rails.check(frozenset({rail}), PARENT, facts, subs)


def test_unknown_rails_are_refused() -> None:
    assert guard_rails.parse_rails([" parent-vlan ", ""]) == {"parent-vlan"}
    with pytest.raises(ValueError, match="no-such"):
        guard_rails.parse_rails(["no-such"])
