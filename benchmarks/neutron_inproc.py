"""Neutron 29's TrunkPlugin in-process: the comparison workload with no HTTP at all.

Runs in Neutron's own virtualenv (benchmarks/.neutron-venv, made by benchmarks/neutron/setup.sh);
`benchmarks.compare` starts it. The plugin is set up by Neutron's unit-test base class for the
trunk plugin (ML2 on in-memory SQLite, drivers and the compatibility check patched out, as in
Neutron's own trunk plugin tests); calls go straight to TrunkPlugin's methods with an admin
context. Ports are made once, through the test base's in-process API (not timed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import unittest
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("OS_TEST_TIMEOUT", "0")

import workloads
from neutron.tests.unit.services.trunk import test_plugin
from oslo_config import cfg

ARGS: dict[str, Any] = {}
RESULTS: dict[str, float] = {}


class PluginTarget:
    def __init__(self, case: test_plugin.TrunkPluginTestCase) -> None:
        self.case = case
        self.plugin = case.trunk_plugin
        self.ctx = case.context

    def make_ports(self, count: int) -> list[str]:
        net = self.case._make_network("json", "bench", True, as_admin=True)["network"]["id"]
        ids: list[str] = []
        clashes = 0
        while len(ids) < count:
            chunk = min(500, count - len(ids))
            res = self.case._create_port_bulk("json", chunk, net, "p", True, as_admin=True)
            if res.status_int == 409 and b"DuplicateEntry" in res.body and clashes < 5:
                clashes += 1  # two random MACs of one bulk clashed (Neutron retries that only per port): again
                continue
            if res.status_int != 201:
                raise RuntimeError(f"bulk port create: {res.status_int} {res.body[:300]!r}")
            ids += [p["id"] for p in self.case.deserialize("json", res)["ports"]]
        return ids

    def create_trunk(self, parent: str, subports: list[dict[str, Any]]) -> str:
        trunk = {"port_id": parent, "project_id": self.ctx.project_id or "bench", "sub_ports": subports}
        return str(self.plugin.create_trunk(self.ctx, {"trunk": trunk})["id"])

    def add_subports(self, trunk_id: str, subports: list[dict[str, Any]]) -> int:
        return len(self.plugin.add_subports(self.ctx, trunk_id, {"sub_ports": subports})["sub_ports"])

    def remove_subports(self, trunk_id: str, port_ids: list[str]) -> int:
        body = {"sub_ports": [{"port_id": p} for p in port_ids]}
        return len(self.plugin.remove_subports(self.ctx, trunk_id, body)["sub_ports"])

    def get_subports(self, trunk_id: str) -> int:
        return len(self.plugin.get_subports(self.ctx, trunk_id)["sub_ports"])

    def list_trunks(self) -> int:
        return len(self.plugin.get_trunks(self.ctx))

    def delete_trunk(self, trunk_id: str) -> None:
        self.plugin.delete_trunk(self.ctx, trunk_id)


class Bench(test_plugin.TrunkPluginTestCase):
    def setUp(self) -> None:
        super().setUp()
        for quota in ("quota_network", "quota_port"):  # unlimited, as in the HTTP setup
            cfg.CONF.set_override(quota, -1, group="QUOTAS")

    def test_workload(self) -> None:
        sizes = workloads.Sizes(**ARGS["sizes"])
        log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
        RESULTS.update(workloads.run(PluginTarget(self), ARGS["reps"], sizes, log))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--sizes", default="{}", help="JSON of workloads.Sizes fields")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    ARGS.update(reps=args.reps, sizes=json.loads(args.sizes))
    suite = unittest.TestSuite([Bench("test_workload")])
    outcome = unittest.TextTestRunner(stream=sys.stderr, verbosity=0).run(suite)
    if not outcome.wasSuccessful():
        raise SystemExit(1)
    args.out.write_text(json.dumps(RESULTS))


if __name__ == "__main__":
    main()
