#!/usr/bin/env bash
# bench/peers.sh: user-service's GET by id against peer servers' single-row read,
# with `pgbench -S` as the common reference, all in the same run. By hand only: not
# part of `make test` or `make bench`, and the peers are not in the repository.
#
# Issue 15 states its GET target against TechEmpower's entries (drogon: non-blocking,
# pipelined libpq; just-boost: Beast with blocking libpq; fastify: Node with
# postgres.js). Build them outside the repository as their Dockerfiles say, against a
# `world` table of 10 000 rows in a PostgreSQL cluster of your own, start them, and
# point this script at them (a server of several processes, as a node cluster, lists
# them all: name=pid,pid,...):
#
#   PEERS_PG_URL=postgresql://postgres@127.0.0.1:5434 \
#   PEER_URLS="drogon=http://127.0.0.1:18101/db fastify=http://127.0.0.1:18103/db" \
#   PEER_PIDS="drogon=$(cat drogon.pid) fastify=$(pgrep -d, -g "$(cat fastify.pid)")" \
#   bash bench/peers.sh
#
# What it does: the Release build of make bench (build-bench/); in
# the peers' cluster (PEERS_PG_URL, a superuser) it recreates the databases
# peers_users (user-service's schema, PEERS_USERS seeded users) and peers_pgbench
# (pgbench -i -s 1); starts user-service on a free loopback port as make bench does
# (bench/lib/setup.sh: rate limits out of the way, LOG_LEVEL=warn, default pool,
# BENCH_DB_POOL and BENCH_SERVICE_ENV honoured); then PEERS_ROUNDS
# times, one after the other: pgbench -S -M prepared, each peer, user-service's GET
# by id (ids drawn from the seeded ones), each with the same client settings and a
# warm-up. Per run: requests per second, wrk's p99, the server's CPU (user-service,
# and the peers named in PEER_PIDS), the whole machine's busy CPU per request and its
# busy share. Each round's ratios are to that round's pgbench. Prints a Markdown
# table per round and the median ratio of each server; raw outputs in PEERS_WORK_DIR.
#
# Settings (environment): PEERS_PG_URL, PEER_URLS (required); PEER_PIDS;
# PEERS_ROUNDS=3, PEERS_DURATION=10 (seconds), PEERS_WARMUP=2, PEERS_THREADS=2,
# PEERS_CONNECTIONS=16, PEERS_USERS=10000, PEERS_WORK_DIR=build-bench/peers, JOBS.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
WORK=${PEERS_WORK_DIR:-$ROOT/build-bench/peers}
PG_SCRIPT=$ROOT/deploy/local-postgres.sh
BENCH_DIR=$ROOT/bench
BUILD_DIR=$ROOT/build-bench
LOG_TAG=peers
DB_POOL=${BENCH_DB_POOL:-default}  # read by bench/lib/setup.sh, as in bench/run.sh
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$BENCH_DIR/lib/common.sh"
# shellcheck source=SCRIPTDIR/lib/setup.sh
source "$BENCH_DIR/lib/setup.sh"
# shellcheck source=SCRIPTDIR/lib/runs.sh
source "$BENCH_DIR/lib/runs.sh"

PG_URL=${PEERS_PG_URL:-}
ROUNDS=${PEERS_ROUNDS:-3}
DURATION=${PEERS_DURATION:-10}
WARMUP=${PEERS_WARMUP:-2}
THREADS=${PEERS_THREADS:-2}
CONNS=${PEERS_CONNECTIONS:-16}  # the name wrk_cmd (bench/lib/runs.sh) reads
USERS=${PEERS_USERS:-10000}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

[[ -n $PG_URL && -n ${PEER_URLS:-} ]] || die "set PEERS_PG_URL and PEER_URLS (see the header of $0)"
[[ $PG_URL == postgres*://* ]] || die "PEERS_PG_URL is not a PostgreSQL URL: $PG_URL"
PG_URL=${PG_URL%/}
for n in "$ROUNDS" "$DURATION" "$WARMUP" "$THREADS" "$CONNS" "$USERS"; do
  [[ $n =~ ^[0-9]+$ ]] || die "the PEERS_* numbers must be whole numbers (got '$n')"
done
(( ROUNDS >= 1 && DURATION >= 1 && USERS >= 1 )) || die "PEERS_ROUNDS, PEERS_DURATION and PEERS_USERS must be at least 1"
for t in wrk pgbench psql curl cmake; do
  command -v "$t" >/dev/null 2>&1 || die "missing $t"
done

declare -A PEER_URL=() PEER_PID=()
declare -a SERVERS=()
for pair in $PEER_URLS; do
  [[ $pair == *=http*://* ]] || die "PEER_URLS entries are name=url (got '$pair')"
  PEER_URL[${pair%%=*}]=${pair#*=}
  SERVERS+=("${pair%%=*}")
done
for pair in ${PEER_PIDS:-}; do
  [[ $pair =~ ^[^=]+=[0-9]+(,[0-9]+)*$ ]] || die "PEER_PIDS entries are name=pid[,pid...] (got '$pair')"
  PEER_PID[${pair%%=*}]=${pair#*=}
done
SERVERS+=(user-service)

rm -rf "$WORK"
mkdir -p "$WORK/results"
mkfifo "$WORK/.nap"  # start_service's poll sleeps on it (nap, bench/lib/common.sh)
exec {NAP_FD}<>"$WORK/.nap"

build

psql_at() { psql -X -q -v ON_ERROR_STOP=1 "$PG_URL/$1" "${@:2}"; }
for db in peers_users peers_pgbench; do
  psql_at postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
done
pgbench_db="$PG_URL/peers_pgbench"  # pgbench takes a connection URL as its database name
pgbench -i -q -s 1 "$pgbench_db" >"$WORK/pgbench-init.log" 2>&1

free_port PORT 18481
SVC_PORT[user-service]=$PORT
log "user-service on 127.0.0.1:$PORT against $PG_URL/peers_users"
# As make bench starts it (bench/lib/setup.sh), on a database of this script's own:
# the later DATABASE_URL wins.
start_service user-service "DATABASE_URL=$PG_URL/peers_users"
PEER_URL[user-service]=http://127.0.0.1:$PORT
PEER_PID[user-service]=${SVC_PID[user-service]}

psql_at peers_users -v from=1 -v to="$USERS" -f "$ROOT/bench/sql/seed_users.sql" >/dev/null
psql_at peers_users -c CHECKPOINT >/dev/null  # seed_users.sql has vacuumed
curl -sf "http://127.0.0.1:$PORT/api/v1/users/1" >/dev/null || die "user-service does not serve GET /api/v1/users/1"
for name in "${SERVERS[@]}"; do
  [[ $name == user-service ]] && continue
  curl -sf "${PEER_URL[$name]}" >/dev/null || die "$name does not answer ${PEER_URL[$name]}"
done

wrk_for() {   # wrk_for NAME DURATION: server NAME's wrk command line in WRK_CMD
  if [[ $1 == user-service ]]; then
    wrk_cmd "$2" "${PEER_URL[$1]}" "$BENCH_DIR/lua/get_user.lua" 1 "$USERS"
  else
    wrk_cmd "$2" "${PEER_URL[$1]}" ""
  fi
}

# measure NAME ROUND: one run; its figures in RATE P99 CPU BUSY_US BUSY_PCT
measure() {
  local name=$1 out=$WORK/results/$1-r$2.txt b0 b1 t0 t1 c0=0 c1=0
  local -a cmd pids
  IFS=, read -r -a pids <<<"${PEER_PID[$1]:-}"
  if [[ $name == pgbench ]]; then
    cmd=(pgbench -n -S -M prepared "-c$CONNS" "-j$THREADS" "-T$DURATION" "$pgbench_db")
  else
    if (( WARMUP > 0 )); then
      wrk_for "$name" "$WARMUP"
      "${WRK_CMD[@]}" >/dev/null 2>&1
    fi
    wrk_for "$name" "$DURATION"
    cmd=("${WRK_CMD[@]}")
  fi
  read -r b0 _ < <(machine_counters)
  t0=$(now_us)
  (( ${#pids[@]} )) && c0=$(cpu_ticks "${pids[@]}")
  "${cmd[@]}" >"$out" 2>&1
  (( ${#pids[@]} )) && c1=$(cpu_ticks "${pids[@]}")
  t1=$(now_us)
  read -r b1 _ < <(machine_counters)
  if [[ $name == pgbench ]]; then
    RATE=$(awk '/^tps/ { print $3; exit }' "$out"); P99=—
  else
    wrk_figures "$out"
    RATE=$R_RPS P99=$R_P99
    (( R_ERRS == 0 )) || log "warning: $name had $R_ERRS errors (see $out)"
  fi
  [[ -n $RATE ]] || die "no rate in $out"
  local seconds
  seconds=$(calc "($t1 - $t0) / 1000000")
  CPU=—
  (( ${#pids[@]} )) && CPU=$(fmt '%.2f' "$(calc "($c1 - $c0) / $CLK_TCK / $seconds")")
  BUSY_US=$(fmt '%.1f' "$(calc "($b1 - $b0) / $CLK_TCK / ($RATE * $seconds) * 1000000")")
  BUSY_PCT=$(fmt '%.0f' "$(calc "100 * ($b1 - $b0) / $CLK_TCK / $seconds / $(nproc)")")
}

declare -A RATIOS=()
printf '\nclient settings: wrk -t%s -c%s -d%ss (warm-up %ss), pgbench -S -M prepared -c%s -j%s -T%s; %s users; %s CPUs\n' \
  "$THREADS" "$CONNS" "$DURATION" "$WARMUP" "$CONNS" "$THREADS" "$DURATION" "$USERS" "$(nproc)"
for (( r = 1; r <= ROUNDS; r++ )); do
  log "round $r of $ROUNDS"
  measure pgbench "$r"
  reference=$RATE
  printf '\nround %s (%s)\n\n| server | req/s | ratio to pgbench -S | p99 ms | server CPU (cores) | machine busy CPU per request | machine busy |\n|---|---:|---:|---:|---:|---:|---:|\n' "$r" "$(date -u +%H:%M:%S)"
  printf '| pgbench -S -M prepared | %.0f | 1.00 | — | — | %s µs | %s %% |\n' "$RATE" "$BUSY_US" "$BUSY_PCT"
  for name in "${SERVERS[@]}"; do
    measure "$name" "$r"
    ratio=$(fmt '%.2f' "$(calc "$RATE / $reference")")
    RATIOS[$name]+="$ratio "
    printf '| %s | %.0f | %s | %s | %s | %s µs | %s %% |\n' "$name" "$RATE" "$ratio" "$P99" "$CPU" "$BUSY_US" "$BUSY_PCT"
  done
done
printf '\nmedian ratio to pgbench -S over %s rounds:\n' "$ROUNDS"
for name in "${SERVERS[@]}"; do
  # shellcheck disable=SC2086  # the ratios are one word each
  median=$(printf '%s\n' ${RATIOS[$name]} | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
  printf '  %-14s %s  (rounds: %s)\n' "$name" "$median" "${RATIOS[$name]% }"
done
