#!/usr/bin/env bash
# run-local.sh: run the services on this machine (what `make run` calls).
#
# 1. Database: if DATABASE_URL is unset, start the throwaway PostgreSQL cluster in
#    .local/pg (deploy/local-postgres.sh; port 5432 if free, else a free one) and give
#    each service its own database:  user-service -> <base>/users,
#    order-service -> <base>/orders.  If DATABASE_URL is set, nothing is started:
#    it names the server (and credentials), and each service gets its own database
#    there, `users` and `orders`, created when missing (a database holds one
#    service: both number their migrations from 1, and their tables would collide;
#    a service refuses a database that holds the other's schema).
#    USERS_DATABASE_URL / ORDERS_DATABASE_URL override per service.
# 2. build/bin/user-service on USER_SERVICE_PORT (8081), and, if it has been built,
#    build/bin/order-service on ORDER_SERVICE_PORT (8082) with
#    USER_SERVICE_URL=http://127.0.0.1:8081.
# 3. Ctrl-C / SIGTERM: stop both services (SIGTERM, they drain), then the database
#    if this script started it. If a service exits on its own (or is killed, e.g.
#    to watch order-service degrade gracefully), the other keeps running and the
#    command to start the missing one again is printed; the script ends when no
#    service is left, with the last exit code.
#
# Every other setting (LOG_LEVEL, RATE_LIMIT_RPS, ...) is read by the services from
# the environment, from .env in the repository root, or from caf-application.ini.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BIN_DIR=${BIN_DIR:-$ROOT/build/bin}
PG_DIR=${PG_DIR:-$ROOT/.local/pg}
PG_SCRIPT=$ROOT/deploy/local-postgres.sh
USER_PORT=${USER_SERVICE_PORT:-8081}
ORDER_PORT=${ORDER_SERVICE_PORT:-8082}
# shellcheck source=SCRIPTDIR/lib/processes.sh
source "$ROOT/deploy/lib/processes.sh"   # alive, await_exit; STOP_GRACE

log() { echo "run-local: $*" >&2; }
die() { echo "run-local: error: $*" >&2; exit 1; }

# with_database URL NAME: URL with its database (the path) replaced by NAME; the
# query string (sslmode=...) stays.
with_database() {
  sed -E "s#^([a-zA-Z]+://[^/?]*)(/[^?]*)?(\?.*)?\$#\1/$2\3#" <<<"$1"
}

# masked URL: the URL with its password, if any, as ***.
masked() { sed -E 's#(://[^:/@]+):[^@/]*@#\1:***@#' <<<"$1"; }

# ensure_database URL NAME: creates database NAME on URL's server unless it exists.
ensure_database() {
  local exists
  exists=$(psql "$1" -XAtqc "SELECT 1 FROM pg_database WHERE datname = '$2'" 2>/dev/null) \
    || die "cannot reach the server of DATABASE_URL to find database '$2' (or set USERS_DATABASE_URL and ORDERS_DATABASE_URL)"
  [[ $exists == 1 ]] && return 0
  psql "$1" -XAtqc "CREATE DATABASE \"$2\"" >/dev/null \
    || die "cannot create database '$2' on the server of DATABASE_URL; create it, or set USERS_DATABASE_URL and ORDERS_DATABASE_URL"
  log "created database $2"
}

port_in_use() { [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]; }

started_pg=0
declare -A pids=()      # name -> pid
declare -A restart=()   # name -> the command line that starts it again

# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
  local status=$?
  trap '' INT TERM
  local name pid
  for name in "${!pids[@]}"; do
    pid=${pids[$name]}
    if alive "$pid"; then
      log "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for name in "${!pids[@]}"; do
    pid=${pids[$name]}
    await_exit "$pid" "$name"
    wait "$pid" 2>/dev/null || true
  done
  if (( started_pg )); then
    log "stopping PostgreSQL ($PG_DIR)"
    bash "$PG_SCRIPT" stop "$PG_DIR" || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits until http://127.0.0.1:PORT/health/live answers (or the process dies).
wait_live() {
  local name=$1 port=$2 pid=$3 i
  for (( i = 0; i < 300; i++ )); do
    alive "$pid" || die "$name exited during start-up"
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/health/live" 2>/dev/null && return 0
    sleep 0.1
  done
  log "warning: $name does not answer /health/live on port $port after 30 s; continuing"
}

# --- database --------------------------------------------------------------
if [[ -z ${DATABASE_URL:-} ]]; then
  pg_port=()                        # empty: let local-postgres.sh pick a free port
  if [[ -n ${PG_PORT:-} ]]; then pg_port=("$PG_PORT"); fi
  if (( ${#pg_port[@]} == 0 )) && ! port_in_use 5432; then
    pg_port=(5432)
  fi
  started_pg=1
  base_url=$(bash "$PG_SCRIPT" start "$PG_DIR" "${pg_port[@]}")
  users_db_url=${USERS_DATABASE_URL:-$base_url/users}
  orders_db_url=${ORDERS_DATABASE_URL:-$base_url/orders}
else
  users_db_url=${USERS_DATABASE_URL:-$(with_database "$DATABASE_URL" users)}
  orders_db_url=${ORDERS_DATABASE_URL:-$(with_database "$DATABASE_URL" orders)}
  [[ -n ${USERS_DATABASE_URL:-} ]] || ensure_database "$DATABASE_URL" users
  [[ -n ${ORDERS_DATABASE_URL:-} ]] || ensure_database "$DATABASE_URL" orders
fi

# --- services --------------------------------------------------------------
[[ -x $BIN_DIR/user-service ]] || die "$BIN_DIR/user-service not built (run: make build)"
port_in_use "$USER_PORT" && die "port $USER_PORT (user-service) is already in use"

DATABASE_URL=$users_db_url HTTP_PORT=$USER_PORT "$BIN_DIR/user-service" &
pids[user-service]=$!
restart[user-service]="DATABASE_URL=$users_db_url HTTP_PORT=$USER_PORT $BIN_DIR/user-service"
log "user-service  pid ${pids[user-service]}  http://127.0.0.1:$USER_PORT  db $(masked "$users_db_url")"
wait_live user-service "$USER_PORT" "${pids[user-service]}"

if [[ -f $BIN_DIR/order-service ]]; then
  port_in_use "$ORDER_PORT" && die "port $ORDER_PORT (order-service) is already in use"
  DATABASE_URL=$orders_db_url HTTP_PORT=$ORDER_PORT USER_SERVICE_URL=http://127.0.0.1:$USER_PORT \
    "$BIN_DIR/order-service" &
  pids[order-service]=$!
  restart[order-service]="DATABASE_URL=$orders_db_url HTTP_PORT=$ORDER_PORT USER_SERVICE_URL=http://127.0.0.1:$USER_PORT $BIN_DIR/order-service"
  log "order-service pid ${pids[order-service]}  http://127.0.0.1:$ORDER_PORT  db $(masked "$orders_db_url")"
  wait_live order-service "$ORDER_PORT" "${pids[order-service]}"
else
  log "no $BIN_DIR/order-service: running user-service only"
fi

log "running; Ctrl-C to stop"

# Until every service has exited (or a signal ends the script through the traps).
# A service that dies leaves the other running: surviving a dead neighbour is
# what they are built for.
status=0
while (( ${#pids[@]} > 0 )); do
  set +e
  wait -n -p exited "${pids[@]}"
  status=$?
  set -e
  for name in "${!pids[@]}"; do
    if [[ ${pids[$name]} == "${exited:-}" ]]; then
      log "$name exited with status $status; the other service keeps running"
      log "to start it again: ${restart[$name]:-}"
      unset "pids[$name]"
    fi
  done
done
exit "$status"
