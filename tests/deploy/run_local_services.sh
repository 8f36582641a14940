# shellcheck shell=bash
# Sourced by tests that need both services as `make run` starts them
# (deploy/run-local.sh), on the test cluster of the ctest fixture `postgres`:
#
#   source run_local_services.sh
#   start_run_local REPO_ROOT BIN_DIR [VAR=value ...]   # extra settings for the services
#
# sets user_port, order_port, runner (the script's pid, leading its own process
# group) and run_local_log, drops and lets the script create the databases
# users and orders, and stops everything when the shell exits. The caller
# defines fail().

# A port nothing listens on, below the kernel's ephemeral range (32768 up), where
# the services' own outgoing connections (to PostgreSQL) could take it meanwhile;
# never $1.
free_port() {
  local p
  for (( p = 20000 + RANDOM % 12000; ; p = 20000 + (p - 19999) % 12000 )); do
    [[ $p != "${1:-}" ]] || continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

service_ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/health/ready") == 200 ]]; }

stop_run_local() {
  kill -TERM -- "-$runner" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true
  rm -f "$run_local_log"
}

start_run_local() {
  local root=$1 bin_dir=$2 env_file base_url db i
  shift 2
  env_file=${SVC_TEST_PG_ENV_FILE:?run through ctest (fixture postgres)}
  base_url=$(sed -n 's/^DATABASE_BASE_URL=//p' "$env_file")
  [[ -n $base_url ]] || fail "no DATABASE_BASE_URL in $env_file"
  for db in users orders; do
    psql "$base_url/postgres" -XAtqc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  done
  user_port=$(free_port)
  order_port=$(free_port "$user_port")
  run_local_log=$(mktemp)
  # A database name in the URL that is neither: it names the server only.
  env DATABASE_URL="$base_url/postgres" USER_SERVICE_PORT="$user_port" ORDER_SERVICE_PORT="$order_port" \
    BIN_DIR="$bin_dir" LOG_LEVEL=warn DB_POOL_MIN_IDLE=1 DB_POOL_MAX=2 "$@" \
    setsid bash "$root/deploy/run-local.sh" >"$run_local_log" 2>&1 &
  runner=$!
  trap stop_run_local EXIT
  for (( i = 0; i < 300; i++ )); do
    if service_ready "$user_port" && service_ready "$order_port"; then return; fi
    kill -0 "$runner" 2>/dev/null || { cat "$run_local_log" >&2; fail "run-local.sh ended before both services were ready"; }
    sleep 0.1
  done
  cat "$run_local_log" >&2
  fail "the services did not become ready"
}
