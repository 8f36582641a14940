# shellcheck shell=bash
# bench/lib/scenarios.sh: the main scenarios (make bench): each service against its reference, nginx included.
# Sourced by bench/run.sh (and bench/soak.sh); not run on its own.
# shellcheck disable=SC2034  # the globals set here are read by the other bench/lib files and bench/*.sh; shellcheck checks one file at a time

# --- the main scenarios ----------------------------------------------------------

declare -A S_NAME=() S_REF=() S_TARGET=() S_SVC=() S_REFR=() S_RATIO=() S_PASS=() S_LOAD=() S_NOTE=()
declare -A S_ROUND=() S_ROUND_RATIOS=()  # a round's stored figures (ID,SIDE,N); every round's ratio (ID)
declare -a S_ORDER=()
MISSES=0

# store_result ID SIDE(svc|ref): keeps R_* as "rps|p50|p99|errs|cpu|reqs".
# shellcheck disable=SC2153  # R_RPS is set by bench/lib/runs.sh, not a misspelling of a local
store() { local v="$R_RPS|$R_P50|$R_P99|$R_ERRS|$R_CPU|${R_REQS:-}"; if [[ $2 == svc ]]; then S_SVC[$1]=$v; else S_REFR[$1]=$v; fi; }
field() { local IFS='|'; local -a parts; read -r -a parts <<<"$1"; echo "${parts[$2]:-}"; }

# ratio_of SVC REF: the service's req/s over the reference's (stored figures), two decimals.
ratio_of() { fmt '%.2f' "$(calc "($(field "$2" 0) > 0) ? $(field "$1" 0) / $(field "$2" 0) : 0")"; }

# keep_round ID SIDE(svc|ref) N: store, and keeps the figures as round N's.
keep_round() {
  store "$1" "$2"
  if [[ $2 == svc ]]; then S_ROUND[$1,svc,$3]=${S_SVC[$1]}; else S_ROUND[$1,ref,$3]=${S_REFR[$1]}; fi
}

# median_round ID: of the ROUNDS kept, the round with the median ratio becomes the
# scenario's figures (so its row shows one real pair of runs, not a blend); every
# round's ratio, in the order run, goes to S_ROUND_RATIOS. Sets MEDIAN_ROUND.
median_round() {
  local id=$1 n ratio list=""
  local -a by_ratio=()
  for (( n = 1; n <= ROUNDS; n++ )); do
    ratio=$(ratio_of "${S_ROUND[$id,svc,$n]}" "${S_ROUND[$id,ref,$n]}")
    by_ratio+=("$ratio $n")
    list+="${list:+, }$ratio"
  done
  MEDIAN_ROUND=$(printf '%s\n' "${by_ratio[@]}" | sort -g | awk -v m=$(( (ROUNDS + 1) / 2 )) 'NR == m { print $2 }')
  S_SVC[$id]=${S_ROUND[$id,svc,$MEDIAN_ROUND]}
  S_REFR[$id]=${S_ROUND[$id,ref,$MEDIAN_ROUND]}
  S_ROUND_RATIOS[$id]=$list
}

# judge ID [P99_MAX_MS]: ratio, pass/fail.
judge() {
  local id=$1 p99max=${2:-} svc=${S_SVC[$1]} ref=${S_REFR[$1]}
  local ratio pass=PASS note=""
  ratio=$(ratio_of "$svc" "$ref")
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
    | awk '!found && /^circuit_breaker_state\{/ && /user-service/ { print $2; found = 1 }'
  # (awk reads to the end: an early exit made curl fail with "write error", 23,
  # under pipefail once the metrics outgrew the pipe buffer)
}

# Both insert runs (reference and service) write to user-service's users table;
# each starts from a vacuumed table with no checkpoint owed, so that neither pays
# for the maintenance the run before it left behind.
settle_users_table() {
  local sql=(-c 'VACUUM (ANALYZE) users' -c CHECKPOINT)
  record_cmd psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d users "${sql[@]}"
  psql_db users "${sql[@]}" >/dev/null
}

# set_durability on|off: fsync and synchronous_commit of the whole cluster, by
# reload (no restart: the services keep their connections).
set_durability() {
  local sql=(-c "ALTER SYSTEM SET fsync = $1" -c "ALTER SYSTEM SET synchronous_commit = $1" -c 'SELECT pg_reload_conf()')
  record_cmd psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres "${sql[@]}"
  psql_db postgres "${sql[@]}" >/dev/null
  sleep 1  # the reload reaches every backend at its next command
  log "durability: fsync and synchronous_commit $1"
}

# insert_reference ID: the users-table INSERT reference of scenario ID, on a
# settled table.
insert_reference() {
  settle_users_table
  PGBENCH_DB=users run_pgbench "$1-pgbench" -M prepared -f "$BENCH_DIR/sql/pgbench_insert_user.sql"
  store "$1" ref
}

# measure_post_users ID URL WARMUP_PREFIX RUN_PREFIX: user-service's creates.
measure_post_users() {
  settle_users_table
  CPU_PIDS=("${SVC_PID[user-service]}")
  run_wrk "$1-user-service" "$2" "$BENCH_DIR/lua/post_user.lua" "$3" -- "$4"
  store "$1" svc
}

# measure_post_orders ID URL: order-service's creates, user-service validating them.
measure_post_orders() {
  settle_users_table
  CPU_PIDS=("${SVC_PID[order-service]}"); CPU_PIDS2=("${SVC_PID[user-service]}")
  run_wrk "$1-order-service" "$2" "$BENCH_DIR/lua/post_order.lua" "$SEED_LO" "$SEED_HI" -- "$SEED_LO" "$SEED_HI"
  CPU_PIDS2=()
  store "$1" svc
}

# measure_alongside_search ID URL: the GET by id of user-service (as in get_user)
# while one wrk connection searches all the time; the searches' own rate and
# latency go into the scenario's note.
measure_alongside_search() {
  local id=$1 url=$2 out=$RESULTS/$1-searches.wrk
  local -a search=(wrk -t1 -c1 -d"$(( WARMUP + DURATION + 2 ))s" --timeout "$WRK_TIMEOUT" --latency
                   "$url/api/v1/users?search=e&page_size=10")
  record_cmd "${search[@]}"
  "${search[@]}" >"$out" 2>&1 &
  local search_pid=$!
  BG_PIDS+=("$search_pid")
  CPU_PIDS=("${SVC_PID[user-service]}")
  run_wrk "$id-user-service" "$url" "$BENCH_DIR/lua/get_user.lua" "$SEED_LO" "$SEED_HI" -- "$SEED_LO" "$SEED_HI"
  store "$id" svc
  wait "$search_pid" 2>/dev/null || true
  untrack "$search_pid"
  wrk_figures "$out"  # after store: the scenario's own R_* are kept
  SEARCH_NOTE="the searches alongside (wrk -t1 -c1, \`GET /api/v1/users?search=e&page_size=10\`, every one of the $USERS users matching): ${R_RPS:-?} req/s, p99 ${R_P99:-?} ms, errors $R_ERRS"
  log "searches alongside: ${R_RPS:-?} req/s, p99 ${R_P99:-?} ms, errors $R_ERRS"
}

run_main() {
  local u_port o_port n_port
  free_port u_port 18081; free_port o_port 18082; free_port n_port 18090
  SVC_PORT[user-service]=$u_port; SVC_PORT[order-service]=$o_port
  local U=http://127.0.0.1:$u_port O=http://127.0.0.1:$o_port N=http://127.0.0.1:$n_port

  start_service_measured user-service seed_main
  seeded_range
  log "seeded users: ids $SEED_LO..$SEED_HI"
  # Like for like with pgbench -i, which vacuums the tables it fills: otherwise
  # the GET run pays for the first reads' hint bits and shares the cores with
  # the autovacuum that 10 000 fresh rows set off (the same GET on a
  # user-service started later in the run did 26k req/s against 19k).
  settle_users_table
  start_service_measured order-service

  log "initialising pgbench tables (scale $PGBENCH_SCALE) in database bench"
  psql_db postgres -c 'CREATE DATABASE bench' >/dev/null
  record_cmd pgbench -i -q -s "$PGBENCH_SCALE" -h 127.0.0.1 -p "$PGPORT" -U postgres bench
  env -u PGSERVICE -u PGOPTIONS "$PG_BIN/pgbench" -i -q -s "$PGBENCH_SCALE" -h 127.0.0.1 -p "$PGPORT" -U postgres bench \
    >"$WORK/pgbench-init.log" 2>&1 || { cat "$WORK/pgbench-init.log" >&2; die "pgbench -i failed"; }

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
  # 1., 2., 6. and 7. alternate reference and service ROUNDS times (BENCH_ROUNDS).
  scenario health "GET /health/live" "nginx return 200" 0.85
  local -a nginx_pids
  local round
  mapfile -t nginx_pids < <(echo "$NGINX_PID"; pgrep -P "$NGINX_PID" || true)
  for (( round = 1; round <= ROUNDS; round++ )); do
    CPU_PIDS=("${nginx_pids[@]}")
    run_wrk "health-nginx-r$round" "$N/health/live" ""; keep_round health ref "$round"
    CPU_PIDS=("$upid")
    run_wrk "health-user-service-r$round" "$U/health/live" ""; keep_round health svc "$round"
  done
  median_round health
  judge health
  [[ ${S_PASS[health]} == PASS ]] || profile_run health user-service "$U/health/live" ""
  stop_pid "$NGINX_PID" 5

  # 2. GET /api/v1/users/{id}: pgbench -S vs user-service.
  scenario get_user "GET /api/v1/users/{id}" "pgbench -S -M prepared" 0.60
  local -A machine_us=() machine_cs=()
  for (( round = 1; round <= ROUNDS; round++ )); do
    run_pgbench "get_user-pgbench-r$round" -S -M prepared; keep_round get_user ref "$round"
    CPU_PIDS=("$upid")
    run_wrk "get_user-user-service-r$round" "$U" "$lua/get_user.lua" "$SEED_LO" "$SEED_HI" -- "$SEED_LO" "$SEED_HI"
    keep_round get_user svc "$round"
    machine_us[$round]=$R_MACHINE_US machine_cs[$round]=$R_MACHINE_CS
  done
  median_round get_user
  GET_P99=$(field "${S_SVC[get_user]}" 2)
  GET_MACHINE_US=${machine_us[$MEDIAN_ROUND]} GET_MACHINE_CS=${machine_cs[$MEDIAN_ROUND]}
  judge get_user
  if [[ ${S_PASS[get_user]} != PASS ]] || ! le "$GET_P99" 2 || ! le "$GET_MACHINE_US" 80 || ! le "$GET_MACHINE_CS" 1.5; then
    profile_run get_user user-service "$U" "$lua/get_user.lua" "$SEED_LO" "$SEED_HI"
  fi

  # 2b. The same GET while a client searches alongside, one search after another
  # (name or e-mail containing "e": every user matches, so each one reads the
  # whole table and counts it). PostgreSQL runs one connection's statements one
  # after another; a search must not hold up the reads queued behind it (issue
  # 15), so the GETs should lose only the cores the searches take.
  scenario get_user_searching "GET /api/v1/users/{id}, a search running alongside" "the same GET alone (row above)" 0.50
  S_REFR[get_user_searching]=${S_SVC[get_user]}
  measure_alongside_search get_user_searching "$U"
  judge get_user_searching 20

  # 3. POST /api/v1/users: pgbench INSERT vs user-service. The reference runs the
  # service's own INSERT on the service's own table (database users): the same
  # indexes and the same counter trigger by construction, nothing to keep in step.
  scenario post_user "POST /api/v1/users" "pgbench INSERT (service's users table)" 0.80
  insert_reference post_user
  measure_post_users post_user "$U" "w$run_id" "r$run_id"
  POST_P99=$R_P99
  judge post_user
  [[ ${S_PASS[post_user]} == PASS ]] || profile_run post_user user-service "$U" "$lua/post_user.lua" "p$run_id"

  # 4. POST /api/v1/orders, user validated over HTTP: pgbench INSERT vs order-service.
  scenario post_order "POST /api/v1/orders (user-service up)" "pgbench INSERT (service's users table)" 0.50
  insert_reference post_order
  measure_post_orders post_order "$O"
  S_NOTE_USER_CPU=$R_CPU2
  # the orders of the warm-up and the run, all with user-service up: all validated?
  VALIDATED=$(psql_db orders -tAc "SELECT count(*) FILTER (WHERE user_validated) || '/' || count(*) FROM orders")
  judge post_order
  [[ ${S_PASS[post_order]} == PASS ]] || profile_run post_order order-service "$O" "$lua/post_order.lua" "$SEED_LO" "$SEED_HI"

  # 4b. What the users table's schema costs a write: its INSERT against a plain
  # one-row INSERT (primary key only). Information, no target.
  scenario schema_cost "pgbench INSERT (service's users table)" "pgbench INSERT (plain one-row table)" 0
  psql_db users -c 'CREATE TABLE IF NOT EXISTS bench_plain_rows (id bigserial PRIMARY KEY, name text, email text)' >/dev/null
  settle_users_table
  PGBENCH_DB=users run_pgbench schema_cost-plain -M prepared -f "$BENCH_DIR/sql/pgbench_insert_plain.sql"
  store schema_cost ref
  S_SVC[schema_cost]=${S_REFR[post_user]}
  judge schema_cost

  # 4c. The writes again with PostgreSQL's durability at its defaults (fsync and
  # synchronous_commit on), as users run it: the throwaway cluster has them off.
  set_durability on
  scenario post_user_durable "POST /api/v1/users, fsync on" "pgbench INSERT (service's users table), fsync on" 0.80
  insert_reference post_user_durable
  measure_post_users post_user_durable "$U" "d$run_id" "D$run_id"
  judge post_user_durable
  scenario post_order_durable "POST /api/v1/orders (user-service up), fsync on" "pgbench INSERT (service's users table), fsync on" 0.50
  S_REFR[post_order_durable]=${S_REFR[post_user_durable]}
  measure_post_orders post_order_durable "$O"
  judge post_order_durable
  set_durability off

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

  # 6. What bearer-token authentication costs: GET by id with AUTH_MODE=jwt (HS256,
  # one token, which the service verifies once and then finds in its cache) against
  # the same GET with auth off.
  # 7. What HTTPS costs: the same GET over TLS 1.3 (a self-signed P-256 certificate,
  # keep-alive connections, so the handshakes are few and the cost measured is the
  # record layer's) against the same plain GET, on a user-service started with
  # TLS_CERT_FILE; its probes answer on a plain management port.
  # The three (plain, jwt, HTTPS) alternate ROUNDS times, each on a user-service
  # started for it; both rows compare against the plain run of the same round.
  scenario get_user_auth "GET /api/v1/users/{id}, AUTH_MODE=jwt (HS256)" "the same GET, auth off" 0.90
  scenario get_user_tls "GET /api/v1/users/{id} over HTTPS" "the same GET, plain HTTP and auth off" 0.80
  local secret_file=$WORK/hs256.secret token m_port
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secret_file"
  token=$(hs256_token "$(<"$secret_file")" '{"sub":"bench","scope":"users:read","exp":'$(( $(date +%s) + 86400 ))'}')
  free_port m_port 18091
  make_tls_pair "$WORK/tls"
  for (( round = 1; round <= ROUNDS; round++ )); do
    start_service user-service
    CPU_PIDS=("${SVC_PID[user-service]}")
    run_wrk "get_user_auth-off-r$round" "$U" "$lua/get_user.lua" "$SEED_LO" "$SEED_HI" -- "$SEED_LO" "$SEED_HI"
    keep_round get_user_auth ref "$round"; keep_round get_user_tls ref "$round"
    stop_pid "${SVC_PID[user-service]}" 15

    start_service user-service AUTH_MODE=jwt "AUTH_HS256_SECRET_FILE=$secret_file"
    CPU_PIDS=("${SVC_PID[user-service]}")
    run_wrk "get_user_auth-jwt-r$round" "$U" "$lua/get_user_auth.lua" "$SEED_LO" "$SEED_HI" "$token" -- "$SEED_LO" "$SEED_HI" "$token"
    keep_round get_user_auth svc "$round"
    stop_pid "${SVC_PID[user-service]}" 15

    SVC_PROBE_PORT[user-service]=$m_port
    start_service user-service "TLS_CERT_FILE=$WORK/tls/cert.pem" "TLS_KEY_FILE=$WORK/tls/key.pem" "MANAGEMENT_PORT=$m_port"
    unset 'SVC_PROBE_PORT[user-service]'
    CPU_PIDS=("${SVC_PID[user-service]}")
    run_wrk "get_user_tls-https-r$round" "https://127.0.0.1:$u_port" "$lua/get_user.lua" "$SEED_LO" "$SEED_HI" -- "$SEED_LO" "$SEED_HI"
    keep_round get_user_tls svc "$round"
    stop_pid "${SVC_PID[user-service]}" 15
  done
  median_round get_user_auth; judge get_user_auth
  median_round get_user_tls; judge get_user_tls
}

# make_tls_pair DIR: a self-signed P-256 certificate for 127.0.0.1 (DIR/cert.pem,
# DIR/key.pem), for the HTTPS run.
make_tls_pair() {
  mkdir -p "$1"
  record_cmd openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "${1#"$ROOT"/}/key.pem" -out "${1#"$ROOT"/}/cert.pem"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$1/key.pem" -out "$1/cert.pem" >"$1/openssl.log" 2>&1 \
    || { cat "$1/openssl.log" >&2; die "openssl could not make the bench certificate"; }
}

# hs256_token SECRET PAYLOAD: a JWT signed with HS256 (openssl), for the auth run.
hs256_token() {
  local header payload signature
  b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
  header=$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | b64url)
  payload=$(printf '%s' "$2" | b64url)
  signature=$(printf '%s' "$header.$payload" | openssl dgst -sha256 -hmac "$1" -binary | b64url)
  echo "$header.$payload.$signature"
}

seed_main() {
  log "seeding $USERS users"
  seed_users 1 "$USERS"
}
