#!/usr/bin/env bash
# run_local_test.sh: `make run`'s script (deploy/run-local.sh) with DATABASE_URL set
# gives each service a database of its own on that server (users, orders), created
# when missing, so that both start and serve: an order is taken. Runs against the
# test cluster of the ctest fixture `postgres` (SVC_TEST_PG_ENV_FILE).
#   usage: run_local_test.sh REPO_ROOT BIN_DIR
set -euo pipefail

root=$1
bin_dir=$2

fail() { echo "run_local_test: FAIL: $*" >&2; exit 1; }

# shellcheck source=SCRIPTDIR/run_local_services.sh
source "$(dirname "${BASH_SOURCE[0]}")/run_local_services.sh"
start_run_local "$root" "$bin_dir"
log=$run_local_log

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
