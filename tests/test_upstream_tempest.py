"""Neutron's own API tests (tempest + neutron-tempest-plugin, unmodified) against trunkd in keystone mode:
the 52 trunk tests pass; the wider core set (networks, ports, subnets, extra DHCP options, subnet pools) and the
security group tests pass or are skipped by tempest itself (an extension trunkd does not list; README). One run
of the whole selection (tests/upstream.py, also `scripts/tempest`) on SQLite, and the security group tests again
with trunkd on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require_engine
from tests.keystone import Keystone
from tests.support import IN_CI
from tests.upstream import (
    SECURITY_GROUP_REGEX,
    expected_skip,
    is_trunk_test,
    known_gap,
    run_tempest,
    tempest_installed,
    trunkd_with_keystone,
)


def test_upstream_trunk_api_tests_pass(keystone: Keystone, tmp_path: Path) -> None:
    if not tempest_installed():
        if IN_CI:
            pytest.fail("tempest is required in CI: scripts/ensure-tempest.sh did not install .venv-tempest")
        pytest.skip("tempest not installed (run scripts/ensure-tempest.sh)")
    with trunkd_with_keystone(keystone, tmp_path / "trunkd") as server:
        outcome = run_tempest(keystone, server.url, tmp_path / "tempest")
    print(outcome.summary())
    assert outcome.passed, outcome.log
    assert len([t for t in outcome.passed if is_trunk_test(t)]) == 52, outcome.summary()
    unexpected = [t for t in outcome.failed if not known_gap(t)]
    assert not unexpected, f"{outcome.summary()}\n{outcome.log}"
    odd_skips = {t: why for t, why in outcome.skipped.items() if not expected_skip(why)}
    assert not odd_skips, outcome.summary()


def test_upstream_security_group_tests_pass_on_postgresql(keystone: Keystone, tmp_path: Path) -> None:
    if not tempest_installed():
        if IN_CI:
            pytest.fail("tempest is required in CI: scripts/ensure-tempest.sh did not install .venv-tempest")
        pytest.skip("tempest not installed (run scripts/ensure-tempest.sh)")
    require_engine("postgresql")
    with trunkd_with_keystone(keystone, tmp_path / "trunkd", "postgresql") as server:
        outcome = run_tempest(keystone, server.url, tmp_path / "tempest", SECURITY_GROUP_REGEX)
    print(outcome.summary())
    assert len(outcome.passed) >= 60, outcome.summary()
    assert not outcome.failed, f"{outcome.summary()}\n{outcome.log}"
    odd_skips = {t: why for t, why in outcome.skipped.items() if not expected_skip(why)}
    assert not odd_skips, outcome.summary()
