#!/usr/bin/env bash
# bench/run.sh: the performance harness (`make bench`), with references measured in
# the same run. Not part of `make test`.
#
#   bench/run.sh            the scenarios below, then docs/PERFORMANCE.md (section
#                           "Latest run") is rewritten with the measured table
#   bench/run.sh --growth   the cost-growth curve instead: 10k / 100k / 1M users,
#                           p50 of get-by-id, first list page and a selective search,
#                           with EXPLAIN (ANALYZE, BUFFERS) of their queries
#                           (section "Cost growth" of docs/PERFORMANCE.md)
#
# What one run does:
#  1. Release build in build-bench/ (user-service, order-service; tests off).
#  2. A throwaway PostgreSQL (deploy/local-postgres.sh) in $BENCH_WORK_DIR/pg, on a
#     free port; the `bench` database holds pgbench's tables (the INSERT reference
#     runs on user-service's own `users` database).
#  3. Both services on free loopback ports, rate limits out of the way
#     (RATE_LIMIT_RPS=RATE_LIMIT_BURST=1000000), LOG_LEVEL=warn, each in its own
#     empty working directory and a clean environment (no .env, no caf-application.ini
#     and no variable of the caller leaks in; BENCH_SERVICE_ENV adds some).
#     Time from exec to the first `/health/ready` 200 is measured on the first start
#     (schema migrations included) and on a restart (schema present); idle RSS after
#     the restart; peak RSS over the runs (VmHWM, and VmRSS polled every 250 ms).
#  4. 10 000 users seeded with generate_series into the users database.
#  5. Per scenario the reference and the service back to back, with the same wrk
#     thread and connection counts (the read scenarios alternate them BENCH_ROUNDS
#     times); every measured run has a short warm-up first.
#     When a service misses its target, one more short run is profiled (top, CPU
#     per thread name from /proc, perf stat and perf record if perf is installed)
#     and the pointer goes into the doc.
#  6. Everything started is stopped on exit, error and Ctrl-C (trap).
#
# Settings (environment):
#   BENCH_DURATION=10        seconds of every measured run
#   BENCH_WARMUP=2           seconds of warm-up before each wrk run (0: none)
#   BENCH_THREADS=2          wrk -t and pgbench -j
#   BENCH_CONNECTIONS=16     wrk -c and pgbench -c
#   BENCH_USERS=10000        seeded users
#   BENCH_ROUNDS=3           the read scenarios (GET /health/live against nginx, GET by id
#                            against pgbench -S, GET by id with auth on and over HTTPS
#                            against the plain GET) alternate reference and service this
#                            many times (odd); their row is the round with the median ratio,
#                            and every round's ratio is noted. On a host whose speed drifts
#                            from one minute to the next, one pair of runs is a coin toss
#                            near a target. The write scenarios keep one pair: their runs
#                            each need a settled table first
#   BENCH_PGBENCH_SCALE=1    pgbench -i -s
#   BENCH_PROFILE=1          profile the services that miss a target (0: never)
#   BENCH_GROWTH_SIZES="10000 100000 1000000"   BENCH_GROWTH_DURATION=5
#   BENCH_DB_POOL=default    DB_POOL_MIN_IDLE and DB_POOL_MAX of both services: "default"
#                            keeps the services' 10 / 100, as a user who does not tune
#                            runs them (issue 15); a number N sets both to N. The bench's
#                            requests all go over the pipelined connections, which these
#                            settings do not size; they size the transaction connections
#                            (Idempotency-Key creates, If-Match writes)
#   BENCH_SERVICE_ENV="K=V ..."   extra environment for both services (wins over the above)
#   BENCH_STRICT=0           1: exit 3 when a target is missed
#   BENCH_DOC=docs/PERFORMANCE.md
#   BENCH_WORK_DIR=build-bench/run (build-bench/run-growth with --growth): logs, raw
#                            outputs; emptied at the start of a run
#   JOBS=$(nproc)            compile jobs
#
# Needs: cmake + the build dependencies (make deps), wrk, nginx (nginx-light),
# PostgreSQL 15 server + contrib (pgbench), curl, iproute2 (ss); perf is optional.
# `make bench` installs wrk and nginx-light when missing.
set -euo pipefail
export LC_ALL=C

MODE=main
case "${1:-}" in
  "") ;;
  --growth) MODE=growth ;;
  -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: bench/run.sh [--growth]" >&2; exit 2 ;;
esac
(( $# <= 1 )) || { echo "usage: bench/run.sh [--growth]" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
BENCH_DIR=$ROOT/bench
BUILD_DIR=$ROOT/build-bench
if [[ $MODE == main ]]; then WORK=${BENCH_WORK_DIR:-$BUILD_DIR/run}; else WORK=${BENCH_WORK_DIR:-$BUILD_DIR/run-growth}; fi
DOC=${BENCH_DOC:-$ROOT/docs/PERFORMANCE.md}
PG_SCRIPT=$ROOT/deploy/local-postgres.sh
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-16}
USERS=${BENCH_USERS:-10000}
ROUNDS=${BENCH_ROUNDS:-3}
PGBENCH_SCALE=${BENCH_PGBENCH_SCALE:-1}
PROFILE=${BENCH_PROFILE:-1}
GROWTH_SIZES=${BENCH_GROWTH_SIZES:-10000 100000 1000000}
GROWTH_DURATION=${BENCH_GROWTH_DURATION:-5}
STRICT=${BENCH_STRICT:-0}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
DB_POOL=${BENCH_DB_POOL:-default}
[[ $DB_POOL == default || $DB_POOL =~ ^[1-9][0-9]*$ ]] \
  || { echo "bench: BENCH_DB_POOL must be a positive whole number or 'default', not '$DB_POOL'" >&2; exit 2; }

for v in DURATION WARMUP THREADS CONNS USERS ROUNDS PGBENCH_SCALE GROWTH_DURATION JOBS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench: $v must be a whole number, not '${!v}'" >&2; exit 2; }
done
(( DURATION > 0 && THREADS > 0 && CONNS >= THREADS && USERS > 0 && ROUNDS % 2 == 1 )) \
  || { echo "bench: need BENCH_DURATION > 0, BENCH_CONNECTIONS >= BENCH_THREADS > 0, BENCH_USERS > 0, BENCH_ROUNDS odd" >&2; exit 2; }

# The harness is split into modules under bench/lib/ (bench/soak.sh uses them too);
# they are sourced here, at the top level, in this order: later ones use earlier ones.
LOG_TAG=bench
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$BENCH_DIR/lib/common.sh"
# shellcheck source=SCRIPTDIR/lib/setup.sh
source "$BENCH_DIR/lib/setup.sh"
# shellcheck source=SCRIPTDIR/lib/runs.sh
source "$BENCH_DIR/lib/runs.sh"
# shellcheck source=SCRIPTDIR/lib/doc.sh
source "$BENCH_DIR/lib/doc.sh"
# shellcheck source=SCRIPTDIR/lib/scenarios.sh
source "$BENCH_DIR/lib/scenarios.sh"
# shellcheck source=SCRIPTDIR/lib/report.sh
source "$BENCH_DIR/lib/report.sh"
# shellcheck source=SCRIPTDIR/lib/growth.sh
source "$BENCH_DIR/lib/growth.sh"

# --- main ------------------------------------------------------------------------

main() {
  check_tools
  if [[ -d $PG_DIR/data ]]; then bash "$PG_SCRIPT" stop "$PG_DIR" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
  mkdir -p "$WORK"
  mkfifo "$WORK/.nap"
  exec {NAP_FD}<>"$WORK/.nap"
  mkdir_results
  LOAD_START=$(loadavg1)
  local t_start
  t_start=$(now_us)
  log "mode $MODE; work dir $WORK; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  build
  start_postgres
  if [[ $MODE == main ]]; then
    run_main
    write_main_doc
    print_main_table
  else
    run_growth
  fi
  log "done in $(( ($(now_us) - t_start) / 1000000 )) s; $DOC updated; targets missed: $MISSES"
  if (( STRICT && MISSES > 0 )); then exit 3; fi
  return 0
}

main
