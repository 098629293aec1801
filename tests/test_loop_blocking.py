"""No request keeps the event loop busy: every list attribute sent at its limit and at 100x its limit
(a 4xx for the latter) while `GET /` runs beside it, and the event-loop probe (api/loop_lag.py, on
/metrics) counts no blocking. The count is of loop CPU between the probe's turns, not of wall time, so
a busy machine does not move it (both engines)."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx

from tests.support import Api, Server
from trunkd.api import loop_lag
from trunkd.domain import limits as L


def _metric(text: str, name: str) -> float:
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    assert found, f"{name} not on /metrics"
    return float(found.group(1))


def _loop_counts(server: Server) -> tuple[float, float]:
    text = httpx.get(server.url + "/metrics", timeout=30).text
    return _metric(text, "trunkd_event_loop_probes_total"), _metric(text, "trunkd_event_loop_blocked_total")


@contextmanager
def _pinging(server: Server) -> Iterator[list[int]]:
    """`GET /` over and over beside the block (at most 5000 times); yields the status codes seen."""
    codes: list[int] = []
    done = threading.Event()

    def run() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            while not done.is_set() and len(codes) < 5000:
                codes.append(client.get("/").status_code)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield codes
    finally:
        done.set()
        thread.join(timeout=120)


def _hosts(cidr: str, count: int, skip: int = 2) -> list[str]:
    net = ipaddress.ip_network(cidr)
    return [str(net.network_address + skip + i) for i in range(count)]


def _cases(admin: Api) -> list[tuple[str, int, Callable[[int], httpx.Response]]]:
    """(attribute, its limit, send(count)) for every bounded list of a request."""
    net = admin.network()["id"]
    subnet = admin.subnet(net, cidr="10.77.0.0/16")
    trunk = admin.trunk()
    missing_net = str(uuid.uuid4())

    def subnet_with(cidr: str = "10.78.0.0/16", **attrs: object) -> httpx.Response:
        return admin.post("/v2.0/subnets", {"subnet": {"network_id": admin.network()["id"], "cidr": cidr,
                                                       "ip_version": 4, **attrs}})

    return [
        ("dns_nameservers", L.MAX_DNS_NAMESERVERS,
         lambda n: subnet_with(dns_nameservers=_hosts("172.16.0.0/12", n))),
        ("host_routes", L.MAX_SUBNET_HOST_ROUTES,
         lambda n: subnet_with(host_routes=[{"destination": f"{ip}/32", "nexthop": "10.0.0.1"}
                                            for ip in _hosts("172.16.0.0/12", n)])),
        ("allocation_pools", L.MAX_ALLOCATION_POOLS,
         lambda n: subnet_with("10.79.0.0/16", allocation_pools=[
             {"start": ip, "end": ip} for ip in _hosts("10.79.0.0/16", n)])),
        ("fixed_ips", L.MAX_FIXED_IPS_PER_PORT,
         lambda n: admin.post("/v2.0/ports", {"port": {"network_id": net, "fixed_ips": [
             {"subnet_id": subnet["id"]} for _ in range(n)]}})),
        ("allowed_address_pairs", L.MAX_ADDRESS_PAIRS,
         lambda n: admin.post("/v2.0/ports", {"port": {"network_id": net, "allowed_address_pairs": [
             {"ip_address": ip} for ip in _hosts("172.16.0.0/12", n)]}})),
        ("tags", L.MAX_TAGS, lambda n: admin.post("/v2.0/networks", {"network": {"tags": [
            f"t{i}" for i in range(n)]}})),
        ("sub_ports", L.MAX_SUBPORTS_PER_TYPE,  # unknown ports: a 404 after every check of the body
         lambda n: _send(admin, "PUT", f"/v2.0/trunks/{trunk['id']}/add_subports", "sub_ports", n, lambda i: {
             "port_id": str(uuid.uuid4()), "segmentation_type": "vlan", "segmentation_id": 1 + i % 4094})),
        ("bulk ports", L.MAX_BULK,  # each with fixed_ips at its limit; an unknown network: a 404 after the checks
         lambda n: _send(admin, "POST", "/v2.0/ports", "ports", n, lambda i: {
             "network_id": missing_net, "fixed_ips": [{"ip_address": ip} for ip in _hosts("10.0.0.0/8", 5, 5 * i)]})),
        ("tag filter values", L.MAX_FILTER_VALUES,
         lambda n: _get(admin, "/v2.0/networks?tags-any=" + ",".join(f"t{i}" for i in range(n)))),
        ("repeated filter", L.MAX_FILTER_VALUES,
         lambda n: _get(admin, "/v2.0/ports?" + "&".join(f"id={uuid.uuid4()}" for _ in range(n)))),
    ]


def _send(api: Api, method: str, path: str, key: str, count: int,
          item: Callable[[int], dict[str, object]]) -> httpx.Response:
    """`{key: [count items]}`; past 2048 items the items repeat (a body of tens of MiB, built at once)."""
    if count <= L.MAX_BULK * 2:
        body = json.dumps({key: [item(i) for i in range(count)]}).encode()
    else:
        one = json.dumps(item(0)).encode()
        body = b'{"%s": [' % key.encode() + b",".join([one] * count) + b"]}"
    return api.client.request(method, path, content=body)


def _get(api: Api, target: str) -> httpx.Response:
    """GET of a request target of any length (httpx refuses URLs past 64 KiB; the server answers 431)."""
    url = urlsplit(api.url)
    request = f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=60) as sock:
        try:
            for start in range(0, len(request), 16384):  # as a client would stream it
                sock.sendall(request[start:start + 16384])
        except OSError:
            pass  # the server answered and closed before the rest: it does not buffer it
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return httpx.Response(int(data.split(b" ")[1]))


def test_each_list_at_its_limit_and_at_100x_without_blocking_the_loop(server: Server, admin: Api) -> None:
    cases = _cases(admin)
    probes_before, blocked_before = _loop_counts(server)
    answers: dict[str, tuple[int, int]] = {}
    with _pinging(server) as pings:
        for name, limit, send in cases:
            at = send(limit).status_code
            over = send(100 * limit).status_code
            answers[name] = (at, over)
    probes_after, blocked_after = _loop_counts(server)

    for name, (at, over) in answers.items():
        assert 400 <= over < 500, (name, answers)
        assert at < 500 and at != 400, (name, answers)  # within the limit: not refused for its length
    assert answers["dns_nameservers"][0] == answers["allocation_pools"][0] == answers["tags"][0] == 201
    assert answers["fixed_ips"][0] == answers["allowed_address_pairs"][0] == 201
    assert answers["tag filter values"][0] == answers["repeated filter"][0] == 200
    assert pings and set(pings) == {200}
    assert probes_after > probes_before  # the probe ran all along (it takes ~100 turns a second)
    assert blocked_after == blocked_before, "a request kept the event loop busy past the probe's threshold"


def test_the_probe_counts_a_blocked_loop() -> None:
    """The probe itself can fail: CPU spent on the loop past the threshold is one blocking."""
    async def scenario() -> tuple[float, float]:
        task = asyncio.create_task(loop_lag.probe_forever())
        await asyncio.sleep(0.05)
        before = loop_lag.BLOCKED._value.get()
        quiet_end = time.monotonic() + 0.2
        while time.monotonic() < quiet_end:
            await asyncio.sleep(0.005)  # short turns: no blocking
        quiet = loop_lag.BLOCKED._value.get()
        spin_end = time.thread_time() + 3 * loop_lag.BLOCKED_CPU_SECONDS
        while time.thread_time() < spin_end:
            pass  # CPU on the loop without yielding
        await asyncio.sleep(0.05)
        task.cancel()
        return quiet - before, loop_lag.BLOCKED._value.get() - quiet

    quiet, busy = asyncio.run(scenario())
    assert (quiet, busy) == (0, 1)
