#!/usr/bin/env bash
# Install Keystone (PyPI keystone under uwsgi) into .venv-keystone for the Keystone and tempest tests.
# Its own virtualenv: keystone's dependencies conflict with trunkd's. Idempotent; instant when done.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
stamp=.venv-keystone/.installed-keystone-30.0.0
[ -f "$stamp" ] && exit 0
# uwsgi is built from source: it needs a C compiler and the Python headers
if ! command -v gcc >/dev/null || ! "$PYTHON" -c 'import sysconfig,os,sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev python3-dev >/dev/null
fi
[ -x .venv-keystone/bin/python ] || "$PYTHON" -m venv .venv-keystone
.venv-keystone/bin/pip install --quiet --upgrade pip
.venv-keystone/bin/pip install --quiet keystone==30.0.0 uwsgi==2.0.31
touch "$stamp"
