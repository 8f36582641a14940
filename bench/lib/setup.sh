# shellcheck shell=bash
# bench/lib/setup.sh: prerequisites, the Release build, the throwaway PostgreSQL, starting the services and seeding users.
# Sourced by bench/run.sh (and bench/soak.sh); not run on its own.
# shellcheck disable=SC2034  # the globals set here are read by the other bench/lib files and bench/*.sh; shellcheck checks one file at a time

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
  for t in cmake wrk curl awk sort openssl; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
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
# SVC_PROBE_PORT[NAME]: where start_service polls /health/ready when it is not the
# API port (a service serving HTTPS there answers its probes on MANAGEMENT_PORT).
declare -A SVC_PROBE_PORT=()
declare -a SERVICE_ENV=(RATE_LIMIT_RPS=1000000 RATE_LIMIT_BURST=1000000 LOG_LEVEL=warn SHUTDOWN_TIMEOUT=5)
# The DB pool's settings when the caller set DB_POOL to a number (BENCH_DB_POOL;
# bench/run.sh keeps the services' defaults unless told). Before BENCH_SERVICE_ENV,
# which wins.
if [[ -n ${DB_POOL:-} && $DB_POOL != default ]]; then
  SERVICE_ENV+=("DB_POOL_MIN_IDLE=$DB_POOL" "DB_POOL_MAX=$DB_POOL")
fi
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

# start_service NAME [KEY=VALUE...]: exec (with those settings beside the
# others), then poll /health/ready until 200; the time in READY_MS.
start_service() {
  local name=$1 dir=$WORK/$1 t0 t1 deadline pid
  shift
  mkdir -p "$dir"
  service_env "$name"
  SVC_ENV+=("$@")
  record_cmd env -i -C "${dir#"$ROOT"/}" "${SVC_ENV[@]}" "build-bench/bin/$name"
  t0=$(now_us)
  env -i -C "$dir" "${SVC_ENV[@]}" "$BUILD_DIR/bin/$name" >>"$dir/service.log" 2>&1 &
  pid=$!
  BG_PIDS+=("$pid")
  deadline=$(( t0 + 60000000 ))
  while :; do
    if http_code "${SVC_PROBE_PORT[$name]:-${SVC_PORT[$name]}}" /health/ready && [[ $HTTP_CODE == 200 ]]; then break; fi
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
# No fork in the loop: it runs through every measured run, and with a `sleep` and a
# `$(...)` per sample the two samplers doubled the p99 of GET by id (1.6 -> 3.6 ms)
# and cost it about a tenth of its req/s (docs/PERFORMANCE.md).
start_sampler() {
  local name=$1 pid=${SVC_PID[$1]} out=$WORK/$1/rss-peak-kb
  (
    max=0 v=""
    while alive "$pid"; do
      read_proc_kb v "$pid" VmRSS
      if [[ -n $v ]] && (( v > max )); then max=$v; echo "$max" >"$out"; fi
      nap 0.25
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
