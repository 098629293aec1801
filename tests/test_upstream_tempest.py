"""Neutron's own trunk API tests (tempest + neutron-tempest-plugin, unmodified) pass against trunkd in
keystone mode. One run of the whole selection (tests/upstream.py, also `scripts/tempest`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.keystone import Keystone
from tests.support import IN_CI
from tests.upstream import run_tempest, tempest_installed, trunkd_with_keystone


def test_upstream_trunk_api_tests_pass(keystone: Keystone, tmp_path: Path) -> None:
    if not tempest_installed():
        if IN_CI:
            pytest.fail("tempest is required in CI: scripts/ensure-tempest.sh did not install .venv-tempest")
        pytest.skip("tempest not installed (run scripts/ensure-tempest.sh)")
    with trunkd_with_keystone(keystone, tmp_path / "trunkd") as server:
        outcome = run_tempest(keystone, server.url, tmp_path / "tempest")
    print(outcome.summary())
    assert outcome.passed, outcome.log
    assert not outcome.failed, f"{outcome.summary()}\n{outcome.log}"
