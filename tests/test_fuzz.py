"""Fuzzing (issue #12, item 7): schemathesis drives generated requests from /openapi.json against a
server on each engine, both at once, for a bounded time. Checks: no 5xx, every documented status,
every 4xx a NeutronError, every response valid against the schema."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import jsonschema_rs
from starlette.routing import Route

from tests.conftest import ENGINES, require_engine
from tests.support import IN_CI, Server, throwaway_database

# Rounds of ROUND_SECONDS (a new seed each) run on both engines at once until MIN_REQUESTS requests
# (across both) are done or BUDGET_SECONDS have passed. In CI the run must reach MIN_REQUESTS; on a
# shared developer machine it reports what it reached (and must reach a tenth).
MIN_REQUESTS = int(os.environ.get("TRUNKD_FUZZ_MIN_REQUESTS", "20000"))
ROUND_SECONDS = 60
PROCESSES = 2  # schemathesis processes per engine (its own --workers threads trip over each other)
BUDGET_SECONDS = int(os.environ.get("TRUNKD_FUZZ_BUDGET_SECONDS", "420"))
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
_COUNTS = re.compile(r"(\d+) generated, (\d+) passed")


def st_command(url: str, first: bool) -> list[str]:
    st = str(Path(sys.executable).with_name("st"))
    # the coverage phase is deterministic: once is enough; later rounds only fuzz (new seed each)
    phases = "examples,coverage,fuzzing" if first else "fuzzing"
    # /v2.0/events long-polls for up to 60 s by design: tested in test_events.py, not fuzzed
    return [st, "run", f"{url}/openapi.json", "--checks", CHECKS, "--exclude-path", "/v2.0/events",
            "--phases", phases, "--max-examples", "100000", "--max-time", str(ROUND_SECONDS),
            "--workers", "1", "--no-shrink", "--request-timeout", "30", "--output-truncate", "true"]


def test_openapi_document_is_valid_openapi_3_1_and_covers_every_route(tmp_path: Path) -> None:
    from trunkd.api.openapi import RESOURCES, document

    doc = document()
    assert doc["openapi"] == "3.1.0"
    for res in RESOURCES:
        base = f"/v2.0/{res.collection}"
        tagged = (f"{base}/{{id}}/tags", f"{base}/{{id}}/tags/{{tag}}") if res.tags else ()
        for path in (base, f"{base}/{{id}}", *tagged):
            assert path in doc["paths"], path
        create = doc["paths"][f"/v2.0/{res.collection}"]["post"]["requestBody"]["content"]["application/json"]
        single = create["schema"]["anyOf"][0]["properties"][res.singular]
        assert set(single["properties"]) == {n for n, a in res.attrs.items() if a.post}
    for path in ("/v2.0/trunks/{id}/add_subports", "/v2.0/trunks/{id}/remove_subports", "/v2.0/agents"):
        assert path in doc["paths"]
    # every schema in it is itself valid JSON Schema (jsonschema_rs compiles each or raises)
    for item in doc["paths"].values():
        for op in item.values():
            if isinstance(op, dict):
                for response in op["responses"].values():
                    for media in response.get("content", {}).values():
                        jsonschema_rs.validator_for(media["schema"])


def test_every_api_route_and_method_is_in_the_openapi_document() -> None:
    """So the fuzzer reaches every operation: each route the app serves (api.app.api_routes, so routes
    added later are checked too), bar the deliberate 404s of Neutron's /v2.0 quirks and the non-API
    pages (/metrics, /ui, /openapi.json itself)."""
    from trunkd.api import openapi
    from trunkd.api.app import api_routes
    from trunkd.api.routes import meta

    doc = openapi.document()["paths"]
    tagged = [r.collection for r in openapi.RESOURCES if r.tags]
    served = set()
    for route in api_routes():
        if not isinstance(route, Route) or route.endpoint is meta.not_found \
                or route.path in ("/metrics", "/openapi.json") or route.path.startswith("/ui"):
            continue
        paths = [route.path.replace("{collection:str}", c) for c in tagged] \
            if "{collection:str}" in route.path else [route.path]
        served |= {(p, m.lower()) for p in paths for m in route.methods or () if m != "HEAD"}
    missing = {(p, m) for p, m in served if m not in doc.get(p, {})}
    assert not missing, sorted(missing)
    assert ("/v2.0/subnets", "post") in served and ("/v2.0/trunks/{id}/sub_ports", "put") in served


def test_every_flag_is_in_the_openapi_document() -> None:
    """Each query flag a write accepts is a parameter of its operation (so it is fuzzed), and a write
    documents no query parameter it would refuse; the list flags are on the reads that take them."""
    from trunkd.api import openapi, options

    doc = openapi.document()["paths"]
    for (method, path), flags in options.WRITE_FLAGS.items():
        op = doc[path][method.lower()]
        assert {p["name"] for p in op.get("parameters", []) if p["in"] == "query"} == set(flags), (method, path)
    for path, item in doc.items():
        for method, op in item.items():
            if method.upper() in options.WRITES:
                query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
                assert query <= options.WRITE_FLAGS.get((method.upper(), path), frozenset()), (method, path)
    for flag in options.LIST_FLAGS:
        reads = [p for p, item in doc.items() if "get" in item
                 and flag in {q["name"] for q in item["get"].get("parameters", [])}]
        assert "/v2.0/trunks" in reads and "/v2.0/trunks/{id}" in reads, flag


def test_schemathesis_finds_no_5xx_and_no_schema_violation(tmp_path: Path) -> None:
    for engine in ENGINES:
        require_engine(engine)
    with ExitStack() as stack:
        servers = []
        for engine in ENGINES:
            url = stack.enter_context(throwaway_database(engine, tmp_path / engine))
            workdir = tmp_path / f"srv-{engine}"
            workdir.mkdir(parents=True, exist_ok=True)
            servers.append(Server(database=url, workdir=workdir).start())
            stack.callback(servers[-1].stop)
        assert httpx.get(servers[0].url + "/openapi.json").json()["openapi"] == "3.1.0"
        started, total, per_engine = time.monotonic(), 0, dict.fromkeys(ENGINES, 0)
        while total < MIN_REQUESTS and time.monotonic() - started < BUDGET_SECONDS:
            first = total == 0
            targets = [(engine, s) for engine, s in zip(ENGINES, servers, strict=True) for _ in range(PROCESSES)]
            runs = [subprocess.Popen(st_command(s.url, first), cwd=s.workdir, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True) for _, s in targets]
            outputs = [run.communicate(timeout=ROUND_SECONDS + 120)[0] for run in runs]
            for (engine, _), run, out in zip(targets, runs, outputs, strict=True):
                counts = _COUNTS.findall(out)
                if run.returncode == 0 and not counts and "No test cases were generated" in out:
                    continue  # the round's time went on loading the document (a saturated machine): none run
                assert run.returncode == 0 and counts, f"schemathesis on {engine}:\n{out[-20000:]}"
                generated, passed = map(int, counts[-1])
                assert generated == passed, out[-20000:]
                per_engine[engine] += generated
                total += generated
        logs = [s.log.read_text() for s in servers]
    for log in logs:
        assert "unexpected error" not in log, log[-5000:]
    print(f"fuzzed {per_engine} requests in {time.monotonic() - started:.0f}s, no failure")
    floor = MIN_REQUESTS if IN_CI else MIN_REQUESTS // 10
    assert total >= floor, f"only {per_engine} requests fuzzed in {BUDGET_SECONDS}s"
