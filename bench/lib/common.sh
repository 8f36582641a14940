# shellcheck shell=bash
# bench/lib/common.sh: logging, background processes and the clean-up trap, small helpers.
# Sourced by bench/run.sh (and bench/soak.sh); not run on its own.
# shellcheck disable=SC2034  # the globals set here are read by the other bench/lib files and bench/*.sh; shellcheck checks one file at a time

# Log lines start with "$LOG_TAG: " (bench/run.sh: bench).
log() { printf '%s: %s\n' "${LOG_TAG:-bench}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${LOG_TAG:-bench}" "$*" >&2; exit 1; }

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
  local kb
  read_proc_kb kb "$1" "$2"
  [[ -z $kb ]] || echo "$kb"
}

# read_proc_kb VAR PID KEY: proc_kb into VAR, without a subshell ("" when absent):
# the RSS sampler runs through every measured run, and a fork there costs the
# service a core for a moment.
read_proc_kb() {
  local -n _kb=$1
  local key value _unit
  _kb=""
  [[ -r /proc/$2/status ]] || return 0
  { while read -r key value _unit; do
      [[ $key == "$3:" ]] && { _kb=$value; return 0; }
    done <"/proc/$2/status"; } 2>/dev/null
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
# machine_counters: "busy_ticks context_switches" of the whole machine so far, from
# /proc/stat (busy: user nice system irq softirq; idle, iowait and steal left out).
machine_counters() {
  awk '$1 == "cpu" { busy = $2 + $3 + $4 + $7 + $8 } $1 == "ctxt" { cs = $2 }
       END { printf "%d %d\n", busy, cs }' /proc/stat
}

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

# kB to MB with one decimal; le A B: true when A <= B (numbers, awk).
kb_mb() { fmt '%.1f' "$(calc "$1 / 1024")"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
