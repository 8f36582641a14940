#!/usr/bin/env bash
# local-pgbouncer.sh: PgBouncer (Debian's `pgbouncer`) in transaction pooling mode in
# front of a local PostgreSQL, on loopback: for the tests of DB_PREPARED_STATEMENTS
# and for trying the services behind a pooler by hand.
#
#   local-pgbouncer.sh start DIR PG_PORT [PORT [POOL_SIZE]]   start; prints the base URL
#   local-pgbouncer.sh stop  DIR                              stop; no-op if not running
#
# PgBouncer listens on 127.0.0.1:PORT (default: the first free port from 6432 up)
# and hands every transaction to one of POOL_SIZE (default 4) server connections
# per database and user to PostgreSQL on 127.0.0.1:PG_PORT, any database name
# passing through (postgresql://postgres@127.0.0.1:PORT/users reaches `users`).
# Authentication is `trust` for the user `postgres`, like deploy/local-postgres.sh:
# throwaway, never for real data.
#
# Layout of DIR: pgbouncer.ini, userlist.txt, pgbouncer.log, pgbouncer.pid, and env
# (KEY=VALUE lines written by `start`: PGBOUNCER_PORT, PGBOUNCER_BASE_URL).
# PgBouncer refuses to run as root: as root it runs as the `postgres` system user.
set -euo pipefail

readonly SERVER_USER=postgres   # only used when running as root
readonly DEFAULT_BASE_PORT=6432

# shellcheck source=SCRIPTDIR/lib/inherited_fds.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/inherited_fds.sh"
close_inherited_fds   # the caller's sockets must not live on in the daemon

log() { echo "local-pgbouncer: $*" >&2; }
die() { echo "local-pgbouncer: error: $*" >&2; exit 1; }
usage() { sed -n '6,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

is_root() { [[ $(id -u) -eq 0 ]]; }

as_server() {
  if is_root; then
    (cd / && runuser -u "$SERVER_USER" -- "$@")
  else
    (cd / && "$@")
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

find_free_port() {
  local port=$1
  while (( port <= $1 + 500 )); do
    port_in_use "$port" || { echo "$port"; return 0; }
    port=$(( port + 1 ))
  done
  die "no free port from $1 up"
}

valid_port() { [[ $1 =~ ^[0-9]+$ ]] && (( $1 >= 1 && $1 <= 65535 )); }

running_pid() {
  local pid
  pid=$(cat "$DIR/pgbouncer.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# As root: the server user must reach DIR through every parent directory.
make_traversable() {
  local path="" part
  runuser -u "$SERVER_USER" -- test -x "$DIR" 2>/dev/null && return 0
  local -a parts
  IFS=/ read -r -a parts <<<"${DIR#/}"
  for part in "${parts[@]}"; do
    [[ -n $path ]] || path=/
    runuser -u "$SERVER_USER" -- test -x "$path" 2>/dev/null || chmod o+x "$path"
    path=${path%/}/$part
  done
  runuser -u "$SERVER_USER" -- test -x "$DIR" || die "$SERVER_USER cannot reach $DIR"
}

setup_paths() {
  [[ -n ${1:-} ]] || usage
  mkdir -p "$1"
  DIR=$(cd "$1" && pwd)
  command -v pgbouncer >/dev/null 2>&1 || die "pgbouncer not found (run: make deps)"
  if is_root; then
    id "$SERVER_USER" >/dev/null 2>&1 || die "system user '$SERVER_USER' missing (install the postgresql package)"
  fi
}

cmd_start() {
  setup_paths "${1:-}"
  local pg_port=${2:-} port=${3:-} pool_size=${4:-4} pid i
  valid_port "$pg_port" || die "bad PostgreSQL port: '$pg_port'"
  [[ $pool_size =~ ^[1-9][0-9]*$ ]] || die "bad pool size: '$pool_size'"
  if pid=$(running_pid); then
    log "already running (pid $pid): stopping it first"
    cmd_stop "$DIR"
  fi
  if [[ -n $port ]]; then
    valid_port "$port" || die "bad port: '$port'"
    port_in_use "$port" && die "port $port is already in use"
  else
    port=$(find_free_port "$DEFAULT_BASE_PORT")
  fi
  echo '"postgres" ""' >"$DIR/userlist.txt"
  cat >"$DIR/pgbouncer.ini" <<EOF
; Written by local-pgbouncer.sh at every start.
[databases]
* = host=127.0.0.1 port=$pg_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $DIR/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = $pool_size
max_client_conn = 500
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
EOF
  : >>"$DIR/pgbouncer.log"
  if is_root; then
    chown -R "$SERVER_USER:" "$DIR"
    make_traversable
  fi
  as_server pgbouncer -d -q "$DIR/pgbouncer.ini" || { tail -n 20 "$DIR/pgbouncer.log" >&2; die "pgbouncer failed to start"; }
  for (( i = 0; i < 100; i++ )); do
    port_in_use "$port" && break
    sleep 0.05
  done
  port_in_use "$port" || { tail -n 20 "$DIR/pgbouncer.log" >&2; die "pgbouncer does not listen on $port"; }

  local url="postgresql://postgres@127.0.0.1:$port"
  printf 'PGBOUNCER_PORT=%s\nPGBOUNCER_BASE_URL=%s\n' "$port" "$url" >"$DIR/env.tmp"
  mv -f "$DIR/env.tmp" "$DIR/env"
  log "running: $url -> PostgreSQL on 127.0.0.1:$pg_port (transaction pooling, $pool_size server connections; log $DIR/pgbouncer.log)"
  echo "$url"
}

cmd_stop() {
  [[ -n ${1:-} ]] || usage
  [[ -d $1 ]] || { log "$1: nothing to stop"; return 0; }
  DIR=$(cd "$1" && pwd)
  local pid i
  pid=$(running_pid) || { log "not running ($DIR)"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true   # SIGTERM: PgBouncer's immediate shutdown
  for (( i = 0; i < 100; i++ )); do
    kill -0 "$pid" 2>/dev/null || { log "stopped ($DIR)"; return 0; }
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  log "killed ($DIR)"
}

case "${1:-}" in
  start) shift; (( $# >= 2 && $# <= 4 )) || usage; cmd_start "$@" ;;
  stop)  shift; (( $# == 1 )) || usage; cmd_stop "$@" ;;
  *)     usage ;;
esac
