"""A probe of the event loop: is anything running on it for long without letting others in?

A task wakes every `INTERVAL` seconds. Between two of its turns it reads two clocks: the wall clock
(how late it woke: the scheduling delay every request on the loop sees) and the event-loop thread's
CPU clock (how much work the loop did meanwhile). CPU spent on the loop between two turns beyond
`BLOCKED_CPU_SECONDS` counts as one *blocking*: some callback kept the loop busy, so every other
request (even `GET /`) waited behind it. The CPU clock is used for the count because it does not move
while the process is merely descheduled by a busy machine, so the count is about our code, not the
neighbours; the wall-clock lag is exported beside it for operators.

Exported on /metrics: `trunkd_event_loop_probes_total` (turns taken), `trunkd_event_loop_blocked_total`
(blockings), `trunkd_event_loop_lag_seconds` (histogram of wake-up delays), and the largest CPU
stretch seen in `trunkd_event_loop_busy_max_seconds`.
"""

from __future__ import annotations

import asyncio
import time

from prometheus_client import Counter, Gauge, Histogram

INTERVAL = 0.01  # seconds between the probe's turns
BLOCKED_CPU_SECONDS = 0.05  # loop CPU between two turns beyond this is one blocking

PROBES = Counter("trunkd_event_loop_probes", "Turns the event-loop probe has taken")
BLOCKED = Counter("trunkd_event_loop_blocked",
                  f"Times the event loop ran more than {BLOCKED_CPU_SECONDS}s of CPU between two probe turns")
LAG = Histogram("trunkd_event_loop_lag_seconds", "How late the event-loop probe woke up (scheduling delay)",
                buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
BUSY_MAX = Gauge("trunkd_event_loop_busy_max_seconds",
                 "Most event-loop CPU seen between two probe turns", multiprocess_mode="max")


async def probe_forever(interval: float = INTERVAL) -> None:
    """Run the probe until cancelled."""
    busiest = 0.0
    wall, cpu = time.monotonic(), time.thread_time()
    while True:
        await asyncio.sleep(interval)
        now_wall, now_cpu = time.monotonic(), time.thread_time()
        busy = now_cpu - cpu
        PROBES.inc()
        LAG.observe(max(0.0, now_wall - wall - interval))
        if busy > BLOCKED_CPU_SECONDS:
            BLOCKED.inc()
        if busy > busiest:
            busiest = busy
            BUSY_MAX.set(busy)
        wall, cpu = now_wall, now_cpu
