#!/usr/bin/env bash
# bench/soak.sh: the soak test (`make soak`). Not part of `make test`.
#
# Mixed load on both services for SOAK_SECONDS (default 10 minutes), then a verdict:
#   - no 5xx (counted by the wrk scripts, and in each service's http_requests_total),
#     no broken connection or timed-out request;
#   - RSS stable: the highest RSS of the last samples is at most SOAK_RSS_MAX_GROWTH
#     (1.10) x the highest of the first samples after the warm-up;
#   - no descriptor leak: open descriptors at the end at most SOAK_FD_SLACK above
#     those after the warm-up (DB pool and keep-alive connections are bounded).
# Statuses the mixes do not expect but that are not 5xx (an unexpected 404 or 409, an
# order not validated although user-service is up, ...) are listed and warned about.
# The summary is printed and written into docs/RELIABILITY.md between
# <!-- reliability:soak:begin --> and <!-- reliability:soak:end -->.
#
# What one run does (with the modules of bench/run.sh, bench/lib/):
#  1. Release build in build-bench/ (user-service, order-service; tests off).
#  2. A throwaway PostgreSQL in $SOAK_WORK_DIR/pg; both services on free loopback
#     ports, each in an empty working directory and a clean environment, rate limits
#     out of the way, LOG_LEVEL=warn; SOAK_USERS users seeded.
#  3. Two wrk processes for SOAK_SECONDS, one connection per wrk thread, each
#     connection pausing SOAK_PAUSE_MS before every request (a moderate, steady load):
#     bench/lua/soak_users.lua (create, read, list, search, update with If-Match, a
#     stale If-Match, delete, read a deleted user) on user-service, and
#     bench/lua/soak_orders.lua (create with user-service up, Idempotency-Key and its
#     replay, read, list, search, update with If-Match, a stale If-Match) on
#     order-service.
#  4. Every SOAK_SAMPLE seconds: VmRSS, open descriptors (/proc/PID/fd) and threads of
#     each service, and PostgreSQL backends per database.
#  5. Everything started is stopped on exit, error and Ctrl-C.
#
# Settings (environment):
#   SOAK_SECONDS=600        length of the load
#   SOAK_WARMUP             seconds not judged at the start (default: 10 % of
#                           SOAK_SECONDS, at most 60)
#   SOAK_SAMPLE=5           seconds between samples
#   SOAK_WINDOW=3           samples compared at each end (after the warm-up, last)
#   SOAK_CONNECTIONS=4      wrk threads (= connections) per service
#   SOAK_PAUSE_MS=10        pause before each request of a connection
#   SOAK_USERS=10000        seeded users
#   SOAK_RSS_MAX_GROWTH=1.10   SOAK_FD_SLACK=10
#   SOAK_SERVICE_ENV="K=V ..."  extra environment for both services
#   SOAK_DOC=docs/RELIABILITY.md  (none: do not write it)
#   SOAK_WORK_DIR=build-bench/soak  logs, samples, wrk outputs; emptied at the start
#   JOBS=$(nproc)           compile jobs
# Exit status: 0 pass, 3 a criterion failed, 1 the harness itself failed, 2 usage.
set -euo pipefail
export LC_ALL=C

case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: bench/soak.sh (settings in the environment; see --help)" >&2; exit 2 ;;
esac

MODE=soak
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
BENCH_DIR=$ROOT/bench
BUILD_DIR=$ROOT/build-bench
WORK=${SOAK_WORK_DIR:-$BUILD_DIR/soak}
DOC=${SOAK_DOC:-$ROOT/docs/RELIABILITY.md}
PG_SCRIPT=$ROOT/deploy/local-postgres.sh
SECS=${SOAK_SECONDS:-600}
SAMPLE=${SOAK_SAMPLE:-5}
WINDOW=${SOAK_WINDOW:-3}
CONNS=${SOAK_CONNECTIONS:-4}
PAUSE_MS=${SOAK_PAUSE_MS:-10}
USERS=${SOAK_USERS:-10000}
FD_SLACK=${SOAK_FD_SLACK:-10}
RSS_MAX_GROWTH=${SOAK_RSS_MAX_GROWTH:-1.10}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
for v in SECS SAMPLE WINDOW CONNS PAUSE_MS USERS FD_SLACK JOBS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "soak: $v must be a whole number, not '${!v}'" >&2; exit 2; }
done
WARM=${SOAK_WARMUP:-$(( SECS / 10 < 60 ? SECS / 10 : 60 ))}
[[ $WARM =~ ^[0-9]+$ && $RSS_MAX_GROWTH =~ ^[0-9]+(\.[0-9]+)?$ ]] \
  || { echo "soak: SOAK_WARMUP must be a whole number and SOAK_RSS_MAX_GROWTH a number" >&2; exit 2; }
(( SAMPLE > 0 && WINDOW > 0 && CONNS > 0 && USERS > 0 )) \
  || { echo "soak: SOAK_SAMPLE, SOAK_WINDOW, SOAK_CONNECTIONS and SOAK_USERS must be > 0" >&2; exit 2; }
(( SECS >= WARM + 2 * WINDOW * SAMPLE )) \
  || { echo "soak: SOAK_SECONDS must leave 2 x SOAK_WINDOW samples after the warm-up" >&2; exit 2; }

LOG_TAG=soak
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$BENCH_DIR/lib/common.sh"
# shellcheck source=SCRIPTDIR/lib/setup.sh
source "$BENCH_DIR/lib/setup.sh"
# shellcheck source=SCRIPTDIR/lib/doc.sh
source "$BENCH_DIR/lib/doc.sh"
# shellcheck source=SCRIPTDIR/lib/soak_report.sh
source "$BENCH_DIR/lib/soak_report.sh"
if [[ -n ${SOAK_SERVICE_ENV:-} ]]; then
  read -r -a _extra <<<"$SOAK_SERVICE_ENV"
  SERVICE_ENV+=("${_extra[@]}")
fi

# sample PID: "rss_kb fds threads" of one service ("0 0 0" once it is gone).
sample() {
  local pid=$1 rss thr
  alive "$pid" || { echo "0 0 0"; return; }
  local -a fds=("/proc/$pid/fd"/*)
  rss=$(proc_kb "$pid" VmRSS); thr=$(proc_kb "$pid" Threads)
  echo "${rss:-0} ${#fds[@]} ${thr:-0}"
}

db_backends() {   # "users orders": PostgreSQL backends connected to each database
  psql_db postgres -tAc "SELECT count(*) FILTER (WHERE datname = 'users') || ' ' ||
                                count(*) FILTER (WHERE datname = 'orders') FROM pg_stat_activity" 2>/dev/null \
    || echo "? ?"
}

# The load and the samples: results in $RESULTS, samples in $SAMPLES
# (columns: t u_rss u_fds u_thr o_rss o_fds o_thr db_users db_orders).
run_soak() {
  local u_port o_port
  free_port u_port 18181; free_port o_port 18182
  SVC_PORT[user-service]=$u_port; SVC_PORT[order-service]=$o_port
  start_service user-service
  log "user-service ready in $READY_MS ms; seeding $USERS users"
  seed_users 1 "$USERS"
  seeded_range
  start_service order-service
  log "order-service ready in $READY_MS ms"
  local upid=${SVC_PID[user-service]} opid=${SVC_PID[order-service]} tag
  tag=soak$(date +%s)

  local -a wrk_u=(wrk -t"$CONNS" -c"$CONNS" -d"${SECS}s" --timeout 10s --latency -s "$BENCH_DIR/lua/soak_users.lua"
                  "http://127.0.0.1:$u_port" -- "$SEED_LO" "$SEED_HI" "$PAUSE_MS" "$tag")
  local -a wrk_o=(wrk -t"$CONNS" -c"$CONNS" -d"${SECS}s" --timeout 10s --latency -s "$BENCH_DIR/lua/soak_orders.lua"
                  "http://127.0.0.1:$o_port" -- "$SEED_LO" "$SEED_HI" "$PAUSE_MS" "$tag")
  record_cmd "${wrk_u[@]/#$ROOT\//}"; record_cmd "${wrk_o[@]/#$ROOT\//}"
  log "load for $SECS s (warm-up $WARM s, a sample every $SAMPLE s); ${CONNS}+${CONNS} connections, ${PAUSE_MS} ms pause"
  local t0 t1 next now t wu wo uc0 oc0
  uc0=$(cpu_ticks "$upid"); oc0=$(cpu_ticks "$opid")
  t0=$(now_us)
  "${wrk_u[@]}" >"$RESULTS/users.wrk" 2>&1 &
  wu=$!; BG_PIDS+=("$wu")
  "${wrk_o[@]}" >"$RESULTS/orders.wrk" 2>&1 &
  wo=$!; BG_PIDS+=("$wo")

  SAMPLES=$RESULTS/samples.txt
  echo "# t u_rss_kb u_fds u_threads o_rss_kb o_fds o_threads db_users db_orders" >"$SAMPLES"
  next=$(( t0 + SAMPLE * 1000000 ))
  DIED=""
  while alive "$wu" || alive "$wo"; do
    now=$(now_us)
    if (( now < next )); then nap "$(fmt '%.3f' "$(calc "($next - $now) / 1000000")")"; continue; fi
    next=$(( next + SAMPLE * 1000000 ))
    t=$(( (now - t0 + 500000) / 1000000 ))
    (( t <= SECS )) || continue   # wrk is finishing: the load is over
    echo "$t $(sample "$upid") $(sample "$opid") $(db_backends)" >>"$SAMPLES"
    alive "$upid" || DIED+=" user-service"
    alive "$opid" || DIED+=" order-service"
    [[ -z $DIED ]] || { log "service(s) died during the soak:$DIED"; break; }
    (( t % 60 )) || log "$(tail -n 1 "$SAMPLES" | awk '{ printf "t=%s s: user-service RSS %.1f MB, %d fds, %d threads; order-service RSS %.1f MB, %d fds, %d threads; DB backends %s/%s", $1, $2/1024, $3, $4, $5/1024, $6, $7, $8, $9 }')"
  done
  t1=$(now_us)
  U_CPU=$(fmt '%.2f' "$(calc "($(cpu_ticks "$upid") - $uc0) / $CLK_TCK / (($t1 - $t0) / 1000000)")")
  O_CPU=$(fmt '%.2f' "$(calc "($(cpu_ticks "$opid") - $oc0) / $CLK_TCK / (($t1 - $t0) / 1000000)")")
  # wrk prints its summary (and the mix's counts) on SIGINT, not on SIGTERM
  local w
  for w in "$wu" "$wo"; do
    if alive "$w"; then kill -INT "$w" 2>/dev/null || true; fi
  done
  stop_pid "$wu" 15; stop_pid "$wo" 15
  U5XX=$(server_5xx "$u_port"); O5XX=$(server_5xx "$o_port")
  U_LOGS=$(log_levels "$WORK/user-service/service.log"); O_LOGS=$(log_levels "$WORK/order-service/service.log")
}

main() {
  check_tools
  [[ $DOC == none || -f $DOC ]] || die "no $DOC (SOAK_DOC=none to skip the document)"
  if [[ $DOC != none ]]; then
    if ! grep -qxF "$SOAK_BEGIN" "$DOC" || ! grep -qxF "$SOAK_END" "$DOC"; then die "$DOC lacks the soak markers"; fi
  fi
  if [[ -d $PG_DIR/data ]]; then bash "$PG_SCRIPT" stop "$PG_DIR" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
  mkdir -p "$WORK"
  mkfifo "$WORK/.nap"
  exec {NAP_FD}<>"$WORK/.nap"
  RESULTS=$WORK/results; mkdir -p "$RESULTS"
  LOAD_START=$(loadavg1)
  log "work dir $WORK; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  build
  start_postgres
  run_soak
  soak_verdict
  soak_table >"$WORK/doc-soak.md"
  if [[ $DOC != none ]]; then splice_block "$DOC" "$SOAK_BEGIN" "$SOAK_END" "$WORK/doc-soak.md"; fi
  soak_print
  log "done; ${DOC/#$ROOT\//} $([[ $DOC == none ]] && echo 'not written' || echo updated); result: $RESULT"
  [[ $RESULT == PASS* ]] || exit 3
}

main
