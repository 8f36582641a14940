#!/usr/bin/env bash
# run_examples.sh: runs every command of docs/EXAMPLES.md, in order, in one shell
# (set -euo pipefail: a command that fails fails the test), against both services
# as `make run`'s script (deploy/run-local.sh) starts them on the test cluster of
# the ctest fixture `postgres`; then checks that the answers the page describes
# came back.
#   usage: run_examples.sh REPO_ROOT BIN_DIR
set -euo pipefail

root=$1
bin_dir=$2
for tool in curl jq wrk; do
  command -v "$tool" >/dev/null || { echo "run_examples: $tool is missing (make deps installs it)" >&2; exit 1; }
done

fail() { echo "run_examples: FAIL: $*" >&2; exit 1; }

# shellcheck source=SCRIPTDIR/../deploy/run_local_services.sh
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/run_local_services.sh"
start_run_local "$root" "$bin_dir" DB_POOL_MAX=4
work=$(mktemp -d)
trap 'stop_run_local; rm -rf "$work"' EXIT
user_pid=$(sed -n 's/.*user-service  pid \([0-9]*\).*/\1/p' "$run_local_log" | head -n 1)
[[ -n $user_pid ]] || fail "no user-service pid in the script's output"

# The page's shell blocks, in order, as one script.
{
  echo 'set -euo pipefail'
  awk '/^```sh$/ { inside = 1; next } /^```$/ { inside = 0; next } inside' "$root/docs/EXAMPLES.md"
} >"$work/examples.sh"
[[ $(wc -l <"$work/examples.sh") -gt 20 ]] || fail "no shell blocks found in docs/EXAMPLES.md"

if ! USERS=http://127.0.0.1:$user_port ORDERS=http://127.0.0.1:$order_port USER_SERVICE_PID=$user_pid \
     bash "$work/examples.sh" >"$work/out.txt" 2>&1; then
  cat "$work/out.txt" >&2
  fail "a command of docs/EXAMPLES.md failed (output above)"
fi

# What the page says comes back.
expect() {
  grep -qiE -- "$1" "$work/out.txt" || { cat "$work/out.txt" >&2; fail "expected /$1/ in the output: $2"; }
}
expect '^HTTP/1.1 201' "a created user"
expect '"CONFLICT"' "a taken email"
expect '^HTTP/1.1 304' "If-None-Match with the current ETag"
expect '"PRECONDITION_FAILED"' "a stale If-Match"
expect '^idempotent-replayed: true' "an Idempotency-Key replay"
expect 'order status cannot change from pending to delivered' "the lifecycle's 409"
expect '^HTTP/1.1 204' "a delete"
expect '^ *[0-9]+ 429 retry-after=[0-9]+$' "429s with Retry-After from the rate limiter"
expect 'Requests/sec' "the wrk run"
expect '"user_check": "pending"' "an order taken while user-service is down"
expect '"user-service": "open"' "the breaker open in order-service's /health"
echo "run_examples: every command of docs/EXAMPLES.md ran, with the answers it describes"
