#!/usr/bin/env bash
# run_local_test.sh: `make run`'s script (deploy/run-local.sh) with DATABASE_URL set
# gives each service a database of its own on that server (users, orders), created
# when missing, so that both start and serve: an order is taken. Runs against the
# test cluster of the ctest fixture `postgres` (SVC_TEST_PG_ENV_FILE).
#   usage: run_local_test.sh REPO_ROOT BIN_DIR
set -euo pipefail

root=$1
bin_dir=$2
env_file=${SVC_TEST_PG_ENV_FILE:?run through ctest (fixture postgres)}
base_url=$(sed -n 's/^DATABASE_BASE_URL=//p' "$env_file")
[[ -n $base_url ]] || { echo "no DATABASE_BASE_URL in $env_file" >&2; exit 1; }

fail() { echo "run_local_test: FAIL: $*" >&2; exit 1; }

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

for db in users orders; do
  psql "$base_url/postgres" -XAtqc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
done

user_port=$(free_port)
order_port=$(free_port "$user_port")
log=$(mktemp)
# A database name in the URL that is neither: it names the server only.
DATABASE_URL="$base_url/postgres" USER_SERVICE_PORT=$user_port ORDER_SERVICE_PORT=$order_port \
  BIN_DIR=$bin_dir LOG_LEVEL=warn DB_POOL_MIN_IDLE=1 DB_POOL_MAX=2 setsid bash "$root/deploy/run-local.sh" >"$log" 2>&1 &
runner=$!
cleanup() {
  kill -TERM -- "-$runner" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/health/ready") == 200 ]]; }
for (( i = 0; i < 300; i++ )); do
  if ready "$user_port" && ready "$order_port"; then break; fi
  kill -0 "$runner" 2>/dev/null || { cat "$log" >&2; fail "run-local.sh ended before both services were ready"; }
  sleep 0.1
done
if ! ready "$user_port" || ! ready "$order_port"; then cat "$log" >&2; fail "the services did not become ready"; fi

grep -q "created database users" "$log" || { cat "$log" >&2; fail "database users was not created"; }
grep -q "created database orders" "$log" || { cat "$log" >&2; fail "database orders was not created"; }

user=$(curl -s -XPOST "http://127.0.0.1:$user_port/api/v1/users" -H 'Content-Type: application/json' \
  -d '{"name":"Run Local","email":"run.local@example.com"}')
user_id=$(sed -nE 's/.*"id":([0-9]+).*/\1/p' <<<"$user")
[[ -n $user_id ]] || fail "no user created: $user"
status=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "http://127.0.0.1:$order_port/api/v1/orders" \
  -H 'Content-Type: application/json' \
  -d "{\"user_id\":$user_id,\"product_name\":\"Widget\",\"quantity\":1,\"price\":2.50}")
[[ $status == 201 ]] || { cat "$log" >&2; fail "order-service answered $status to a new order"; }
echo "run_local_test: both services on their own databases; order taken"
