#!/usr/bin/env bash
# bench/instructions.sh: user-space instructions per request of user-service,
# counted by valgrind's callgrind (`make bench-instructions`). Not part of `make test`.
#
# Why a second harness: `make bench` measures req/s against references in the same
# run, which needs a quiet machine. An instruction count does not move with the
# machine's load (other builds, other tests), so it tells whether a change made
# the request path cheaper even where no quiet minute is to be had. It says
# nothing of system calls, context switches or waiting: `make bench` does.
#
# What it does: a Release build in build-bench/ (as make bench), a throwaway
# PostgreSQL, user-service under callgrind with instrumentation off, 100 users
# created, then per scenario a warm-up, instrumentation on for a wrk run
# (-t1 -c4), off again, and the count divided by the requests the service's own
# http_requests_total says it served. callgrind runs the service about 50 times
# slower: a few thousand requests per scenario.
#
# Settings (environment): INSTR_DURATION=10 (seconds per scenario),
# INSTR_WORK_DIR=build-bench/instructions (logs, callgrind outputs; emptied),
# JOBS=$(nproc). Prints one line per scenario; callgrind_annotate on the kept
# output files shows where the instructions go.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
WORK=${INSTR_WORK_DIR:-$ROOT/build-bench/instructions}
DURATION=${INSTR_DURATION:-10}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
PORT=18381
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || { echo "instructions: INSTR_DURATION must be a positive whole number" >&2; exit 2; }
for t in valgrind callgrind_control callgrind_annotate wrk curl; do
  command -v "$t" >/dev/null 2>&1 || { echo "instructions: missing $t (valgrind, wrk, curl)" >&2; exit 1; }
done

log() { printf 'instructions: %s\n' "$*" >&2; }
SVC_PID=""
cleanup() {
  [[ -n $SVC_PID ]] && kill "$SVC_PID" 2>/dev/null && wait "$SVC_PID" 2>/dev/null
  bash "$ROOT/deploy/local-postgres.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$WORK"
mkdir -p "$WORK"
log "release build in build-bench/ (jobs: $JOBS)"
cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >"$WORK/configure.log"
cmake --build "$ROOT/build-bench" -j"$JOBS" --target user-service >"$WORK/build.log"
BASE_URL=$(bash "$ROOT/deploy/local-postgres.sh" start "$WORK/pg" | tail -n 1)

log "user-service under callgrind (instrumentation off until measured)"
env -i PATH=/usr/bin:/bin HTTP_HOST=127.0.0.1 "HTTP_PORT=$PORT" "DATABASE_URL=$BASE_URL/users" \
  LOG_LEVEL=warn RATE_LIMIT_RPS=1000000 RATE_LIMIT_BURST=1000000 DB_POOL_MIN_IDLE=4 DB_POOL_MAX=4 \
  valgrind --tool=callgrind --instr-atstart=no "--callgrind-out-file=$WORK/callgrind.%p" \
  "$ROOT/build-bench/bin/user-service" >"$WORK/service.log" 2>&1 &
SVC_PID=$!
for (( i = 0; i < 600; i++ )); do
  curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  kill -0 "$SVC_PID" 2>/dev/null || { tail -n 20 "$WORK/service.log" >&2; exit 1; }
  sleep 0.1
done
for (( i = 1; i <= 100; i++ )); do
  curl -sf -o /dev/null -XPOST "http://127.0.0.1:$PORT/api/v1/users" -H 'Content-Type: application/json' \
    -d "{\"name\":\"user $i\",\"email\":\"user$i@example.com\"}"
done
cat >"$WORK/get_user.lua" <<'EOF'
request = function() return wrk.format("GET", "/api/v1/users/" .. math.random(1, 100)) end
EOF
cat >"$WORK/health.lua" <<'EOF'
request = function() return wrk.format("GET", "/health/live") end
EOF
cp "$ROOT/bench/lua/post_user.lua" "$WORK/post_user.lua"  # a unique email per request

served() {   # requests of route $1 the service counted
  curl -fsS "http://127.0.0.1:$PORT/metrics" | awk -v r="route=\"$1\"" 'index($0, "http_requests_total{") == 1 && index($0, r) { s += $2 } END { print s + 0 }'
}

DUMPS=0
# measure NAME ROUTE LUA
measure() {
  local before after total out
  wrk -t1 -c4 -d2s -s "$WORK/$3" "http://127.0.0.1:$PORT" >/dev/null
  before=$(served "$2")
  callgrind_control -z "$SVC_PID" >/dev/null 2>&1
  callgrind_control -i on "$SVC_PID" >/dev/null 2>&1
  wrk -t1 -c4 -d"${DURATION}s" -s "$WORK/$3" "http://127.0.0.1:$PORT" >"$WORK/$1.wrk"
  callgrind_control -i off "$SVC_PID" >/dev/null 2>&1
  after=$(served "$2")
  out=$WORK/callgrind.$1
  callgrind_control --dump="$1" "$SVC_PID" >/dev/null 2>&1
  sleep 1
  DUMPS=$(( DUMPS + 1 ))  # callgrind numbers its dumps 1, 2, ...
  mv "$WORK/callgrind.$SVC_PID.$DUMPS" "$out"
  total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
  (( after > before )) || { log "$1: no request counted"; exit 1; }
  printf '%-22s %8d requests %10d instructions per request   (%s)\n' "$1" $(( after - before )) \
    $(( total / (after - before) )) "${out#"$ROOT"/}"
}

log "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown); ${DURATION} s per scenario"
measure get_user '/api/v1/users/{id}' get_user.lua
measure health_live /health/live health.lua
measure post_user /api/v1/users post_user.lua
