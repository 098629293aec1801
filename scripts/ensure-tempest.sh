#!/usr/bin/env bash
# Install tempest and neutron-tempest-plugin (PyPI) into .venv-tempest for the upstream trunk API tests.
# Its own virtualenv: tempest's dependencies conflict with trunkd's. Idempotent; instant when done.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
stamp=.venv-tempest/.installed-tempest-47.0.0-ntp-3.3.0
[ -f "$stamp" ] && exit 0
[ -x .venv-tempest/bin/python ] || "$PYTHON" -m venv .venv-tempest
.venv-tempest/bin/pip install --quiet --upgrade pip
.venv-tempest/bin/pip install --quiet tempest==47.0.0 neutron-tempest-plugin==3.3.0
touch "$stamp"
