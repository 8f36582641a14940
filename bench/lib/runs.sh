# shellcheck shell=bash
# bench/lib/runs.sh: wrk and pgbench runs (parsed into R_* variables) and the profiling of a missed target.
# Sourced by bench/run.sh (and bench/soak.sh); not run on its own.
# shellcheck disable=SC2034  # the globals set here are read by the other bench/lib files and bench/*.sh; shellcheck checks one file at a time

# --- runs ------------------------------------------------------------------------

mkdir_results() { RESULTS=$WORK/results; mkdir -p "$RESULTS"; }

# wrk_cmd DURATION URL SCRIPT [ARGS...]: the wrk command line in WRK_CMD. wrk's
# default 2 s timeout would drop a slower response from the latency histogram and
# count it as a socket error; with 10 s it stays in the histogram as what it was.
WRK_TIMEOUT=10s
wrk_cmd() {
  local d=$1 url=$2 script=$3; shift 3
  WRK_CMD=(wrk -t"$THREADS" -c"$CONNS" -d"${d}s" --timeout "$WRK_TIMEOUT" --latency)
  [[ -n $script ]] && WRK_CMD+=(-s "$script")
  WRK_CMD+=("$url")
  (( $# == 0 )) || WRK_CMD+=(-- "$@")
}

# wrk_figures FILE: reads a wrk --latency output into R_RPS R_REQS R_P50 R_P99 and
# R_ERRS (non-2xx/3xx + socket errors); a figure wrk did not print is left empty.
wrk_figures() {
  R_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$1")
  R_REQS=$(awk '/ requests in / { print $1 }' "$1")
  R_P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$1")")
  R_P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$1")")
  local non2xx sock
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$1")
  sock=$(awk -F'[ ,]+' '/Socket errors:/ { s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s }' "$1")
  R_ERRS=$(( ${non2xx:-0} + ${sock:-0} ))
}

# run_wrk LABEL URL SCRIPT WARM_ARGS -- RUN_ARGS: warm-up, then the measured run;
# sets R_RPS R_P50 R_P99 R_REQS R_ERRS (non-2xx/3xx + socket errors), R_CPU (cores
# used by the processes in CPU_PIDS during the run, if any), and what each request
# cost the whole machine (wrk, the service, PostgreSQL, anything else running):
# R_MACHINE_US busy CPU µs and R_MACHINE_CS context switches per request.
declare -a CPU_PIDS=() CPU_PIDS2=()
run_wrk() {
  local label=$1 url=$2 script=$3 dur=${RUN_DURATION:-$DURATION}; shift 3
  local -a warm_args=() run_args=()
  while (( $# )) && [[ $1 != -- ]]; do warm_args+=("$1"); shift; done
  (( $# )) && shift
  run_args=("$@")
  local out=$RESULTS/$label.wrk
  if (( WARMUP > 0 )); then
    wrk_cmd "$WARMUP" "$url" "$script" "${warm_args[@]}"
    "${WRK_CMD[@]}" >"$RESULTS/$label.warmup.wrk" 2>&1 || true
  fi
  wrk_cmd "$dur" "$url" "$script" "${run_args[@]}"
  record_cmd "${WRK_CMD[@]/#$ROOT\//}"
  local c0=0 c1 d0=0 d1 t0 t1
  (( ${#CPU_PIDS[@]} )) && c0=$(cpu_ticks "${CPU_PIDS[@]}")
  (( ${#CPU_PIDS2[@]} )) && d0=$(cpu_ticks "${CPU_PIDS2[@]}")
  local m0 m1
  read -r -a m0 <<<"$(machine_counters)"
  t0=$(now_us)
  "${WRK_CMD[@]}" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed ($label)"; }
  t1=$(now_us)
  read -r -a m1 <<<"$(machine_counters)"
  R_CPU2="—"
  if (( ${#CPU_PIDS2[@]} )); then
    d1=$(cpu_ticks "${CPU_PIDS2[@]}")
    R_CPU2=$(fmt '%.2f' "$(calc "($d1 - $d0) / $CLK_TCK / (($t1 - $t0) / 1000000)")")
  fi
  R_CPU="—"
  if (( ${#CPU_PIDS[@]} )); then
    c1=$(cpu_ticks "${CPU_PIDS[@]}")
    R_CPU=$(calc "($c1 - $c0) / $CLK_TCK / (($t1 - $t0) / 1000000)")
    R_CPU=$(fmt '%.2f' "$R_CPU")
  fi
  wrk_figures "$out"
  [[ -n $R_RPS && -n $R_REQS ]] || { cat "$out" >&2; die "could not parse wrk output ($label)"; }
  R_MACHINE_US="?"; R_MACHINE_CS="?"
  if (( R_REQS > 0 )); then
    R_MACHINE_US=$(fmt '%.1f' "$(calc "(${m1[0]} - ${m0[0]}) * 1000000 / $CLK_TCK / $R_REQS")")
    R_MACHINE_CS=$(fmt '%.2f' "$(calc "(${m1[1]} - ${m0[1]}) / $R_REQS")")
  fi
  log "$(printf '%-28s %10s req/s  p50 %7s ms  p99 %7s ms  errors %s' "$label" "$R_RPS" "$R_P50" "$R_P99" "$R_ERRS")"
}

# run_pgbench LABEL ARGS...: pgbench on database ${PGBENCH_DB:-bench}; sets R_RPS (tps without connection time), R_P50, R_P99
# (from pgbench's per-transaction log, corrected as wrk corrects its own), R_ERRS
# (failed + aborted), R_CPU "—".
run_pgbench() {
  local label=$1; shift
  local out=$RESULTS/$label.pgbench logdir=$RESULTS/$label.pglog
  rm -rf "$logdir"; mkdir -p "$logdir"
  local cmd=(pgbench -h 127.0.0.1 -p "$PGPORT" -U postgres -n "$@" -c"$CONNS" -j"$THREADS" -T"$DURATION"
             -l --log-prefix="$logdir/tx" "${PGBENCH_DB:-bench}")
  record_cmd "${cmd[@]/#$ROOT\//}"
  local status=0
  env -u PGSERVICE -u PGOPTIONS -u PGPASSWORD "$PG_BIN/${cmd[0]}" "${cmd[@]:1}" >"$out" 2>&1 || status=$?
  R_RPS=$(awk '/^tps = .*without initial connection time/ { print $3 }' "$out")
  [[ -n $R_RPS ]] || { cat "$out" >&2; die "could not parse pgbench output ($label)"; }
  R_RPS=$(fmt '%.2f' "$R_RPS")
  local failed
  failed=$(awk '/^number of failed transactions:/ { print $5 }' "$out")
  R_ERRS=$(( ${failed:-0} + (status != 0 ? 1 : 0) ))
  # Per-transaction log: client tx_no latency_us script epoch epoch_us. wrk (4.1)
  # corrects its latencies for coordinated omission: a response that took k mean
  # cycles also counts the requests a steady client would have sent meanwhile
  # (latency - cycle, latency - 2 cycles, ...). The same correction here, so that
  # both p99 columns mean the same thing: a few long stalls weigh as much in each.
  local cycle_us
  cycle_us=$(cat "$logdir"/tx.* | wc -l | awk -v c="$CONNS" -v d="$DURATION" \
    '$1 > 0 { printf "%d", d * 1000000 / ($1 / c) }')
  cat "$logdir"/tx.* | awk -v e="${cycle_us:-0}" '{
      print $3
      if (e > 0 && $3 >= 2 * e) for (m = $3 - e; m > e; m -= e) print m
    }' | sort -n >"$logdir/latencies-us"
  local n
  n=$(wc -l <"$logdir/latencies-us")
  if (( n > 0 )); then
    R_P50=$(awk -v n="$n" 'NR == int((n * 50 + 99) / 100) { printf "%.3f", $1 / 1000 }' "$logdir/latencies-us")
    R_P99=$(awk -v n="$n" 'NR == int((n * 99 + 99) / 100) { printf "%.3f", $1 / 1000 }' "$logdir/latencies-us")
  else
    R_P50="?"; R_P99="?"
  fi
  R_CPU="—"
  log "$(printf '%-28s %10s tps    p50 %7s ms  p99 %7s ms  errors %s' "$label" "$R_RPS" "$R_P50" "$R_P99" "$R_ERRS")"
}

# --- profiling of a missed target ---------------------------------------------------

declare -a PROFILE_NOTES=()
# profile_run LABEL NAME URL SCRIPT ARGS...: an 8 s wrk run on service NAME while
# top (processes, and the service's threads) and perf look at it.
profile_run() {
  (( PROFILE )) || return 0
  local label=$1 name=$2 url=$3 script=$4; shift 4
  local pid=${SVC_PID[$name]} pdir=$RESULTS/profile-$label
  mkdir -p "$pdir"
  log "profiling $name for $label (8 s)"
  wrk_cmd 8 "$url" "$script" "$@"
  "${WRK_CMD[@]}" >"$pdir/wrk.txt" 2>&1 &
  local wrk_pid=$!
  BG_PIDS+=("$wrk_pid")
  sleep 1
  top -b -n 2 -d 2 -w 200 >"$pdir/top.txt" 2>&1 &
  local top_pid=$!
  BG_PIDS+=("$top_pid")
  # CPU per thread name of the service over the same 2 s (from /proc/PID/task/*/stat).
  thread_ticks "$pid" >"$pdir/threads-0"
  sleep 2
  thread_ticks "$pid" >"$pdir/threads-1"
  awk -v hz="$CLK_TCK" 'NR == FNR { t0[$1] = $3; next }
    { d = $3 - t0[$1]; cores[$2] += d / hz / 2; n[$2]++ }
    END { for (c in n) printf "%-18s %3d threads  %5.2f cores\n", c, n[c], cores[c] }' \
    "$pdir/threads-0" "$pdir/threads-1" | sort -k4 -rn >"$pdir/threads.txt"
  wait "$top_pid" 2>/dev/null || true
  untrack "$top_pid"
  if command -v perf >/dev/null 2>&1; then
    perf stat -e task-clock,context-switches,cpu-migrations,page-faults -p "$pid" -- sleep 2 \
      >"$pdir/perf-stat.txt" 2>&1 || true
    # The system calls of the socket path, counted by their tracepoints over the
    # next 2 s (needs tracefs and the rights to it; nothing is reported without).
    local calls=recvfrom,recvmsg,read,sendmsg,sendto,writev,write,epoll_wait,epoll_ctl,futex
    perf stat -x, -e "syscalls:sys_enter_${calls//,/,syscalls:sys_enter_}" -p "$pid" -- sleep 2 \
      >"$pdir/perf-syscalls.txt" 2>&1 || true
  fi
  wait "$wrk_pid" 2>/dev/null || true
  untrack "$wrk_pid"
  if command -v perf >/dev/null 2>&1; then
    # A separate short run for the sampled call sites (perf record perturbs more).
    wrk_cmd 4 "$url" "$script" "$@"
    "${WRK_CMD[@]}" >/dev/null 2>&1 &
    wrk_pid=$!
    BG_PIDS+=("$wrk_pid")
    sleep 0.5
    perf record -q -e cpu-clock -F 499 -g -p "$pid" -o "$pdir/perf.data" -- sleep 3 >/dev/null 2>&1 || true
    wait "$wrk_pid" 2>/dev/null || true
    untrack "$wrk_pid"
    if [[ -s $pdir/perf.data ]]; then
      perf report -i "$pdir/perf.data" --stdio --no-children --sort comm,dso,sym -g none --percent-limit 1.5 \
        2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 25 | cut -c1-160 >"$pdir/perf-report.txt" || true
    fi
  fi
  PROFILE_NOTES+=("$label|$name|$pdir")
}

# thread_ticks PID: "tid name ticks" for every thread of PID.
thread_ticks() {
  local t stat name
  local -a fields
  for t in "/proc/$1/task"/*; do
    { read -r stat <"$t/stat"; } 2>/dev/null || continue
    name=${stat#*(}; name=${name%)*}; name=${name// /_}
    stat=${stat##*) }
    read -r -a fields <<<"$stat"
    echo "${t##*/} $name $(( fields[11] + fields[12] ))"
  done
}

# Snapshot of the process lines and the thread lines of a top batch file (the second
# frame: the first one averages since process start).
top_frame() {
  awk -v want="$2" '/^top - /{ f++ } f == 2 && /^ *[0-9]+ / { if (++n <= want) print }
                    f == 2 && /PID USER/ { print }' "$1"
}
