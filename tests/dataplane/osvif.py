"""Nova's side of an OVS VIF: os-vif's own `ovs` plugin, run inside a host's netns as nova-compute runs there.

`OsVif(host)` starts `python -m tests.dataplane.osvif <ovsdb>` in the host's network namespace (so os-vif's
link calls find the taps) and sends it one JSON command a line; os-vif talks to the host's OVSDB socket
natively (ovsdbapp). The VIF is built as Nova's os_vif_util builds it for an OVS port: `VIFOpenVSwitch`
with the network's `bridge` and `bridge_name` from `binding:vif_details`, `VIFPortProfileOpenVSwitch` with
the port id as `interface_id` and the agent's datapath type; `create_port=True` has os-vif create the OVSDB
port (with iface-id, attached-mac, iface-status, vm-uuid) as libvirt would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.support import REPO


class OsVif:
    """A nova-compute stand-in on one host: plug and unplug through os-vif."""

    def __init__(self, netns: str, ovsdb: str) -> None:
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", netns, sys.executable, "-m", "tests.dataplane.osvif", ovsdb],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.call("ready")

    def call(self, op: str, **kw: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **kw}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "os-vif helper exited"
        answer = dict(json.loads(line))
        assert "error" not in answer, answer["error"]
        return answer

    def plug(self, port: dict[str, Any], tap: str, bridge: str, isolate: bool = False) -> None:
        self.call("plug", port=port, tap=tap, bridge=bridge, isolate=isolate)

    def unplug(self, port: dict[str, Any], tap: str, bridge: str) -> None:
        self.call("unplug", port=port, tap=tap, bridge=bridge)

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _vif(port: dict[str, Any], tap: str, bridge: str) -> tuple[Any, Any]:
    from os_vif import objects

    net = objects.network.Network(id=port["network_id"], bridge=bridge, mtu=port.get("mtu") or 1450,
                                  subnets=objects.subnet.SubnetList(objects=[]))
    profile = objects.vif.VIFPortProfileOpenVSwitch(interface_id=port["id"], datapath_type="netdev",
                                                    create_port=True)
    vif = objects.vif.VIFOpenVSwitch(id=port["id"], address=port["mac_address"], vif_name=tap, bridge_name=bridge,
                                     network=net, plugin="ovs", port_profile=profile, active=False,
                                     has_traffic_filtering=False, preserve_on_delete=False)
    instance = objects.instance_info.InstanceInfo(uuid=port.get("device_id") or port["id"], name="instance",
                                                  project_id=port.get("project_id", ""))
    return vif, instance


def main(ovsdb: str) -> None:
    import tempfile

    import os_vif
    from oslo_config import cfg
    from vif_plug_ovs import privsep

    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as conf:  # as nova.conf carries it
        conf.write(f"[os_vif_ovs]\novsdb_connection = {ovsdb}\novsdb_interface = native\n")
    cfg.CONF(args=[], project="nova", default_config_files=[conf.name])
    os_vif.initialize()
    privsep.vif_plug.set_client_mode(False)  # root already, in this netns: no privsep daemon
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            if cmd["op"] in ("plug", "unplug"):
                cfg.CONF.set_override("isolate_vif", bool(cmd.get("isolate")), group="os_vif_ovs")
                vif, instance = _vif(cmd["port"], cmd["tap"], cmd["bridge"])
                (os_vif.plug if cmd["op"] == "plug" else os_vif.unplug)(vif, instance)
            answer: dict[str, Any] = {"ok": True}
        except Exception as exc:  # handed back to the test, which fails with it
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
