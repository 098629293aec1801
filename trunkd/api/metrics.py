"""Prometheus metrics: request counts and latencies per route, and figures read from the database.

Request metrics live in each process; with several workers (`serve --workers N`) they go through
prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set up by `trunkd serve`), so any
worker's /metrics answers for all. Database figures are computed at scrape time, so every worker
gives the same answer without shared state.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import Scope

from trunkd.service.stats import Stats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUESTS = Counter("trunkd_http_requests", "HTTP requests served, by method, route and status code",
                   ["method", "route", "code"])
LATENCY = Histogram("trunkd_http_request_duration_seconds", "HTTP request latency, by method and route",
                    ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0))


def observe(scope: Scope, code: int, seconds: float) -> None:
    """Count and time one HTTP request under its route template (api/layer.py calls it for each)."""
    route = getattr(scope.get("route"), "path", "unmatched")
    LATENCY.labels(scope["method"], route).observe(seconds)
    REQUESTS.labels(scope["method"], route, str(code)).inc()


class _DatabaseFigures(Collector):
    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        s = self.stats
        trunks = GaugeMetricFamily("trunkd_trunks", "Trunks, by status", labels=["status"])
        for status, count in sorted(s.trunks.items()):
            trunks.add_metric([status], count)
        subports = GaugeMetricFamily("trunkd_subports", "Subports, by reported status", labels=["status"])
        for status, count in sorted(s.subports.items()):
            subports.add_metric([status], count)
        latest = GaugeMetricFamily("trunkd_outbox_latest_seq", "Sequence number of the newest event")
        latest.add_metric([], s.outbox_latest)
        lag = GaugeMetricFamily("trunkd_outbox_lag_events", "Events a consumer has still to read",
                                labels=["consumer"])
        for consumer, behind in sorted(s.consumer_lag.items()):
            lag.add_metric([consumer], behind)
        worst = GaugeMetricFamily("trunkd_outbox_max_lag_events", "Largest lag of any consumer (0 without any)")
        worst.add_metric([], max(s.consumer_lag.values(), default=0))
        agents = GaugeMetricFamily("trunkd_agents", "Registered agents, by type and liveness",
                                   labels=["agent_type", "alive"])
        for (agent_type, alive), count in sorted(s.agents.items()):
            agents.add_metric([agent_type, str(alive).lower()], count)
        yield from (trunks, subports, latest, lag, worst, agents)


def render(stats: Stats) -> bytes:
    """The exposition text: this deployment's request metrics, then the database figures."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        requests = CollectorRegistry()
        MultiProcessCollector(requests)
    else:
        requests = REGISTRY
    figures = CollectorRegistry(auto_describe=False)
    figures.register(_DatabaseFigures(stats))
    return generate_latest(requests) + generate_latest(figures)
