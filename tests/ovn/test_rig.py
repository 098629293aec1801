"""The OVN rig and what OVN itself does with trunk-shaped NB rows, written by hand with ovn-nbctl.

Independent of trunkd: logical switches P (the parent's), A, B and C (nobody's trunk), a parent LSP and
container LSPs (`parent_name` = the parent, `tag` = the VLAN) as Neutron's OVN trunk driver writes them.
The instance is on chassis 1; each network has an end on chassis 1 and on chassis 2 (over geneve).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.dataplane.support import Endpoint, exchange, wait_for
from tests.ovn.rig import OvnCentral, Rig

VM_MAC = "fa:16:3e:00:10:05"
VM_IP = "10.10.0.5"
NETS = "pabc"


@dataclass
class Hand:
    rig: Rig
    vm: Endpoint
    ends: dict[str, Endpoint]  # "a1": network A's end on chassis 1, "a2" on chassis 2, ...


def lsp(central: OvnCentral, switch: str, name: str, addresses: str, *cols: str) -> None:
    central.nbctl("lsp-add", switch, name, "--", "lsp-set-addresses", name, addresses,
                  *(("--", "set", "Logical_Switch_Port", name, *cols) if cols else ()))


@pytest.fixture(scope="module")
def hand(rig: Rig) -> Iterator[Hand]:
    c = rig.central
    for n in NETS:
        c.nbctl("ls-add", f"rig-{n}")
    dhcp = c.nbctl("create", "DHCP_Options", "cidr=10.10.0.0/24",
                   'options={lease_time="3600", router="10.10.0.1", server_id="10.10.0.1", '
                   'server_mac="fa:16:3e:00:10:01", mtu="1442"}')
    lsp(c, "rig-p", "parent", f"{VM_MAC} {VM_IP}", f"dhcpv4_options={dhcp}")
    lsp(c, "rig-a", "sub-a", f"{VM_MAC} 10.20.0.5", "parent_name=parent", "tag=100")
    lsp(c, "rig-b", "sub-b", f"{VM_MAC} 10.30.0.5", "parent_name=parent", "tag=200")
    lsp(c, "rig-c", "sub-c-unused", "fa:16:3e:00:40:05 10.40.0.5")
    vm = rig.endpoint(rig.chassis[0], "parent", VM_MAC)
    ends = {}
    for i, chassis in enumerate(rig.chassis, start=1):
        for n in NETS:
            name, mac = f"{n}{i}", f"fa:16:3e:00:{NETS.index(n) + 1:02x}:{i:02x}"
            lsp(c, f"rig-{n}", f"ep-{name}", mac)
            ends[name] = rig.endpoint(chassis, f"ep-{name}", mac)
    c.sync()
    for port in ["parent", "sub-a", "sub-b", *(f"ep-{e}" for e in ends)]:
        wait_for(f"{port} up", lambda port=port: c.lsp_up(port), timeout=20)
    yield Hand(rig, vm, ends)


def heard(h: Hand, vlan: int | None, expect: str | None) -> dict[str, list[int | None]]:
    """Broadcast from the instance on `vlan`: what each network end heard (keyed a1, a2, p1, ...)."""
    got = exchange(h.vm, list(h.ends.values()), vlan, expect=h.ends[expect] if expect else None)
    return {name: got[ep.ns] for name, ep in h.ends.items()}


def reply(h: Hand, end: str) -> list[int | None]:
    """A unicast frame from network end `end` to the instance's MAC: the VLANs the instance saw it on."""
    return exchange(h.ends[end], [h.vm], None, expect=h.vm, dst=VM_MAC)[h.vm.ns]


def only(got: dict[str, list[int | None]], **want: list[int | None]) -> None:
    assert got == {name: want.get(name, []) for name in got}


def test_chassis_register_and_ports_bind_where_the_parent_is(hand: Hand) -> None:
    c, (ch1, ch2) = hand.rig.central, hand.rig.chassis
    assert sorted(c.chassis_names()) == sorted([ch1.name, ch2.name])
    for port in ("parent", "sub-a", "sub-b", "ep-a1"):
        assert c.binding_chassis(port) == ch1.name, port
    assert c.binding_chassis("ep-a2") == ch2.name
    assert c.binding_chassis("sub-c-unused") is None
    assert not c.lsp_up("sub-c-unused")


def test_vlan_100_reaches_network_a_untagged_on_both_chassis_and_nothing_else(hand: Hand) -> None:
    only(heard(hand, 100, "a2"), a1=[None], a2=[None])


def test_vlan_200_reaches_network_b_only(hand: Hand) -> None:
    only(heard(hand, 200, "b2"), b1=[None], b2=[None])


def test_untagged_reaches_the_parents_network_only(hand: Hand) -> None:
    only(heard(hand, None, "p2"), p1=[None], p2=[None])


def test_a_vlan_without_a_subport_reaches_nobody(hand: Hand) -> None:
    only(heard(hand, 300, None))
    # OVN drops any tagged frame from a VIF with no child port on that VLAN, priority-tagged (VLAN 0) too
    only(heard(hand, 0, None))


def test_replies_come_back_tagged_with_the_subports_vlan(hand: Hand) -> None:
    assert reply(hand, "a1") == [100]
    assert reply(hand, "a2") == [100]  # across the geneve tunnel
    assert reply(hand, "b2") == [200]
    assert reply(hand, "p2") == [None]
    assert exchange(hand.ends["c1"], [hand.vm], None, dst=VM_MAC)[hand.vm.ns] == []


def test_ovn_native_dhcp_gives_the_parent_its_address(hand: Hand, tmp_path: pytest.TempPathFactory) -> None:
    script = tmp_path / "udhcpc.sh"  # type: ignore[operator]
    lease = tmp_path / "lease"  # type: ignore[operator]
    script.write_text(f'#!/bin/sh\n[ "$1" = bound ] && echo "$ip $subnet $router $mtu" > {lease}\nexit 0\n')
    script.chmod(0o755)
    out = subprocess.run(["ip", "netns", "exec", hand.vm.ns, "busybox", "udhcpc", "-i", "eth0", "-f", "-q", "-n",
                          "-t", "5", "-T", "2", "-s", str(script)], capture_output=True, text=True, timeout=60,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert lease.read_text().split() == [VM_IP, "255.255.255.0", "10.10.0.1", "1442"]


def test_removing_a_subport_cuts_its_vlan_only_and_adding_it_back_restores_it(hand: Hand) -> None:
    c = hand.rig.central
    c.nbctl("lsp-del", "sub-b", wait="hv")
    only(heard(hand, 200, None))
    only(heard(hand, 100, "a2"), a1=[None], a2=[None])
    lsp(c, "rig-b", "sub-b", f"{VM_MAC} 10.30.0.5", "parent_name=parent", "tag=200")
    c.sync()
    wait_for("sub-b up again", lambda: c.lsp_up("sub-b"))
    only(heard(hand, 200, "b2"), b1=[None], b2=[None])


def test_clearing_parent_name_alone_leaves_the_tag_so_both_are_cleared(hand: Hand) -> None:
    c = hand.rig.central
    c.nbctl("clear", "Logical_Switch_Port", "sub-b", "parent_name", wait="hv")
    assert c.nbctl("get", "Logical_Switch_Port", "sub-b", "tag") == "200"
    c.nbctl("clear", "Logical_Switch_Port", "sub-b", "tag", wait="hv")
    only(heard(hand, 200, None))
    c.nbctl("set", "Logical_Switch_Port", "sub-b", "parent_name=parent", "tag=200", wait="hv")
    wait_for("sub-b up again", lambda: c.lsp_up("sub-b"))
    only(heard(hand, 200, "b2"), b1=[None], b2=[None])


def test_northd_killed_holds_new_rows_back_until_it_is_restarted(hand: Hand) -> None:
    c = hand.rig.central
    c.kill_northd()
    c.nbctl("lsp-del", "sub-b")
    only(heard(hand, 200, "b2"), b1=[None], b2=[None])  # SB still has the old logical flows
    c.start_northd()
    c.sync()
    only(heard(hand, 200, None))
    lsp(c, "rig-b", "sub-b", f"{VM_MAC} 10.30.0.5", "parent_name=parent", "tag=200")
    c.sync()
    wait_for("sub-b up again", lambda: c.lsp_up("sub-b"))
    only(heard(hand, 200, "b2"), b1=[None], b2=[None])


def test_a_killed_controller_keeps_forwarding_and_catches_up_when_restarted(hand: Hand) -> None:
    c, ch1 = hand.rig.central, hand.rig.chassis[0]
    ch1.kill_controller()
    only(heard(hand, 100, "a2"), a1=[None], a2=[None])  # the flows stay in OVS
    c.nbctl("lsp-del", "sub-a")
    ch1.start_controller()
    c.sync()
    only(heard(hand, 100, None))
    lsp(c, "rig-a", "sub-a", f"{VM_MAC} 10.20.0.5", "parent_name=parent", "tag=100")
    c.sync()
    wait_for("sub-a up again", lambda: c.lsp_up("sub-a"))
    only(heard(hand, 100, "a2"), a1=[None], a2=[None])
