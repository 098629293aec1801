"""The pure address rules (trunkd/domain/addressing.py): no server, no database."""

from __future__ import annotations

import pytest

from trunkd.domain import addressing, errors
from trunkd.domain.addressing import Range


def test_eui64_matches_neutrons_slaac_address() -> None:
    assert addressing.eui64("2001:db8::/64", "fa:16:3e:12:34:56") == "2001:db8::f816:3eff:fe12:3456"
    assert addressing.eui64("fd00:1:2:3::/64", "00:00:00:00:00:01") == "fd00:1:2:3:200:ff:fe00:1"


@pytest.mark.parametrize(("cidr", "gateway", "pools"), [
    ("10.0.0.0/24", "10.0.0.1", [Range(2, 254)]),
    ("10.0.0.0/24", None, [Range(1, 254)]),
    ("10.0.0.0/24", "10.0.0.254", [Range(1, 253)]),
    ("10.0.0.0/24", "10.0.0.9", [Range(1, 8), Range(10, 254)]),
    ("10.0.0.0/24", "192.168.0.1", [Range(1, 254)]),
    ("10.0.0.0/31", None, [Range(0, 1)]),
    ("10.0.0.5/32", None, [Range(0, 0)]),
    ("2001:db8::/120", "2001:db8::1", [Range(2, 255)]),
])
def test_default_pools(cidr: str, gateway: str | None, pools: list[Range]) -> None:
    assert addressing.default_pools(addressing.network(cidr), gateway) == pools


def test_split_ranges_removes_taken_offsets_and_keeps_the_rest() -> None:
    ranges = [Range(10, 12), Range(20, 30)]
    assert addressing.split_ranges(ranges, [10, 12, 25, 29, 99]) == [Range(11, 11), Range(20, 24), Range(26, 28),
                                                                      Range(30, 30)]
    assert addressing.split_ranges(ranges, []) == ranges
    assert addressing.split_ranges([Range(5, 5)], [5]) == []


def test_pool_ranges_of_a_huge_ipv6_pool_stay_storable() -> None:
    net = addressing.network("2001:db8::/64")
    ranges = addressing.pool_ranges(net, [{"start": "2001:db8::1", "end": "2001:db8::ffff:ffff:ffff:ffff"}])
    assert ranges == [Range(1, 2**63 - 1)]
    assert addressing.in_ranges(ranges, 2**62) and not addressing.in_ranges(ranges, 0)


@pytest.mark.parametrize(("pools", "error"), [
    ([{"start": "10.0.0.9", "end": "10.0.0.5"}], errors.InvalidAllocationPool),
    ([{"start": "2001:db8::1", "end": "2001:db8::5"}], errors.InvalidAllocationPool),
    ([{"start": "10.0.0.0", "end": "10.0.0.5"}], errors.OutOfBoundsAllocationPool),
    ([{"start": "10.0.0.2", "end": "10.0.0.255"}], errors.OutOfBoundsAllocationPool),
    ([{"start": "10.0.0.2", "end": "10.0.0.9"}, {"start": "10.0.0.9", "end": "10.0.0.20"}],
     errors.OverlappingAllocationPools),
    ([{"start": "10.0.0.1", "end": "10.0.0.9"}], errors.GatewayConflictWithAllocationPools),
])
def test_check_pools_raises_neutrons_errors(pools: list[dict[str, str]], error: type[Exception]) -> None:
    with pytest.raises(error):
        addressing.check_pools(addressing.network("10.0.0.0/24"), pools, "10.0.0.1")


def test_valid_in_subnet_excludes_network_and_ipv4_broadcast() -> None:
    net = addressing.network("10.0.0.0/24")
    assert [addressing.valid_in_subnet(net, addressing.address(a))
            for a in ("10.0.0.0", "10.0.0.1", "10.0.0.255", "10.0.1.1", "2001:db8::1")] == [
        False, True, False, False, False]
    v6 = addressing.network("2001:db8::/64")
    assert not addressing.valid_in_subnet(v6, addressing.address("2001:db8::"))
    assert addressing.valid_in_subnet(v6, addressing.address("2001:db8::ffff:ffff:ffff:ffff"))


def test_overlapping_pools_found_in_any_order_and_many_pools_checked_by_sorting() -> None:
    net = addressing.network("10.0.0.0/16")
    pools = [{"start": "10.0.0.50", "end": "10.0.0.60"}, {"start": "10.0.1.1", "end": "10.0.1.9"},
             {"start": "10.0.0.10", "end": "10.0.0.55"}]
    with pytest.raises(errors.OverlappingAllocationPools) as raised:
        addressing.check_pools(net, pools, None)
    assert "10.0.0.50-10.0.0.60" in str(raised.value) and "10.0.0.10-10.0.0.55" in str(raised.value)
    many = [{"start": f"10.0.{i // 250}.{i % 250 + 2}", "end": f"10.0.{i // 250}.{i % 250 + 2}"} for i in range(30_000)]
    assert len(addressing.check_pools(net, many[::-1], None)) == 30_000


def test_in_ranges_over_many_pools() -> None:
    pools = [Range(i, i) for i in range(0, 60_000, 2)]
    assert addressing.in_ranges(pools, 40_002) and not addressing.in_ranges(pools, 40_003)
    assert not addressing.in_ranges(pools, 60_000)
