#!/usr/bin/env bash
# A PostgreSQL primary and a streaming replica of it on this machine, from Debian's postgresql packages, for
# trying DATABASE_READ_URL and for the replica tests. Run as root (pg_createcluster); all on 127.0.0.1.
#
#   ops/pg-replica.sh up <name> <primary-port> <replica-port> [apply-delay]
#       creates clusters <name>-primary (fsync off: for trying and tests, never for data you keep) and
#       <name>-replica (trust auth on 127.0.0.1), the replica made with
#       pg_basebackup -R and replaying with recovery_min_apply_delay (default 0, e.g. 2s to lag it on purpose);
#       prints the two URLs (database postgres)
#   ops/pg-replica.sh down <name>
#       stops and removes both clusters
set -euo pipefail
cmd=${1:-} name=${2:-}
[ -n "$cmd" ] && [ -n "$name" ] || { echo "usage: $0 up <name> <primary-port> <replica-port> [apply-delay] | down <name>" >&2; exit 2; }
[[ "$name" =~ ^[a-z][a-z0-9_]{0,30}$ ]] || { echo "name: lowercase letters, digits and _ only" >&2; exit 2; }
if ! command -v pg_createcluster >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
primary="$name-primary" replica="$name-replica"

case "$cmd" in
  up)
    pport=${3:?primary port} rport=${4:?replica port} delay=${5:-0}
    for c in "$primary" "$replica"; do
      pg_lsclusters -h | awk '{print $2}' | grep -qx "$c" && pg_dropcluster --stop "$version" "$c"
    done
    pg_createcluster "$version" "$primary" -p "$pport" -- --auth=trust >/dev/null
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "fsync = off"
      echo "synchronous_commit = off"
    } >>"/etc/postgresql/$version/$primary/postgresql.conf"
    pg_ctlcluster "$version" "$primary" start
    pg_createcluster "$version" "$replica" -p "$rport" -- --auth=trust >/dev/null
    data="/var/lib/postgresql/$version/$replica"
    rm -rf "$data" && install -d -o postgres -g postgres -m 700 "$data"
    runuser -u postgres -- pg_basebackup -h 127.0.0.1 -p "$pport" -U postgres -D "$data" -R -X stream -c fast
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "recovery_min_apply_delay = '$delay'"
    } >>"/etc/postgresql/$version/$replica/postgresql.conf"
    pg_ctlcluster "$version" "$replica" start
    for _ in $(seq 1 50); do
      [ "$(psql -h 127.0.0.1 -p "$rport" -U postgres -tAc 'select pg_is_in_recovery()' 2>/dev/null)" = t ] && break
      sleep 0.2
    done
    echo "primary postgres://postgres@127.0.0.1:$pport/postgres"
    echo "replica postgres://postgres@127.0.0.1:$rport/postgres"
    ;;
  down)
    for c in "$replica" "$primary"; do
      pg_lsclusters -h | awk '{print $2}' | grep -qx "$c" && pg_dropcluster --stop "$version" "$c"
    done
    true
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
