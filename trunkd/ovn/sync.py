"""One ovn-sync pass: trunkd's view against the Northbound rows ovn-sync owns, then status from OVN.

Level-triggered, as the OVS agent's reconciler: the desired Northbound state is recomputed from the cached
view of the server (list on start and on 410, then the resources the event feed names, re-read), the
difference is applied in one transaction, and every port's, subport's and trunk's status is recomputed from
the LSPs' `up` and compared with what the server shows. A report lost to a crash is therefore made by the
next pass of the next process: nothing depends on having seen an OVSDB event.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from trunkd.agent.api import Resource, ServerError
from trunkd.ovn import northbound as nb
from trunkd.ovn.api import OVN_AGENT_BINARY, OVN_AGENT_TYPE, OvnSyncApi
from trunkd.ovn.ovn import Chassis, Observed, Ovn

log = logging.getLogger(__name__)

TYPES = ("network", "subnet", "port", "trunk", "security_group", "security_group_rule")
OVN_DRIVER = "ovn"  # binding:vif_details bound_drivers of a port bound to an OVN chassis


@dataclass
class View:
    """The server's resources, kept current from the event feed."""

    items: dict[str, dict[str, Resource]] = field(default_factory=lambda: {t: {} for t in TYPES})

    def load(self, api: OvnSyncApi) -> None:
        self.items = {t: {r["id"]: r for r in api.everything(t)} for t in TYPES}

    def refresh(self, api: OvnSyncApi, changed: dict[str, set[str]]) -> None:
        """Re-read the named resources (gone ones leave the view)."""
        for rtype, ids in changed.items():
            if rtype not in self.items or not ids:
                continue
            found = {r["id"]: r for r in api.by_ids(rtype, ids)}
            for i in ids:
                if i in found:
                    self.items[rtype][i] = found[i]
                else:
                    self.items[rtype].pop(i, None)
        groups = changed.get("security_group") or set()
        if groups:  # a group's event names none of its rules (its default rules come with no event of their own)
            rules = self.items["security_group_rule"]
            for rid in [r for r, rule in rules.items() if rule.get("security_group_id") in groups]:
                del rules[rid]
            rules.update({r["id"]: r for r in api.security_group_rules(sorted(groups))})

    def __getattr__(self, name: str) -> dict[str, Resource]:
        if name in ("networks", "subnets", "ports", "trunks", "security_groups", "security_group_rules"):
            return self.items[name[:-1]]
        raise AttributeError(name)


@dataclass
class PassResult:
    plan_size: int = 0
    ports_reported: int = 0
    trunks_reported: dict[str, str] = field(default_factory=dict)
    again: bool = False  # the server refused a stale report: pass again soon
    seconds: dict[str, float] = field(default_factory=dict)

    def mark(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[phase] = round(now - since, 3)
        return now


def on_ovn(port: Resource) -> bool:
    """Bound to an OVN chassis (the server answered ML2/OVN's vif_details)."""
    details = port.get("binding:vif_details") or {}
    return bool(port.get("binding:host_id")) and (details.get("bound_drivers") or {}).get("0") == OVN_DRIVER


def chassis_configurations(ch: Chassis) -> dict[str, Any]:
    """What Neutron shows for an OVN Controller agent, plus the keys trunkd's binding reads
    (`bridge_mappings`, `tunnel_types`: an OVN chassis reaches every overlay network through its encaps)."""
    return {
        "chassis_name": ch.name, "bridge-mappings": ",".join(f"{k}:{v}" for k, v in ch.bridge_mappings.items()),
        "datapath-type": ch.datapath_type, "iface-types": ch.iface_types, "ovn-bridge": ch.ovn_bridge,
        "bridge_mappings": dict(ch.bridge_mappings), "tunnel_types": ["geneve", "vxlan"] if ch.encap_types else [],
        "encap_types": list(ch.encap_types),
    }


class Syncer:
    """Writes Northbound from the view; reports chassis, port and trunk status from OVN."""

    def __init__(self, api: OvnSyncApi, ovn: Ovn) -> None:
        self.api = api
        self.ovn = ovn
        self.view = View()
        self.chassis: dict[str, Chassis] = {}  # hostname -> chassis, as last registered

    # -- chassis as agents --------------------------------------------------------------------
    def report_chassis(self) -> None:
        """Register (heartbeat) every SB chassis as an OVN Controller agent; drop the agents of chassis gone."""
        found = {c.hostname: c for c in self.ovn.chassis()}
        for host, ch in found.items():
            self.api.register(host, OVN_AGENT_TYPE, OVN_AGENT_BINARY, chassis_configurations(ch))
        for agent in self.api.agents_of(OVN_AGENT_TYPE):
            if agent["host"] not in found:
                log.info("chassis on %s is gone: removing its agent", agent["host"])
                self.api.delete_agent(agent["id"])
        self.chassis = found

    # -- the pass -------------------------------------------------------------------------------
    def run_pass(self, changed: dict[str, set[str]] | None = None) -> PassResult:
        """`changed` None: a full pass (list everything); else re-read only the resources named."""
        result = PassResult()
        t = time.perf_counter()
        if changed is None:
            self.view.load(self.api)
        else:
            self.view.refresh(self.api, changed)
        if {c.hostname for c in self.ovn.chassis()} != set(self.chassis):
            self.report_chassis()
        t = result.mark("read", t)
        v = self.view
        want = nb.desired(v.networks.values(), v.subnets.values(), v.ports.values(), v.trunks.values(),
                          v.security_groups.values(), v.security_group_rules.values())
        t = result.mark("desired", t)
        seen, plan = self.ovn.sync(lambda seen: nb.diff(self._without_foreign(want, seen), seen.state))
        result.plan_size = len(plan) + len(seen.duplicates)
        t = result.mark("nb", t)
        up = seen.up  # an LSP written just now is not up yet; when it goes up, OVN's row event brings a pass
        self._bind_subports(result)  # after NB: a subport's LSP already says trunk:subport, as Neutron writes it
        t = result.mark("bind", t)
        result.ports_reported = self._report_ports(up)
        t = result.mark("ports", t)
        self._report_trunks(result, up)
        result.mark("trunks", t)
        return result

    @staticmethod
    def _without_foreign(want: nb.NbState, seen: Observed) -> nb.NbState:
        """Never create a row whose name someone else's row holds (Neutron's, an operator's): log it."""
        clash_ports = set(want.ports) & seen.foreign_ports - set(seen.state.ports)
        clash_switches = set(want.switches) & seen.foreign_switches - set(seen.state.switches)
        clash_groups = set(want.port_groups) & seen.foreign_port_groups - set(seen.state.port_groups)
        for name in sorted(clash_ports | clash_switches | clash_groups):
            log.warning("NB already has a row named %s that ovn-sync does not own: left alone", name)
        if not clash_ports and not clash_switches and not clash_groups:
            return want
        ports = {k: r for k, r in want.ports.items() if k not in clash_ports and r.switch not in clash_switches}
        return nb.NbState(
            switches={k: r for k, r in want.switches.items() if k not in clash_switches},
            ports=ports, dhcp=want.dhcp,
            port_groups={k: replace(r, ports=r.ports & set(ports)) for k, r in want.port_groups.items()
                         if k not in clash_groups})

    # -- subports follow their parent's host --------------------------------------------------------
    def _bind_subports(self, result: PassResult) -> None:
        """A trunk whose parent is bound to a chassis gets its subports bound there (the server's call, as
        the OVS agent makes it); done once per trunk revision that needs it."""
        ports = self.view.ports
        for trunk in list(self.view.trunks.values()):
            parent = ports.get(trunk["port_id"])
            if parent is None or not on_ovn(parent) or trunk["status"] == "ERROR":
                continue
            host = parent["binding:host_id"]
            unbound = [s["port_id"] for s in trunk["sub_ports"]
                       if s["port_id"] in ports and (ports[s["port_id"]].get("binding:host_id") != host
                                                     or not on_ovn(ports[s["port_id"]]))]
            if not unbound or all(s.get("status") == "ERROR" for s in trunk["sub_ports"]
                                  if s["port_id"] in unbound):
                continue
            try:
                self.api.bind_subports(trunk["id"])
            except ServerError as exc:  # deleted or unbound meanwhile: the feed brings the change
                if exc.status_code not in (404, 409):
                    raise
                log.warning("trunk %s: subports not bound this pass: %s", trunk["id"], exc)
                continue
            self.view.refresh(self.api, {"trunk": {trunk["id"]}, "port": set(unbound)})

    # -- status -------------------------------------------------------------------------------------
    def _report_ports(self, up: dict[str, bool]) -> int:
        """ACTIVE/DOWN of every port bound to a chassis from its LSP's `up`, set-based per host."""
        by_host: dict[str, dict[str, str]] = defaultdict(dict)
        for port in self.view.ports.values():
            if port["id"] not in up or not on_ovn(port):
                continue
            want = "ACTIVE" if up[port["id"]] else "DOWN"
            if port.get("status") != want:
                by_host[port["binding:host_id"]][port["id"]] = want
        count = 0
        for host, statuses in sorted(by_host.items()):
            for chunk in _chunked(sorted(statuses.items()), 500):
                answers = self.api.report_port_status(host, dict(chunk))
                for a in answers:
                    if a.get("error"):
                        log.info("port %s status not taken: %s", a.get("port_id"), a["error"])
                    elif a["port_id"] in self.view.ports:
                        self.view.ports[a["port_id"]] = {**self.view.ports[a["port_id"]], "status": a["status"],
                                                         "revision_number": a["revision_number"]}
                        count += 1
        return count

    def _report_trunks(self, result: PassResult, up: dict[str, bool]) -> None:
        for trunk in list(self.view.trunks.values()):
            parent = self.view.ports.get(trunk["port_id"])
            if parent is None or not on_ovn(parent) or trunk["status"] == "ERROR":
                continue
            status, reason, subs = verdict(trunk, parent, self.view.ports, up)
            current = {s["port_id"]: (s.get("status"), s.get("status_reason", "")) for s in trunk["sub_ports"]}
            wanted = {s["port_id"]: (s["status"], s["reason"]) for s in subs}
            if trunk["status"] == status and trunk.get("status_reason") == reason and current == wanted:
                continue
            done = self.api.report_trunk(trunk["id"], status, reason, trunk["revision_number"], subs)
            if done is None:  # stale or gone: re-read it, the next pass reports on the new revision
                self.view.refresh(self.api, {"trunk": {trunk["id"]}})
                result.again = True
                continue
            self.view.trunks[trunk["id"]] = {**done, "sub_ports": [
                {**s, "status": wanted.get(s["port_id"], ("", ""))[0],
                 "status_reason": wanted.get(s["port_id"], ("", ""))[1]} for s in done["sub_ports"]]}
            result.trunks_reported[trunk["id"]] = status


def verdict(trunk: Resource, parent: Resource, ports: dict[str, Resource],
            up: dict[str, bool]) -> tuple[str, str, list[Resource]]:
    """(trunk status, reason, per-subport statuses) from the LSPs' `up`: ACTIVE when the parent and every
    subport are up, DEGRADED naming those that are not, DOWN while the parent itself is not up."""
    host = parent["binding:host_id"]
    if not up.get(parent["id"]):
        subs = [{"port_id": s["port_id"], "status": "DOWN", "reason": "parent port not up"}
                for s in trunk["sub_ports"]]
        return "DOWN", f"parent port {parent['id']} not up on host {host}", subs
    subs, down = [], []
    for s in trunk["sub_ports"]:
        port = ports.get(s["port_id"], {})
        if s.get("status") == "ERROR" and (port.get("binding:host_id") != host or not on_ovn(port)):
            subs.append({"port_id": s["port_id"], "status": "ERROR", "reason": s.get("status_reason", "")})
            down.append(s["port_id"])
        elif up.get(s["port_id"]):
            subs.append({"port_id": s["port_id"], "status": "ACTIVE", "reason": ""})
        else:
            subs.append({"port_id": s["port_id"], "status": "DOWN", "reason": f"LSP not up on host {host}"})
            down.append(s["port_id"])
    if down:
        return "DEGRADED", "subports not up: " + ", ".join(down), subs
    return "ACTIVE", f"{len(subs)} subports up", subs


def _chunked(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
