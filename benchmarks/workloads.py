"""The fixed trunk workload of the side-by-side comparison, against any `Target`.

Standard library only: the same code drives trunkd and Neutron over HTTP (in this project's venv)
and Neutron's TrunkPlugin in-process (in Neutron's own venv, `neutron_inproc.py`).
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Sizes:
    creates: int = 1000  # empty trunk creates one by one, then list them, then delete them one by one
    with_subports: int = 200  # trunk creates with `each` subports
    each: int = 5
    add_small: int = 500
    add_big: int = 4094  # add, get and remove in one call each

    @property
    def ports(self) -> int:
        return max(self.creates, self.with_subports) + max(self.add_big, self.with_subports * self.each)


FULL = Sizes()
# a tenth of the creates and deletes and an eighth of the big add: for a loaded machine, where
# Neutron needs hours for FULL x 3 (its per-item costs are what the ratios compare)
QUICK = Sizes(creates=100, with_subports=20, each=5, add_small=100, add_big=500)
TINY = Sizes(creates=10, with_subports=4, each=5, add_small=5, add_big=20)

# (key, label) in table order; the keys name the full sizes, labels are formatted with the sizes run
WORKLOADS = [
    ("create_empty", "{creates} empty trunk creates (total s)"),
    ("create_5", "create with {each} subports (s each)"),
    ("add_500", "add_subports {add_small} (s)"),
    ("add_4094", "add_subports {add_big} (s)"),
    ("get_4094", "get_subports of {add_big} (s)"),
    ("remove_4094", "remove_subports {add_big} (s)"),
    ("list_1000", "list {creates} trunks (s)"),
    ("delete", "{creates} trunk deletes (total s)"),
]


class Target(Protocol):
    def make_ports(self, count: int) -> list[str]: ...
    def create_trunk(self, parent: str, subports: list[dict[str, Any]]) -> str: ...
    def add_subports(self, trunk_id: str, subports: list[dict[str, Any]]) -> int: ...
    def remove_subports(self, trunk_id: str, port_ids: list[str]) -> int: ...
    def get_subports(self, trunk_id: str) -> int: ...
    def list_trunks(self) -> int: ...
    def delete_trunk(self, trunk_id: str) -> None: ...


def subports(port_ids: list[str], first_vlan: int = 1) -> list[dict[str, Any]]:
    return [{"port_id": p, "segmentation_type": "vlan", "segmentation_id": v}
            for v, p in enumerate(port_ids, start=first_vlan)]


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_once(target: Target, pool: list[str], sizes: Sizes = FULL) -> dict[str, float]:
    """One repetition of every workload; the database is left as it was found (trunk-free)."""
    parents = pool[: max(sizes.creates, sizes.with_subports)]
    subs = pool[len(parents):]
    out: dict[str, float] = {}
    already = target.list_trunks()  # trunks someone else left in the database

    secs, made = _timed(lambda: [target.create_trunk(p, []) for p in parents[: sizes.creates]])
    out["create_empty"] = secs
    lists = []
    for _ in range(5):
        secs, count = _timed(target.list_trunks)
        assert count == already + sizes.creates, count
        lists.append(secs)
    out["list_1000"] = statistics.median(lists)
    secs, _ = _timed(lambda: [target.delete_trunk(t) for t in made])
    out["delete"] = secs

    groups = [subs[i * sizes.each:(i + 1) * sizes.each] for i in range(sizes.with_subports)]
    secs, made = _timed(lambda: [target.create_trunk(p, subports(g))
                                 for p, g in zip(parents, groups, strict=False)])
    out["create_5"] = secs / sizes.with_subports
    for t in made:
        target.delete_trunk(t)

    trunk = target.create_trunk(parents[0], [])
    small = subs[: sizes.add_small]
    secs, count = _timed(lambda: target.add_subports(trunk, subports(small)))
    assert count == len(small), count
    out["add_500"] = secs
    target.remove_subports(trunk, small)
    big = subs[: sizes.add_big]
    body = subports(big)
    secs, count = _timed(lambda: target.add_subports(trunk, body))
    assert count == len(big), count
    out["add_4094"] = secs
    secs, count = _timed(lambda: target.get_subports(trunk))
    assert count == len(big), count
    out["get_4094"] = secs
    secs, count = _timed(lambda: target.remove_subports(trunk, big))
    assert count == 0, count
    out["remove_4094"] = secs
    target.delete_trunk(trunk)
    return out


def run(target: Target, reps: int, sizes: Sizes = FULL, log: Callable[[str], None] = print) -> dict[str, float]:
    """Median of `reps` repetitions for each workload (one shared pool of ports)."""
    pool = target.make_ports(sizes.ports)
    results: list[dict[str, float]] = []
    for rep in range(reps):
        results.append(run_once(target, pool, sizes))
        log(f"  rep {rep + 1}/{reps}: " + ", ".join(f"{k}={v:.4f}" for k, v in results[-1].items()))
    return {k: statistics.median(r[k] for r in results) for k, _ in WORKLOADS}


class HttpTarget:
    """The Neutron v2.0 API over one keep-alive HTTP/1.1 connection (a lean stdlib client; the
    time to encode a body and decode the answer counts, the same for every HTTP target)."""

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=900)
        self.headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}

    def request(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):  # Neutron's uwsgi closes each connection; reconnect once if needed
            try:
                self.conn.request(method, path, body=data, headers=self.headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                retry = isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError)
                if attempt == 2 or not retry:
                    raise
        if resp.getheader("connection", "").lower() == "close":
            self.conn.close()
        if resp.status != expect:
            raise RuntimeError(f"{method} {path}: {resp.status} {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def make_ports(self, count: int) -> list[str]:
        ids: list[str] = []
        while len(ids) < count:
            net = self.request("POST", "/v2.0/networks", {"network": {"name": "bench"}}, 201)["network"]["id"]
            chunk = min(500, count - len(ids))
            made = self.request("POST", "/v2.0/ports", {"ports": [{"network_id": net}] * chunk}, 201)
            ids += [p["id"] for p in made["ports"]]
        return ids

    def create_trunk(self, parent: str, subports: list[dict[str, Any]]) -> str:
        body = {"trunk": {"port_id": parent, "sub_ports": subports}}
        return str(self.request("POST", "/v2.0/trunks", body, 201)["trunk"]["id"])

    def add_subports(self, trunk_id: str, subports: list[dict[str, Any]]) -> int:
        return len(self.request("PUT", f"/v2.0/trunks/{trunk_id}/add_subports", {"sub_ports": subports})["sub_ports"])

    def remove_subports(self, trunk_id: str, port_ids: list[str]) -> int:
        body = {"sub_ports": [{"port_id": p} for p in port_ids]}
        return len(self.request("PUT", f"/v2.0/trunks/{trunk_id}/remove_subports", body)["sub_ports"])

    def get_subports(self, trunk_id: str) -> int:
        return len(self.request("GET", f"/v2.0/trunks/{trunk_id}/get_subports")["sub_ports"])

    def list_trunks(self) -> int:
        return len(self.request("GET", "/v2.0/trunks")["trunks"])

    def delete_trunk(self, trunk_id: str) -> None:
        self.request("DELETE", f"/v2.0/trunks/{trunk_id}", expect=204)


def dumps(results: dict[str, float]) -> str:
    return json.dumps(results)
