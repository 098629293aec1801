"""Start-up failures of the database (issue 19, item 9): the real CLI says what and how to fix it in one line
on stderr and exits 2, without a traceback, for `serve` and `db upgrade` alike."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults import immutable
from tests.support import IN_CI, free_port


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trunkd.cli", *args], capture_output=True, text=True,
                          timeout=90, cwd=cwd)


def refused(url: str, cwd: Path) -> tuple[str, str]:
    """The one stderr line both commands print for `url` (asserted the same), without its prefix: the part
    before the cause in parentheses, and the whole line."""
    lines = []
    for command in (["serve", "--port", str(free_port())], ["db", "upgrade"]):
        done = run(*command, "--database", url, cwd=cwd)
        assert done.returncode == 2, (command, done.stderr)
        assert "Traceback" not in done.stderr and done.stdout == ""
        [line] = done.stderr.splitlines()
        assert line.startswith("trunkd: cannot start: "), line
        lines.append(line.removeprefix("trunkd: cannot start: "))
    assert lines[0] == lines[1]
    return lines[0].split(" (", 1)[0], lines[0]


def test_unreachable_postgresql(tmp_path: Path) -> None:
    port = free_port()
    head, line = refused(f"postgresql://trunkd:secret@127.0.0.1:{port}/trunkd", tmp_path)
    assert head == f"cannot reach PostgreSQL at 127.0.0.1:{port}"
    assert "start it, or fix the host and port in --database" in line and "secret" not in line


def test_unreachable_mariadb(tmp_path: Path) -> None:
    port = free_port()
    head, line = refused(f"mysql://trunkd:secret@127.0.0.1:{port}/trunkd", tmp_path)
    assert head == f"cannot reach MariaDB/MySQL at 127.0.0.1:{port}"
    assert "start it, or fix the host and port" in line and "secret" not in line


def test_missing_sqlite_directory(tmp_path: Path) -> None:
    db = tmp_path / "nowhere" / "trunkd.db"
    _head, line = refused(f"sqlite:///{db}", tmp_path)
    assert line == (f"the directory of SQLite database {db} does not exist: create it (mkdir -p {db.parent}) "
                    "or fix --database, TRUNKD_DATABASE or [database] connection")
    assert not db.parent.exists()


def test_read_only_sqlite_file(tmp_path: Path) -> None:
    if shutil.which("chattr") is None:  # scripts/ensure-fault-tools.sh installs it
        pytest.fail("chattr (e2fsprogs) is needed") if IN_CI else pytest.skip("no chattr")
    db = tmp_path / "trunkd.db"
    assert run("db", "upgrade", "--database", f"sqlite:///{db}", cwd=tmp_path).returncode == 0
    files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    immutable(files, True)  # even root cannot write it
    try:
        head, line = refused(f"sqlite:///{db}", tmp_path)
    finally:
        immutable(files, False)
    assert head == f"SQLite database {db} is read-only"
    assert line.endswith("make the file, its -wal/-shm files and its directory writable for trunkd")


@pytest.mark.parametrize("url", ["not a url", "nosuchdb://x/y", "sqlite+nodriver:///x.db"])
def test_bad_url(tmp_path: Path, url: str) -> None:
    head, line = refused(url, tmp_path)
    assert head == "bad database URL"
    assert line.endswith("give one like sqlite:////var/lib/trunkd/trunkd.db or postgresql://user:password@host"
                         "/trunkd in --database, TRUNKD_DATABASE or [database] connection")


def test_a_good_database_still_starts(tmp_path: Path) -> None:
    (tmp_path / "new").mkdir()
    done = run("db", "upgrade", "--database", f"sqlite:///{tmp_path}/new/t.db", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "new" / "t.db").exists()
