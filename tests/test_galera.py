"""A three-node MariaDB Galera cluster on this machine, two trunkd API processes on two nodes.

Conflicting writes raced through both processes end in one winner and typed 409s (Galera's certification
failures are retried, never a 500 or a duplicate); a node killed with SIGKILL mid-load loses nothing that
was acknowledged and the others go on. Bounded: a few dozen requests, each node start within 120 s.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pymysql
import pytest

from tests.support import IN_CI, Api, Server, free_port

PROVIDER = Path("/usr/lib/galera/libgalera_smm.so")
MARIADBD = Path("/usr/sbin/mariadbd")


@dataclass
class Node:
    name: str
    home: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/trunkd"

    def ready(self) -> bool:
        try:
            with pymysql.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=2) as conn, \
                    conn.cursor() as cur:
                cur.execute("SHOW STATUS LIKE 'wsrep_ready'")
                row = cur.fetchone()
                return row is not None and row[1] == "ON"
        except pymysql.err.MySQLError:
            return False


def _config(node: Node, gcomm: list[int], index: int) -> str:
    return f"""[mariadbd]
datadir={node.home}/data
socket={node.home}/sock
port={node.port}
bind-address=127.0.0.1
user=mysql
pid-file={node.home}/pid
log-error={node.home}/err.log
innodb_buffer_pool_size=32M
innodb_log_file_size=16M
skip-name-resolve
binlog_format=ROW
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider={PROVIDER}
wsrep_cluster_name=trunkd_test
wsrep_cluster_address=gcomm://{','.join(f'127.0.0.1:{p}' for p in gcomm)}
wsrep_node_address=127.0.0.1:{gcomm[index]}
wsrep_node_name={node.name}
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:{gcomm[index]};ist.recv_addr=127.0.0.1:{free_port()};gcache.size=16M"
wsrep_sst_receive_address=127.0.0.1:{free_port()}
wsrep_sst_method=rsync
"""


def _start(node: Node, *extra: str) -> None:
    node.proc = subprocess.Popen([str(MARIADBD), f"--defaults-file={node.home}/my.cnf", *extra],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not node.ready():
        if node.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{node.name} did not join: {(node.home / 'err.log').read_text()[-3000:]}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def cluster() -> Iterator[list[Node]]:
    if not (PROVIDER.exists() and MARIADBD.exists() and shutil.which("rsync")):
        if IN_CI:
            pytest.fail("Galera needs mariadbd, galera-4 and rsync (scripts/ensure-mariadb.sh)")
        pytest.skip("Galera not installed")
    # not under pytest's basetemp: the servers run as mysql, and pytest keeps its root private (0700)
    base = Path(tempfile.mkdtemp(prefix="trunkd-galera-"))
    gcomm = [free_port() for _ in range(3)]
    nodes = [Node(f"n{i}", base / f"n{i}", free_port()) for i in range(3)]
    try:
        # the servers and the rsync SST run as mysql: it must reach every data dir
        os.chmod(base, 0o711)
        for i, node in enumerate(nodes):
            node.home.mkdir()
            (node.home / "my.cnf").write_text(_config(node, gcomm, i))
        subprocess.run(["chown", "-R", "mysql:mysql", str(base)], check=True)
        for node in nodes:
            subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={node.home}/data", "--user=mysql",
                            "--auth-root-authentication-method=normal"], check=True, capture_output=True)
        _start(nodes[0], "--wsrep-new-cluster")
        for node in nodes[1:]:
            _start(node)
        with pymysql.connect(host="127.0.0.1", port=nodes[0].port, user="root", autocommit=True) as conn, \
                conn.cursor() as cur:
            cur.execute("CREATE DATABASE trunkd CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        yield nodes
    finally:
        for node in nodes:
            if node.proc is not None and node.proc.poll() is None:
                node.proc.send_signal(signal.SIGKILL)
                node.proc.wait(30)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def apis(cluster: list[Node], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Api]]:
    servers = []
    try:
        for node in cluster[:2]:
            workdir = tmp_path_factory.mktemp(f"trunkd-{node.name}")
            servers.append(Server(database=node.url, workdir=workdir).start(timeout=90))
        yield Api(servers[0].url, "galera"), Api(servers[1].url, "galera")
    finally:
        for srv in servers:
            srv.stop()


def test_conflicting_trunk_creates_through_two_nodes_end_in_one_trunk(apis: tuple[Api, Api]) -> None:
    a, b = apis
    net = a.network()["id"]
    for _ in range(8):
        parent = a.port(net)["id"]
        body = {"trunk": {"port_id": parent}}
        with ThreadPoolExecutor(max_workers=4) as pool:
            codes = list(pool.map(lambda api, body=body: api.post("/v2.0/trunks", body).status_code, [a, b, a, b]))
        assert sorted(codes) == [201, 409, 409, 409], codes
        listed = b.get(f"/v2.0/trunks?port_id={parent}").json()["trunks"]
        assert len(listed) == 1


def test_a_node_killed_mid_load_loses_nothing_acknowledged(cluster: list[Node], apis: tuple[Api, Api]) -> None:
    a, b = apis
    net = a.network()["id"]
    acknowledged: list[str] = []

    def create(i: int) -> int:
        if i == 10:
            third = cluster[2].proc
            assert third is not None
            third.send_signal(signal.SIGKILL)  # the node neither API process uses
        response = (a if i % 2 else b).post("/v2.0/networks", {"network": {"name": f"load-{i}"}})
        if response.status_code == 201:
            acknowledged.append(response.json()["network"]["id"])
        return response.status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(create, range(30)))
    assert 500 not in codes, codes
    assert set(codes) <= {201, 503}, codes
    assert codes.count(201) >= 20, codes  # the two remaining nodes keep a quorum and go on
    for api in (a, b):
        listed = {n["id"] for n in api.get("/v2.0/networks?fields=id").json()["networks"]}
        assert set(acknowledged) <= listed
    assert net
