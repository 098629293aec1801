"""The policy file against a live server (issue 19, item 7): broken, emptied or deleted, it never 500s a
request and never reopens what it closed; the rules last read stay, and one ERROR line names the file and
the problem each time it is read; fixed or restored, it is taken within a second or two."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Api, Server, error_type

TIGHT = '"create_network": "rule:admin_only"\n'  # members may not create networks


def touch(path: Path) -> None:
    """A new mtime, whatever the file system's resolution."""
    stamp = time.time() + 2 + len(path.read_text()) / 1000
    os.utime(path, (stamp, stamp))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    workdir = tmp_path_factory.mktemp("policy-file")
    path = workdir / "policy.yaml"
    path.write_text(TIGHT)
    srv = Server(database=f"sqlite:///{workdir}/t.db", workdir=workdir, args=["--policy-file", str(path)]).start()
    try:
        yield srv, path
    finally:
        srv.stop()


def errors_about(srv: Server, path: Path, problem: str) -> list[str]:
    return [line for line in srv.log.read_text().splitlines()
            if "ERROR" in line and str(path) in line and problem in line]


def wait_for(check: object, what: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    pytest.fail(f"not within 15 s: {what}")


def create_network(srv: Server) -> int:
    r = Api(srv.url, "project-x", "member,reader").post("/v2.0/networks", {"network": {"name": "n"}})
    assert r.status_code in (201, 403), r.text
    if r.status_code == 403:
        assert error_type(r) == "PolicyNotAuthorized"
    return r.status_code


@pytest.mark.parametrize(("content", "problem"), [
    ('"create_network": [unclosed\n', "does not parse"),
    ("", "is empty"),
    (None, "is missing"),
    ("- just\n- a list\n", "is not a mapping of rule names to rule strings"),
])
def test_a_bad_policy_file_keeps_the_last_good_rules(served: tuple[Server, Path], content: str | None,
                                                     problem: str) -> None:
    srv, path = served
    path.write_text(TIGHT)
    touch(path)
    wait_for(lambda: create_network(srv) == 403, "the tight rule in force")
    before = len(errors_about(srv, path, problem))
    if content is None:
        path.unlink()
    else:
        path.write_text(content)
        touch(path)
    # the file is looked at (at most once a second) when a request asks the policy: each try asks
    wait_for(lambda: create_network(srv) == 403 and len(errors_about(srv, path, problem)) == before + 1,
             f"one ERROR line: {problem}")
    for _ in range(5):  # never a 500, never the defaults (which let members create networks)
        assert create_network(srv) == 403
    time.sleep(1.5)  # more looks at the same bad file: read once, said once (again only after a minute)
    assert create_network(srv) == 403
    assert len(errors_about(srv, path, problem)) == before + 1
    assert "Traceback" not in srv.log.read_text()


def test_a_fixed_or_restored_policy_file_is_taken(served: tuple[Server, Path]) -> None:
    srv, path = served
    path.write_text(TIGHT)
    touch(path)
    wait_for(lambda: create_network(srv) == 403, "the tight rule in force")
    path.unlink()
    wait_for(lambda: create_network(srv) == 403 and errors_about(srv, path, "is missing"), "the missing file noticed")
    path.write_text("# no overrides: the defaults\n{}\n")  # restored, now opening the rule again
    wait_for(lambda: create_network(srv) == 201, "the restored file taken")
    path.write_text('"create_network": [broken\n')
    touch(path)
    wait_for(lambda: create_network(srv) == 201 and errors_about(srv, path, "does not parse"),
             "the broken file noticed")
    assert create_network(srv) == 201  # the last good rules are the restored file's
    path.write_text(TIGHT)
    touch(path)
    wait_for(lambda: create_network(srv) == 403, "the fixed file taken")


def test_a_broken_policy_file_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text('"create_network": [unclosed\n')
    done = subprocess.run([sys.executable, "-m", "trunkd.cli", "serve", "--database", f"sqlite:///{tmp_path}/t.db",
                           "--port", "1", "--policy-file", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"trunkd: cannot start: policy file {path} does not parse: ")
