"""`trunkd serve` stops promptly on SIGTERM even with long-polls parked on the event feed."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx

from tests.support import Server, throwaway_database


def test_sigterm_answers_parked_long_polls_and_exits(tmp_path: Path) -> None:
    with throwaway_database("sqlite", tmp_path) as url:
        server = Server(database=url, workdir=tmp_path).start()
        try:
            answers: list[int] = []

            def poll() -> None:
                r = httpx.get(f"{server.url}/v2.0/events", params={"wait": 60, "after": 10**9}, timeout=90)
                answers.append(r.status_code)

            polls = [threading.Thread(target=poll) for _ in range(3)]
            for t in polls:
                t.start()
            time.sleep(1)  # let them park (set-up, not a measurement)
            assert server.proc is not None
            started = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            # bounded: before the fix the parked polls held the server ~24 s (uvicorn waited for them)
            code = server.proc.wait(timeout=10)
            took = time.monotonic() - started
            for t in polls:
                t.join(timeout=10)
            # uvicorn re-raises the captured SIGTERM once it has shut down cleanly: -15 is its clean exit
            assert code in (0, -signal.SIGTERM), server.log.read_text()
            assert "Traceback" not in server.log.read_text()
            assert answers == [200, 200, 200], (answers, took)
            print(f"exit {took:.2f} s after SIGTERM")
        finally:
            if server.proc is not None and server.proc.poll() is None:
                server.stop(kill=True)
