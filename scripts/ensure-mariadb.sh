#!/usr/bin/env bash
# Make sure a MariaDB server answers on 127.0.0.1:3306 for root without a password (and that the
# Galera provider and rsync for the Galera test are there): install from Debian if missing, start if down.
set -euo pipefail
can_connect() { mysql -h 127.0.0.1 -P 3306 -u root -e 'select 1' >/dev/null 2>&1; }
command -v mysql >/dev/null 2>&1 && can_connect && [ -e /usr/lib/galera/libgalera_smm.so ] \
    && command -v rsync >/dev/null 2>&1 && exit 0
if [ ! -x /usr/sbin/mariadbd ] || [ ! -e /usr/lib/galera/libgalera_smm.so ] || ! command -v rsync >/dev/null 2>&1; then
    echo "ensure-mariadb: installing mariadb-server, galera-4 and rsync from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq mariadb-server mariadb-client galera-4 rsync >/dev/null
fi
can_connect && exit 0
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- \
    --user=mysql --bind-address=127.0.0.1 --port=3306
for _ in $(seq 1 60); do
    can_connect && exit 0
    # root over TCP may still need a password-less grant the first time
    mysql -u root -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket" \
        >/dev/null 2>&1 || true
    sleep 1
done
echo "ensure-mariadb: MariaDB still not reachable on 127.0.0.1:3306" >&2
exit 1
