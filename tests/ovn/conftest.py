"""Fixtures for the OVN tests: one central and two chassis per test module (started once, removed after)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ovn.rig import Rig, ovn_rig


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """OVN NB/SB/northd and two chassis joined by geneve, for the whole module."""
    with ovn_rig(tmp_path_factory.mktemp("ovn")) as r:
        yield r
