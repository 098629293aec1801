"""OVN behind one small class: read the Northbound rows ovn-sync owns, apply a plan in one transaction,
read the chassis from the Southbound DB. Everything ovsdbapp/OVSDB-specific lives here.

Only one ovn-sync acts: the Northbound connection asks for the OVSDB lock `LOCK_NAME`, and the Python IDL
asserts the lock in every transaction it commits, so a standby (or one that lost the lock) cannot write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ovsdbapp.backend.ovs_idl import command, connection, idlutils
from ovsdbapp.backend.ovs_idl import event as idl_event
from ovsdbapp.schema.ovn_northbound import impl_idl as nb_impl
from ovsdbapp.schema.ovn_southbound import impl_idl as sb_impl

from trunkd.ovn.northbound import OWNER, OWNER_KEY, DhcpRow, NbPlan, NbState, PortRow, SwitchRow

log = logging.getLogger(__name__)

LOCK_NAME = "trunkd_ovn_sync"
LS_COLUMNS = ["name", "ports", "external_ids", "other_config"]
LSP_COLUMNS = ["name", "addresses", "port_security", "external_ids", "options", "type", "enabled", "parent_name",
               "tag", "tag_request", "dhcpv4_options", "dhcpv6_options", "up"]
DHCP_COLUMNS = ["cidr", "options", "external_ids"]


def _opt(value: Any) -> Any:
    """An optional column reads as [] or [value]."""
    return value[0] if value else None


def _ours(row: Any) -> bool:
    return row.external_ids.get(OWNER_KEY) == OWNER


@dataclass
class Observed:
    """The owned rows (as NbState), plus what the plan must also know."""

    state: NbState = field(default_factory=NbState)
    up: dict[str, bool] = field(default_factory=dict)  # owned LSP name -> up
    foreign_ports: set[str] = field(default_factory=set)  # LSP names someone else owns
    foreign_switches: set[str] = field(default_factory=set)
    duplicates: list[tuple[str, Any]] = field(default_factory=list)  # (table, uuid) of extra owned rows


@dataclass(frozen=True)
class Chassis:
    name: str
    hostname: str
    encap_types: tuple[str, ...]
    bridge_mappings: dict[str, str]
    datapath_type: str
    iface_types: str
    ovn_bridge: str


class _Idl(connection.OvsdbIdl):  # type: ignore[misc]
    def __init__(self, remote: str, helper: Any, lock: str | None = None) -> None:
        super().__init__(remote, helper)
        self.notify_handler = idl_event.RowEventHandler()
        self.wake: Callable[[], None] | None = None
        self._had_lock = False
        if lock:
            self.set_lock(lock)

    def notify(self, event: str, row: Any, updates: Any = None) -> None:
        self.notify_handler.notify(event, row, updates)

    def run(self) -> Any:
        changed = super().run()
        if self.lock_name and self.has_lock != self._had_lock:  # lock won or lost: a pass must see it
            self._had_lock = self.has_lock
            if self.wake is not None:
                self.wake()
        return changed

    def cooperative_yield(self) -> None:
        """ovsdbapp sleeps after every row for eventlet's sake; plain threads need no such yield."""


class _Changed(idl_event.RowEvent):  # type: ignore[misc]
    """A row that can change status or chassis: an LSP's `up`, a Chassis appearing or leaving."""

    def __init__(self, table: str, wake: Callable[[], None]) -> None:
        super().__init__((self.ROW_CREATE, self.ROW_UPDATE, self.ROW_DELETE), table, None)
        self.wake = wake
        self.event_name = f"trunkd-ovn-{table}"

    def match_fn(self, event: str, row: Any, old: Any) -> bool:
        if self.table == "Logical_Switch_Port":
            return event == self.ROW_UPDATE and hasattr(old, "up")
        return True

    def run(self, event: str, row: Any, old: Any) -> None:
        self.wake()


class _Read(command.ReadOnlyCommand):  # type: ignore[misc]
    def __init__(self, api: Any, fn: Callable[[], Any]) -> None:
        super().__init__(api)
        self.fn = fn

    def run_idl(self, txn: Any) -> None:
        self.result = self.fn()


class _Apply(command.BaseCommand):  # type: ignore[misc]
    """The whole plan as one command, in one transaction."""

    def __init__(self, api: Any, plan: NbPlan, duplicates: list[tuple[str, Any]]) -> None:
        super().__init__(api)
        self.plan = plan
        self.duplicates = duplicates

    def run_idl(self, txn: Any) -> None:
        tables = self.api.tables
        plan = self.plan
        for table, uuid in self.duplicates:  # first: a deleted row leaves tables[...].rows at once
            row = tables[table].rows.get(uuid)
            if row is not None:
                if table == "Logical_Switch_Port":
                    for ls in tables["Logical_Switch"].rows.values():
                        if row in ls.ports:
                            ls.delvalue("ports", row)
                row.delete()
        switches = {r.name: r for r in tables["Logical_Switch"].rows.values() if _ours(r)}
        ports = {r.name: r for r in tables["Logical_Switch_Port"].rows.values() if _ours(r)}
        dhcp = {r.external_ids.get("subnet_id"): r for r in tables["DHCP_Options"].rows.values()
                if _ours(r) and "port_id" not in r.external_ids}
        owner_of = {p.uuid: ls for ls in switches.values() for p in ls.ports}
        for s in plan.put_switches:
            row = switches.get(s.name)
            if row is None:
                row = txn.insert(tables["Logical_Switch"])
                row.name = s.name
                row.ports = []
                switches[s.name] = row
            row.external_ids = s.external_ids
            row.other_config = s.other_config
        for d in plan.put_dhcp:
            row = dhcp.get(d.subnet_id)
            if row is None:
                row = txn.insert(tables["DHCP_Options"])
                dhcp[d.subnet_id] = row
            row.cidr = d.cidr
            row.options = d.options
            row.external_ids = d.external_ids
        for name in plan.del_ports:
            row = ports.pop(name, None)
            if row is not None:
                if row.uuid in owner_of:
                    owner_of[row.uuid].delvalue("ports", row)
                row.delete()
        for p in plan.put_ports:
            self._put_port(txn, tables, p, ports.get(p.name), switches, dhcp, owner_of)
        for subnet_id in plan.del_dhcp:
            row = dhcp.pop(subnet_id, None)
            if row is not None:
                row.delete()
        for name in plan.del_switches:
            row = switches.pop(name, None)
            if row is not None:
                row.delete()

    @staticmethod
    def _put_port(txn: Any, tables: Any, p: PortRow, row: Any, switches: dict[str, Any], dhcp: dict[str, Any],
                  owner_of: dict[Any, Any]) -> None:
        ls = switches.get(p.switch)
        if ls is None:  # a switch someone else owns: not ours to add to
            log.warning("LSP %s: logical switch %s is not ovn-sync's; not written", p.name, p.switch)
            return
        if row is None:
            row = txn.insert(tables["Logical_Switch_Port"])
            row.name = p.name
            ls.addvalue("ports", row)
        elif owner_of.get(row.uuid) is not ls:
            if row.uuid in owner_of:
                owner_of[row.uuid].delvalue("ports", row)
            ls.addvalue("ports", row)
        row.addresses = list(p.addresses)
        row.port_security = list(p.port_security)
        row.external_ids = p.external_ids
        row.options = p.options
        row.type = p.type
        row.enabled = [] if p.enabled is None else [p.enabled]
        row.parent_name = [] if p.parent_name is None else [p.parent_name]
        row.tag = [] if p.tag is None else [p.tag]  # cleared together: clearing parent_name alone keeps the tag
        row.tag_request = [] if p.tag_request is None else [p.tag_request]
        row.dhcpv4_options = [dhcp[p.dhcpv4]] if p.dhcpv4 in dhcp else []
        row.dhcpv6_options = [dhcp[p.dhcpv6]] if p.dhcpv6 in dhcp else []


def _helper(connection_string: str, schema: str, tables: dict[str, list[str]]) -> Any:
    helper = idlutils.get_schema_helper(connection_string, schema)
    for table, columns in tables.items():
        helper.register_columns(table, columns)
    return helper


class Ovn:
    """OVN's Northbound (written, locked) and Southbound (read) databases through ovsdbapp."""

    def __init__(self, nb: str, sb: str, timeout: float = 30.0, lock: bool = True) -> None:
        nb_idl = _Idl(nb, _helper(nb, "OVN_Northbound", {"Logical_Switch": LS_COLUMNS,
                                                         "Logical_Switch_Port": LSP_COLUMNS,
                                                         "DHCP_Options": DHCP_COLUMNS}),
                      LOCK_NAME if lock else None)
        sb_idl = _Idl(sb, _helper(sb, "OVN_Southbound", {
            "Chassis": ["name", "hostname", "encaps", "external_ids", "other_config"],
            "Encap": ["type", "ip", "chassis_name"]}))
        self.nb_conn = connection.Connection(nb_idl, timeout=timeout)
        self.sb_conn = connection.Connection(sb_idl, timeout=timeout)
        # ovsdbapp keeps the connection on the API class (first one wins): one class per instance
        self.nb = type("NbApi", (nb_impl.OvnNbApiIdlImpl,), {})(self.nb_conn)
        self.sb = type("SbApi", (sb_impl.OvnSbApiIdlImpl,), {})(self.sb_conn)

    def close(self) -> None:
        for conn in (self.nb_conn, self.sb_conn):
            conn.stop()
            conn.idl.notify_handler.shutdown()

    @property
    def active(self) -> bool:
        """Whether this process holds the Northbound lock (only then does it write and report)."""
        return bool(self.nb_conn.idl.has_lock)

    def watch(self, wake: Callable[[], None]) -> None:
        """Call `wake` when an LSP goes up or down, a chassis comes or goes, or the lock is won or lost."""
        self.nb_conn.idl.wake = wake
        self.nb_conn.idl.notify_handler.watch_events([_Changed("Logical_Switch_Port", wake)])
        self.sb_conn.idl.notify_handler.watch_events([_Changed("Chassis", wake)])

    def observe(self) -> Observed:
        return _Read(self.nb, self._observe).execute(check_error=True)  # type: ignore[no-any-return]

    def _observe(self) -> Observed:
        tables = self.nb.tables
        seen = Observed()
        dhcp_subnet: dict[Any, str] = {}
        for row in sorted(tables["DHCP_Options"].rows.values(), key=lambda r: str(r.uuid)):
            if not _ours(row) or "port_id" in row.external_ids:
                continue
            subnet = row.external_ids.get("subnet_id", "")
            if subnet in seen.state.dhcp:
                seen.duplicates.append(("DHCP_Options", row.uuid))
                continue
            dhcp_subnet[row.uuid] = subnet
            seen.state.dhcp[subnet] = DhcpRow(subnet, row.cidr, dict(row.options), dict(row.external_ids))
        switch_of: dict[Any, str] = {}  # LSP uuid -> name of the (kept) switch holding it
        # the switch kept among owned duplicates: the one with the most ports (then the lowest uuid)
        for row in sorted(tables["Logical_Switch"].rows.values(), key=lambda r: (-len(r.ports), str(r.uuid))):
            if not _ours(row):
                seen.foreign_switches.add(row.name)
                continue
            if row.name in seen.state.switches:
                seen.duplicates.append(("Logical_Switch", row.uuid))  # its ports move to the kept one
                continue
            seen.state.switches[row.name] = SwitchRow(row.name, dict(row.external_ids), dict(row.other_config))
            for p in row.ports:
                switch_of.setdefault(p.uuid, row.name)
        for row in sorted(tables["Logical_Switch_Port"].rows.values(), key=lambda r: str(r.uuid)):
            if not _ours(row):
                seen.foreign_ports.add(row.name)
                continue
            if row.name in seen.state.ports:
                seen.duplicates.append(("Logical_Switch_Port", row.uuid))
                continue
            seen.state.ports[row.name] = PortRow(
                name=row.name, switch=switch_of.get(row.uuid, ""), addresses=tuple(row.addresses),
                port_security=tuple(row.port_security), external_ids=dict(row.external_ids),
                options=dict(row.options), type=row.type, enabled=_opt(row.enabled),
                parent_name=_opt(row.parent_name), tag=_opt(row.tag), tag_request=_opt(row.tag_request),
                dhcpv4=dhcp_subnet.get(row.dhcpv4_options[0].uuid) if row.dhcpv4_options else None,
                dhcpv6=dhcp_subnet.get(row.dhcpv6_options[0].uuid) if row.dhcpv6_options else None)
            seen.up[row.name] = bool(_opt(row.up))
        return seen

    def apply(self, plan: NbPlan, duplicates: list[tuple[str, Any]]) -> None:
        """Apply the plan (and drop duplicate owned rows) in one Northbound transaction."""
        if not plan and not duplicates:
            return
        with self.nb.transaction(check_error=True) as txn:
            txn.add(_Apply(self.nb, plan, duplicates))

    def chassis(self) -> list[Chassis]:
        return _Read(self.sb, self._chassis).execute(check_error=True)  # type: ignore[no-any-return]

    def _chassis(self) -> list[Chassis]:
        found = []
        for row in self.sb.tables["Chassis"].rows.values():
            other = {**dict(row.external_ids), **dict(row.other_config)}
            mappings = dict(m.split(":", 1) for m in other.get("ovn-bridge-mappings", "").split(",") if ":" in m)
            found.append(Chassis(
                name=row.name, hostname=row.hostname or row.name,
                encap_types=tuple(sorted({e.type for e in row.encaps})), bridge_mappings=mappings,
                datapath_type=other.get("datapath-type", ""), iface_types=other.get("iface-types", ""),
                ovn_bridge=other.get("ovn-bridge", "br-int") or "br-int"))
        return sorted(found, key=lambda c: c.name)
