"""Trunks on OVN end to end on a single chassis (no tunnel): the instance and every network's end share
one hypervisor. The same world and checks as the two-chassis module (tests/ovn/trunks.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dataplane.support import cleanup
from tests.ovn.rig import Rig, ovn_rig
from tests.ovn.trunks import (
    World,
    add_and_remove_live,
    build_world,
    dhcp_lease,
    each_vlan_reaches_its_network_only,
    fixed_ip,
    replies_come_back_tagged,
)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """This module's own rig: one chassis."""
    with ovn_rig(tmp_path_factory.mktemp("ovn-one"), chassis=1) as r:
        yield r


@pytest.fixture(scope="module")
def world(rig: Rig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with cleanup() as undo:
        yield build_world(rig, tmp_path_factory.mktemp("ovn-one-frames"), undo)


def test_one_chassis_each_vlan_reaches_its_network_and_nothing_else(world: World) -> None:
    assert len(world.rig.chassis) == 1 and set(world.ends) == {f"{n}1" for n in "pabcd"}
    each_vlan_reaches_its_network_only(world)


def test_one_chassis_replies_come_back_tagged(world: World) -> None:
    replies_come_back_tagged(world)


def test_one_chassis_dhcp(world: World, tmp_path: Path) -> None:
    assert dhcp_lease(world, tmp_path) == [fixed_ip(world.parent), "255.255.255.0", "10.60.0.1"]


def test_one_chassis_add_and_remove_live_without_a_gap(world: World) -> None:
    add_and_remove_live(world)
