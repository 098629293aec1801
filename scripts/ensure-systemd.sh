#!/usr/bin/env bash
# systemd-analyze, which tests/test_packaging.py runs to verify etc/systemd/*.service (works without
# systemd as PID 1). Installs Debian's systemd package if it is missing.
set -euo pipefail
command -v systemd-analyze >/dev/null 2>&1 && exit 0
echo "ensure-systemd: installing systemd (for systemd-analyze) from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends systemd >/dev/null
