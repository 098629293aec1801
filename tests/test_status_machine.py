"""The trunk status machine: every (from, to) pair is allowed or denied exactly as the table says."""

from __future__ import annotations

import itertools

import pytest

from trunkd.domain.errors import InvalidStatusTransition
from trunkd.domain.status import TrunkStatus, can_transition, transition

S = TrunkStatus
# the expected answer for every pair, written out so the table cannot drift unnoticed
EXPECTED = {
    (S.DOWN, S.DOWN): True, (S.DOWN, S.BUILD): True, (S.DOWN, S.ACTIVE): True,
    (S.DOWN, S.DEGRADED): True, (S.DOWN, S.ERROR): True,
    (S.BUILD, S.DOWN): True, (S.BUILD, S.BUILD): True, (S.BUILD, S.ACTIVE): True,
    (S.BUILD, S.DEGRADED): True, (S.BUILD, S.ERROR): True,
    (S.ACTIVE, S.DOWN): True, (S.ACTIVE, S.BUILD): True, (S.ACTIVE, S.ACTIVE): True,
    (S.ACTIVE, S.DEGRADED): True, (S.ACTIVE, S.ERROR): True,
    (S.DEGRADED, S.DOWN): True, (S.DEGRADED, S.BUILD): True, (S.DEGRADED, S.ACTIVE): True,
    (S.DEGRADED, S.DEGRADED): True, (S.DEGRADED, S.ERROR): True,
    (S.ERROR, S.DOWN): True, (S.ERROR, S.BUILD): False, (S.ERROR, S.ACTIVE): False,
    (S.ERROR, S.DEGRADED): False, (S.ERROR, S.ERROR): True,
}


def test_expected_table_covers_every_pair() -> None:
    assert set(EXPECTED) == set(itertools.product(S, S))


@pytest.mark.parametrize(("current", "target"), sorted(EXPECTED))
def test_transition(current: TrunkStatus, target: TrunkStatus) -> None:
    assert can_transition(current, target) is EXPECTED[(current, target)]
    if EXPECTED[(current, target)]:
        assert transition("t", current, target) is target
    else:
        with pytest.raises(InvalidStatusTransition) as caught:
            transition("t", current, target)
        assert caught.value.code == 409
        assert f"from {current} to {target}" in caught.value.message
