"""Neutron's own trunk API tests (tempest + neutron-tempest-plugin from PyPI, in .venv-tempest) against
`trunkd serve --auth-strategy keystone`, with a real Keystone that lists trunkd as the `network` service.

    python -m tests.upstream [--workdir DIR]     (scripts/tempest; the test suite runs it too)

The tests are selected by name (the `neutron_tempest_plugin.api` trunk tests and the wider core set) and run
unmodified. Prints passed / skipped (with each reason) / failed, and exits non-zero on any failure but
the known gaps (KNOWN_GAPS).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.keystone import ADMIN_PASSWORD, REGION, Keystone, authtoken_config
from tests.support import REPO, Server, throwaway_database

VENV = REPO / ".venv-tempest"
TRUNK_REGEX = r"neutron_tempest_plugin\.api\..*[Tt]runk"
# the wider core: networks, ports, subnets, extra DHCP options, subnet pools (with their negative tests),
# and the admin tests of each
WIDER_REGEX = (r"neutron_tempest_plugin\.api\.(admin\.)?"
               r"test_(networks|ports|subnets|extra_dhcp_options|subnetpools|subnetpools_negative)\.")
# security groups: groups, rules, the port-security rules and the admin tests
SECURITY_GROUP_REGEX = r"neutron_tempest_plugin\.api\.(admin\.)?test_security_groups(_negative)?\."
REGEX = f"({TRUNK_REGEX})|({WIDER_REGEX})|({SECURITY_GROUP_REGEX})"
# Failures reported but not counted (README "Neutron's own API tests"): none. A pattern added here must
# name a test trunkd cannot pass on purpose, with the reason in the README.
KNOWN_GAPS: tuple[str, ...] = ()
# Why tempest itself may skip a selected test against trunkd: an API extension trunkd does not list, or no
# DHCP agent (trunkd runs none). Any other skip reason is a regression the test suite reports.
SKIP_REASONS = (r".*\bextension\b.* not enabled", r"At least one DHCP agent is required")


def expected_skip(reason: str) -> bool:
    return any(re.match(pattern, reason) for pattern in SKIP_REASONS)


def known_gap(name: str) -> bool:
    return any(re.match(gap, name) for gap in KNOWN_GAPS)
CONCURRENCY = 2

# reads the subunit stream of the last run: one JSON line per test with its status and skip reason
_SUBUNIT_READER = textwrap.dedent("""\
    import json, sys
    import subunit, testtools
    results = {}
    def on_test(test):
        status = test["status"]
        if status not in ("success", "skip", "fail", "xfail", "uxsuccess"):
            return
        reason = ""
        for name, detail in (test.get("details") or {}).items():
            if name == "reason":
                reason = detail.as_text()
        results[test["id"]] = (status, reason)
    stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="stdout")
    summary = testtools.StreamToDict(on_test)
    summary.startTestRun()
    stream.run(summary)
    summary.stopTestRun()
    for test_id, (status, reason) in sorted(results.items()):
        print(json.dumps({"id": test_id, "status": status, "reason": reason}))
    """)


@dataclass
class Outcome:
    passed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    log: str = ""

    def summary(self) -> str:
        lines = []
        for label, trunk in (("trunk", True), ("wider core", False)):
            def mine(name: str, trunk: bool = trunk) -> bool:
                return is_trunk_test(name) == trunk
            lines.append(f"upstream {label} API tests: {sum(map(mine, self.passed))} passed, "
                         f"{sum(map(mine, self.skipped))} skipped, {sum(map(mine, self.failed))} failed")
        lines += [f"  SKIPPED {name}: {reason}" for name, reason in sorted(self.skipped.items())]
        lines += [f"  FAILED  {name}{' (known gap)' if known_gap(name) else ''}" for name in sorted(self.failed)]
        return "\n".join(lines)


def is_trunk_test(name: str) -> bool:
    return re.search(TRUNK_REGEX, name) is not None


def tempest_installed() -> bool:
    return (VENV / "bin" / "tempest").exists()


def extension_aliases(keystone: Keystone, trunkd_url: str) -> list[str]:
    token = keystone.token("admin", ADMIN_PASSWORD, "admin")
    r = httpx.get(f"{trunkd_url}/v2.0/extensions", headers={"X-Auth-Token": token}, timeout=60)
    r.raise_for_status()
    return sorted(e["alias"] for e in r.json()["extensions"])


def write_workspace(workdir: Path, keystone: Keystone, aliases: list[str]) -> Path:
    """tempest's workspace made by hand (`tempest init` would also write into $HOME)."""
    (workdir / "etc").mkdir(parents=True, exist_ok=True)
    (workdir / "etc" / "tempest.conf").write_text(textwrap.dedent(f"""\
        [DEFAULT]
        log_file = {workdir}/tempest.log
        [auth]
        use_dynamic_credentials = true
        admin_username = admin
        admin_password = {ADMIN_PASSWORD}
        admin_project_name = admin
        admin_domain_name = Default
        [identity]
        uri_v3 = {keystone.url}/v3
        auth_version = v3
        region = {REGION}
        [identity-feature-enabled]
        api_v2 = false
        [service_available]
        neutron = true
        nova = false
        glance = false
        cinder = false
        swift = false
        [network]
        region = {REGION}
        [network-feature-enabled]
        api_extensions = {",".join(aliases)}
        ipv6 = true
        ipv6_subnet_attributes = true
        [neutron_plugin_options]
        available_type_drivers = flat,vlan,vxlan
        provider_vlans = physnet1
        """))
    site = VENV / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (workdir / ".stestr.conf").write_text(
        f"[DEFAULT]\ntest_path={site / 'tempest' / 'test_discover'}\ntop_dir={site}\ngroup_regex=([^\\.]*\\.)*\n"
    )
    return workdir


def run_tempest(keystone: Keystone, trunkd_url: str, workdir: Path, regex: str = REGEX) -> Outcome:
    """Register trunkd as the network service, write tempest's workspace, run the trunk tests."""
    keystone.register_service("network", "trunkd", trunkd_url)
    workdir.mkdir(parents=True, exist_ok=True)
    write_workspace(workdir, keystone, extension_aliases(keystone, trunkd_url))
    env = {**os.environ, "HOME": str(workdir), "TEMPEST_CONFIG_DIR": str(workdir / "etc"),
           "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("VIRTUAL_ENV", None)
    run = subprocess.run([str(VENV / "bin" / "tempest"), "run", "--regex", regex, "--concurrency", str(CONCURRENCY)],
                         cwd=workdir, env=env, capture_output=True, text=True, timeout=1200)
    stream = subprocess.run([str(VENV / "bin" / "stestr"), "last", "--subunit"], cwd=workdir, env=env,
                            capture_output=True, timeout=120)
    read = subprocess.run([str(VENV / "bin" / "python"), "-c", _SUBUNIT_READER], input=stream.stdout,
                          capture_output=True, timeout=120, check=True)
    outcome = Outcome(log=run.stdout[-20000:] + run.stderr[-5000:])
    for line in read.stdout.decode().splitlines():
        test = json.loads(line)
        name = test["id"].split("[", 1)[0]
        if test["status"] == "success":
            outcome.passed.append(name)
        elif test["status"] == "skip":
            outcome.skipped[name] = test["reason"].strip()
        else:
            outcome.failed.append(name)
    if run.returncode != 0 and not outcome.failed:
        outcome.failed.append(f"tempest run exited {run.returncode}")
    return outcome


@contextmanager
def trunkd_with_keystone(keystone: Keystone, workdir: Path, engine: str = "sqlite") -> Iterator[Server]:
    """trunkd on `engine` in keystone mode, validating tokens as the `trunkd` service user."""
    keystone.user("trunkd", "service", "service")
    workdir.mkdir(parents=True, exist_ok=True)
    conf = authtoken_config(keystone, workdir / "trunkd.conf", "trunkd")
    with throwaway_database(engine, workdir) as url:
        # a loaded machine (Keystone and tempest beside it) can take more than the default 30 s to start it
        server = Server(url, workdir, args=["--auth-strategy", "keystone", "--config-file", str(conf)]).start(120)
        try:
            yield server
        finally:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, help="where Keystone, trunkd and tempest keep their files")
    parser.add_argument("--regex", default=REGEX, help="tempest's test selection (default: trunk and wider core)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="trunkd-tempest-"))
    keystone = Keystone(workdir / "keystone").start()
    try:
        with trunkd_with_keystone(keystone, workdir / "trunkd") as server:
            outcome = run_tempest(keystone, server.url, workdir / "tempest", args.regex)
    finally:
        keystone.stop()
    print(outcome.summary())
    if outcome.failed:
        print(f"tempest output and logs: {workdir}/tempest", file=sys.stderr)
    return 1 if any(not known_gap(name) for name in outcome.failed) else 0


if __name__ == "__main__":
    sys.exit(main())
