"""Open vSwitch behind one small class: read what the agent owns, apply a plan in one transaction.

Everything OVS-specific lives here (ovsdbapp for OVSDB, `ovs-ofctl` for br-tun's flow table), so
another back end (OVN, Linux bridge) can stand beside it behind the same `Switch` protocol (switch.py).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from typing import Any

from ovsdbapp.backend.ovs_idl import connection, idlutils
from ovsdbapp.backend.ovs_idl import event as idl_event
from ovsdbapp.schema.open_vswitch import impl_idl

from trunkd.agent.switch import BridgeSpec, ForeignPort, Observed, Plan, PortSpec, VlanSetting

OWNER_KEY = "trunkd-owner"  # external_ids mark on every bridge and port the agent owns
OWNER = "agent"
REF_KEY = "trunkd-ref"  # the trunk or port a bridge or port was made for
NET_KEY = "trunkd-net"  # other_config on br-int ports: the network behind the port's local VLAN
IFACE_ID = "iface-id"  # Neutron/Nova convention: the port id a hypervisor interface belongs to
DATAPATH = "netdev"  # userspace datapath (DESIGN.md §5)


def _opt(value: Any) -> Any:
    """ovsdbapp returns an empty optional column as []."""
    return None if value == [] else value


class _Idl(connection.OvsdbIdl):  # type: ignore[misc]
    def __init__(self, remote: str, helper: Any) -> None:
        super().__init__(remote, helper)
        self.notify_handler = idl_event.RowEventHandler()

    def notify(self, event: str, row: Any, updates: Any = None) -> None:
        self.notify_handler.notify(event, row, updates)

    def cooperative_yield(self) -> None:
        """ovsdbapp sleeps after every row for eventlet's sake; plain threads need no such yield."""


class _Changed(idl_event.RowEvent):  # type: ignore[misc]
    """A hypervisor's interface (external_ids:iface-id), a port's VLAN columns or a bridge changed."""

    def __init__(self, table: str, wake: Callable[[], None]) -> None:
        super().__init__((self.ROW_CREATE, self.ROW_UPDATE, self.ROW_DELETE), table, None)
        self.wake = wake
        self.event_name = f"trunkd-{table}"

    def match_fn(self, event: str, row: Any, old: Any) -> bool:
        if self.table == "Interface":
            return IFACE_ID in row.external_ids or IFACE_ID in getattr(old, "external_ids", {})
        if self.table == "Port":  # os-vif's isolate_vif, or anyone retagging a port
            return event != self.ROW_UPDATE or any(hasattr(old, c) for c in ("tag", "vlan_mode", "trunks"))
        return event != self.ROW_UPDATE  # Bridge: os-vif deletes and recreates trunk bridges

    def run(self, event: str, row: Any, old: Any) -> None:
        self.wake()


class OvsSwitch:
    """One host's Open vSwitch (a `Switch`): OVSDB through ovsdbapp, OpenFlow through ovs-ofctl."""

    def __init__(self, ovsdb: str, rundir: str | None = None, timeout: float = 10.0) -> None:
        self.ovsdb = ovsdb
        self.rundir = rundir
        self.timeout = timeout
        # Monitor only what the agent reads: vswitchd rewrites Interface statistics and status all the
        # time, and the Python IDL would parse every such update.
        helper = idlutils.get_schema_helper(ovsdb, "Open_vSwitch")
        helper.register_table("Open_vSwitch")
        helper.register_columns("Bridge", ["name", "ports", "external_ids", "fail_mode", "datapath_type"])
        helper.register_columns("Port", ["name", "interfaces", "tag", "vlan_mode", "trunks", "external_ids",
                                         "other_config"])
        helper.register_columns("Interface", ["name", "type", "options", "external_ids", "ofport", "error"])
        idl = _Idl(ovsdb, helper)
        self.conn = connection.Connection(idl, timeout=timeout)
        # ovsdbapp keeps the connection on the API class (first one wins): one class per switch
        api_class = type("OvsdbIdl", (impl_idl.OvsdbIdl,), {})
        self.api = api_class(self.conn)
        self._flows: dict[str, list[str]] = {}

    def close(self) -> None:
        self.conn.stop()
        self.conn.idl.notify_handler.shutdown()

    def watch(self, wake: Callable[[], None]) -> None:
        """Call `wake` (from OVSDB's notify thread) whenever a plug, unplug, retag or bridge change lands."""
        self.conn.idl.notify_handler.watch_events([_Changed(t, wake) for t in ("Interface", "Port", "Bridge")])

    def observe(self) -> Observed:
        cols = ["_uuid", "name", "tag", "vlan_mode", "trunks", "external_ids", "other_config", "interfaces"]
        ports = self.api.db_list("Port", columns=cols).execute(check_error=True)
        ifaces = {i["_uuid"]: i for i in self.api.db_list(
            "Interface", columns=["_uuid", "name", "type", "options", "external_ids", "ofport"]
        ).execute(check_error=True)}
        bridges = self.api.db_list(
            "Bridge", columns=["name", "ports", "external_ids", "fail_mode"]).execute(check_error=True)
        bridge_of = {p: b["name"] for b in bridges for p in b["ports"]}
        seen = Observed(all_bridges={b["name"] for b in bridges})
        seen.ofports = {i["name"]: i["ofport"] for i in ifaces.values()
                        if isinstance(i["ofport"], int) and i["ofport"] > 0}
        for b in bridges:
            if b["external_ids"].get(OWNER_KEY) == OWNER:
                seen.bridges[b["name"]] = BridgeSpec(b["name"], b["external_ids"].get(REF_KEY, ""),
                                                     _opt(b["fail_mode"]))
        for p in ports:
            iface = ifaces.get(p["interfaces"][0]) if p["interfaces"] else None
            bridge = bridge_of.get(p["_uuid"], "")
            if iface is None or not bridge:
                continue
            if p["external_ids"].get(OWNER_KEY) == OWNER:
                seen.ports[p["name"]] = PortSpec(
                    p["name"], bridge, iface["type"], dict(iface["options"]), _opt(p["tag"]),
                    _opt(p["vlan_mode"]), p["external_ids"].get(REF_KEY, ""), p["other_config"].get(NET_KEY, ""))
            elif IFACE_ID in iface["external_ids"]:
                seen.foreign[p["name"]] = ForeignPort(p["name"], bridge, iface["external_ids"][IFACE_ID],
                                                      _opt(p["tag"]), p["other_config"].get(NET_KEY, ""),
                                                      _opt(p["vlan_mode"]), tuple(sorted(p["trunks"])))
        return seen

    def apply(self, plan: Plan) -> None:
        """Apply the whole plan in one OVSDB transaction (it waits until vswitchd has applied it)."""
        if not plan:
            return
        api = self.api
        with api.transaction(check_error=True) as txn:
            for br in plan.add_bridges:
                txn.add(api.add_br(br.name, may_exist=True, datapath_type=DATAPATH))
                txn.add(api.db_set("Bridge", br.name, ("external_ids", {OWNER_KEY: OWNER, REF_KEY: br.ref})))
                if br.fail_mode:
                    txn.add(api.db_set("Bridge", br.name, ("fail_mode", br.fail_mode)))
            for name in plan.del_ports:
                txn.add(api.del_port(name, if_exists=True))
            for name in plan.del_bridges:
                txn.add(api.del_br(name, if_exists=True))
            for port in plan.add_ports:
                txn.add(api.add_port(port.bridge, port.name, may_exist=False, type=port.type,
                                     options=dict(port.options)))
                self._set_port(txn, port, new=True)
            for port in plan.change_ports:
                txn.add(api.db_set("Interface", port.name, ("type", port.type), ("options", dict(port.options))))
                self._set_port(txn, port, new=False)
            for name, setting in plan.tags.items():
                self._set_vlan(txn, name, setting)

    def _set_vlan(self, txn: Any, name: str, want: VlanSetting) -> None:
        """tag, vlan_mode and trunks of a hypervisor's port, all three (os-vif's isolate_vif sets them all)."""
        api = self.api
        for column, value in (("tag", want.tag), ("vlan_mode", want.vlan_mode)):
            if value is None:
                txn.add(api.db_clear("Port", name, column))
            else:
                txn.add(api.db_set("Port", name, (column, value)))
        txn.add(api.db_set("Port", name, ("trunks", list(want.trunks)),
                           ("other_config", {NET_KEY: want.net})))

    def _set_port(self, txn: Any, port: PortSpec, new: bool) -> None:
        api = self.api
        values: list[tuple[str, Any]] = [("external_ids", {OWNER_KEY: OWNER, REF_KEY: port.ref})]
        values.append(("other_config", {NET_KEY: port.net}) if port.net else ("other_config", {}))
        for column, value in (("tag", port.tag), ("vlan_mode", port.vlan_mode)):
            if value is not None:
                values.append((column, value))
            elif not new:  # a row inserted in this transaction has nothing to clear
                txn.add(api.db_clear("Port", port.name, column))
        txn.add(api.db_set("Port", port.name, *values))

    def plug(self, bridge: str, iface: str, port_id: str, mac: str) -> None:
        """What a hypervisor (os-vif) does: make sure the bridge exists, attach the interface to it."""
        api = self.api
        ids = {IFACE_ID: port_id, "attached-mac": mac, "iface-status": "active"}
        with api.transaction(check_error=True) as txn:
            txn.add(api.add_br(bridge, may_exist=True, datapath_type=DATAPATH))
            txn.add(api.del_port(iface, if_exists=True))
            txn.add(api.add_port(bridge, iface, may_exist=False, external_ids=ids))

    def replace_flows(self, bridge: str, flows: list[str], force: bool = False) -> None:
        """Make the bridge's flow table exactly `flows`, atomically (an OpenFlow 1.4 bundle: never half a
        table). After a first full replace (ovs-ofctl compares with the table and changes only what differs,
        so correct flows stay in place), only the difference from the flows this switch
        last set is sent, as one atomic OpenFlow bundle; `force` (a full pass repairing drift made behind
        the agent's back) compares with the table again."""
        last = self._flows.get(bridge)
        if last == flows and not force:
            return
        self._flows.pop(bridge, None)  # unknown until this call succeeds: the next one compares in full
        if last is None or force:
            self._ofctl(["--bundle", "replace-flows", bridge, "/dev/stdin"], "\n".join(flows) + "\n", "OpenFlow14")
        else:
            lines = flow_changes(last, flows)
            if lines:
                self._ofctl(["--bundle", "add-flows", bridge, "/dev/stdin"], "\n".join(lines) + "\n", "OpenFlow14")
        self._flows[bridge] = list(flows)

    def _ofctl(self, args: list[str], text: str, protocol: str = "OpenFlow13") -> None:
        env = {**os.environ, **({"OVS_RUNDIR": self.rundir} if self.rundir else {})}
        try:
            subprocess.run(["ovs-ofctl", "-O", protocol, *args], input=text, text=True, env=env, check=True,
                           capture_output=True, timeout=max(self.timeout, len(text) / 100_000))
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"ovs-ofctl {args[0]} failed: {exc.stderr.strip()[:500]}") from exc


def flow_key(flow: str) -> str:
    """A flow's table, priority and match (what identifies it in OpenFlow), from our own flow text."""
    key = flow.split(",actions=", 1)[0]
    return key if key.startswith("table=") else "table=0," + key


def flow_changes(old: list[str], new: list[str]) -> list[str]:
    """Bundle lines turning the table `old` into `new`: added or changed flows, then removed ones (a
    changed flow is re-added under the same match, which replaces it)."""
    before, after = set(old), set(new)
    added = [f for f in new if f not in before]
    readded = {flow_key(f) for f in added}
    gone = sorted({flow_key(f) for f in before - after} - readded)
    return [*(f"add {f}" for f in added), *(f"delete_strict {k}" for k in gone)]
