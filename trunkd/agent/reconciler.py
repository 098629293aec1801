"""One reconcile pass: the server's view of this host against what OVS holds, then status reports.

Level-triggered, as Kubernetes controllers are: every pass reads the desired state from the server
and the observed state from OVS, applies the difference in one OVSDB transaction and reports the
trunks it settled with the revision it acted on. Applying the same state twice changes nothing, so
a crash at any point is repaired by the next pass.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from trunkd.agent import firewall, layout
from trunkd.agent.api import Resource, ServerApi, ServerError
from trunkd.agent.switch import Switch
from trunkd.agent.underlay import Underlay

log = logging.getLogger(__name__)

UNSETTLED = ("DOWN", "BUILD")


@dataclass
class PassResult:
    plan_size: int = 0
    reported: dict[str, str] = field(default_factory=dict)  # trunk id -> status reported
    seconds: dict[str, float] = field(default_factory=dict)  # phase -> time spent
    again: bool = False  # a report was refused as stale: the trunk changed meanwhile, pass again

    def mark(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[phase] = round(self.seconds.get(phase, 0.0) + now - since, 3)
        return now


class Reconciler:
    """Wires this host's trunks and ports; remembers which trunk revisions it has already settled."""

    def __init__(self, api: ServerApi, switch: Switch, host: str, local_ip: str | None = None,
                 bridge_mappings: dict[str, str] | None = None, underlay: Underlay | None = None,
                 firewall: bool = False) -> None:
        self.api = api
        self.bridge_mappings = dict(bridge_mappings or {})
        self.underlay = underlay
        self.switch = switch
        self.host = host
        self.local_ip = local_ip
        self.settled: dict[str, int] = {}  # trunk id -> revision after our last report
        self.peers: tuple[str, ...] = ()  # tunnel endpoints the last pass wired
        self.port_status_missing = False  # the server has no port-status call (logged once)
        self.firewall = firewall
        self.remote_groups: set[str] = set()  # remote groups the last pass's rules refer to
        self.last: tuple[layout.HostView, layout.Layout] | None = None  # the last pass that set br-int's flows

    def view(self) -> layout.HostView:
        """The server's view: ports bound here, trunks of parents bound here, their subports and networks."""
        ports = {p["id"]: p for p in self.api.ports_on_host(self.host)}
        trunk_ids = {p["trunk_details"]["trunk_id"] for p in ports.values() if p.get("trunk_details")}
        trunks = {t["id"]: t for t in self.api.trunks(trunk_ids) if t["port_id"] in ports}
        missing = {s["port_id"] for t in trunks.values() for s in t["sub_ports"]} - set(ports)
        ports.update({p["id"]: p for p in self.api.ports(missing)})
        networks = {n["id"]: n for n in self.api.networks({p["network_id"] for p in ports.values()})}
        self.peers = self.tunnel_peers()
        groups, members = self.security(ports.values()) if self.firewall else ({}, {})
        return layout.HostView(self.host, ports, trunks, networks, self.local_ip, self.peers, self.bridge_mappings,
                               (self.underlay.bridge, self.underlay.iface) if self.underlay else None,
                               self.firewall, groups, members)

    def security(self, ports: Iterable[Resource], known: Mapping[str, tuple[str, ...]] | None = None
                 ) -> tuple[dict[str, firewall.Group], dict[str, tuple[str, ...]]]:
        """The security groups of these ports with their rules, and the addresses of every remote group's
        members (fixed IPs and allowed address pairs of each port in it, wherever it is bound); members of
        remote groups in `known` are taken from there instead of read again."""
        wanted = {g for p in ports if p.get("port_security_enabled", True) for g in p.get("security_groups") or ()}
        if not wanted:
            self.remote_groups = set()
            return {}, {}
        try:  # a group carries its rules (security_group_rules), as Neutron shows it: one call
            listed = self.api.security_groups(wanted)
        except ServerError as exc:
            if exc.status_code != 404:
                raise
            log.warning("the server has no security groups (%s): ports filtered with none", exc)
            self.remote_groups = set()
            return {}, {}
        rules: dict[str, list[Resource]] = {g["id"]: list(g["security_group_rules"]) for g in listed
                                            if "security_group_rules" in g}
        if len(rules) < len(listed):  # a server that lists groups without their rules
            for rule in self.api.security_group_rules({g["id"] for g in listed} - set(rules)):
                rules.setdefault(rule["security_group_id"], []).append(rule)
        groups = {g["id"]: firewall.Group(g["id"], tuple(rules.get(g["id"], ())), bool(g.get("stateful", True)))
                  for g in listed}
        self.remote_groups = firewall.remote_groups(groups.values())
        members: dict[str, set[str]] = {r: set((known or {}).get(r, ())) for r in self.remote_groups}
        for remote in sorted(self.remote_groups - set(known or {})):
            for port in self.api.ports_in_group(remote):
                members[remote].update(ip["ip_address"] for ip in port.get("fixed_ips") or [])
                members[remote].update(p["ip_address"] for p in port.get("allowed_address_pairs") or [])
        return groups, {r: tuple(sorted(a)) for r, a in members.items()}

    def refresh_security(self, members: bool) -> bool:
        """The fast path for a group, rule or membership change: read only groups, rules (and, with `members`,
        the remote groups' members), rewrite only the group tables. False when it cannot stand in for a pass
        (none has set br-int yet, or the set of groups changed): the caller then runs a pass."""
        if self.last is None or not self.firewall:
            return False
        view, want = self.last
        groups, found = self.security(view.ports.values(), None if members else view.members)
        if set(groups) != set(view.groups):
            return False
        flows = [f for f in want.int_flows if not firewall.is_group_flow(f)]
        flows += firewall.group_flows(groups, want.group_numbers, found)
        self.last = None
        self.switch.replace_flows(layout.BR_INT, flows)
        self.last = (replace(view, groups=groups, members=found), replace(want, int_flows=flows))
        return True

    def tunnel_peers(self) -> tuple[str, ...]:
        """Tunnel endpoints of the other live agents (none when this host does not tunnel)."""
        if not self.local_ip:
            return ()
        return tuple(sorted({
            str(a["configurations"]["tunneling_ip"]) for a in self.api.agents()
            if a.get("alive") and a["host"] != self.host and a["configurations"].get("tunneling_ip")
            and "vxlan" in (a["configurations"].get("tunnel_types") or [])
        }))

    def _needs_binding(self, trunk: Resource, view: layout.HostView) -> bool:
        if trunk["status"] in UNSETTLED:
            return True
        if self.settled.get(trunk["id"]) == trunk["revision_number"]:
            return False
        if trunk["status"] == "DEGRADED":  # first pass since start: retry once
            return True
        unbound = [s for s in trunk["sub_ports"] if not view.bound_here(view.ports.get(s["port_id"], {}))]
        return trunk["status"] == "ACTIVE" and bool(unbound)

    def run_pass(self, full: bool = False) -> PassResult:
        """One pass; a `full` one also rewrites the flow tables (drift made behind the agent's back)."""
        result = PassResult()
        t = time.perf_counter()
        view = self.view()
        t = result.mark("read", t)
        plugged = set(layout.parent_interfaces(view, self.switch.observe()).values())
        bound: dict[str, tuple[Resource, list[Resource]]] = {}
        unplugged: list[Resource] = []
        for trunk in view.trunks.values():
            if trunk["id"] not in plugged:  # no wiring can be in place without the parent's interface
                if trunk["status"] in ("ACTIVE", "DEGRADED", "BUILD"):
                    unplugged.append(trunk)
                continue
            if not self._needs_binding(trunk, view):
                continue
            try:
                bound[trunk["id"]] = self.api.bind_subports(trunk["id"])  # -> BUILD, DEGRADED or ERROR
            except ServerError as exc:  # e.g. deleted or unbound since the read: the next pass sees it
                if exc.status_code not in (404, 409):
                    raise
                log.warning("trunk %s not bound this pass: %s", trunk["id"], exc)
        if bound:
            t = result.mark("bind", t)
            view = self._with_bindings(view, bound)
        seen = self.switch.observe()
        want = layout.build(view, seen)
        plan = layout.diff(want, seen)
        t = result.mark("plan", t)
        result.plan_size = len(plan)
        failure = ""
        first = plan
        try:
            first = layout.quarantine(plan, want, seen) if view.firewall else plan
            self.switch.apply(first)
            if want.unnumbered and plan:  # ports made just now: their filters need their ofports
                want = layout.build(view, self.switch.observe())
            if want.unnumbered:
                log.info("no ofport yet for %s: passing again", ", ".join(sorted(want.unnumbered)))
                result.again = True
            if self.underlay is not None:
                self.underlay.ensure(any(b.name == self.underlay.bridge for b in plan.add_bridges))
            if view.local_ip:
                self.switch.replace_flows(layout.BR_TUN, want.tun_flows, force=full)
            for bridge, flows in want.phys_flows.items():
                self.switch.replace_flows(bridge, flows, force=full)
        except Exception as exc:  # reported on the trunks it concerns, retried next pass
            log.exception("wiring failed")
            failure = f"wiring failed on host {self.host}: {exc}"
        if not failure:
            try:  # per-port drops by name: a port gone meanwhile fails this, the OVSDB event brings a pass
                self.last = None
                self.switch.replace_flows(layout.BR_INT, want.int_flows, force=full)
                self.last = (view, want)
                if first is not plan:  # the filters are in: now the held-back ports join their networks
                    self.switch.apply(layout.diff(want, self.switch.observe()))
            except Exception as exc:
                log.warning("br-int flows not replaced this pass: %s", exc)
                result.again = True
        t = result.mark("ovs", t)
        for trunk, outcomes in bound.values():
            status, reason = self._verdict(trunk, outcomes, failure)
            if status is not None:
                self._report(result, trunk, status, reason)
        for trunk in unplugged:
            reason = (f"parent port {trunk['port_id']} not plugged into {layout.trunk_bridge(trunk['id'])} "
                      f"on host {self.host}")
            subs = [{"port_id": s["port_id"], "status": "DOWN", "reason": "parent port not plugged"}
                    for s in trunk["sub_ports"]]
            self._report(result, trunk, "DOWN", reason, subs)
        if not failure:
            self._report_ports(view, want)
        result.mark("report", t)
        for gone in set(self.settled) - set(view.trunks):
            del self.settled[gone]
        if failure:
            raise RuntimeError(failure)
        return result

    def _report(self, result: PassResult, trunk: Resource, status: str, reason: str,
                subs: list[Resource] | None = None) -> None:
        done = self.api.report_status(trunk["id"], status, reason, trunk["revision_number"], subs)
        if done is None:
            result.again = True
            return
        self.settled[trunk["id"]] = done["revision_number"]
        result.reported[trunk["id"]] = status

    def _report_ports(self, view: layout.HostView, want: layout.Layout) -> None:
        """Tell the server which ports' interfaces are plugged and wired here (only those that changed)."""
        statuses = {p: s for p, s in layout.port_statuses(view, want).items() if view.ports[p].get("status") != s}
        if not statuses or self.port_status_missing:
            return
        try:
            answers = self.api.report_port_status(self.host, statuses)
        except ServerError as exc:
            if exc.status_code == 404 and "PortNotBoundToHost" not in str(exc):
                self.port_status_missing = True
                log.warning("the server has no port-status call (%s): port status not reported", exc)
                return
            raise
        for a in answers:
            if a.get("error"):
                log.info("port %s status not taken: %s", a.get("port_id"), a["error"])

    def _with_bindings(self, view: layout.HostView, bound: dict[str, tuple[Resource, list[Resource]]]
                       ) -> layout.HostView:
        """The view after bind_subports, from its answers (each outcome says where the port is bound)."""
        ports = dict(view.ports)
        for _trunk, outcomes in bound.values():
            for o in outcomes:
                if o["outcome"] == "bound" and o["port_id"] in ports:
                    ports[o["port_id"]] = {**ports[o["port_id"]], "binding:host_id": o["binding:host_id"],
                                           "binding:vif_type": "ovs"}
        trunks = {**view.trunks, **{tid: trunk for tid, (trunk, _o) in bound.items()}}
        return replace(view, ports=ports, trunks=trunks)

    @staticmethod
    def _verdict(trunk: Resource, outcomes: list[Resource], failure: str) -> tuple[str | None, str]:
        if trunk["status"] == "ERROR":  # the parent failed to bind; the server already said why
            return None, ""
        if failure:
            return "ERROR", failure
        failed = [o for o in outcomes if o["outcome"] != "bound"]
        if failed:
            return "DEGRADED", "subports failed to bind: " + ", ".join(
                f"{o['port_id']} ({o['reason']})" for o in failed)
        return "ACTIVE", f"{len(outcomes)} subports wired"
