#!/usr/bin/env bash
# Install and configure Neutron 29.0.0 for the side-by-side benchmark (idempotent; fast when done).
# Follows the hand-run recipe in ../shared/neutron-reference: ML2/OVS + trunk plugin, noauth, uwsgi,
# MariaDB. Neutron goes into its own virtualenv (benchmarks/.neutron-venv, git-ignored), never the
# repo's .venv. Its database (neutron_bench) is dropped and re-created with RESET_DB=1.
#   NEUTRON_VENV (default benchmarks/.neutron-venv), NEUTRON_RUN (benchmarks/.neutron-run),
#   NEUTRON_PORT (19696), NEUTRON_DB (neutron_bench), PYTHON (python3; Neutron 29 needs 3.10-3.12)
#   VENV_ONLY=1: only the virtualenv (what the in-process run needs; MariaDB is left alone)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BENCH="$(dirname "$HERE")"
VENV="$(realpath -m "${NEUTRON_VENV:-$BENCH/.neutron-venv}")"
RUN="$(realpath -m "${NEUTRON_RUN:-$BENCH/.neutron-run}")"
PORT="${NEUTRON_PORT:-19696}"
PY="${PYTHON:-python3}"
DB="${NEUTRON_DB:-neutron_bench}"

install_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip wheel setuptools
  fi
  if [ ! -f "$VENV/.installed-29.0.0" ]; then
    "$VENV/bin/pip" install -q -c "$HERE/requirements-freeze.txt" -c "$HERE/test-constraints.txt" \
      'neutron==29.0.0' 'neutron-lib==5.0.1' PyMySQL uwsgi requests \
      oslotest testtools fixtures testscenarios testresources WebTest
    touch "$VENV/.installed-29.0.0"
  fi
}
if [ "${VENV_ONLY:-0}" = "1" ]; then
  install_venv
  exit 0
fi

# 1. MariaDB on 127.0.0.1:3306 (Neutron's migrations need MySQL; SQLite/PostgreSQL do not work)
if ! [ -x /usr/sbin/mariadbd ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
fi
if ! mysqladmin --silent ping >/dev/null 2>&1; then
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do mysqladmin --silent ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
if [ "${RESET_DB:-0}" = "1" ]; then
  mysql -e "DROP DATABASE IF EXISTS $DB;"
fi
mysql -e "CREATE DATABASE IF NOT EXISTS $DB CHARACTER SET utf8mb4;
  CREATE USER IF NOT EXISTS 'neutron'@'127.0.0.1' IDENTIFIED BY 'neutron';
  CREATE USER IF NOT EXISTS 'neutron'@'localhost' IDENTIFIED BY 'neutron';
  GRANT ALL ON $DB.* TO 'neutron'@'127.0.0.1';
  GRANT ALL ON $DB.* TO 'neutron'@'localhost'; FLUSH PRIVILEGES;"

# 2. virtualenv: neutron (its wheel carries neutron.tests) + uwsgi + what its unit-test bases import
install_venv

# 3. configuration rendered from the templates with this machine's paths
mkdir -p "$RUN/etc" "$RUN/log" "$RUN/lock" "$RUN/state"
esc() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }
render() {
  sed -e "s|@HERE@|$(esc "$HERE")|g" -e "s|@VENV@|$(esc "$VENV")|g" -e "s|@DB@|$DB|g" \
      -e "s|@RUN@|$(esc "$RUN")|g" -e "s|@PORT@|$(esc "$PORT")|g" "$1" > "$2.tmp"
  mv "$2.tmp" "$2"
}
render "$HERE/etc/neutron.conf.in" "$RUN/etc/neutron.conf"
render "$HERE/neutron-api-uwsgi.ini.in" "$RUN/neutron-api-uwsgi.ini"

# 4. schema
"$VENV/bin/neutron-db-manage" --config-file "$RUN/etc/neutron.conf" \
  --config-file "$HERE/etc/ml2_conf.ini" upgrade heads > "$RUN/log/db-manage.log" 2>&1 \
  || { tail -20 "$RUN/log/db-manage.log"; exit 1; }
echo "neutron setup OK (venv $VENV, runtime $RUN, port $PORT)"
