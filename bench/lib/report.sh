# shellcheck shell=bash
# bench/lib/report.sh: the table of the main run: into docs/PERFORMANCE.md and on the terminal.
# Sourced by bench/run.sh (and bench/soak.sh); not run on its own.

# verdict VAR VALUE MAX: PASS or FAIL into VAR (and counts the misses).
verdict() {
  if le "$2" "$3"; then printf -v "$1" PASS; else printf -v "$1" FAIL; MISSES=$(( MISSES + 1 )); fi
}

write_main_doc() {
  local f=$WORK/doc-main.md id svc ref
  local uc=${SVC_COLD_MS[user-service]} oc=${SVC_COLD_MS[order-service]} uw=${SVC_WARM_MS[user-service]} ow=${SVC_WARM_MS[order-service]}
  local ui=${SVC_IDLE_KB[user-service]} oi=${SVC_IDLE_KB[order-service]}
  local v_get v_post v_warm v_cold v_idle v_peak
  local v_get_cpu v_get_cs
  verdict v_get "$GET_P99" 2
  verdict v_get_cpu "$GET_MACHINE_US" 80
  verdict v_get_cs "$GET_MACHINE_CS" 1.5
  verdict v_post "$POST_P99" 10
  verdict v_warm "$(( uw > ow ? uw : ow ))" 300
  verdict v_cold "$(( uc > oc ? uc : oc ))" 300
  verdict v_idle "$(( ui > oi ? ui : oi ))" $(( 24 * 1024 ))
  verdict v_peak "$(( USER_PEAK_KB > ORDER_PEAK_KB ? USER_PEAK_KB : ORDER_PEAK_KB ))" $(( 64 * 1024 ))
  {
    echo "## Latest run (\`make bench\`)"
    echo
    host_info
    echo "- client settings: wrk \`-t$THREADS -c$CONNS -d${DURATION}s --timeout $WRK_TIMEOUT --latency\` (after a ${WARMUP} s warm-up), pgbench \`-c$CONNS -j$THREADS -T$DURATION\`; $USERS seeded users; pgbench scale $PGBENCH_SCALE"
    echo "- service environment (nothing else; each in an empty working directory): \`${SERVICE_ENV[*]}\`, HTTP_HOST=127.0.0.1, a free port, DATABASE_URL of the cluster above; every other setting at its default (HTTP_THREADS=0: half the CPUs, at least 1, ...)"
    if [[ $DB_POOL == default ]]; then
      echo "- DB pool settings at their defaults (\`DB_POOL_MIN_IDLE\` 10, \`DB_POOL_MAX\` 100), as a user who does not tune runs the services"
    else
      echo "- DB pool set by \`BENCH_DB_POOL\`: \`DB_POOL_MIN_IDLE=$DB_POOL DB_POOL_MAX=$DB_POOL\` instead of the defaults 10 / 100"
    fi
    echo "- machine load at the start / end of the run (1-min load average): $LOAD_START / $(loadavg1). The \"load\" column is the 1-min load average and the busy share of all CPUs over the second before each scenario: other work on the machine (e.g. other builds) shows there."
    echo
    echo "| scenario | service req/s | reference | reference req/s | ratio | target | service p50 / p99 ms | reference p50 / p99 ms | errors svc / ref | CPU svc / ref | load | result |"
    echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
    for id in "${S_ORDER[@]}"; do
      svc=${S_SVC[$id]}; ref=${S_REFR[$id]}
      local tgt="≥ ${S_TARGET[$id]}" verdict="**${S_PASS[$id]}**${S_NOTE[$id]:+ (${S_NOTE[$id]})}"
      [[ $id == degraded ]] && tgt="$tgt, p99 ≤ 5 ms"
      [[ ${S_TARGET[$id]} == 0 ]] && { tgt="—"; verdict="information"; }
      echo "| \`${S_NAME[$id]}\` | $(field "$svc" 0) | ${S_REF[$id]} | $(field "$ref" 0) | ${S_RATIO[$id]} | $tgt | $(field "$svc" 1) / $(field "$svc" 2) | $(field "$ref" 1) / $(field "$ref" 2) | $(field "$svc" 3) / $(field "$ref" 3) | $(field "$svc" 4) / $(field "$ref" 4) | ${S_LOAD[$id]} | $verdict |"
    done
    echo
    echo "| measurement | user-service | order-service | target | result |"
    echo "|---|---:|---:|---:|---|"
    echo "| p99 of \`GET /api/v1/users/{id}\` at $CONNS connections | $GET_P99 ms | — | ≤ 2 ms | **$v_get** |"
    echo "| busy CPU of the whole machine per \`GET /api/v1/users/{id}\` (wrk, service, PostgreSQL; \`/proc/stat\` over the run) | $GET_MACHINE_US µs | — | ≤ 80 µs | **$v_get_cpu** |"
    echo "| context switches of the whole machine per \`GET /api/v1/users/{id}\` (same run) | $GET_MACHINE_CS | — | ≤ 1.5 | **$v_get_cs** |"
    echo "| p99 of \`POST /api/v1/users\` at $CONNS connections (fsync off) | $POST_P99 ms | — | ≤ 10 ms | **$v_post** |"
    echo "| exec → \`/health/ready\` 200, restart (schema present) | $uw ms | $ow ms | ≤ 300 ms | **$v_warm** |"
    echo "| exec → \`/health/ready\` 200, first start (empty database, migrations) | $uc ms | $oc ms | ≤ 300 ms | **$v_cold** |"
    echo "| idle RSS 2 s after the restart | $(kb_mb "$ui") MB | $(kb_mb "$oi") MB | ≤ 24 MB | **$v_idle** |"
    echo "| peak RSS over the runs (VmHWM / polled VmRSS) | $(kb_mb "$USER_PEAK_KB") MB | $(kb_mb "$ORDER_PEAK_KB") MB | ≤ 64 MB | **$v_peak** |"
    echo
    echo "Notes on this run:"
    echo
    echo "- \`GET /health/live\`: nginx answers the same body (\`$HEALTH_BODY\`) with the same \`Content-Type: $HEALTH_CTYPE\` (checked before the run)."
    echo "- Orders with \`user_validated\` true / all after the user-service-up run (warm-up included): $VALIDATED. user-service used $S_NOTE_USER_CPU cores during the order run (order-service's calls)."
    echo "- Breaker \`circuit_breaker_state{target=\"user-service\"}\` of order-service before / after the dead-user-service run: ${BREAKER_BEFORE:-?} / ${BREAKER_AFTER:-?} (2 = open). An order turned away by the open breaker is logged at info (not shown with LOG_LEVEL=warn); a failed call to user-service is a warning."
    [[ -z ${SEARCH_NOTE:-} ]] || echo "- \`GET /api/v1/users/{id}, a search running alongside\`: $SEARCH_NOTE."
    echo "- The two pgbench INSERT rows were measured separately, each right before its service run."
    for id in "${S_ORDER[@]}"; do
      [[ -n ${S_ROUND_RATIOS[$id]:-} ]] || continue
      echo "- \`${S_NAME[$id]}\`: reference and service alternated $ROUNDS times; ratios in the order run: ${S_ROUND_RATIOS[$id]}. The row is the round with the median ratio."
    done
    echo
    echo "### Commands (exact, in order)"
    echo
    commands_block
    echo
    echo "Raw outputs of this run: \`${RESULTS#"$ROOT"/}/\` (wrk, pgbench, profiles, service logs one level up; not committed)."
    if (( ${#PROFILE_NOTES[@]} )); then
      echo
      echo "### Profile pointers for the missed targets"
      echo
      echo "Taken on extra runs after the measured one (same wrk settings), so they did not perturb the table."
      local note label name pdir
      for note in "${PROFILE_NOTES[@]}"; do
        IFS='|' read -r label name pdir <<<"$note"
        echo
        echo "#### $label ($name)"
        echo
        echo "Where the CPU goes (\`top -b -d 2\`, second frame; top processes):"
        echo
        echo '```'
        top_frame "$pdir/top.txt" 8
        echo '```'
        echo
        echo "$name's CPU by thread name over 2 s (from \`/proc/PID/task/*/stat\`):"
        echo
        echo '```'
        cat "$pdir/threads.txt"
        echo '```'
        if [[ -s $pdir/perf-stat.txt ]]; then
          local rps cs
          rps=$(awk '/^Requests\/sec:/ { print $2 }' "$pdir/wrk.txt")
          cs=$(awk '/context-switches/ { gsub(",", "", $1); print $1 }' "$pdir/perf-stat.txt")
          echo
          echo "\`perf stat -p PID -- sleep 2\` during the run (that run: ${rps:-?} req/s$( [[ -n $rps && -n $cs ]] && printf ', so about %s context switches per request' "$(fmt '%.1f' "$(calc "$cs / ($rps * 2)")")")):"
          echo
          echo '```'
          grep -E 'task-clock|context-switches|cpu-migrations|page-faults|seconds time elapsed' "$pdir/perf-stat.txt" | sed 's/^ *//'
          echo '```'
          local per_request
          per_request=$(awk -F, -v rps="$rps" 'rps > 0 && $1 ~ /^[0-9]+$/ && $1 > 0 && $3 ~ /sys_enter_/ {
              name = $3; sub(/.*sys_enter_/, "", name)
              printf "%-12s %6.2f\n", name, $1 / (rps * 2) }' "$pdir/perf-syscalls.txt" 2>/dev/null)
          if [[ -n $per_request ]]; then
            echo
            echo "System calls per request over the next 2 s of the same run (\`perf stat -e 'syscalls:sys_enter_*'\`, divided by the run's req/s):"
            echo
            echo '```'
            echo "$per_request"
            echo '```'
          fi
        fi
        if [[ -s $pdir/perf-report.txt ]]; then
          echo
          echo "\`perf record -e cpu-clock -g -p PID -- sleep 3\`, \`perf report --no-children --sort comm,dso,sym\` (≥ 1.5 %):"
          echo
          echo '```'
          cat "$pdir/perf-report.txt"
          echo '```'
        fi
      done
    fi
    echo
  } >"$f"
  replace_block main "$f"
}

print_main_table() {
  local id svc ref
  printf '\n%-52s %11s %11s %6s %7s %17s %17s %s\n' scenario "svc req/s" "ref req/s" ratio target "svc p50/p99 ms" "ref p50/p99 ms" result
  for id in "${S_ORDER[@]}"; do
    svc=${S_SVC[$id]}; ref=${S_REFR[$id]}
    printf '%-52s %11s %11s %6s %7s %17s %17s %s\n' "${S_NAME[$id]}" "$(field "$svc" 0)" "$(field "$ref" 0)" \
      "${S_RATIO[$id]}" ">=${S_TARGET[$id]}" "$(field "$svc" 1)/$(field "$svc" 2)" "$(field "$ref" 1)/$(field "$ref" 2)" "${S_PASS[$id]}"
  done
  printf '\nGET user p99: %s ms (<= 2)   machine per GET: %s us busy CPU (<= 80), %s context switches (<= 1.5)\n' \
    "$GET_P99" "$GET_MACHINE_US" "$GET_MACHINE_CS"
  printf 'POST user p99: %s ms (<= 10)   ready (restart) user/order: %s/%s ms   first start: %s/%s ms (<= 300)\n' \
    "$POST_P99" "${SVC_WARM_MS[user-service]}" "${SVC_WARM_MS[order-service]}" "${SVC_COLD_MS[user-service]}" "${SVC_COLD_MS[order-service]}"
  printf 'RSS idle user/order: %s/%s MB (<= 24)   peak: %s/%s MB (<= 64)\n\n' \
    "$(kb_mb "${SVC_IDLE_KB[user-service]}")" "$(kb_mb "${SVC_IDLE_KB[order-service]}")" "$(kb_mb "$USER_PEAK_KB")" "$(kb_mb "$ORDER_PEAK_KB")"
}
