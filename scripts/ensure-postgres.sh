#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth for user postgres:
# install it from Debian's packages if missing, start it if down, allow local trust if needed.
set -euo pipefail
can_connect() { psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; }
# the suite runs multi-worker servers side by side: room for more than the default 100 connections
enough_connections() {
    [ "$(psql -h 127.0.0.1 -U postgres -d postgres -tAc 'show max_connections')" -ge 300 ] && return 0
    psql -h 127.0.0.1 -U postgres -d postgres -qc 'ALTER SYSTEM SET max_connections = 300'
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main restart
    for _ in $(seq 1 30); do can_connect && return 0; sleep 1; done
    return 1
}
command -v psql >/dev/null 2>&1 && can_connect && enough_connections && exit 0
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "ensure-postgres: installing postgresql from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
hba="/etc/postgresql/$version/main/pg_hba.conf"
if ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || pg_ctlcluster --skip-systemctl-redirect "$version" main reload
for _ in $(seq 1 30); do
    can_connect && enough_connections && exit 0
    sleep 1
done
echo "ensure-postgres: PostgreSQL still not reachable on 127.0.0.1:5432" >&2
exit 1
