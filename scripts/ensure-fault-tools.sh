#!/usr/bin/env bash
# Tools the fault-injection tests use (tests/test_faults.py): chattr (e2fsprogs) to make database files
# immutable, mount/umount (util-linux) for a small tmpfs that fills up. Installs what is missing.
set -euo pipefail
command -v chattr >/dev/null 2>&1 && command -v mount >/dev/null 2>&1 && exit 0
echo "ensure-fault-tools: installing e2fsprogs and mount from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq e2fsprogs mount >/dev/null
