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

from trunkd.ovn.northbound import OWNER, OWNER_KEY, AclRow, DhcpRow, NbPlan, NbState, PortGroupRow, PortRow, SwitchRow
from trunkd.ovn.ovsjson import use_c_parser

log = logging.getLogger(__name__)

LOCK_NAME = "trunkd_ovn_sync"
LS_COLUMNS = ["name", "ports", "external_ids", "other_config"]
LSP_COLUMNS = ["name", "addresses", "port_security", "external_ids", "options", "type", "enabled", "parent_name",
               "tag", "tag_request", "dhcpv4_options", "dhcpv6_options", "up"]
DHCP_COLUMNS = ["cidr", "options", "external_ids"]
PG_COLUMNS = ["name", "ports", "acls", "external_ids"]
ACL_COLUMNS = ["direction", "priority", "match", "action", "external_ids"]


def _opt(value: Any) -> Any:
    """An optional column reads as [] or [value]."""
    return value[0] if value else None


def _uuid(atom: Any, base: Any) -> Any:
    return atom


def _get(row: Any, column: str) -> Any:
    """A committed column's value, references as uuids: what `getattr(row, column)` gives outside a transaction
    (lists for sets and optional columns, dicts for maps), without its two conversions per read."""
    return row._data[column].to_python(_uuid)


def _ours(row: Any) -> bool:
    return bool(_get(row, "external_ids").get(OWNER_KEY) == OWNER)


@dataclass
class Observed:
    """The owned rows (as NbState), plus what the plan must also know."""

    state: NbState = field(default_factory=NbState)
    up: dict[str, bool] = field(default_factory=dict)  # owned LSP name -> up
    foreign_ports: set[str] = field(default_factory=set)  # LSP names someone else owns
    foreign_switches: set[str] = field(default_factory=set)
    foreign_port_groups: set[str] = field(default_factory=set)
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
    """The whole plan as one command, in one transaction; a row that exists gets only the columns that differ
    from what was observed (every column written costs a conversion here and an update in every client)."""

    def __init__(self, api: Any, plan: NbPlan, duplicates: list[tuple[str, Any]], seen: NbState) -> None:
        super().__init__(api)
        self.plan = plan
        self.duplicates = duplicates
        self.seen = seen

    def run_idl(self, txn: Any) -> None:
        tables = self.api.tables
        plan = self.plan
        for table, uuid in self.duplicates:  # first: a deleted row leaves tables[...].rows at once
            row = tables[table].rows.get(uuid)
            if row is not None:
                if table == "Logical_Switch_Port":
                    for ls in tables["Logical_Switch"].rows.values():
                        if uuid in _get(ls, "ports"):
                            ls.delvalue("ports", row)
                row.delete()
        switches = {_get(r, "name"): r for r in tables["Logical_Switch"].rows.values() if _ours(r)}
        ports = {_get(r, "name"): r for r in tables["Logical_Switch_Port"].rows.values() if _ours(r)}
        dhcp: dict[str, Any] = {}
        for r in tables["DHCP_Options"].rows.values():
            ext = _get(r, "external_ids")
            if ext.get(OWNER_KEY) == OWNER and "port_id" not in ext:
                dhcp[ext.get("subnet_id", "")] = r
        owner_of = {p: ls for ls in switches.values() for p in _get(ls, "ports")}
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
            row = ports.get(p.name)
            new = self._put_port(txn, tables, p, row, self.seen.ports.get(p.name) if row is not None else None,
                                 switches, dhcp, owner_of)
            if new is not None:
                ports[p.name] = new
        groups = {_get(r, "name"): r for r in tables["Port_Group"].rows.values() if _ours(r)}
        for name in plan.del_port_groups:  # its ACLs (not root rows) go with it
            row = groups.pop(name, None)
            if row is not None:
                row.delete()
        for g in plan.put_port_groups:
            self._put_port_group(txn, tables, g, groups.get(g.name), self.seen.port_groups.get(g.name), ports)
        for subnet_id in plan.del_dhcp:
            row = dhcp.pop(subnet_id, None)
            if row is not None:
                row.delete()
        for name in plan.del_switches:
            row = switches.pop(name, None)
            if row is not None:
                row.delete()

    @staticmethod
    def _put_port_group(txn: Any, tables: Any, g: PortGroupRow, row: Any, old: PortGroupRow | None,
                        ports: dict[str, Any]) -> None:
        """Members by LSP row; ACL rows that already match are kept, new ones inserted, the rest dropped (ACL
        rows are not root: unreferenced, OVSDB deletes them)."""
        if row is None:
            row = txn.insert(tables["Port_Group"])
            row.name = g.name
            old = None
        if old is None or old.external_ids != g.external_ids:
            row.external_ids = g.external_ids
        if old is None:
            row.ports = [ports[n] for n in sorted(g.ports) if n in ports]
        elif old.ports != g.ports:  # only the change: a big group (neutron_pg_drop) is not rewritten whole
            for n in sorted(old.ports - g.ports):
                if n in ports:
                    row.delvalue("ports", ports[n])
            for n in sorted(g.ports - old.ports):
                if n in ports:
                    row.addvalue("ports", ports[n])
        if old is not None and old.acls == g.acls:
            return
        kept: dict[AclRow, Any] = {}
        for uuid in ([] if old is None else _get(row, "acls")):
            acl = tables["ACL"].rows.get(uuid)
            if acl is not None:
                kept.setdefault(_acl_row(acl), acl)
        rows = []
        for a in sorted(g.acls, key=lambda a: (a.direction, a.match, a.external_ids)):
            acl = kept.get(a)
            if acl is None:
                acl = txn.insert(tables["ACL"])
                acl.direction = a.direction
                acl.priority = a.priority
                acl.match = a.match
                acl.action = a.action
                acl.external_ids = dict(a.external_ids)
            rows.append(acl)
        row.acls = rows

    @staticmethod
    def _put_port(txn: Any, tables: Any, p: PortRow, row: Any, old: PortRow | None, switches: dict[str, Any],
                  dhcp: dict[str, Any], owner_of: dict[Any, Any]) -> Any:
        ls = switches.get(p.switch)
        if ls is None:  # a switch someone else owns: not ours to add to
            log.warning("LSP %s: logical switch %s is not ovn-sync's; not written", p.name, p.switch)
            return None
        if row is None:
            row = txn.insert(tables["Logical_Switch_Port"])
            row.name = p.name
            ls.addvalue("ports", row)
        elif owner_of.get(row.uuid) is not ls:
            if row.uuid in owner_of:
                owner_of[row.uuid].delvalue("ports", row)
            ls.addvalue("ports", row)
        new = old is None
        for attr, column, value in (
            ("addresses", "addresses", list(p.addresses)),
            ("port_security", "port_security", list(p.port_security)),
            ("external_ids", "external_ids", p.external_ids),
            ("options", "options", p.options),
            ("type", "type", p.type),
            ("enabled", "enabled", [] if p.enabled is None else [p.enabled]),
            ("parent_name", "parent_name", [] if p.parent_name is None else [p.parent_name]),
            ("tag", "tag", [] if p.tag is None else [p.tag]),  # with parent_name: clearing it alone keeps the tag
            ("tag_request", "tag_request", [] if p.tag_request is None else [p.tag_request]),
            ("dhcpv4", "dhcpv4_options", [dhcp[p.dhcpv4]] if p.dhcpv4 in dhcp else []),
            ("dhcpv6", "dhcpv6_options", [dhcp[p.dhcpv6]] if p.dhcpv6 in dhcp else []),
        ):
            if new:
                if value:  # a new row's columns start empty
                    setattr(row, column, value)
            elif getattr(p, attr) != getattr(old, attr):
                setattr(row, column, value)
        return row


def _acl_row(row: Any) -> AclRow:
    return AclRow(_get(row, "direction"), _get(row, "priority"), _get(row, "match"), _get(row, "action"),
                  tuple(sorted(_get(row, "external_ids").items())))


class _Sync(command.BaseCommand):  # type: ignore[misc]
    """Observe, plan and apply in the connection's own thread, in one transaction: the plan is made against
    exactly the rows it changes, and no read waits for the connection lock (which the IDL thread, busy with a
    flood of updates, would hardly ever give up)."""

    def __init__(self, api: Any, observe: Callable[[], Observed], plan_for: Callable[[Observed], NbPlan]) -> None:
        super().__init__(api)
        self.observe = observe
        self.plan_for = plan_for

    def run_idl(self, txn: Any) -> None:
        seen = self.observe()
        plan = self.plan_for(seen)
        if plan or seen.duplicates:
            _Apply(self.api, plan, seen.duplicates, seen.state).run_idl(txn)
        self.result = (seen, plan)


def _helper(connection_string: str, schema: str, tables: dict[str, list[str]]) -> Any:
    helper = idlutils.get_schema_helper(connection_string, schema)
    for table, columns in tables.items():
        helper.register_columns(table, columns)
    return helper


class Ovn:
    """OVN's Northbound (written, locked) and Southbound (read) databases through ovsdbapp."""

    def __init__(self, nb: str, sb: str, timeout: float = 30.0, lock: bool = True) -> None:
        if not use_c_parser():
            log.warning("OVSDB JSON parsed in pure Python (no C parser for this interpreter): large "
                        "transactions are slow; install Debian's python3-openvswitch")
        nb_idl = _Idl(nb, _helper(nb, "OVN_Northbound", {"Logical_Switch": LS_COLUMNS,
                                                         "Logical_Switch_Port": LSP_COLUMNS,
                                                         "DHCP_Options": DHCP_COLUMNS,
                                                         "Port_Group": PG_COLUMNS, "ACL": ACL_COLUMNS}),
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
            ext = _get(row, "external_ids")
            if ext.get(OWNER_KEY) != OWNER or "port_id" in ext:
                continue
            subnet = ext.get("subnet_id", "")
            if subnet in seen.state.dhcp:
                seen.duplicates.append(("DHCP_Options", row.uuid))
                continue
            dhcp_subnet[row.uuid] = subnet
            seen.state.dhcp[subnet] = DhcpRow(subnet, _get(row, "cidr"), _get(row, "options"), ext)
        switch_of: dict[Any, str] = {}  # LSP uuid -> name of the (kept) switch holding it
        switches = [(row, _get(row, "name"), _get(row, "ports"), _get(row, "external_ids"))
                    for row in tables["Logical_Switch"].rows.values()]
        # the switch kept among owned duplicates: the one with the most ports (then the lowest uuid)
        for row, name, ports, ext in sorted(switches, key=lambda s: (-len(s[2]), str(s[0].uuid))):
            if ext.get(OWNER_KEY) != OWNER:
                seen.foreign_switches.add(name)
                continue
            if name in seen.state.switches:
                seen.duplicates.append(("Logical_Switch", row.uuid))  # its ports move to the kept one
                continue
            seen.state.switches[name] = SwitchRow(name, ext, _get(row, "other_config"))
            for p in ports:
                switch_of.setdefault(p, name)
        for row in sorted(tables["Logical_Switch_Port"].rows.values(), key=lambda r: str(r.uuid)):
            ext = _get(row, "external_ids")
            name = _get(row, "name")
            if ext.get(OWNER_KEY) != OWNER:
                seen.foreign_ports.add(name)
                continue
            if name in seen.state.ports:
                seen.duplicates.append(("Logical_Switch_Port", row.uuid))
                continue
            v4, v6 = _get(row, "dhcpv4_options"), _get(row, "dhcpv6_options")
            seen.state.ports[name] = PortRow(
                name=name, switch=switch_of.get(row.uuid, ""), addresses=tuple(_get(row, "addresses")),
                port_security=tuple(_get(row, "port_security")), external_ids=ext,
                options=_get(row, "options"), type=_get(row, "type"), enabled=_opt(_get(row, "enabled")),
                parent_name=_opt(_get(row, "parent_name")), tag=_opt(_get(row, "tag")),
                tag_request=_opt(_get(row, "tag_request")),
                dhcpv4=dhcp_subnet.get(v4[0]) if v4 else None, dhcpv6=dhcp_subnet.get(v6[0]) if v6 else None)
            seen.up[name] = bool(_opt(_get(row, "up")))
        lsp_name = {row.uuid: _get(row, "name") for row in tables["Logical_Switch_Port"].rows.values()}
        for row in tables["Port_Group"].rows.values():  # names are unique (the table's index)
            ext = _get(row, "external_ids")
            name = _get(row, "name")
            if ext.get(OWNER_KEY) != OWNER:
                seen.foreign_port_groups.add(name)
                continue
            acls = [tables["ACL"].rows.get(u) for u in _get(row, "acls")]
            seen.state.port_groups[name] = PortGroupRow(
                name, ext, frozenset(lsp_name[u] for u in _get(row, "ports") if u in lsp_name),
                frozenset(_acl_row(a) for a in acls if a is not None))
        return seen

    def apply(self, plan: NbPlan, duplicates: list[tuple[str, Any]], seen: NbState) -> None:
        """Apply the plan (and drop duplicate owned rows) in one Northbound transaction; `seen` is what the plan
        was made against (columns equal there are not written)."""
        if not plan and not duplicates:
            return
        with self.nb.transaction(check_error=True) as txn:
            txn.add(_Apply(self.nb, plan, duplicates, seen))

    def sync(self, plan_for: Callable[[Observed], NbPlan]) -> tuple[Observed, NbPlan]:
        """Observe the owned rows, plan with `plan_for` and apply the plan, all in one Northbound transaction."""
        with self.nb.transaction(check_error=True) as txn:
            cmd = txn.add(_Sync(self.nb, self._observe, plan_for))
        return cmd.result  # type: ignore[no-any-return]

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
