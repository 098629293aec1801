"""The registered rules themselves: Neutron 29's trunk defaults decided by oslo.policy, and the standard oslo
tools (`oslopolicy-sample-generator`, `oslopolicy-policy-generator`) reading them through trunkd's entry points."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from oslo_policy import _parser

from trunkd.domain.context import RequestContext, with_implied
from trunkd.policy.engine import RELOAD_INTERVAL, OsloPolicy, make_conf, target_reads
from trunkd.policy.rules import list_rules

BIN = Path(sys.executable).parent
TRUNK_WRITES = ["create_trunk", "update_trunk", "delete_trunk", "add_subports", "remove_subports",
                "create_trunk:tags", "update_trunk:tags", "delete_trunk:tags"]
TRUNK_READS = ["get_trunk", "get_subports", "get_trunk:tags"]


def ctx(*roles: str, project: str = "p1", system: str | None = None) -> RequestContext:
    return RequestContext(project_id=project, roles=with_implied(set(roles)), system_scope=system)


@pytest.fixture(scope="module")
def policy() -> OsloPolicy:
    return OsloPolicy(make_conf())


@pytest.mark.parametrize("rule", TRUNK_WRITES + TRUNK_READS)
def test_trunk_rules_follow_neutrons_defaults(policy: OsloPolicy, rule: str) -> None:
    """SPEC §1.13: admin anywhere; manager and member in their project; reader reads only; the service role and
    system-scoped tokens get nothing."""
    own, other = {"project_id": "p1"}, {"project_id": "p2"}
    assert policy.allowed(ctx("admin"), rule, other)
    assert policy.allowed(ctx("manager"), rule, own) and not policy.allowed(ctx("manager"), rule, other)
    assert policy.allowed(ctx("member"), rule, own) and not policy.allowed(ctx("member"), rule, other)
    assert policy.allowed(ctx("reader"), rule, own) is (rule in TRUNK_READS)
    assert not policy.allowed(ctx("reader"), rule, other)
    assert not policy.allowed(ctx("service"), rule, own)
    assert not policy.allowed(ctx(), rule, own)
    assert not policy.allowed(ctx("admin", system="all"), rule, own)


def test_binding_and_provider_attributes_are_for_admin_and_service(policy: OsloPolicy) -> None:
    own = {"project_id": "p1"}
    for attr in ("binding:host_id", "binding:vif_type", "binding:vif_details", "binding:profile"):
        assert policy.allowed(ctx("admin"), f"get_port:{attr}", own)
        assert policy.allowed(ctx("service"), f"get_port:{attr}", own)
        assert not policy.allowed(ctx("member"), f"get_port:{attr}", own)
    for attr in ("provider:network_type", "provider:physical_network", "provider:segmentation_id"):
        assert policy.allowed(ctx("admin"), f"get_network:{attr}", own)
        assert not policy.allowed(ctx("member"), f"get_network:{attr}", own)
        assert not policy.allowed(ctx("member"), f"create_network:{attr}", own)
    # Neutron 29: only the service role sets binding:profile (Nova's port binding)
    assert policy.allowed(ctx("service"), "create_port:binding:profile", own)
    assert not policy.allowed(ctx("admin"), "create_port:binding:profile", own)


def test_shared_network_is_readable_by_every_project(policy: OsloPolicy) -> None:
    assert policy.allowed(ctx("reader"), "get_network", {"project_id": "p2", "shared": True})
    assert not policy.allowed(ctx("reader"), "get_network", {"project_id": "p2", "shared": False})


def test_network_device_ports_are_for_the_network_owner(policy: OsloPolicy) -> None:
    target = {"project_id": "p1", "network:project_id": "p2", "device_owner": "network:dhcp"}
    assert not policy.allowed(ctx("member"), "create_port:device_owner", target)
    assert policy.allowed(ctx("member"), "create_port:device_owner", {**target, "device_owner": "compute:nova"})
    assert policy.allowed(ctx("member"), "create_port:device_owner", {**target, "network:project_id": "p1"})


def test_an_action_without_a_rule_is_admin_only(policy: OsloPolicy) -> None:
    assert policy.allowed(ctx("admin"), "frobnicate_trunk", {"project_id": "p1"})
    assert not policy.allowed(ctx("member"), "frobnicate_trunk", {"project_id": "p1"})
    assert policy.allowed(ctx("member"), "get_trunk:name", {"project_id": "p1"}, if_undefined=True)


def test_sample_generator_lists_every_rule() -> None:
    out = subprocess.run([str(BIN / "oslopolicy-sample-generator"), "--namespace", "trunkd"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    listed = re.findall(r'^#"([^"]+)":', out, re.MULTILINE)
    assert sorted(listed) == sorted(r.name for r in list_rules())
    assert '#"add_subports": "(rule:admin_only) or (role:member and project_id:%(project_id)s)"' in out


def test_policy_generator_merges_an_operators_policy_file(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text('"create_trunk": "rule:admin_only"\n')
    (tmp_path / "trunkd.conf").write_text(f"[oslo_policy]\npolicy_file = {tmp_path / 'policy.yaml'}\n")
    out = subprocess.run([str(BIN / "oslopolicy-policy-generator"), "--namespace", "trunkd",
                          "--config-file", str(tmp_path / "trunkd.conf")],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    assert '"create_trunk": "rule:admin_only"' in out
    assert '"add_subports": "(rule:admin_only) or (role:member and project_id:%(project_id)s)"' in out


def test_policy_file_is_reread_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("{}\n")
    policy = OsloPolicy(make_conf(policy_file=str(path)))
    member = ctx("member")
    assert policy.allowed(member, "create_trunk", {"project_id": "p1"})
    path.write_text('"create_trunk": "rule:admin_only"\n')
    stamp = path.stat().st_mtime + 5
    os.utime(path, (stamp, stamp))
    time.sleep(RELOAD_INTERVAL + 0.2)
    assert not policy.allowed(member, "create_trunk", {"project_id": "p1"})


def test_remembered_decisions_follow_every_target_key_the_rule_reads(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text('"update_trunk": "\'blue\':%(name)s and rule:owner"\n'
                    '"get_trunk": "field:trunks:name=blue or field:trunks:admin_state_up=False"\n')
    policy = OsloPolicy(make_conf(policy_file=str(path)))
    member = ctx("member")
    for _ in range(3):  # asked again and again: each answer is still the rule's
        assert policy.allowed(member, "update_trunk", {"project_id": "p1", "name": "blue"})
        assert not policy.allowed(member, "update_trunk", {"project_id": "p1", "name": "red"})
        assert not policy.allowed(member, "update_trunk", {"project_id": "p2", "name": "blue"})
        assert not policy.allowed(ctx("member", project="p2"), "update_trunk", {"project_id": "p1", "name": "blue"})
        assert not policy.allowed(member, "update_trunk", {"project_id": "p1"})  # no name: oslo says no
        assert policy.allowed(member, "get_trunk", {"name": "blue", "admin_state_up": True})
        assert policy.allowed(member, "get_trunk", {"name": "red", "admin_state_up": False})
        assert not policy.allowed(member, "get_trunk", {"name": "red", "admin_state_up": True})


def test_what_a_rule_reads_of_the_target(policy: OsloPolicy) -> None:
    rules = policy.enforcer.rules
    for rule in TRUNK_WRITES + TRUNK_READS:
        assert target_reads(rules[rule], rules) == {"project_id"}, rule
    assert target_reads(rules["get_network"], rules) == {"project_id", "shared", "router:external"}
    assert target_reads(_parser.parse_rule("role:admin or rule:nowhere"), rules) == frozenset()
    # a remote check may read the whole target: nothing is remembered for it
    assert target_reads(_parser.parse_rule("rule:owner or http://127.0.0.1:9/check"), rules) is None


def serve(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trunkd.cli", "serve", "--database", f"sqlite:///{cwd}/t.db",
                           "--port", "1", *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def test_keystone_mode_without_a_config_file_does_not_start(tmp_path: Path) -> None:
    done = serve("--auth-strategy", "keystone", cwd=tmp_path)
    assert done.returncode == 2
    assert "--auth-strategy keystone needs --config-file with a [keystone_authtoken] section" in done.stderr


def test_a_missing_policy_file_stops_the_start(tmp_path: Path) -> None:
    done = serve("--policy-file", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert done.returncode == 2
    assert f"file not found: {tmp_path / 'nope.yaml'}" in done.stderr


def test_a_decision_on_a_target_that_lacks_a_key_the_rule_reads_is_remembered() -> None:
    policy = OsloPolicy(make_conf())
    asked: list[str] = []
    enforce = policy.enforcer.enforce

    def counting(rule: str, *args: object, **kwargs: object) -> object:
        asked.append(rule)
        return enforce(rule, *args, **kwargs)

    policy.enforcer.enforce = counting  # type: ignore[method-assign]
    other = ctx("member", project="p2")
    for _ in range(3):  # get_network:tags reads `shared` and `router:external`, which the views leave out
        assert not policy.allowed(other, "get_network:tags", {"project_id": "p1"})
        assert policy.allowed(other, "get_network:tags", {"project_id": "p1", "shared": True})
        assert policy.allowed(ctx("member"), "get_network:tags", {"project_id": "p1"})
    assert asked == ["get_network:tags"] * 3  # one oslo check per distinct question


def test_attribute_rules_are_listed_by_prefix(policy: OsloPolicy) -> None:
    assert {"provider:network_type", "provider:physical_network", "provider:segmentation_id"} <= \
        policy.defined_under("get_network:")
    assert "binding:host_id" in policy.defined_under("get_port:")
    assert "name" not in policy.defined_under("get_port:")
