#!/usr/bin/env bash
# local-postgres.sh: a throwaway PostgreSQL cluster for development and tests.
#
#   local-postgres.sh start  DIR [PORT]   create (if needed) and start; prints the base URL
#   local-postgres.sh stop   DIR          stop (fast, then immediate); no-op if not running
#   local-postgres.sh status DIR          exit 0 if running, 3 if not
#   local-postgres.sh url    DIR          print the base URL recorded by the last start
#
# Layout of DIR:
#   data/          the cluster (PGDATA)
#   run/           unix socket directory
#   postgres.log   server log
#   env            KEY=VALUE lines written by `start`:
#                    PGHOST, PGPORT, DATABASE_BASE_URL=postgresql://postgres@127.0.0.1:PORT,
#                    PG_DIR, PG_SCRIPT (absolute path of this script)
#
# The server listens on 127.0.0.1 only, trusts every local connection (user
# `postgres`), runs with fsync=off: it is for throwaway data, never for real data.
# Without PORT it reuses the port of the previous start when free, else the first
# free port from 5432 up. Databases `users` and `orders` are created if missing.
#
# As root the server runs as the `postgres` system user (PostgreSQL refuses root):
# DIR is chowned to it and its parent directories are made traversable.
# As any other user everything runs as that user.
set -euo pipefail

SCRIPT_PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
readonly SCRIPT_PATH
readonly SERVER_USER=postgres      # only used when running as root
readonly DEFAULT_BASE_PORT=5432

# shellcheck source=SCRIPTDIR/lib/inherited_fds.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/inherited_fds.sh"
close_inherited_fds   # the caller's sockets must not live on in the daemon

log() { echo "local-postgres: $*" >&2; }
die() { echo "local-postgres: error: $*" >&2; exit 1; }

usage() {
  sed -n '2,7p' "$SCRIPT_PATH" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# Newest installed server version: /usr/lib/postgresql/<version>/bin.
find_pg_bin() {
  local dir best=""
  for dir in $(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V); do
    [[ -x $dir/pg_ctl && -x $dir/initdb ]] && best=$dir
  done
  [[ -n $best ]] || die "no PostgreSQL server found under /usr/lib/postgresql (run: make deps)"
  echo "$best"
}

# Runs a server-side command (initdb, pg_ctl) as the server user, from a directory
# that user can read. fd 9 (our lock) is closed so the postmaster does not inherit it.
as_server() {
  if is_root; then
    (cd / && runuser -u "$SERVER_USER" -- "$@") 9>&-
  else
    (cd / && "$@") 9>&-
  fi
}

# Client commands (psql, pg_isready) over TCP; immune to the caller's PG* settings.
client() {
  (cd / && env -u PGSERVICE -u PGOPTIONS -u PGSSLMODE -u PGPASSWORD "$@") 9>&-
}

port_in_use() {
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

find_free_port() {
  local port=$1 last=$(( $1 + 500 ))
  while (( port <= last )); do
    port_in_use "$port" || { echo "$port"; return 0; }
    port=$(( port + 1 ))
  done
  die "no free port between $1 and $last"
}

env_value() {   # env_value FILE KEY
  local key value
  [[ -r $1 ]] || return 1
  while IFS='=' read -r key value; do
    [[ $key == "$2" ]] && { echo "$value"; return 0; }
  done <"$1"
  return 1
}

# PID and port of the running postmaster, from postmaster.pid (lines 1 and 4).
running_port() { sed -n 4p "$DATA/postmaster.pid" 2>/dev/null; }

is_running() {
  [[ -f $DATA/PG_VERSION ]] || return 1
  as_server "$PG_BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

# A postmaster killed with SIGKILL stays a zombie until its parent reaps it (1-2 s
# on these machines). pg_ctl, and PostgreSQL's own lock-file check, take it for a
# live server: wait for it to go before starting a new one (at most 30 s).
wait_for_killed_postmaster() {
  local pid i
  pid=$(sed -n 1p "$DATA/postmaster.pid" 2>/dev/null || true)  # no file: not running (set -e)
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  for (( i = 0; i < 300; i++ )); do
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] || return 0
    sleep 0.1
  done
}

# As root: the server user must reach DIR through every parent directory.
make_traversable() {
  local dir=$1 path="" part
  runuser -u "$SERVER_USER" -- test -x "$dir" 2>/dev/null && return 0
  # Top-down, so that only the directories that actually block are touched.
  local -a parts
  IFS=/ read -r -a parts <<<"${dir#/}"
  for part in "${parts[@]}"; do
    [[ -n $path ]] || path=/
    if ! runuser -u "$SERVER_USER" -- test -x "$path" 2>/dev/null; then
      if command -v setfacl >/dev/null 2>&1 && setfacl -m "u:$SERVER_USER:x" "$path" 2>/dev/null; then
        log "granted $SERVER_USER traverse access (ACL) to $path"
      else
        chmod o+x "$path"
        log "made $path traversable (o+x) so $SERVER_USER can reach the cluster"
      fi
    fi
    path=${path%/}/$part
  done
  runuser -u "$SERVER_USER" -- test -x "$dir" || die "$SERVER_USER cannot reach $dir"
}


# ---------------------------------------------------------------------------

setup_paths() {
  [[ -n ${1:-} ]] || usage
  mkdir -p "$1"
  DIR=$(cd "$1" && pwd)
  DATA=$DIR/data
  SOCKDIR=$DIR/run
  LOGFILE=$DIR/postgres.log
  ENVFILE=$DIR/env
  PG_BIN=$(find_pg_bin)
  if is_root; then
    id "$SERVER_USER" >/dev/null 2>&1 || die "system user '$SERVER_USER' missing (install the postgresql package)"
  fi
  # Serialise start/stop on the same DIR.
  exec 9>>"$DIR/.lock"
  command -v flock >/dev/null 2>&1 && flock 9
  return 0
}

init_cluster() {
  if is_root; then
    chown "$SERVER_USER:" "$DIR"
    make_traversable "$DIR"
  fi
  mkdir -p "$SOCKDIR"
  is_root && chown "$SERVER_USER:" "$SOCKDIR" "$DIR/.lock"

  if [[ -f $DATA/PG_VERSION ]]; then
    local have want
    have=$(cat "$DATA/PG_VERSION")
    want=$(basename "$(dirname "$PG_BIN")")
    [[ $have == "$want" ]] || die "$DATA holds a PostgreSQL $have cluster but the server is $want: remove $DIR"
    return 0
  fi

  local locale_opt=(--no-locale)
  locale -a 2>/dev/null | grep -qix 'c\.utf-\?8' && locale_opt=(--locale=C.UTF-8)
  log "initdb $DATA"
  as_server "$PG_BIN/initdb" -D "$DATA" -U postgres -E UTF8 "${locale_opt[@]}" \
    --auth-local=trust --auth-host=trust >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
  # Host-only access from loopback; settings that change per start go in local.conf.
  as_server sh -c "printf '%s\n' '' '# throwaway cluster: see local.conf' \"include_if_exists = 'local.conf'\" >> '$DATA/postgresql.conf'"
}

write_local_conf() {
  local port=$1 sockets=$SOCKDIR
  # A unix socket path is limited to 107 bytes: without room, TCP only.
  (( ${#SOCKDIR} + 20 > 107 )) && sockets=""
  as_server sh -c "cat > '$DATA/local.conf'" <<EOF
# Written by local-postgres.sh at every start.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockets'
max_connections = 300
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
log_line_prefix = '%m [%p] %d '
EOF
}

wait_ready() {
  local port=$1 i
  for (( i = 0; i < 120; i++ )); do
    client "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -t 1 && return 0
    sleep 0.5
  done
  die "server on port $port not ready after 60 s (see $LOGFILE)"
}

psql_cmd() {   # psql_cmd PORT SQL
  client "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d postgres -tAc "$2"
}

cmd_start() {
  setup_paths "${1:-}"
  local want_port=${2:-} port auto=0 attempt
  if [[ -n $want_port ]]; then
    if ! [[ $want_port =~ ^[0-9]+$ ]] || (( want_port < 1 || want_port > 65535 )); then
      die "bad port: $want_port"
    fi
  fi
  init_cluster
  wait_for_killed_postmaster

  if is_running; then
    port=$(running_port)
    if [[ -n $want_port && $want_port != "$port" ]]; then
      log "running on port $port, restarting on $want_port"
      stop_server
    fi
  fi

  if ! is_running; then
    if [[ -n $want_port ]]; then
      port=$want_port
      port_in_use "$port" && die "port $port is already in use"
    else
      auto=1
      port=$(env_value "$ENVFILE" PGPORT || true)
      if [[ -z $port ]] || port_in_use "$port"; then
        port=$(find_free_port "$DEFAULT_BASE_PORT")
      fi
    fi
    for (( attempt = 1; ; attempt++ )); do
      write_local_conf "$port"
      : >>"$LOGFILE"; is_root && chown "$SERVER_USER:" "$LOGFILE"
      local mark; mark=$(wc -l <"$LOGFILE")
      if as_server "$PG_BIN/pg_ctl" start -D "$DATA" -l "$LOGFILE" -w -t 60 -s >/dev/null 2>&1; then
        break
      fi
      # Lost a race for an automatically chosen port: try the next free one.
      if (( auto && attempt < 10 )) && tail -n +"$((mark + 1))" "$LOGFILE" | grep -q 'could not bind\|Address already in use\|could not create any TCP/IP sockets'; then
        log "port $port taken meanwhile, trying another"
        port=$(find_free_port "$((port + 1))")
        continue
      fi
      tail -n 20 "$LOGFILE" >&2 || true
      die "pg_ctl start failed (see $LOGFILE)"
    done
  fi

  wait_ready "$port"

  [[ $(psql_cmd "$port" "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'") == 1 ]] \
    || die "extension pg_trgm is not available: install postgresql-contrib"
  local db
  for db in users orders; do
    if [[ $(psql_cmd "$port" "SELECT count(*) FROM pg_database WHERE datname = '$db'") != 1 ]]; then
      psql_cmd "$port" "CREATE DATABASE $db" >/dev/null
    fi
  done

  local url="postgresql://postgres@127.0.0.1:$port"
  {
    echo "PGHOST=127.0.0.1"
    echo "PGPORT=$port"
    echo "DATABASE_BASE_URL=$url"
    echo "PG_DIR=$DIR"
    echo "PG_SCRIPT=$SCRIPT_PATH"
  } >"$ENVFILE.tmp"
  chmod 644 "$ENVFILE.tmp"
  mv -f "$ENVFILE.tmp" "$ENVFILE"
  log "running: $url (data $DATA, log $LOGFILE)"
  echo "$url"
}

stop_server() {
  as_server "$PG_BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 30 -s >/dev/null 2>&1 \
    || as_server "$PG_BIN/pg_ctl" stop -D "$DATA" -m immediate -w -t 30 -s >/dev/null 2>&1 \
    || true
  is_running && die "could not stop the server in $DATA"
  return 0
}

cmd_stop() {
  [[ -n ${1:-} ]] || usage
  [[ -d $1 ]] || { log "$1: no cluster"; return 0; }
  setup_paths "$1"
  if is_running; then
    stop_server
    log "stopped $DATA"
  else
    log "not running ($DATA)"
  fi
}

cmd_status() {
  [[ -n ${1:-} ]] || usage
  [[ -d $1/data ]] || { echo "no cluster in $1"; exit 3; }
  DIR=$(cd "$1" && pwd); DATA=$DIR/data; PG_BIN=$(find_pg_bin)
  if is_running; then
    echo "running: postgresql://postgres@127.0.0.1:$(running_port) (pid $(sed -n 1p "$DATA/postmaster.pid"), data $DATA)"
  else
    echo "stopped ($DATA)"
    exit 3
  fi
}

cmd_url() {
  [[ -n ${1:-} ]] || usage
  env_value "$1/env" DATABASE_BASE_URL || die "no $1/env: run '$0 start $1' first"
}

case "${1:-}" in
  start)  shift; (( $# >= 1 && $# <= 2 )) || usage; cmd_start "$@" ;;
  stop)   shift; (( $# == 1 )) || usage; cmd_stop "$@" ;;
  status) shift; (( $# == 1 )) || usage; cmd_status "$@" ;;
  url)    shift; (( $# == 1 )) || usage; cmd_url "$@" ;;
  *)      usage ;;
esac
