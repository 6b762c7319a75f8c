#!/usr/bin/env bash
# A region as a cell on one machine: API servers and month-close workers on one PostgreSQL database,
# behind HAProxy (health-checked on /readyz), everything on 127.0.0.1. The usage API (/trpc/usage.*) is
# routed by its API key (a consistent hash of the Authorization header): one profile's concurrent events reach
# one server, whose lanes record them together (apps/server/src/services/usage/coalesce.ts); a key moves to
# another server only when its server is down or drained. Everything else is round robin.
#
#   bash ops/cell.sh up     (pnpm cell:up)    installs what is missing, creates and migrates the database,
#                                             starts the processes, waits until HAProxy answers, prints the URL
#   bash ops/cell.sh down   (pnpm cell:down)  stops what `up` started and removes the state folder
#
# Settings (environment):
#   DATABASE_URL         default postgres://postgres@127.0.0.1:5432/seatdesk_cell (created when missing)
#   CELL_DIR             state, logs and pids; default .cell at the repository's root
#   CELL_PORT            HAProxy's port; default 8000
#   CELL_SERVER_PORTS    the servers' ports, comma-separated; default CELL_PORT+1, CELL_PORT+2, ...
#   CELL_SERVERS         number of API servers; default 2 (ignored when CELL_SERVER_PORTS is set)
#   CELL_WORKERS         number of month-close workers; default 2
#   CELL_CLOSE_EVERY_S   how often each worker runs the close; default 60
#   CELL_QUIET=1         apt-get without its output
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
server_dir="$root/apps/server"
cell_dir=${CELL_DIR:-$root/.cell}
port=${CELL_PORT:-8000}
workers=${CELL_WORKERS:-2}
close_every=${CELL_CLOSE_EVERY_S:-60}
url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/seatdesk_cell}

say() { printf 'cell: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

apt_install() { # packages...
  local quiet=()
  [ "${CELL_QUIET:-}" = 1 ] && quiet=(-qq)
  say "installing $* (apt-get)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "${quiet[@]}" "$@" >&2; then
    apt-get update "${quiet[@]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${quiet[@]}" "$@" >&2
  fi
}

# The pid is ours only while its command line still holds what we started (a pid can be reused).
ours() { # name
  local pid
  pid=$(cat "$cell_dir/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(cat "$cell_dir/$1.match")"
}

# Running: not gone and not a zombie waiting to be reaped (the processes' parent is init once `up` exits).
alive() { [ -r "/proc/$1/stat" ] && ! grep -qE '^[0-9]+ \(.*\) [ZX]' "/proc/$1/stat" 2>/dev/null; }

down() {
  [ -d "$cell_dir" ] || { say "nothing to stop ($cell_dir does not exist)"; return 0; }
  local pidfile pid
  local stopping=()
  # HAProxy first (no new requests), then the servers and workers: SIGTERM lets them finish what is under way.
  for pidfile in "$cell_dir"/haproxy.pid "$cell_dir"/server-*.pid "$cell_dir"/worker-*.pid; do
    [ -f "$pidfile" ] || continue
    if ours "$(basename "$pidfile" .pid)"; then
      pid=$(cat "$pidfile")
      kill -TERM "$pid" 2>/dev/null || true
      stopping+=("$pid")
    fi
  done
  for _ in $(seq 1 150); do
    local left=()
    for pid in "${stopping[@]}"; do alive "$pid" && left+=("$pid"); done
    [ ${#left[@]} -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${stopping[@]}"; do alive "$pid" && { say "process $pid did not stop within 15 s: killing it"; kill -KILL "$pid" 2>/dev/null || true; }; done
  rm -rf "$cell_dir"
  say "stopped ${#stopping[@]} processes, removed $cell_dir"
}

start() { # name, what its command line holds once running, command...
  local name=$1
  printf '%s' "$2" >"$cell_dir/$name.match"
  shift 2
  # setsid: the process outlives the shell (and the test runner) that started it; cell:down stops it by pid.
  setsid "$@" >"$cell_dir/$name.log" 2>&1 </dev/null &
  echo $! >"$cell_dir/$name.pid"
}

up() {
  [ -e "$cell_dir/haproxy.pid" ] && die "a cell is already up in $cell_dir (pnpm cell:down first)"
  [[ "$workers" =~ ^[0-9]+$ ]] || die "CELL_WORKERS: expected a whole number, got \"$workers\""
  [[ "$port" =~ ^[0-9]+$ ]] || die "CELL_PORT: expected a port number, got \"$port\""
  local server_ports=()
  if [ -n "${CELL_SERVER_PORTS:-}" ]; then
    IFS=, read -r -a server_ports <<<"$CELL_SERVER_PORTS"
  else
    local servers=${CELL_SERVERS:-2}
    [[ "$servers" =~ ^[1-9][0-9]*$ ]] || die "CELL_SERVERS: expected a whole number from 1, got \"$servers\""
    for i in $(seq 1 "$servers"); do server_ports+=($((port + i))); done
  fi

  command -v haproxy >/dev/null || apt_install haproxy
  # PostgreSQL: installed and started only for the default database on this machine, when it does not answer.
  if [ -z "${DATABASE_URL:-}" ] && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  command -v psql >/dev/null || apt_install postgresql-client

  # The database: created when missing (through the server's maintenance database), then migrated.
  local name admin
  name=$(node -e 'console.log(decodeURIComponent(new URL(process.argv[1]).pathname.slice(1)))' "$url")
  admin=$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/postgres"; console.log(u.toString())' "$url")
  [[ "$name" =~ ^[A-Za-z0-9_]+$ ]] || die "DATABASE_URL: expected a database name of letters, digits and underscores, got \"$name\""
  if [ -z "$(psql "$admin" -tAc "select 1 from pg_database where datname = '$name'")" ]; then
    say "creating database $name"
    psql "$admin" -qc "create database \"$name\"" >/dev/null
  fi
  (cd "$root/packages/db" && DATABASE_URL="$url" node --import tsx src/migrate-cli.ts >&2)

  mkdir -p "$cell_dir"
  # The servers: no demo (its test clock lives in each process's memory), behind a proxy that sets X-Forwarded-For.
  local i=0 p
  for p in "${server_ports[@]}"; do
    i=$((i + 1))
    start "server-$i" "src/main.ts" env -C "$server_dir" DATABASE_URL="$url" PORT="$p" HOST=127.0.0.1 SEATDESK_DEMO=0 TRUST_PROXY=1 \
      SEATDESK_SCHEDULER= SEATDESK_KEEP_ALIVE_TIMEOUT_S=65 node --import tsx src/main.ts
  done
  for i in $(seq 1 "$workers"); do
    start "worker-$i" "src/worker.ts" env -C "$server_dir" DATABASE_URL="$url" SEATDESK_CLOSE_EVERY_S="$close_every" node --import tsx src/worker.ts
  done

  {
    # The stats socket (owner only): requests answered per server, and draining a server for a deploy
    # (`set server servers/server-1 state maint`); the cell tests use both.
    printf 'global\n  maxconn 4096\n  stats socket %s/haproxy.sock mode 600 level admin\n\ndefaults' "$cell_dir"
    printf '\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n  timeout http-keep-alive 60s\n  option forwardfor\n  retries 2\n  option redispatch\n\n'
    printf 'frontend seatdesk\n  bind 127.0.0.1:%s\n  acl usage path_beg /trpc/usage.\n  use_backend usage if usage\n  default_backend servers\n\n' "$port"
    printf 'backend servers\n  balance roundrobin\n  option httpchk GET /readyz\n  http-check expect status 200\n  default-server inter 1s fall 2 rise 1\n'
    i=0
    for p in "${server_ports[@]}"; do
      i=$((i + 1))
      printf '  server server-%s 127.0.0.1:%s check\n' "$i" "$p"
    done
    # The same servers, up or down as `servers` checks them; a request without a key goes round robin.
    printf '\nbackend usage\n  balance hdr(authorization)\n  hash-type consistent\n'
    i=0
    for p in "${server_ports[@]}"; do
      i=$((i + 1))
      printf '  server server-%s 127.0.0.1:%s track servers/server-%s\n' "$i" "$p" "$i"
    done
  } >"$cell_dir/haproxy.cfg"
  haproxy -c -q -f "$cell_dir/haproxy.cfg" || die "the generated haproxy.cfg is not valid"
  start haproxy "$cell_dir/haproxy.cfg" haproxy -db -f "$cell_dir/haproxy.cfg"

  # Ready when every server's /readyz answers and HAProxy routes to them.
  local deadline=$((SECONDS + ${CELL_START_TIMEOUT_S:-120}))
  for p in "${server_ports[@]}"; do
    until curl -fsS -o /dev/null "http://127.0.0.1:$p/readyz" 2>/dev/null; do
      if [ $SECONDS -ge $deadline ]; then
        say "the server on port $p did not become ready; its log:"
        tail -n 30 "$cell_dir"/server-*.log >&2 || true
        down
        exit 1
      fi
      sleep 0.2
    done
  done
  until curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && { say "HAProxy did not answer on port $port"; tail -n 20 "$cell_dir/haproxy.log" >&2 || true; down; exit 1; }
    sleep 0.2
  done
  # What the tests and benches read: the address, the servers' addresses, the processes.
  node -e '
    const [dir, port, url, servers, workers] = process.argv.slice(1);
    const fs = require("node:fs");
    const pid = (n) => Number(fs.readFileSync(`${dir}/${n}.pid`, "utf8"));
    const state = {
      url: `http://127.0.0.1:${port}`,
      databaseUrl: url,
      servers: servers.split(",").map((p, i) => ({ url: `http://127.0.0.1:${p}`, pid: pid(`server-${i + 1}`) })),
      workers: Array.from({ length: Number(workers) }, (_, i) => ({ pid: pid(`worker-${i + 1}`) })),
      haproxy: { pid: pid("haproxy"), socket: `${dir}/haproxy.sock` },
    };
    fs.writeFileSync(`${dir}/state.json`, JSON.stringify(state, null, 2));
  ' "$cell_dir" "$port" "$url" "$(IFS=,; echo "${server_ports[*]}")" "$workers"
  say "${#server_ports[@]} servers and $workers workers on $(node -e 'const u = new URL(process.argv[1]); u.password = ""; console.log(u.toString())' "$url"); state and logs in $cell_dir"
  echo "Seatdesk cell is running at http://127.0.0.1:$port"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
