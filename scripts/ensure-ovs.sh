#!/usr/bin/env bash
# Make sure the Open vSwitch binaries (ovsdb-server, ovs-vswitchd, ovs-vsctl, ovs-ofctl, ovsdb-tool) are
# installed: Debian's openvswitch-switch if missing. The data-plane tests start their own daemons per
# simulated host (own database, run directory and network namespace); the system service is not used.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
command -v ovs-vswitchd >/dev/null 2>&1 && command -v ovs-ofctl >/dev/null 2>&1 && exit 0
echo "ensure-ovs: installing openvswitch-switch from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends openvswitch-switch >/dev/null
command -v ovs-vswitchd >/dev/null 2>&1 || { echo "ensure-ovs: ovs-vswitchd still missing" >&2; exit 1; }
