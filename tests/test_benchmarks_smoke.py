"""The comparison workload runs end to end at tiny sizes (a smoke test, not a measurement)."""

from __future__ import annotations

from urllib.parse import urlsplit

from benchmarks import bench_agents, bench_growth, compare, workloads
from tests.support import Server


def test_comparison_workload_runs_at_tiny_sizes(server: Server, project: str) -> None:
    url = urlsplit(server.url)
    assert url.hostname is not None and url.port is not None
    target = workloads.HttpTarget(url.hostname, url.port, {"X-Project-Id": project})
    medians = workloads.run(target, 1, workloads.TINY, log=lambda _msg: None)
    assert set(medians) == {key for key, _ in workloads.WORKLOADS}
    assert all(seconds > 0 for seconds in medians.values())
    assert target.list_trunks() == 0  # every trunk the workload made is gone again
    table = compare.table({"trunkd-sqlite": medians, "neutron-http": {k: 2 * v for k, v in medians.items()}})
    assert "| 2.0x |" in table


def test_growth_slope_and_agent_benchmark_import() -> None:
    assert bench_growth.slope([(1, 1.0), (3, 2.0), (5, 3.0)]) == 0.5
    assert callable(bench_agents.measure)
