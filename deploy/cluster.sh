#!/usr/bin/env bash
# cluster.sh: both services as replicas behind HAProxy, PostgreSQL behind PgBouncer,
# the rate limiter's buckets in Redis: a production layout on one machine, on
# loopback only (what `make cluster` runs and the cluster tests start).
#
#   cluster.sh run   [DIR]          start everything, print the layout, Ctrl-C stops it
#   cluster.sh start DIR            start everything in the background; layout in DIR/env
#   cluster.sh stop  DIR            stop everything started in DIR
#   cluster.sh restart DIR REPLICA  SIGTERM one replica (it drains), start it again,
#                                   return once HAProxy sends it traffic again
#   cluster.sh kill  DIR REPLICA    SIGKILL one replica
#   cluster.sh up    DIR REPLICA    start a stopped or killed replica again
#
# Layout (every port on 127.0.0.1):
#
#   clients ──> HAProxy :USERS_PORT  ──> user-1, user-2   ──┐
#           └─> HAProxy :ORDERS_PORT ──> order-1, order-2 ──┤──> PgBouncer ──> PostgreSQL
#               order-N ──> HAProxy :USERS_PORT (its USER_SERVICE_URL)
#               every replica ──> Redis (RATE_LIMIT_BACKEND=redis)
#
# - HAProxy checks each replica's /health/ready every 300 ms; a draining or dead
#   replica leaves the rotation at its first failed check. A request that could not
#   reach a replica, or got no response at all, is sent to the other one, except a
#   POST without Idempotency-Key: it may have been carried out, so the client gets
#   the error and decides (with a key the service makes the repeat harmless).
# - PgBouncer pools in transaction mode, so the replicas run with
#   DB_PREPARED_STATEMENTS=false (named statements do not survive it).
# - HAProxy adds X-Forwarded-For, and the replicas believe it from 127.0.0.1
#   (TRUSTED_PROXIES): the rate limit and the access log see the client.
#
# Settings (environment):
#   BIN_DIR            the executables (default: build/bin). `start` records it in
#                      DIR/env; restart and up take it from there unless set
#   USERS_PORT         HAProxy's user-service port  (run: 8081 if free; else a free one)
#   ORDERS_PORT        HAProxy's order-service port (run: 8082 if free; else a free one)
#   CLUSTER_PG_PORT    use the PostgreSQL already listening on 127.0.0.1:PORT (user
#                      postgres, trust) instead of starting one in DIR/pg
#   CLUSTER_DB_PREFIX  prefix of the two database names (default: none: users, orders)
#   Any service setting (LOG_LEVEL, RATE_LIMIT_RPS, SHUTDOWN_TIMEOUT, ...) in the
#   environment reaches every replica; the ones above the layout needs are set here.
#
# DIR/env (KEY=VALUE): USERS_URL, ORDERS_URL, USERS_PORT, ORDERS_PORT, STATS_URL
# (HAProxy's CSV statistics), PGBOUNCER_PORT, PG_PORT, REDIS_PORT, the replicas'
# ports (USER_1_PORT, ...), DATABASE_BASE_URL (PostgreSQL itself, not PgBouncer)
# and BIN_DIR (the executables the replicas were started from).
# Logs: DIR/<replica>.log, DIR/haproxy.log, DIR/redis.log, DIR/pgbouncer/, DIR/pg/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN_DIR_SET=${BIN_DIR:+yes}
BIN_DIR=${BIN_DIR:-$ROOT/build/bin}
[[ $BIN_DIR == /* ]] || BIN_DIR=$PWD/$BIN_DIR
REPLICAS=(user-1 user-2 order-1 order-2)
# shellcheck source=SCRIPTDIR/lib/processes.sh
source "$ROOT/deploy/lib/processes.sh"   # alive, stop_process; STOP_GRACE

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: error: $*" >&2; exit 1; }
usage() { sed -n '6,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port VAR: sets VAR to a free port below the kernel's ephemeral range (where
# the replicas' own outgoing connections could take it meanwhile), not among those
# already handed out. It sets a variable rather than printing: a command
# substitution runs in a subshell, which would forget the ports it handed out, and
# the ports are all picked before anything binds them.
taken_ports=" "
free_port() {
  local p
  for (( p = 20000 + RANDOM % 12000; ; p = 20000 + (p - 19999) % 12000 )); do
    [[ $taken_ports == *" $p "* ]] && continue
    port_in_use "$p" && continue
    taken_ports+="$p "
    printf -v "$1" '%s' "$p"
    return
  done
}

# preferred_port VAR PORT: sets VAR to PORT when free, else to a free port.
preferred_port() {
  if ! port_in_use "$2"; then taken_ports+="$2 "; printf -v "$1" '%s' "$2"; else free_port "$1"; fi
}

env_value() { sed -n "s/^$2=//p" "$1/env" | tail -n 1; }
upper() { tr 'a-z-' 'A-Z_' <<<"$1"; }

ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$1/health/ready") == 200 ]]; }

# The replica's state in HAProxy's statistics (UP, DOWN, "UP 1/2", ...).
haproxy_state() {
  local dir=$1 replica=$2
  curl -s --max-time 1 "$(env_value "$dir" STATS_URL)" \
    | awk -F, -v s="$replica" '$2 == s { print $18; exit }'
}

# --- one replica -------------------------------------------------------------------
# The service settings in the environment of `start` (every variable either
# service's --help names, and its _FILE variant), kept in DIR/settings.sh so that
# a replica started again later (restart, up) runs with the same ones.
save_settings() {
  local dir=$1 word name
  : >"$dir/settings.sh"
  for word in $("$BIN_DIR/user-service" --help 2>/dev/null; "$BIN_DIR/order-service" --help 2>/dev/null); do
    [[ $word =~ ^[A-Z][A-Z0-9_]*$ ]] || continue
    for name in "$word" "${word}_FILE"; do
      [[ -n ${!name+set} ]] && printf 'export %s=%q\n' "$name" "${!name}" >>"$dir/settings.sh"
    done
  done
  sort -u -o "$dir/settings.sh" "$dir/settings.sh"
}

# DIR/<replica>.env holds what differs between replicas (the layout's settings,
# over those saved by save_settings).
start_replica() {
  local dir=$1 replica=$2 bin pid
  [[ -f $dir/$replica.env ]] || die "no replica '$replica' in $dir (one of: ${REPLICAS[*]})"
  bin=$BIN_DIR/${replica%-*}-service
  [[ -x $bin ]] || die "$bin not built (run: make build)"
  # setsid: a Ctrl-C in the terminal reaches this script, which stops the replicas
  # in order (drain), not every process at once.
  (
    # shellcheck disable=SC1091  # written by save_settings
    source "$dir/settings.sh"
    set -a
    # shellcheck disable=SC1090
    source "$dir/$replica.env"
    exec setsid "$bin" >>"$dir/$replica.log" 2>&1 </dev/null
  ) &
  pid=$!
  echo "$pid" >"$dir/$replica.pid"
}

wait_ready() {
  local dir=$1 replica=$2 port pid i
  port=$(env_value "$dir" "$(upper "$replica")_PORT")
  pid=$(cat "$dir/$replica.pid")
  for (( i = 0; i < 300; i++ )); do
    alive "$pid" || { tail -n 5 "$dir/$replica.log" >&2; die "$replica exited during start-up"; }
    ready "$port" && return 0
    sleep 0.1
  done
  die "$replica not ready on port $port after 30 s (log: $dir/$replica.log)"
}

# Until HAProxy's checks have put the replica back into the rotation. The wait
# is generous (its checks run every 300 ms): a CI machine starting four replicas
# on two cores is slow, and a start that fails leaves its reasons in the message.
wait_in_rotation() {
  local dir=$1 replica=$2 state="" i
  for (( i = 0; i < 300; i++ )); do
    alive "$(cat "$dir/haproxy.pid")" \
      || { tail -n 5 "$dir/haproxy.log" >&2; die "HAProxy exited (log: $dir/haproxy.log)"; }
    state=$(haproxy_state "$dir" "$replica") || state=""  # not listening yet
    [[ $state == UP ]] && return 0
    sleep 0.1
  done
  tail -n 5 "$dir/haproxy.log" "$dir/$replica.log" >&2
  die "HAProxy does not count $replica as UP after 30 s (its state: '${state}')"
}

stop_replica() {
  local dir=$1 replica=$2 signal=${3:-TERM}
  [[ -f $dir/$replica.pid ]] || return 0
  stop_process "$(cat "$dir/$replica.pid")" "$replica" "$signal"
  rm -f "$dir/$replica.pid"
}

# --- the whole cluster --------------------------------------------------------------
write_haproxy_config() {
  local dir=$1 users_port=$2 orders_port=$3 stats_port=$4 name service port
  {
    cat <<EOF
# Written by deploy/cluster.sh at every start.
global
  maxconn 4096
  log stdout format raw local0 notice

defaults
  mode http
  log global
  option httplog
  option forwardfor
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 10s
  timeout check 1s
  # A request that could not be sent, or got no response at all, goes to the
  # other replica (redispatch) ...
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response
  option httpchk GET /health/ready
  http-check expect status 200
  default-server check inter 300ms fall 1 rise 2 observe layer4 error-limit 1 on-error mark-down

listen stats
  bind 127.0.0.1:$stats_port
  stats enable
  stats uri /stats
  stats refresh 5s
EOF
    for service in user order; do
      if [[ $service == user ]]; then port=$users_port; else port=$orders_port; fi
      printf '\nlisten %s-service\n  bind 127.0.0.1:%s\n  balance roundrobin\n' "$service" "$port"
      echo "  # No retry of a POST without Idempotency-Key: it may have been carried out."
      echo "  http-request disable-l7-retry if METH_POST !{ req.hdr(idempotency-key) -m found }"
      for name in "${REPLICAS[@]}"; do
        [[ $name == "$service"-* ]] || continue
        printf '  server %s 127.0.0.1:%s\n' "$name" "$(env_value "$dir" "$(upper "$name")_PORT")"
      done
    done
  } >"$dir/haproxy.cfg"
}

cmd_start() {
  local dir=$1 pg_port base_url bouncer_port bouncer_url users_port orders_port stats_port redis_port replica port db
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [[ ! -f $dir/haproxy.pid ]] || die "$dir holds a running cluster (cluster.sh stop $dir)"
  command -v haproxy >/dev/null || die "haproxy is not installed (make deps)"
  command -v redis-server >/dev/null || die "redis-server is not installed (make deps)"
  : >"$dir/env"

  if [[ -n ${CLUSTER_PG_PORT:-} ]]; then
    pg_port=$CLUSTER_PG_PORT
    base_url=postgresql://postgres@127.0.0.1:$pg_port
  else
    base_url=$(bash "$ROOT/deploy/local-postgres.sh" start "$dir/pg")
    pg_port=${base_url##*:}
  fi
  taken_ports+="$pg_port "
  for db in users orders; do
    db=${CLUSTER_DB_PREFIX:-}$db
    [[ $(psql "$base_url/postgres" -XAtqc "SELECT 1 FROM pg_database WHERE datname = '$db'") == 1 ]] \
      || psql "$base_url/postgres" -XAtqc "CREATE DATABASE \"$db\"" >/dev/null
  done
  free_port bouncer_port
  bouncer_url=$(bash "$ROOT/deploy/local-pgbouncer.sh" start "$dir/pgbouncer" "$pg_port" "$bouncer_port" 20)

  free_port redis_port
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >/dev/null

  users_port=${USERS_PORT:-}
  [[ -n $users_port ]] || free_port users_port
  orders_port=${ORDERS_PORT:-}
  [[ -n $orders_port ]] || free_port orders_port
  taken_ports+="$users_port $orders_port "
  free_port stats_port
  {
    echo "DATABASE_BASE_URL=$base_url"
    echo "PG_PORT=$pg_port"
    echo "PGBOUNCER_PORT=${bouncer_url##*:}"
    echo "REDIS_PORT=$redis_port"
    echo "USERS_PORT=$users_port"
    echo "ORDERS_PORT=$orders_port"
    echo "USERS_URL=http://127.0.0.1:$users_port"
    echo "ORDERS_URL=http://127.0.0.1:$orders_port"
    echo "STATS_URL=http://127.0.0.1:$stats_port/stats;csv"
    echo "BIN_DIR=$BIN_DIR"
  } >>"$dir/env"

  for replica in "${REPLICAS[@]}"; do
    free_port port
    echo "$(upper "$replica")_PORT=$port" >>"$dir/env"
    db=${CLUSTER_DB_PREFIX:-}${replica%-*}s
    {
      echo "HTTP_HOST=127.0.0.1"
      echo "HTTP_PORT=$port"
      echo "DATABASE_URL=$bouncer_url/$db"
      echo "DB_PREPARED_STATEMENTS=false"
      echo "RATE_LIMIT_BACKEND=redis"
      echo "REDIS_URL=redis://127.0.0.1:$redis_port"
      echo "TRUSTED_PROXIES=127.0.0.1/32"
      [[ $replica == order-* ]] && echo "USER_SERVICE_URL=http://127.0.0.1:$users_port"
    } >"$dir/$replica.env"
  done

  save_settings "$dir"
  # All four at once: their migrations meet under the advisory lock, as replicas
  # rolled out together do.
  for replica in "${REPLICAS[@]}"; do start_replica "$dir" "$replica"; done
  for replica in "${REPLICAS[@]}"; do wait_ready "$dir" "$replica"; done

  write_haproxy_config "$dir" "$users_port" "$orders_port" "$stats_port"
  haproxy -c -q -f "$dir/haproxy.cfg" || die "HAProxy refuses $dir/haproxy.cfg"
  # In the foreground (-db) of a background job: its log lines go to haproxy.log.
  setsid haproxy -f "$dir/haproxy.cfg" -db >>"$dir/haproxy.log" 2>&1 </dev/null &
  echo $! >"$dir/haproxy.pid"
  for replica in "${REPLICAS[@]}"; do wait_in_rotation "$dir" "$replica"; done
}

cmd_stop() {
  local dir=$1 replica pid
  [[ -d $dir ]] || return 0
  if [[ -f $dir/haproxy.pid ]]; then
    pid=$(cat "$dir/haproxy.pid")
    kill -TERM "$pid" 2>/dev/null || true
    rm -f "$dir/haproxy.pid"
  fi
  # Order-service first: it calls user-service.
  for replica in order-1 order-2 user-1 user-2; do stop_replica "$dir" "$replica" TERM & done
  wait
  if [[ -f $dir/redis.pid ]]; then
    kill -TERM "$(cat "$dir/redis.pid")" 2>/dev/null || true
    rm -f "$dir/redis.pid"
  fi
  [[ -d $dir/pgbouncer ]] && bash "$ROOT/deploy/local-pgbouncer.sh" stop "$dir/pgbouncer"
  [[ -d $dir/pg ]] && bash "$ROOT/deploy/local-postgres.sh" stop "$dir/pg"
  return 0
}

print_layout() {
  local dir=$1
  cat >&2 <<EOF
cluster: running (files in $dir)
  user-service   $(env_value "$dir" USERS_URL)   (HAProxy) -> user-1 :$(env_value "$dir" USER_1_PORT), user-2 :$(env_value "$dir" USER_2_PORT)
  order-service  $(env_value "$dir" ORDERS_URL)   (HAProxy) -> order-1 :$(env_value "$dir" ORDER_1_PORT), order-2 :$(env_value "$dir" ORDER_2_PORT)
  HAProxy stats  $(env_value "$dir" STATS_URL | sed 's/;csv$//')
  PgBouncer      127.0.0.1:$(env_value "$dir" PGBOUNCER_PORT) (transaction mode) -> PostgreSQL 127.0.0.1:$(env_value "$dir" PG_PORT)
  Redis          127.0.0.1:$(env_value "$dir" REDIS_PORT) (shared rate-limit buckets)
Try: deploy/cluster.sh restart $dir user-1   (a rolling restart of one replica)
Ctrl-C stops everything.
EOF
}

cmd_run() {
  local dir=${1:-$ROOT/.local/cluster}
  [[ -f $dir/haproxy.pid ]] && cmd_stop "$dir"   # left over from a killed run
  [[ -n ${USERS_PORT:-} ]] || preferred_port USERS_PORT 8081
  [[ -n ${ORDERS_PORT:-} ]] || preferred_port ORDERS_PORT 8082
  export USERS_PORT ORDERS_PORT
  trap 'trap "" INT TERM; log "stopping"; cmd_stop "$dir"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  cmd_start "$dir"
  print_layout "$dir"
  # Until a signal; a replica that dies is reported, HAProxy keeps the other serving.
  local replica pid
  declare -A reported=()
  while true; do
    for replica in "${REPLICAS[@]}"; do
      pid=$(cat "$dir/$replica.pid" 2>/dev/null) || continue
      if ! alive "$pid" && [[ -z ${reported[$replica]:-} ]]; then
        reported[$replica]=1
        log "$replica (pid $pid) exited; start it again: deploy/cluster.sh up $dir $replica"
      elif alive "$pid"; then
        unset "reported[$replica]"
      fi
    done
    sleep 1
  done
}

# restart, up: a replica comes back from the executables the cluster was started
# from, not from build/bin: a cluster started on another build (the sanitizer ones:
# the cluster tests pass BIN_DIR to start only) must not get a replica of build/
# in the middle of a test, or fail when build/ was never built.
bin_dir_of_cluster() {
  local recorded
  [[ -n $BIN_DIR_SET ]] && return 0
  recorded=$(env_value "$1" BIN_DIR)
  [[ -n $recorded ]] && BIN_DIR=$recorded
  return 0
}

case ${1:-} in
  run)     shift; (( $# <= 1 )) || usage; cmd_run "$@" ;;
  start)   shift; (( $# == 1 )) || usage
           # What a failed start left running is stopped again.
           trap 's=$?; (( s == 0 )) || cmd_stop "$1"' EXIT
           cmd_start "$1" ;;
  stop)    shift; (( $# == 1 )) || usage; cmd_stop "$1" ;;
  restart) shift; (( $# == 2 )) || usage; bin_dir_of_cluster "$1"
           stop_replica "$1" "$2" TERM; start_replica "$1" "$2"
           wait_ready "$1" "$2"; wait_in_rotation "$1" "$2" ;;
  kill)    shift; (( $# == 2 )) || usage; stop_replica "$1" "$2" KILL ;;
  up)      shift; (( $# == 2 )) || usage; bin_dir_of_cluster "$1"
           start_replica "$1" "$2"; wait_ready "$1" "$2"; wait_in_rotation "$1" "$2" ;;
  *) usage ;;
esac
