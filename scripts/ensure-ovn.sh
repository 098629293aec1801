#!/usr/bin/env bash
# Make sure OVN (Debian's ovn-central and ovn-host: ovsdb schemas, ovn-northd, ovn-controller, ovn-nbctl,
# ovn-sbctl) and a DHCP client for the OVN tests (busybox's udhcpc) are installed. The OVN tests start their own
# NB/SB ovsdb-servers, ovn-northd and one ovn-controller per simulated host in a temp dir; the system services
# are never used, so they are kept from starting during the install and stopped/disabled if they run anyway
# (they would hold the default sockets under /var/run/ovn). Quick (no apt) when everything is there.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

have() { command -v "$1" >/dev/null 2>&1; }
ready() {
    have ovs-vswitchd && have ovn-northd && have ovn-controller && have ovn-nbctl && have ovn-sbctl && have busybox &&
        [ -f /usr/share/ovn/ovn-nb.ovsschema ] && [ -f /usr/share/ovn/ovn-sb.ovsschema ]
}

stop_system_ovn() {
    # Debian's units: ovn-central (ovn-northd + ovn-ovsdb-server-nb/sb) and ovn-host (ovn-controller).
    if have systemctl && [ -d /run/systemd/system ]; then
        for unit in ovn-central ovn-northd ovn-ovsdb-server-nb ovn-ovsdb-server-sb ovn-host ovn-controller; do
            systemctl disable --now "$unit" >/dev/null 2>&1 || true
        done
    fi
    if [ -x /usr/share/ovn/scripts/ovn-ctl ]; then
        for what in stop_northd stop_controller; do
            /usr/share/ovn/scripts/ovn-ctl "$what" >/dev/null 2>&1 || true
        done
    fi
    if have update-rc.d; then
        for svc in ovn-central ovn-host; do
            [ -e "/etc/init.d/$svc" ] && update-rc.d "$svc" disable >/dev/null 2>&1 || true
        done
    fi
}

if ready; then
    exit 0
fi

echo "ensure-ovn: installing openvswitch-switch, ovn-central, ovn-host and busybox from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
# Keep the packages' services from starting (exit 101 = "action forbidden"), unless a policy is already there.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    made_policy=1
fi
trap '[ "$made_policy" = 1 ] && rm -f "$policy"' EXIT
# another installer may hold dpkg's lock: wait for it rather than fail
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    openvswitch-switch ovn-central ovn-host busybox >/dev/null
stop_system_ovn
ready || { echo "ensure-ovn: OVN binaries or schemas still missing" >&2; exit 1; }
