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
#     free port; the `bench` database holds pgbench's tables and users_ref.
#  3. Both services on free loopback ports, rate limits out of the way
#     (RATE_LIMIT_RPS=RATE_LIMIT_BURST=1000000), LOG_LEVEL=warn, each in its own
#     empty working directory and a clean environment (no .env, no caf-application.ini
#     and no variable of the caller leaks in; BENCH_SERVICE_ENV adds some).
#     Time from exec to the first `/health/ready` 200 is measured on the first start
#     (schema migrations included) and on a restart (schema present); idle RSS after
#     the restart; peak RSS over the runs (VmHWM, and VmRSS polled every 250 ms).
#  4. 10 000 users seeded with generate_series into the users database.
#  5. Per scenario the reference and the service back to back, with the same wrk
#     thread and connection counts; every measured run has a short warm-up first.
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
#   BENCH_PGBENCH_SCALE=1    pgbench -i -s
#   BENCH_PROFILE=1          profile the services that miss a target (0: never)
#   BENCH_GROWTH_SIZES="10000 100000 1000000"   BENCH_GROWTH_DURATION=5
#   BENCH_SERVICE_ENV="K=V ..."   extra environment for both services
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
PGBENCH_SCALE=${BENCH_PGBENCH_SCALE:-1}
PROFILE=${BENCH_PROFILE:-1}
GROWTH_SIZES=${BENCH_GROWTH_SIZES:-10000 100000 1000000}
GROWTH_DURATION=${BENCH_GROWTH_DURATION:-5}
STRICT=${BENCH_STRICT:-0}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

for v in DURATION WARMUP THREADS CONNS USERS PGBENCH_SCALE GROWTH_DURATION JOBS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "bench: $v must be a whole number, not '${!v}'" >&2; exit 2; }
done
(( DURATION > 0 && THREADS > 0 && CONNS >= THREADS && USERS > 0 )) \
  || { echo "bench: need BENCH_DURATION > 0, BENCH_CONNECTIONS >= BENCH_THREADS > 0, BENCH_USERS > 0" >&2; exit 2; }

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# --- processes and clean-up ------------------------------------------------------

declare -a BG_PIDS=()        # everything started in the background, in start order
PG_STARTED=0
PG_DIR=$WORK/pg
NAP_FD=""

# True while PID runs (a zombie does not count).
alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# Sends SIGTERM, waits up to $2 seconds (default 10), then SIGKILL; reaps the child.
stop_pid() {
  local pid=$1 grace=${2:-10} i
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < grace * 20; i++ )); do
      alive "$pid" || break
      sleep 0.05
    done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null || true
  untrack "$pid"
}

# Forgets a background PID once it is reaped (its number may be reused later).
untrack() {
  local i
  for i in "${!BG_PIDS[@]}"; do
    [[ ${BG_PIDS[$i]} == "$1" ]] && unset "BG_PIDS[$i]"
  done
  return 0
}

# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
  local status=$? i
  trap '' INT TERM
  set +e
  local -a idx=("${!BG_PIDS[@]}")
  for (( i = ${#idx[@]} - 1; i >= 0; i-- )); do
    stop_pid "${BG_PIDS[${idx[$i]}]}" 10
  done
  if (( PG_STARTED )); then
    log "stopping PostgreSQL ($PG_DIR)"
    bash "$PG_SCRIPT" stop "$PG_DIR" >/dev/null 2>&1 || log "warning: could not stop PostgreSQL in $PG_DIR"
  fi
  [[ -n $NAP_FD ]] && exec {NAP_FD}>&-
  (( status == 0 )) || log "failed (exit $status); logs in $WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Sleeps without a fork (the start-up poll must not steal a core from the service).
nap() { read -r -t "$1" -u "$NAP_FD" _ || true; }

# --- small helpers ---------------------------------------------------------------

now_us() { local t=$EPOCHREALTIME; echo "${t//[!0-9]/}"; }

port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
  else
    { exec {_pfd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
    exec {_pfd}>&-
  fi
}

declare -A TAKEN_PORTS=()
# free_port VAR FIRST: the first port >= FIRST that nothing listens on (and that this
# script has not handed out already) into VAR.
free_port() {
  local p=$2
  while port_in_use "$p" || [[ -n ${TAKEN_PORTS[$p]:-} ]]; do
    p=$(( p + 1 ))
    (( p < 65000 )) || die "no free port"
  done
  TAKEN_PORTS[$p]=1
  printf -v "$1" '%s' "$p"
}

# http_code PORT PATH: one GET over bash's /dev/tcp (no fork); the status in HTTP_CODE.
http_code() {
  HTTP_CODE=""
  local fd
  { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  if { printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&"$fd"; } 2>/dev/null; then
    IFS=' ' read -r -t 2 _ HTTP_CODE _ <&"$fd" || true
  fi
  exec {fd}>&-
  [[ -n $HTTP_CODE ]]
}

# kB of a /proc/PID/status field (VmRSS, VmHWM); empty if the process is gone.
proc_kb() {
  local key value _unit
  [[ -r /proc/$1/status ]] || return 0
  { while read -r key value _unit; do
      [[ $key == "$2:" ]] && { echo "$value"; return 0; }
    done <"/proc/$1/status"; } 2>/dev/null
  return 0
}

# CPU ticks (user + system) of the given processes (all their threads).
cpu_ticks() {
  local total=0 pid stat
  local -a fields
  for pid in "$@"; do
    { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || continue
    stat=${stat##*) }
    read -r -a fields <<<"$stat"
    total=$(( total + fields[11] + fields[12] ))
  done
  echo "$total"
}
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# Busy share of all CPUs over one second, in percent.
machine_busy() {
  local a b
  read -r -a a < /proc/stat
  sleep 1
  read -r -a b < /proc/stat
  # user nice system idle iowait irq softirq steal (guest time is inside user/nice)
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for (( i = 1; i <= 8 && i < ${#a[@]}; i++ )); do total=$(( total + b[i] - a[i] )); done
  (( total > 0 )) || { echo 0; return; }
  echo $(( (100 * (total - idle)) / total ))
}
loadavg1() { local l; read -r l _ </proc/loadavg; echo "$l"; }

# awk arithmetic: calc EXPR
calc() { awk "BEGIN { printf \"%s\", $1 }"; }
fmt() { awk -v v="$2" "BEGIN { printf \"$1\", v }"; }

# A wrk latency ("812.00us", "1.20ms", "2.01s", "1.00m") in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000
    else if (v ~ /h$/) n *= 3600000; else if (v ~ /s$/) n *= 1000
    printf "%.3f", n }'
}

record_cmd() {   # the exact command lines, for the doc
  local line
  printf -v line '%q ' "$@"
  COMMANDS+=("${line% }")
}
declare -a COMMANDS=()

# --- prerequisites ---------------------------------------------------------------

PG_BIN=""
find_pg_bin() {
  local dir
  for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
    [[ -x $dir/pg_ctl && -x $dir/psql ]] && PG_BIN=$dir
  done
  [[ -n $PG_BIN ]] || die "no PostgreSQL under /usr/lib/postgresql (run: make deps)"
}

check_tools() {
  local missing=() t
  for t in cmake wrk curl awk sort; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  [[ $MODE == main ]] && { command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx); }
  (( ${#missing[@]} == 0 )) || die "missing: ${missing[*]} (make bench installs wrk and nginx-light; make deps the rest)"
  find_pg_bin
  [[ -x $PG_BIN/pgbench ]] || die "no pgbench in $PG_BIN"
  NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
}

# --- build -----------------------------------------------------------------------

build() {
  log "release build in $BUILD_DIR (jobs: $JOBS)"
  local cfg=(cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF)
  local bld=(cmake --build build-bench -j"$JOBS" --target user-service order-service)
  record_cmd "${cfg[@]}"; record_cmd "${bld[@]}"
  (cd "$ROOT" && "${cfg[@]}" >"$WORK/cmake-configure.log" 2>&1) \
    || { tail -n 30 "$WORK/cmake-configure.log" >&2; die "cmake configure failed"; }
  (cd "$ROOT" && "${bld[@]}" >"$WORK/cmake-build.log" 2>&1) \
    || { tail -n 40 "$WORK/cmake-build.log" >&2; die "build failed (see $WORK/cmake-build.log)"; }
  [[ -x $BUILD_DIR/bin/user-service && -x $BUILD_DIR/bin/order-service ]] || die "binaries missing after build"
}

# --- database --------------------------------------------------------------------

PGPORT=""
BASE_URL=""
psql_db() {   # psql_db DB [psql args...]
  local db=$1; shift
  env -u PGSERVICE -u PGOPTIONS -u PGPASSWORD -u PGSSLMODE \
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$db" "$@"
}

start_postgres() {
  log "starting a throwaway PostgreSQL in $PG_DIR"
  PG_STARTED=1
  record_cmd bash deploy/local-postgres.sh start "${PG_DIR#"$ROOT"/}"
  BASE_URL=$(bash "$PG_SCRIPT" start "$PG_DIR" 2>"$WORK/local-postgres.log") \
    || { cat "$WORK/local-postgres.log" >&2; die "PostgreSQL did not start"; }
  PGPORT=${BASE_URL##*:}
  [[ $PGPORT =~ ^[0-9]+$ ]] || die "unexpected base URL from local-postgres.sh: $BASE_URL"
  PG_VERSION=$(psql_db postgres -tAc 'SHOW server_version')
}

# --- services --------------------------------------------------------------------

declare -A SVC_PID=() SVC_PORT=() SVC_COLD_MS=() SVC_WARM_MS=() SVC_IDLE_KB=()
declare -a SERVICE_ENV=(RATE_LIMIT_RPS=1000000 RATE_LIMIT_BURST=1000000 LOG_LEVEL=warn SHUTDOWN_TIMEOUT=5)
if [[ -n ${BENCH_SERVICE_ENV:-} ]]; then
  read -r -a _extra <<<"$BENCH_SERVICE_ENV"
  SERVICE_ENV+=("${_extra[@]}")
fi

service_env() {   # the whole environment of service NAME
  local name=$1
  SVC_ENV=(PATH=/usr/local/bin:/usr/bin:/bin "HOME=${HOME:-/root}" HTTP_HOST=127.0.0.1 "HTTP_PORT=${SVC_PORT[$name]}")
  if [[ $name == user-service ]]; then
    SVC_ENV+=("DATABASE_URL=$BASE_URL/users")
  else
    SVC_ENV+=("DATABASE_URL=$BASE_URL/orders" "USER_SERVICE_URL=http://127.0.0.1:${SVC_PORT[user-service]}")
  fi
  SVC_ENV+=("${SERVICE_ENV[@]}")
}

# start_service NAME: exec, then poll /health/ready until 200; the time in READY_MS.
start_service() {
  local name=$1 dir=$WORK/$1 t0 t1 deadline pid
  mkdir -p "$dir"
  service_env "$name"
  record_cmd env -i -C "${dir#"$ROOT"/}" "${SVC_ENV[@]}" "build-bench/bin/$name"
  t0=$(now_us)
  env -i -C "$dir" "${SVC_ENV[@]}" "$BUILD_DIR/bin/$name" >>"$dir/service.log" 2>&1 &
  pid=$!
  BG_PIDS+=("$pid")
  deadline=$(( t0 + 60000000 ))
  while :; do
    if http_code "${SVC_PORT[$name]}" /health/ready && [[ $HTTP_CODE == 200 ]]; then break; fi
    alive "$pid" || { tail -n 20 "$dir/service.log" >&2; die "$name exited during start-up (log: $dir/service.log)"; }
    (( $(now_us) < deadline )) || die "$name not ready after 60 s (log: $dir/service.log)"
    nap 0.002
  done
  t1=$(now_us)
  SVC_PID[$name]=$pid
  READY_MS=$(calc "($t1 - $t0) / 1000")
  READY_MS=$(fmt '%.0f' "$READY_MS")
}

# Peak RSS sampler: VmRSS every 250 ms into $WORK/NAME/rss-peak-kb (the maximum).
start_sampler() {
  local name=$1 pid=${SVC_PID[$1]} out=$WORK/$1/rss-peak-kb
  (
    max=0
    while alive "$pid"; do
      v=$(proc_kb "$pid" VmRSS)
      if [[ -n $v ]] && (( v > max )); then max=$v; echo "$max" >"$out"; fi
      sleep 0.25
    done
  ) &
  BG_PIDS+=("$!")
}

# Peak RSS in kB so far: max(VmHWM, polled VmRSS).
peak_kb() {
  local name=$1 hwm polled=0
  hwm=$(proc_kb "${SVC_PID[$name]}" VmHWM)
  [[ -f $WORK/$name/rss-peak-kb ]] && polled=$(<"$WORK/$name/rss-peak-kb")
  hwm=${hwm:-0}
  echo $(( hwm > polled ? hwm : polled ))
}

# Starts NAME twice: first start (migrations run on an empty database when fresh),
# SIGTERM, then the restart that the runs use. Records both start-up times, the
# idle RSS after the restart, and starts the RSS sampler.
start_service_measured() {
  local name=$1 first=${2:-}
  start_service "$name"
  SVC_COLD_MS[$name]=$READY_MS
  log "$name ready in ${READY_MS} ms (first start, migrations)"
  [[ -n $first ]] && "$first"
  stop_pid "${SVC_PID[$name]}" 15
  start_service "$name"
  SVC_WARM_MS[$name]=$READY_MS
  log "$name ready in ${READY_MS} ms (restart)"
  sleep 2
  SVC_IDLE_KB[$name]=$(proc_kb "${SVC_PID[$name]}" VmRSS)
  start_sampler "$name"
}

seed_users() {   # seed_users FROM TO
  local args=(-v "from=$1" -v "to=$2" -f "$BENCH_DIR/sql/seed_users.sql")
  record_cmd psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d users "${args[@]/#$ROOT\//}"
  psql_db users "${args[@]}" >/dev/null
}

seeded_range() {   # ids of the seeded users: SEED_LO SEED_HI
  local r
  r=$(psql_db users -tAc "SELECT min(id) || ' ' || max(id) || ' ' || count(*) FROM users WHERE email LIKE 'seed%@example.com' AND deleted_at IS NULL")
  read -r SEED_LO SEED_HI SEED_N <<<"$r"
  (( SEED_HI - SEED_LO + 1 == SEED_N )) || die "seeded ids are not contiguous ($r)"
}

# --- runs ------------------------------------------------------------------------

mkdir_results() { RESULTS=$WORK/results; mkdir -p "$RESULTS"; }

# wrk_cmd DURATION URL SCRIPT [ARGS...]: the wrk command line in WRK_CMD.
wrk_cmd() {
  local d=$1 url=$2 script=$3; shift 3
  WRK_CMD=(wrk -t"$THREADS" -c"$CONNS" -d"${d}s" --latency)
  [[ -n $script ]] && WRK_CMD+=(-s "$script")
  WRK_CMD+=("$url")
  (( $# == 0 )) || WRK_CMD+=(-- "$@")
}

# run_wrk LABEL URL SCRIPT WARM_ARGS -- RUN_ARGS: warm-up, then the measured run;
# sets R_RPS R_P50 R_P99 R_REQS R_ERRS (non-2xx/3xx + socket errors), R_CPU (cores
# used by the processes in CPU_PIDS during the run, if any).
declare -a CPU_PIDS=() CPU_PIDS2=()
run_wrk() {
  local label=$1 url=$2 script=$3 dur=${RUN_DURATION:-$DURATION}; shift 3
  local -a warm_args=() run_args=()
  while (( $# )) && [[ $1 != -- ]]; do warm_args+=("$1"); shift; done
  (( $# )) && shift
  run_args=("$@")
  local out=$RESULTS/$label.wrk
  if (( WARMUP > 0 )); then
    wrk_cmd "$WARMUP" "$url" "$script" "${warm_args[@]}"
    "${WRK_CMD[@]}" >"$RESULTS/$label.warmup.wrk" 2>&1 || true
  fi
  wrk_cmd "$dur" "$url" "$script" "${run_args[@]}"
  record_cmd "${WRK_CMD[@]/#$ROOT\//}"
  local c0=0 c1 d0=0 d1 t0 t1
  (( ${#CPU_PIDS[@]} )) && c0=$(cpu_ticks "${CPU_PIDS[@]}")
  (( ${#CPU_PIDS2[@]} )) && d0=$(cpu_ticks "${CPU_PIDS2[@]}")
  t0=$(now_us)
  "${WRK_CMD[@]}" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed ($label)"; }
  t1=$(now_us)
  R_CPU2="—"
  if (( ${#CPU_PIDS2[@]} )); then
    d1=$(cpu_ticks "${CPU_PIDS2[@]}")
    R_CPU2=$(fmt '%.2f' "$(calc "($d1 - $d0) / $CLK_TCK / (($t1 - $t0) / 1000000)")")
  fi
  R_CPU="—"
  if (( ${#CPU_PIDS[@]} )); then
    c1=$(cpu_ticks "${CPU_PIDS[@]}")
    R_CPU=$(calc "($c1 - $c0) / $CLK_TCK / (($t1 - $t0) / 1000000)")
    R_CPU=$(fmt '%.2f' "$R_CPU")
  fi
  R_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  R_REQS=$(awk '/ requests in / { print $1 }' "$out")
  R_P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  R_P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  local non2xx sock
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
  sock=$(awk -F'[ ,]+' '/Socket errors:/ { s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s }' "$out")
  R_ERRS=$(( ${non2xx:-0} + ${sock:-0} ))
  [[ -n $R_RPS && -n $R_REQS ]] || { cat "$out" >&2; die "could not parse wrk output ($label)"; }
  log "$(printf '%-28s %10s req/s  p50 %7s ms  p99 %7s ms  errors %s' "$label" "$R_RPS" "$R_P50" "$R_P99" "$R_ERRS")"
}

# run_pgbench LABEL ARGS...: sets R_RPS (tps without connection time), R_P50, R_P99
# (from pgbench's per-transaction log), R_ERRS (failed + aborted), R_CPU "—".
run_pgbench() {
  local label=$1; shift
  local out=$RESULTS/$label.pgbench logdir=$RESULTS/$label.pglog
  rm -rf "$logdir"; mkdir -p "$logdir"
  local cmd=(pgbench -h 127.0.0.1 -p "$PGPORT" -U postgres -n "$@" -c"$CONNS" -j"$THREADS" -T"$DURATION"
             -l --log-prefix="$logdir/tx" bench)
  record_cmd "${cmd[@]/#$ROOT\//}"
  local status=0
  env -u PGSERVICE -u PGOPTIONS -u PGPASSWORD "$PG_BIN/${cmd[0]}" "${cmd[@]:1}" >"$out" 2>&1 || status=$?
  R_RPS=$(awk '/^tps = .*without initial connection time/ { print $3 }' "$out")
  [[ -n $R_RPS ]] || { cat "$out" >&2; die "could not parse pgbench output ($label)"; }
  R_RPS=$(fmt '%.2f' "$R_RPS")
  local failed
  failed=$(awk '/^number of failed transactions:/ { print $5 }' "$out")
  R_ERRS=$(( ${failed:-0} + (status != 0 ? 1 : 0) ))
  # Per-transaction log: client tx_no latency_us script epoch epoch_us.
  cat "$logdir"/tx.* | awk '{ print $3 }' | sort -n >"$logdir/latencies-us"
  local n
  n=$(wc -l <"$logdir/latencies-us")
  if (( n > 0 )); then
    R_P50=$(awk -v n="$n" 'NR == int((n * 50 + 99) / 100) { printf "%.3f", $1 / 1000 }' "$logdir/latencies-us")
    R_P99=$(awk -v n="$n" 'NR == int((n * 99 + 99) / 100) { printf "%.3f", $1 / 1000 }' "$logdir/latencies-us")
  else
    R_P50="?"; R_P99="?"
  fi
  R_CPU="—"
  log "$(printf '%-28s %10s tps    p50 %7s ms  p99 %7s ms  errors %s' "$label" "$R_RPS" "$R_P50" "$R_P99" "$R_ERRS")"
}

# --- profiling of a missed target ---------------------------------------------------

declare -a PROFILE_NOTES=()
# profile_run LABEL NAME URL SCRIPT ARGS...: an 8 s wrk run on service NAME while
# top (processes, and the service's threads) and perf look at it.
profile_run() {
  (( PROFILE )) || return 0
  local label=$1 name=$2 url=$3 script=$4; shift 4
  local pid=${SVC_PID[$name]} pdir=$RESULTS/profile-$label
  mkdir -p "$pdir"
  log "profiling $name for $label (8 s)"
  wrk_cmd 8 "$url" "$script" "$@"
  "${WRK_CMD[@]}" >"$pdir/wrk.txt" 2>&1 &
  local wrk_pid=$!
  BG_PIDS+=("$wrk_pid")
  sleep 1
  top -b -n 2 -d 2 -w 200 >"$pdir/top.txt" 2>&1 &
  local top_pid=$!
  BG_PIDS+=("$top_pid")
  # CPU per thread name of the service over the same 2 s (from /proc/PID/task/*/stat).
  thread_ticks "$pid" >"$pdir/threads-0"
  sleep 2
  thread_ticks "$pid" >"$pdir/threads-1"
  awk -v hz="$CLK_TCK" 'NR == FNR { t0[$1] = $3; next }
    { d = $3 - t0[$1]; cores[$2] += d / hz / 2; n[$2]++ }
    END { for (c in n) printf "%-18s %3d threads  %5.2f cores\n", c, n[c], cores[c] }' \
    "$pdir/threads-0" "$pdir/threads-1" | sort -k4 -rn >"$pdir/threads.txt"
  wait "$top_pid" 2>/dev/null || true
  untrack "$top_pid"
  if command -v perf >/dev/null 2>&1; then
    perf stat -e task-clock,context-switches,cpu-migrations,page-faults -p "$pid" -- sleep 2 \
      >"$pdir/perf-stat.txt" 2>&1 || true
  fi
  wait "$wrk_pid" 2>/dev/null || true
  untrack "$wrk_pid"
  if command -v perf >/dev/null 2>&1; then
    # A separate short run for the sampled call sites (perf record perturbs more).
    wrk_cmd 4 "$url" "$script" "$@"
    "${WRK_CMD[@]}" >/dev/null 2>&1 &
    wrk_pid=$!
    BG_PIDS+=("$wrk_pid")
    sleep 0.5
    perf record -q -e cpu-clock -F 499 -g -p "$pid" -o "$pdir/perf.data" -- sleep 3 >/dev/null 2>&1 || true
    wait "$wrk_pid" 2>/dev/null || true
    untrack "$wrk_pid"
    if [[ -s $pdir/perf.data ]]; then
      perf report -i "$pdir/perf.data" --stdio --no-children --sort comm,dso,sym -g none --percent-limit 1.5 \
        2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 25 | cut -c1-160 >"$pdir/perf-report.txt" || true
    fi
  fi
  PROFILE_NOTES+=("$label|$name|$pdir")
}

# thread_ticks PID: "tid name ticks" for every thread of PID.
thread_ticks() {
  local t stat name
  local -a fields
  for t in "/proc/$1/task"/*; do
    { read -r stat <"$t/stat"; } 2>/dev/null || continue
    name=${stat#*(}; name=${name%)*}; name=${name// /_}
    stat=${stat##*) }
    read -r -a fields <<<"$stat"
    echo "${t##*/} $name $(( fields[11] + fields[12] ))"
  done
}

# Snapshot of the process lines and the thread lines of a top batch file (the second
# frame: the first one averages since process start).
top_frame() {
  awk -v want="$2" '/^top - /{ f++ } f == 2 && /^ *[0-9]+ / { if (++n <= want) print }
                    f == 2 && /PID USER/ { print }' "$1"
}

# --- document --------------------------------------------------------------------

host_info() {
  local cpu
  cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
  [[ -n $cpu ]] || cpu=$(lscpu 2>/dev/null | awk -F': *' '/Model name/ { print $2; exit }')
  local mem
  mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  local head dirty=""
  head=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
  git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || dirty=" plus uncommitted changes in the working tree"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "- \`uname -a\`: \`$(uname -a)\`"
  echo "- \`nproc\`: $(nproc); CPU: ${cpu:-unknown}; memory: $mem"
  echo "- source: commit \`$head\`$dirty (the build is of the working tree as it was)"
  echo "- PostgreSQL ${PG_VERSION:-?} (deploy/local-postgres.sh: fsync=off, synchronous_commit=off, shared_buffers=128MB);" \
       "$("$PG_BIN/pgbench" --version 2>&1 | head -n 1); $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }')${NGINX_VERSION:+; $NGINX_VERSION}"
}

commands_block() {
  echo '```sh'
  local c
  for c in "${COMMANDS[@]}"; do echo "$c"; done
  echo '```'
}

# replace_block NAME FILE: puts FILE between the markers <!-- bench:NAME:begin/end -->
# of the doc (created from the template when missing; other text is kept).
replace_block() {
  local name=$1 file=$2 begin="<!-- bench:$1:begin -->" end="<!-- bench:$1:end -->"
  mkdir -p "$(dirname "$DOC")"
  [[ -f $DOC ]] || doc_template >"$DOC"
  if ! grep -qF "$begin" "$DOC" || ! grep -qF "$end" "$DOC"; then
    printf '\n%s\n%s\n' "$begin" "$end" >>"$DOC"
  fi
  local tmp
  tmp=$(mktemp "$DOC.XXXXXX")
  awk -v begin="$begin" -v end="$end" -v file="$file" '
    $0 == begin { print; while ((getline line < file) > 0) print line; skip = 1; next }
    $0 == end   { skip = 0 }
    !skip       { print }' "$DOC" >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$DOC"
}

doc_template() {
  cat <<'EOF'
# Performance

The figures here are produced by `make bench` (`bench/run.sh`): a Release build, a
throwaway PostgreSQL, both services on loopback, and for every scenario a
**reference measured in the same run** right before the service, with the same
client settings, so that the ratios compare like with like even on a busy or slow
machine. Absolute req/s depend on the machine; the ratios and the latency targets
are what the targets are about. `bench/run.sh --growth` adds the cost-growth curve.
The harness is not part of `make test`.

How to read the table: *ratio* = service req/s ÷ reference req/s; *p50/p99* are wrk's
latency distribution (`--latency`) for the service and pgbench's per-transaction
log for the pgbench references; *errors* are non-2xx responses plus socket errors
(a run with errors fails). *CPU* is the cores the measured process used during the
run (service, or nginx's master and workers). The client (wrk or pgbench), the
service and PostgreSQL share the same cores: that is the same for the reference.

<!-- bench:main:begin -->
<!-- bench:main:end -->

## Cost growth (`bench/run.sh --growth`)

<!-- bench:growth:begin -->
Not measured yet: run `bench/run.sh --growth` (or `make bench BENCH_ARGS=--growth`).
<!-- bench:growth:end -->

## What changed each figure and why

Newest first. Each entry: the date, the change (commit or PR), which figures moved
and by how much, and why (a profile, an EXPLAIN, a reasoning) — so that a later
reader can tell a real improvement from noise.

### baseline
First run of the harness on the code as it stood; nothing changed yet. The figures
are those of the first "Latest run" committed with this file.
EOF
}

# --- the main scenarios ----------------------------------------------------------

declare -A S_NAME=() S_REF=() S_TARGET=() S_SVC=() S_REFR=() S_RATIO=() S_PASS=() S_LOAD=() S_NOTE=()
declare -a S_ORDER=()
MISSES=0

# store_result ID SIDE(svc|ref): keeps R_* as "rps|p50|p99|errs|cpu|reqs".
store() { local v="$R_RPS|$R_P50|$R_P99|$R_ERRS|$R_CPU|${R_REQS:-}"; if [[ $2 == svc ]]; then S_SVC[$1]=$v; else S_REFR[$1]=$v; fi; }
field() { local IFS='|'; local -a parts; read -r -a parts <<<"$1"; echo "${parts[$2]:-}"; }

# judge ID [P99_MAX_MS]: ratio, pass/fail.
judge() {
  local id=$1 p99max=${2:-} svc=${S_SVC[$1]} ref=${S_REFR[$1]}
  local s_rps r_rps ratio pass=PASS note=""
  s_rps=$(field "$svc" 0); r_rps=$(field "$ref" 0)
  ratio=$(calc "($r_rps > 0) ? $s_rps / $r_rps : 0")
  ratio=$(fmt '%.2f' "$ratio")
  if awk -v r="$ratio" -v t="${S_TARGET[$id]}" 'BEGIN { exit !(r + 0 < t + 0) }'; then pass=FAIL; note="ratio below target"; fi
  if [[ -n $p99max ]] && awk -v p="$(field "$svc" 2)" -v m="$p99max" 'BEGIN { exit !(p + 0 > m + 0) }'; then
    pass=FAIL; note="${note:+$note; }p99 over $p99max ms"
  fi
  if (( $(field "$svc" 3) > 0 || $(field "$ref" 3) > 0 )); then
    pass=FAIL; note="${note:+$note; }errors: service $(field "$svc" 3), reference $(field "$ref" 3)"
  fi
  S_RATIO[$id]=$ratio; S_PASS[$id]=$pass; S_NOTE[$id]=$note
  [[ $pass == PASS ]] || MISSES=$(( MISSES + 1 ))
  log "=> $id: ratio $ratio (target ≥ ${S_TARGET[$id]}${p99max:+, p99 ≤ $p99max ms}): $pass${note:+ ($note)}"
}

scenario() {   # scenario ID "endpoint" "reference" TARGET
  S_ORDER+=("$1"); S_NAME[$1]=$2; S_REF[$1]=$3; S_TARGET[$1]=$4
  S_LOAD[$1]="$(loadavg1) / $(machine_busy)%"
  log "--- $2 vs $3 (load 1 min / CPU busy before: ${S_LOAD[$1]})"
}

NGINX_PID=""
NGINX_VERSION=""
start_nginx() {
  local port=$1 body=$2 ctype=$3 dir=$WORK/nginx
  mkdir -p "$dir/tmp"
  [[ $body != *[\'\\\$]* && $body != *$'\n'* ]] || die "the /health/live body needs quoting nginx cannot express: $body"
  cat >"$dir/nginx.conf" <<EOF
# bench-local nginx: the reference of GET /health/live (written by bench/run.sh)
daemon off;
worker_processes $(nproc);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  server_tokens off;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  types { }
  server {
    listen 127.0.0.1:$port;
    location = /health/live {
      default_type "$ctype";
      return 200 '$body';
    }
  }
}
EOF
  NGINX_VERSION=$("$NGINX" -v 2>&1 | sed 's|nginx version: ||')
  record_cmd "$NGINX" -p "${dir#"$ROOT"/}" -c "${dir#"$ROOT"/}/nginx.conf" -e "${dir#"$ROOT"/}/error.log"
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
  NGINX_PID=$!
  BG_PIDS+=("$NGINX_PID")
  local i
  for (( i = 0; i < 200; i++ )); do
    http_code "$port" /health/live && [[ $HTTP_CODE == 200 ]] && return 0
    alive "$NGINX_PID" || { cat "$dir/error.log" "$dir/stdout.log" >&2 2>/dev/null; die "nginx did not start"; }
    sleep 0.05
  done
  die "nginx does not answer on port $port"
}

# Body and Content-Type of a GET, for comparing nginx with the service byte for byte.
fetch_body() { curl -fsS --max-time 5 "http://127.0.0.1:$1$2"; }
fetch_ctype() { curl -fsS --max-time 5 -o /dev/null -w '%{content_type}' "http://127.0.0.1:$1$2"; }

breaker_state() {   # circuit_breaker_state of order-service for user-service (0/1/2)
  curl -fsS --max-time 5 "http://127.0.0.1:${SVC_PORT[order-service]}/metrics" 2>/dev/null \
    | awk '/^circuit_breaker_state\{/ && /user-service/ { print $2; exit }'
}

run_main() {
  local u_port o_port n_port
  free_port u_port 18081; free_port o_port 18082; free_port n_port 18090
  SVC_PORT[user-service]=$u_port; SVC_PORT[order-service]=$o_port
  local U=http://127.0.0.1:$u_port O=http://127.0.0.1:$o_port N=http://127.0.0.1:$n_port

  start_service_measured user-service seed_main
  seeded_range
  log "seeded users: ids $SEED_LO..$SEED_HI"
  start_service_measured order-service

  log "initialising pgbench tables (scale $PGBENCH_SCALE) and users_ref in database bench"
  psql_db postgres -c 'CREATE DATABASE bench' >/dev/null
  record_cmd pgbench -i -q -s "$PGBENCH_SCALE" -h 127.0.0.1 -p "$PGPORT" -U postgres bench
  env -u PGSERVICE -u PGOPTIONS "$PG_BIN/pgbench" -i -q -s "$PGBENCH_SCALE" -h 127.0.0.1 -p "$PGPORT" -U postgres bench \
    >"$WORK/pgbench-init.log" 2>&1 || { cat "$WORK/pgbench-init.log" >&2; die "pgbench -i failed"; }
  record_cmd psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d bench -v "users=$USERS" -f bench/sql/users_ref.sql
  psql_db bench -v "users=$USERS" -f "$BENCH_DIR/sql/users_ref.sql" >/dev/null

  local body ctype
  body=$(fetch_body "$u_port" /health/live) || die "user-service /health/live failed"
  ctype=$(fetch_ctype "$u_port" /health/live)
  start_nginx "$n_port" "$body" "$ctype"
  [[ $(fetch_body "$n_port" /health/live) == "$body" && $(fetch_ctype "$n_port" /health/live) == "$ctype" ]] \
    || die "nginx does not answer the same bytes / Content-Type as user-service"
  HEALTH_BODY=$body; HEALTH_CTYPE=$ctype

  local upid=${SVC_PID[user-service]} opid=${SVC_PID[order-service]}
  local lua=$BENCH_DIR/lua run_id
  run_id=$(date +%s)

  # 1. GET /health/live: nginx vs user-service.
  scenario health "GET /health/live" "nginx return 200" 0.60
  mapfile -t CPU_PIDS < <(echo "$NGINX_PID"; pgrep -P "$NGINX_PID" || true)
  run_wrk health-nginx "$N/health/live" ""; store health ref
  CPU_PIDS=("$upid")
  run_wrk health-user-service "$U/health/live" ""; store health svc
  judge health
  [[ ${S_PASS[health]} == PASS ]] || profile_run health user-service "$U/health/live" ""
  stop_pid "$NGINX_PID" 5

  # 2. GET /api/v1/users/{id}: pgbench -S vs user-service.
  scenario get_user "GET /api/v1/users/{id}" "pgbench -S -M prepared" 0.40
  run_pgbench get_user-pgbench -S -M prepared; store get_user ref
  CPU_PIDS=("$upid")
  run_wrk get_user-user-service "$U" "$lua/get_user.lua" "$SEED_LO" "$SEED_HI" -- "$SEED_LO" "$SEED_HI"
  store get_user svc
  GET_P99=$R_P99
  judge get_user
  if [[ ${S_PASS[get_user]} != PASS ]] || awk -v p="$GET_P99" 'BEGIN { exit !(p + 0 > 3) }'; then
    profile_run get_user user-service "$U" "$lua/get_user.lua" "$SEED_LO" "$SEED_HI"
  fi

  # 3. POST /api/v1/users: pgbench INSERT vs user-service.
  scenario post_user "POST /api/v1/users" "pgbench INSERT (users_ref)" 0.50
  run_pgbench post_user-pgbench -M prepared -f "$BENCH_DIR/sql/pgbench_insert_user.sql"; store post_user ref
  CPU_PIDS=("$upid")
  run_wrk post_user-user-service "$U" "$lua/post_user.lua" "w$run_id" -- "r$run_id"; store post_user svc
  judge post_user
  [[ ${S_PASS[post_user]} == PASS ]] || profile_run post_user user-service "$U" "$lua/post_user.lua" "p$run_id"

  # 4. POST /api/v1/orders, user validated over HTTP: pgbench INSERT vs order-service.
  scenario post_order "POST /api/v1/orders (user-service up)" "pgbench INSERT (users_ref)" 0.35
  run_pgbench post_order-pgbench -M prepared -f "$BENCH_DIR/sql/pgbench_insert_user.sql"; store post_order ref
  CPU_PIDS=("$opid"); CPU_PIDS2=("$upid")
  run_wrk post_order-order-service "$O" "$lua/post_order.lua" "$SEED_LO" "$SEED_HI" -- "$SEED_LO" "$SEED_HI"
  CPU_PIDS2=()
  store post_order svc
  S_NOTE_USER_CPU=$R_CPU2
  # the orders of the warm-up and the run, all with user-service up: all validated?
  VALIDATED=$(psql_db orders -tAc "SELECT count(*) FILTER (WHERE user_validated) || '/' || count(*) FROM orders")
  judge post_order
  [[ ${S_PASS[post_order]} == PASS ]] || profile_run post_order order-service "$O" "$lua/post_order.lua" "$SEED_LO" "$SEED_HI"

  # 5. POST /api/v1/orders with user-service dead and the breaker open.
  USER_PEAK_KB=$(peak_kb user-service)
  log "killing user-service (SIGKILL) and opening order-service's breaker"
  COMMANDS+=("# user-service killed: kill -KILL <its pid>; then 10 × curl -XPOST $O/api/v1/orders (user_id $SEED_LO) to open the breaker")
  kill -KILL "$upid" 2>/dev/null || true
  wait "$upid" 2>/dev/null || true
  untrack "$upid"
  local i
  for (( i = 0; i < 10; i++ )); do
    curl -sS -o /dev/null --max-time 15 -XPOST "$O/api/v1/orders" -H 'Content-Type: application/json' \
      -d "{\"user_id\":$SEED_LO,\"product_name\":\"Widget\",\"quantity\":1,\"price\":1.00}" || true
  done
  BREAKER_BEFORE=$(breaker_state)
  log "breaker state before the run: ${BREAKER_BEFORE:-unknown} (2 = open)"
  S_ORDER+=(degraded); S_NAME[degraded]="POST /api/v1/orders (user-service dead, breaker open)"
  S_REF[degraded]="the same with user-service up (row above)"; S_TARGET[degraded]=0.90
  S_LOAD[degraded]="$(loadavg1) / $(machine_busy)%"
  S_REFR[degraded]=${S_SVC[post_order]}
  CPU_PIDS=("$opid")
  run_wrk degraded-order-service "$O" "$lua/post_order.lua" "$SEED_LO" "$SEED_HI" -- "$SEED_LO" "$SEED_HI"
  store degraded svc
  BREAKER_AFTER=$(breaker_state)
  judge degraded 5
  [[ ${S_PASS[degraded]} == PASS ]] || profile_run degraded order-service "$O" "$lua/post_order.lua" "$SEED_LO" "$SEED_HI"
  ORDER_PEAK_KB=$(peak_kb order-service)
}

seed_main() {
  log "seeding $USERS users"
  seed_users 1 "$USERS"
}

kb_mb() { fmt '%.1f' "$(calc "$1 / 1024")"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
# verdict VAR VALUE MAX: PASS or FAIL into VAR (and counts the misses).
verdict() {
  if le "$2" "$3"; then printf -v "$1" PASS; else printf -v "$1" FAIL; MISSES=$(( MISSES + 1 )); fi
}

write_main_doc() {
  local f=$WORK/doc-main.md id svc ref
  local uc=${SVC_COLD_MS[user-service]} oc=${SVC_COLD_MS[order-service]} uw=${SVC_WARM_MS[user-service]} ow=${SVC_WARM_MS[order-service]}
  local ui=${SVC_IDLE_KB[user-service]} oi=${SVC_IDLE_KB[order-service]}
  local v_get v_warm v_cold v_idle v_peak
  verdict v_get "$GET_P99" 3
  verdict v_warm "$(( uw > ow ? uw : ow ))" 300
  verdict v_cold "$(( uc > oc ? uc : oc ))" 300
  verdict v_idle "$(( ui > oi ? ui : oi ))" $(( 24 * 1024 ))
  verdict v_peak "$(( USER_PEAK_KB > ORDER_PEAK_KB ? USER_PEAK_KB : ORDER_PEAK_KB ))" $(( 64 * 1024 ))
  {
    echo "## Latest run (\`make bench\`)"
    echo
    host_info
    echo "- client settings: wrk \`-t$THREADS -c$CONNS -d${DURATION}s --latency\` (after a ${WARMUP} s warm-up), pgbench \`-c$CONNS -j$THREADS -T$DURATION\`; $USERS seeded users; pgbench scale $PGBENCH_SCALE"
    echo "- service environment (nothing else; each in an empty working directory): \`${SERVICE_ENV[*]}\`, HTTP_HOST=127.0.0.1, a free port, DATABASE_URL of the cluster above; every other setting at its default (HTTP_THREADS=2, DB_POOL_MIN_IDLE=10, DB_POOL_MAX=100, ...)"
    echo "- machine load at the start / end of the run (1-min load average): $LOAD_START / $(loadavg1). The \"load\" column is the 1-min load average and the busy share of all CPUs over the second before each scenario: other work on the machine (e.g. other builds) shows there."
    echo
    echo "| scenario | service req/s | reference | reference req/s | ratio | target | service p50 / p99 ms | reference p50 / p99 ms | errors svc / ref | CPU svc / ref | load | result |"
    echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
    for id in "${S_ORDER[@]}"; do
      svc=${S_SVC[$id]}; ref=${S_REFR[$id]}
      local tgt="≥ ${S_TARGET[$id]}"
      [[ $id == degraded ]] && tgt="$tgt, p99 ≤ 5 ms"
      echo "| \`${S_NAME[$id]}\` | $(field "$svc" 0) | ${S_REF[$id]} | $(field "$ref" 0) | ${S_RATIO[$id]} | $tgt | $(field "$svc" 1) / $(field "$svc" 2) | $(field "$ref" 1) / $(field "$ref" 2) | $(field "$svc" 3) / $(field "$ref" 3) | $(field "$svc" 4) / $(field "$ref" 4) | ${S_LOAD[$id]} | **${S_PASS[$id]}**${S_NOTE[$id]:+ (${S_NOTE[$id]})} |"
    done
    echo
    echo "| measurement | user-service | order-service | target | result |"
    echo "|---|---:|---:|---:|---|"
    echo "| p99 of \`GET /api/v1/users/{id}\` at $CONNS connections | $GET_P99 ms | — | ≤ 3 ms | **$v_get** |"
    echo "| exec → \`/health/ready\` 200, restart (schema present) | $uw ms | $ow ms | ≤ 300 ms | **$v_warm** |"
    echo "| exec → \`/health/ready\` 200, first start (empty database, migrations) | $uc ms | $oc ms | ≤ 300 ms | **$v_cold** |"
    echo "| idle RSS 2 s after the restart | $(kb_mb "$ui") MB | $(kb_mb "$oi") MB | ≤ 24 MB | **$v_idle** |"
    echo "| peak RSS over the runs (VmHWM / polled VmRSS) | $(kb_mb "$USER_PEAK_KB") MB | $(kb_mb "$ORDER_PEAK_KB") MB | ≤ 64 MB | **$v_peak** |"
    echo
    echo "Notes on this run:"
    echo
    echo "- \`GET /health/live\`: nginx answers the same body (\`$HEALTH_BODY\`) with the same \`Content-Type: $HEALTH_CTYPE\` (checked before the run)."
    echo "- Orders with \`user_validated\` true / all after the user-service-up run (warm-up included): $VALIDATED. user-service used $S_NOTE_USER_CPU cores during the order run (order-service's calls)."
    echo "- Breaker \`circuit_breaker_state{target=\"user-service\"}\` of order-service before / after the dead-user-service run: ${BREAKER_BEFORE:-?} / ${BREAKER_AFTER:-?} (2 = open). With LOG_LEVEL=warn order-service still writes one warning line per degraded order (by design), which is part of that figure."
    echo "- The two pgbench INSERT rows were measured separately, each right before its service run."
    echo
    echo "### Commands (exact, in order)"
    echo
    commands_block
    echo
    echo "Raw outputs of this run: \`${RESULTS#"$ROOT"/}/\` (wrk, pgbench, profiles, service logs one level up; not committed)."
    if (( ${#PROFILE_NOTES[@]} )); then
      echo
      echo "### Profile pointers for the missed targets"
      echo
      echo "Taken on extra runs after the measured one (same wrk settings), so they did not perturb the table."
      local note label name pdir
      for note in "${PROFILE_NOTES[@]}"; do
        IFS='|' read -r label name pdir <<<"$note"
        echo
        echo "#### $label ($name)"
        echo
        echo "Where the CPU goes (\`top -b -d 2\`, second frame; top processes):"
        echo
        echo '```'
        top_frame "$pdir/top.txt" 8
        echo '```'
        echo
        echo "$name's CPU by thread name over 2 s (from \`/proc/PID/task/*/stat\`):"
        echo
        echo '```'
        cat "$pdir/threads.txt"
        echo '```'
        if [[ -s $pdir/perf-stat.txt ]]; then
          local rps cs
          rps=$(awk '/^Requests\/sec:/ { print $2 }' "$pdir/wrk.txt")
          cs=$(awk '/context-switches/ { gsub(",", "", $1); print $1 }' "$pdir/perf-stat.txt")
          echo
          echo "\`perf stat -p PID -- sleep 2\` during the run (that run: ${rps:-?} req/s$( [[ -n $rps && -n $cs ]] && printf ', so about %s context switches per request' "$(fmt '%.1f' "$(calc "$cs / ($rps * 2)")")")):"
          echo
          echo '```'
          grep -E 'task-clock|context-switches|cpu-migrations|page-faults|seconds time elapsed' "$pdir/perf-stat.txt" | sed 's/^ *//'
          echo '```'
        fi
        if [[ -s $pdir/perf-report.txt ]]; then
          echo
          echo "\`perf record -e cpu-clock -g -p PID -- sleep 3\`, \`perf report --no-children --sort comm,dso,sym\` (≥ 1.5 %):"
          echo
          echo '```'
          cat "$pdir/perf-report.txt"
          echo '```'
        fi
      done
    fi
    echo
  } >"$f"
  replace_block main "$f"
}

print_main_table() {
  local id svc ref
  printf '\n%-52s %11s %11s %6s %7s %17s %17s %s\n' scenario "svc req/s" "ref req/s" ratio target "svc p50/p99 ms" "ref p50/p99 ms" result
  for id in "${S_ORDER[@]}"; do
    svc=${S_SVC[$id]}; ref=${S_REFR[$id]}
    printf '%-52s %11s %11s %6s %7s %17s %17s %s\n' "${S_NAME[$id]}" "$(field "$svc" 0)" "$(field "$ref" 0)" \
      "${S_RATIO[$id]}" ">=${S_TARGET[$id]}" "$(field "$svc" 1)/$(field "$svc" 2)" "$(field "$ref" 1)/$(field "$ref" 2)" "${S_PASS[$id]}"
  done
  printf '\nGET user p99: %s ms (<= 3)   ready (restart) user/order: %s/%s ms   first start: %s/%s ms (<= 300)\n' \
    "$GET_P99" "${SVC_WARM_MS[user-service]}" "${SVC_WARM_MS[order-service]}" "${SVC_COLD_MS[user-service]}" "${SVC_COLD_MS[order-service]}"
  printf 'RSS idle user/order: %s/%s MB (<= 24)   peak: %s/%s MB (<= 64)\n\n' \
    "$(kb_mb "${SVC_IDLE_KB[user-service]}")" "$(kb_mb "${SVC_IDLE_KB[order-service]}")" "$(kb_mb "$USER_PEAK_KB")" "$(kb_mb "$ORDER_PEAK_KB")"
}

# --- growth mode -----------------------------------------------------------------

run_growth() {
  local u_port
  free_port u_port 18081
  SVC_PORT[user-service]=$u_port
  local U=http://127.0.0.1:$u_port lua=$BENCH_DIR/lua
  start_service user-service
  log "user-service ready in ${READY_MS} ms"
  start_sampler user-service
  CPU_PIDS=("${SVC_PID[user-service]}")
  local have=0 size f=$WORK/doc-growth.md rows=() explains=()
  for size in $GROWTH_SIZES; do
    if ! [[ $size =~ ^[0-9]+$ ]] || (( size <= have )); then
      die "BENCH_GROWTH_SIZES must be increasing whole numbers"
    fi
    log "growth: seeding users $(( have + 1 ))..$size"
    local t0 t1
    t0=$(now_us)
    seed_users $(( have + 1 )) "$size"
    t1=$(now_us)
    have=$size
    seeded_range
    local mid=$(( SEED_LO + (SEED_HI - SEED_LO) / 2 ))
    local seed_s
    seed_s=$(fmt '%.1f' "$(calc "($t1 - $t0) / 1000000")")
    RUN_DURATION=$GROWTH_DURATION
    run_wrk "growth-$size-get" "$U" "$lua/get_user.lua" "$SEED_LO" "$SEED_HI" -- "$SEED_LO" "$SEED_HI"
    local g="$R_P50|$R_P99|$R_RPS|$R_ERRS"
    run_wrk "growth-$size-list" "$U/api/v1/users?page=1&page_size=10" ""
    local l="$R_P50|$R_P99|$R_RPS|$R_ERRS"
    run_wrk "growth-$size-search" "$U" "$lua/search_users.lua" 1 "$size" -- 1 "$size"
    local s="$R_P50|$R_P99|$R_RPS|$R_ERRS"
    unset RUN_DURATION
    local ex=$RESULTS/growth-$size-explain.txt k
    k=$(( (size + 1) / 2 ))
    psql_db users -v "id=$mid" -v "search='%seed$k@%'" -f "$BENCH_DIR/sql/growth_explain.sql" >"$ex" 2>&1 \
      || { cat "$ex" >&2; die "EXPLAIN failed"; }
    local idx_find idx_count idx_list idx_scount idx_slist
    idx_find=$(index_use "$ex" "get by id")
    idx_count=$(index_use "$ex" "first list page: users_count")
    idx_list=$(index_use "$ex" "first list page: users_list")
    idx_scount=$(index_use "$ex" "selective search: users_count")
    idx_slist=$(index_use "$ex" "selective search: users_list")
    rows+=("$size|$seed_s|$g|$l|$s|$idx_find|$idx_count / $idx_list|$idx_scount / $idx_slist")
    explains+=("$size|$ex")
  done
  local peak
  peak=$(peak_kb user-service)
  {
    echo "Measured by \`bench/run.sh --growth\`:"
    echo
    host_info
    echo "- wrk \`-t$THREADS -c$CONNS -d${GROWTH_DURATION}s --latency\` per endpoint and size (after a ${WARMUP} s warm-up); user-service with \`${SERVICE_ENV[*]}\`; peak RSS of user-service over the whole growth run: $(kb_mb "$peak") MB"
    echo "- machine load (1-min load average) at the start / end: $LOAD_START / $(loadavg1)"
    echo "- endpoints: get-by-id = \`GET /api/v1/users/{id}\` (random seeded id); first list page = \`GET /api/v1/users?page=1&page_size=10\` (count + page); selective search = \`GET /api/v1/users?page=1&page_size=10&search=seed<k>%40\` (random k, one match)"
    echo
    echo "| users | seed time s | get-by-id p50 / p99 ms | req/s | first page p50 / p99 ms | req/s | search p50 / p99 ms | req/s | p50 ≤ 10 ms | index use: get / page (count / list) / search (count / list) |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
    local r size seed_s gp50 gp99 grps gerr lp50 lp99 lrps lerr sp50 sp99 srps serr i1 i2 i3 ok
    for r in "${rows[@]}"; do
      IFS='|' read -r size seed_s gp50 gp99 grps gerr lp50 lp99 lrps lerr sp50 sp99 srps serr i1 i2 i3 <<<"$r"
      ok=PASS
      for v in "$gp50" "$lp50" "$sp50"; do le "$v" 10 || ok=FAIL; done
      (( gerr + lerr + serr == 0 )) || ok="FAIL (errors $gerr/$lerr/$serr)"
      [[ $ok == PASS ]] || MISSES=$(( MISSES + 1 ))
      echo "| $size | $seed_s | $gp50 / $gp99 | $grps | $lp50 / $lp99 | $lrps | $sp50 / $sp99 | $srps | **$ok** | $i1 / $i2 / $i3 |"
    done
    echo
    echo "\"index\" means the plan finds its rows through an index condition (Index Cond, Bitmap Index Scan); \"index order only\" that it walks an index for its order and checks every row with a filter (cheap for a first page, a full walk for a selective search); \"seq scan\" that it reads the whole table; \"N rows filtered\" counts the rows read and thrown away. The plans are those of statements prepared like the service prepares them, after five executions (a pooled connection may switch to the generic plan from then on); see \`bench/sql/growth_explain.sql\`."
    local e ex
    for e in "${explains[@]}"; do
      IFS='|' read -r size ex <<<"$e"
      echo
      echo "<details><summary>EXPLAIN (ANALYZE, BUFFERS) at $size users</summary>"
      echo
      echo '```'
      cat "$ex"
      echo '```'
      echo
      echo "</details>"
    done
    echo
    echo "Commands:"
    echo
    commands_block
  } >"$f"
  replace_block growth "$f"
  printf '\n'
  awk '/^\| users/,/^$/' "$f"
}

# index_use FILE HEADING: how one EXPLAIN reads the table: "index" (an index condition:
# Index Cond, or a Bitmap Index Scan), "index order only" (an index walked for its
# order, every row checked by a filter), "seq scan"; plus the rows a filter threw away.
index_use() {
  awk -v h="### $2" '
    index($0, h) == 1 { on = 1; next }
    /^### / { on = 0 }
    on && (/Index Cond:/ || /Bitmap Index Scan/) { cond = 1 }
    on && /(Index Scan|Index Only Scan)/ { walk = 1 }
    on && /Seq Scan/ { seq = 1 }
    on && /Rows Removed by Filter:/ { removed += $NF }
    END {
      r = cond ? "index" : (walk ? "index order only" : "")
      if (seq) r = (r == "" ? "seq scan" : r " + seq scan")
      if (r == "") r = "?"
      if (removed > 0) r = r sprintf(", %d rows filtered", removed)
      print r
    }' "$1"
}

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
