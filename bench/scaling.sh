#!/usr/bin/env bash
# scaling.sh: how user-service's throughput changes with replicas behind HAProxy,
# in one run on one machine (docs/SCALING.md). Starts deploy/cluster.sh (PgBouncer,
# Redis, HAProxy, two replicas of each service) with rate limits out of the way,
# then measures with wrk, each for SECONDS:
#   1. GET /api/v1/users/{id} straight to one replica (no HAProxy, no second replica)
#   2. the same through HAProxy, both replicas in rotation
#   3. the same through HAProxy with user-2 stopped (one replica)
#   4. POST /api/v1/users through HAProxy, both replicas, then one
#
#   bench/scaling.sh [SECONDS]        (default 10; needs wrk and a Release build)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_EACH=${1:-10}
DIR=$(mktemp -d /tmp/svc-scaling.XXXXXX)
CONNECTIONS=${CONNECTIONS:-16}

command -v wrk >/dev/null || { echo "scaling: wrk is not installed (make bench installs it)" >&2; exit 1; }
trap 'bash "$ROOT/deploy/cluster.sh" stop "$DIR" >/dev/null 2>&1; rm -rf "$DIR"' EXIT

RATE_LIMIT_RPS=1000000 RATE_LIMIT_BURST=1000000 LOG_LEVEL=warn \
  bash "$ROOT/deploy/cluster.sh" start "$DIR" 2>/dev/null
value() { sed -n "s/^$1=//p" "$DIR/env"; }
users=$(value USERS_URL)
replica=http://127.0.0.1:$(value USER_1_PORT)

for i in $(seq 1 100); do
  curl -s -o /dev/null -XPOST "$users/api/v1/users" -H 'content-type: application/json' \
    -d "{\"name\":\"Seed $i\",\"email\":\"seed$i@scaling.test\"}"
done

cat >"$DIR/get.lua" <<'EOF'
request = function() return wrk.format("GET", "/api/v1/users/" .. math.random(1, 100)) end
EOF
# Every wrk thread, in every run, its own e-mail addresses (a taken one is a 409).
cat >"$DIR/post.lua" <<'EOF'
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tag", os.time() .. "-" .. threads)
end
local n = 0
request = function()
  n = n + 1
  local body = '{"name":"Bench ' .. n .. '","email":"b' .. tag .. '-' .. n .. '@scaling.test"}'
  return wrk.format("POST", "/api/v1/users", {["Content-Type"] = "application/json"}, body)
end
EOF

# measure LABEL URL SCRIPT: one table row (req/s, p50, p99, non-2xx).
measure() {
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency -s "$3" "$2")
  printf '| %s | %s | %s | %s | %s |\n' "$1" \
    "$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" \
    "$(awk '$1 == "99%" {print $2}' <<<"$out")" \
    "$(awk '/Non-2xx/ {n = $NF} END {print n + 0}' <<<"$out")"
}

echo "| scenario ($(nproc) cores, wrk -t2 -c$CONNECTIONS, ${SECONDS_EACH}s each) | req/s | p50 | p99 | non-2xx |"
echo "|---|---:|---:|---:|---:|"
measure "GET by id, one replica, no HAProxy" "$replica" "$DIR/get.lua"
measure "GET by id, HAProxy, 2 replicas" "$users" "$DIR/get.lua"
measure "POST users, HAProxy, 2 replicas" "$users" "$DIR/post.lua"
bash "$ROOT/deploy/cluster.sh" kill "$DIR" user-2
sleep 1   # HAProxy's next check takes it out
sleep 1   # a new second: other e-mail addresses
measure "GET by id, HAProxy, 1 replica" "$users" "$DIR/get.lua"
measure "POST users, HAProxy, 1 replica" "$users" "$DIR/post.lua"
