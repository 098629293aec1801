"""The request limits are options with Neutron's names and defaults ([DEFAULT] max_dns_nameservers,
max_subnet_host_routes, max_fixed_ips_per_port, max_allowed_address_pair; trunkd's max_allocation_pools
and header limits): a changed value takes effect, from the config file and from flags / TRUNKD_* variables
(through to `--workers` processes), on both engines."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support import Api, Server, error_type
from trunkd.domain.limits import DEFAULT_LIMITS, Limits

ROOT = Path(__file__).resolve().parent.parent

CONF = """
[DEFAULT]
max_dns_nameservers = 8
max_subnet_host_routes = 2
max_fixed_ips_per_port = 2
max_allowed_address_pair = 1
max_allocation_pools = 3
max_header_line = 2048
max_request_header_fields = 30
"""


def test_the_sample_lists_every_limit_with_its_default() -> None:
    sample = (ROOT / "etc/trunkd.conf.sample").read_text()
    assert Limits(max_dns_nameservers=5, max_subnet_host_routes=20, max_fixed_ips_per_port=5,
                                    max_allowed_address_pair=10, max_allocation_pools=256, max_header_line=16384,
                                    max_request_header_fields=100, max_request_header_bytes=65536) == DEFAULT_LIMITS
    for name in Limits.names():
        assert f"#{name} = {getattr(DEFAULT_LIMITS, name)}\n" in sample, name


@pytest.fixture(scope="module")
def from_file(module_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Api:
    conf = tmp_path_factory.mktemp("limits") / "trunkd.conf"
    conf.write_text(CONF)
    return Api(module_server("--config-file", str(conf)).url, "project-limits")


@pytest.fixture(scope="module")
def from_flags(module_server: Callable[..., Server]) -> Api:
    srv = module_server("--workers", "2", "--max-dns-nameservers", "1", "--max-request-header-bytes", "4096",
                        TRUNKD_MAX_FIXED_IPS_PER_PORT="1")
    return Api(srv.url, "project-limits")


def _subnet(api: Api, cidr: str, **attrs: object) -> tuple[int, str, dict[str, object]]:
    net = api.network()["id"]
    r = api.post("/v2.0/subnets", {"subnet": {"network_id": net, "cidr": cidr, "ip_version": 4, **attrs}})
    return r.status_code, error_type(r) if r.status_code >= 400 else "", r.json()


def _hosts(cidr: str, count: int, skip: int = 10) -> list[str]:
    net = ipaddress.ip_network(cidr)
    return [str(net.network_address + skip + i) for i in range(count)]


def test_list_limits_from_the_config_file(from_file: Api) -> None:
    # max_dns_nameservers = 8: above Neutron's default of 5, so more than the default passes
    code, _, body = _subnet(from_file, "10.60.0.0/24", dns_nameservers=_hosts("10.61.0.0/24", 8))
    assert code == 201, body
    code, kind, body = _subnet(from_file, "10.60.1.0/24", dns_nameservers=_hosts("10.61.0.0/24", 9))
    assert (code, kind) == (400, "DNSNameServersExhausted")
    assert "exceeds the limit 8" in str(body)
    routes = [{"destination": f"192.168.{i}.0/24", "nexthop": "10.60.2.1"} for i in range(3)]
    assert _subnet(from_file, "10.60.2.0/24", host_routes=routes[:2])[0] == 201
    code, kind, body = _subnet(from_file, "10.60.3.0/24", host_routes=routes)
    assert (code, kind) == (400, "HostRoutesExhausted")
    assert "exceeds the limit 2" in str(body)
    pools = [{"start": ip, "end": ip} for ip in _hosts("10.60.4.0/24", 4)]
    assert _subnet(from_file, "10.60.4.0/24", allocation_pools=pools[:3])[0] == 201
    assert _subnet(from_file, "10.60.5.0/24", allocation_pools=[
        {"start": ip, "end": ip} for ip in _hosts("10.60.5.0/24", 4)])[:2] == (400, "InvalidInput")

    subnet = from_file.subnet(cidr="10.60.6.0/24")
    net = subnet["network_id"]
    two = [{"subnet_id": subnet["id"]}] * 2
    r = from_file.post("/v2.0/ports", {"port": {"network_id": net, "fixed_ips": two}})
    assert r.status_code == 201, r.text
    r = from_file.post("/v2.0/ports", {"port": {"network_id": net, "fixed_ips": two + two[:1]}})
    assert (r.status_code, error_type(r)) == (400, "InvalidInput")
    pairs = [{"ip_address": "10.60.6.200"}, {"ip_address": "10.60.6.201"}]
    r = from_file.post("/v2.0/ports", {"port": {"network_id": net, "allowed_address_pairs": pairs}})
    assert (r.status_code, error_type(r)) == (400, "AllowedAddressPairExhausted")
    port = from_file.port(net, allowed_address_pairs=pairs[:1])
    # PUT is bounded by the same options
    r = from_file.put(f"/v2.0/ports/{port['id']}", {"port": {"fixed_ips": two + two[:1]}})
    assert (r.status_code, error_type(r)) == (400, "InvalidInput")
    r = from_file.put(f"/v2.0/subnets/{subnet['id']}", {"subnet": {"dns_nameservers": _hosts("10.61.0.0/24", 9)}})
    assert (r.status_code, error_type(r)) == (400, "DNSNameServersExhausted")
    assert subnet["id"] in r.json()["NeutronError"]["message"]
    assert len(from_file.get("/v2.0/ports", params={"network_id": net}).json()["ports"]) == 2


def _raw(server_url: str, head: bytes) -> int:
    url = urlsplit(server_url)
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=30) as sock:
        sock.sendall(head)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ")[1])


def test_header_limits_from_the_config_file(from_file: Api) -> None:
    ok = b"GET / HTTP/1.1\r\nHost: x\r\nX-Line: " + b"a" * 1900 + b"\r\nConnection: close\r\n\r\n"
    assert _raw(from_file.url, ok) == 200
    long_line = b"GET / HTTP/1.1\r\nHost: x\r\nX-Line: " + b"a" * 2100 + b"\r\nConnection: close\r\n\r\n"
    assert _raw(from_file.url, long_line) == 431  # max_header_line = 2048 (16384 by default)
    fields = b"".join(b"X-H%d: v\r\n" % i for i in range(30))
    assert _raw(from_file.url, b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"Connection: close\r\n\r\n") == 431
    assert _raw(from_file.url, b"GET / HTTP/1.1\r\nHost: x\r\n" + fields[:-200] + b"Connection: close\r\n\r\n") \
        == 200


def test_limits_from_flags_and_variables_reach_every_worker(from_flags: Api) -> None:
    # the same request twice per check: with two workers, each answer may come from either process
    for _ in range(4):
        code, kind, _body = _subnet(from_flags, "10.62.0.0/24", dns_nameservers=_hosts("10.63.0.0/24", 2))
        assert (code, kind) == (400, "DNSNameServersExhausted")
        r = from_flags.post("/v2.0/ports", {"port": {"network_id": from_flags.network()["id"],
                                                     "fixed_ips": [{"ip_address": "10.62.1.5"},
                                                                   {"ip_address": "10.62.1.6"}]}})
        assert (r.status_code, error_type(r)) == (400, "InvalidInput")
        assert "fixed ips" in r.text
        big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 5000 + b"\r\nConnection: close\r\n\r\n"
        assert _raw(from_flags.url, big) == 431  # 4096 bytes of headers; 5000 pass with the defaults
    code, _, body = _subnet(from_flags, "10.62.2.0/24", dns_nameservers=_hosts("10.63.0.0/24", 1))
    assert code == 201, body
