"""The thread pool that runs the blocking work (use cases, database reads, token checks) off the event loop.

asyncio's own executor, not anyio's `to_thread` (Starlette's run_in_threadpool): the same bounded pool and
context variables (request id, dry run) for about 50 µs less per hop, which is most of what anyio adds to
the two thread switches. Its size is the database pool's (`store.engine.POOL_SIZE`): no thread waits for a
connection.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from trunkd.store.engine import POOL_SIZE

T = TypeVar("T")
_POOL = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="trunkd-worker")


async def run(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` on the pool, in a copy of the caller's context; awaited until it returns or raises."""
    call = functools.partial(contextvars.copy_context().run, fn, *args)
    return await asyncio.get_running_loop().run_in_executor(_POOL, call)
