# shellcheck shell=bash
# bench/lib/growth.sh: the cost-growth curve (bench/run.sh --growth).
# Sourced by bench/run.sh (and bench/soak.sh); not run on its own.
# shellcheck disable=SC2034  # the globals set here are read by the other bench/lib files and bench/*.sh; shellcheck checks one file at a time

# --- growth mode -----------------------------------------------------------------

run_growth() {
  local u_port
  free_port u_port 18081
  SVC_PORT["user-service"]=$u_port
  local U=http://127.0.0.1:$u_port lua=$BENCH_DIR/lua
  start_service user-service
  log "user-service ready in ${READY_MS} ms"
  start_sampler user-service
  CPU_PIDS=("${SVC_PID[user-service]}")
  local have=0 size f=$WORK/doc-growth.md rows=() explains=()
  for size in $GROWTH_SIZES; do
    if ! [[ $size =~ ^[0-9]+$ ]] || (( size <= have )); then
      die "BENCH_GROWTH_SIZES must be increasing whole numbers"
    fi
    log "growth: seeding users $(( have + 1 ))..$size"
    local t0 t1
    t0=$(now_us)
    seed_users $(( have + 1 )) "$size"
    t1=$(now_us)
    have=$size
    seeded_range
    local mid=$(( SEED_LO + (SEED_HI - SEED_LO) / 2 ))
    local seed_s
    seed_s=$(fmt '%.1f' "$(calc "($t1 - $t0) / 1000000")")
    RUN_DURATION=$GROWTH_DURATION
    growth_pair "growth-$size-get" "$U" "$lua/get_user.lua" "$SEED_LO" "$SEED_HI" -- "$SEED_LO" "$SEED_HI"
    local g=$R_PAIR
    growth_pair "growth-$size-list" "$U/api/v1/users?page=1&page_size=10" ""
    local l=$R_PAIR
    growth_pair "growth-$size-search" "$U" "$lua/search_users.lua" 1 "$size" -- 1 "$size"
    local s=$R_PAIR
    unset RUN_DURATION
    local ex=$RESULTS/growth-$size-explain.txt k
    k=$(( (size + 1) / 2 ))
    psql_db users -v "id=$mid" -v "search='%seed$k@%'" -f "$BENCH_DIR/sql/growth_explain.sql" >"$ex" 2>&1 \
      || { cat "$ex" >&2; die "EXPLAIN failed"; }
    local idx_find idx_page idx_search
    idx_find=$(index_use "$ex" "get by id")
    idx_page=$(index_use "$ex" "first list page")
    idx_search=$(index_use "$ex" "selective search")
    rows+=("$size|$seed_s|$g|$l|$s|$idx_find|$idx_page|$idx_search")
    explains+=("$size|$ex")
  done
  local peak
  peak=$(peak_kb user-service)
  {
    echo "Measured by \`bench/run.sh --growth\`:"
    echo
    host_info
    echo "- per endpoint and size, two wrk runs of ${GROWTH_DURATION} s (\`--timeout $WRK_TIMEOUT --latency\`), each after a ${WARMUP} s warm-up: \`-t1 -c1\` (one request at a time: what one request costs, the p50 the target is about) and \`-t$THREADS -c$CONNS\` (under load: on $(nproc) cores the $CONNS connections also queue behind each other and behind PostgreSQL); user-service with \`${SERVICE_ENV[*]}\`; peak RSS of user-service over the whole growth run: $(kb_mb "$peak") MB"
    echo "- machine load (1-min load average) at the start / end: $LOAD_START / $(loadavg1)"
    echo "- endpoints: get-by-id = \`GET /api/v1/users/{id}\` (random seeded id); first list page = \`GET /api/v1/users?page=1&page_size=10\` (total + page, one prepared statement); selective search = \`GET /api/v1/users?page=1&page_size=10&search=seed<k>%40\` (random k, one match)"
    echo
    echo "p50 and p99 in ms; \"1 conn\" is the p50 at one connection, \"$CONNS conns\" p50 / p99 and req/s at $CONNS connections."
    echo
    echo "| users | seed time s | get-by-id 1 conn | $CONNS conns | req/s | first page 1 conn | $CONNS conns | req/s | search 1 conn | $CONNS conns | req/s | p50 ≤ 10 ms at 1 conn | at $CONNS conns | index use: get / first page / search |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|"
    local r size seed_s i1 i2 i3 ok1 okn
    local g1 gp50 gp99 grps gerr l1 lp50 lp99 lrps lerr s1 sp50 sp99 srps serr
    for r in "${rows[@]}"; do
      IFS='|' read -r size seed_s g1 gp50 gp99 grps gerr l1 lp50 lp99 lrps lerr s1 sp50 sp99 srps serr \
        i1 i2 i3 <<<"$r"
      ok1=PASS okn=PASS
      for v in "$g1" "$l1" "$s1"; do le "$v" 10 || ok1=FAIL; done
      for v in "$gp50" "$lp50" "$sp50"; do le "$v" 10 || okn=FAIL; done
      (( gerr + lerr + serr == 0 )) || ok1="FAIL (errors $gerr/$lerr/$serr)"
      [[ $ok1 == PASS ]] || MISSES=$(( MISSES + 1 ))
      echo "| $size | $seed_s | $g1 | $gp50 / $gp99 | $grps | $l1 | $lp50 / $lp99 | $lrps | $s1 | $sp50 / $sp99 | $srps | **$ok1** | $okn | $i1 / $i2 / $i3 |"
    done
    echo
    echo "The verdict is the first of the two columns: the p50 of one request at a time is what a request costs at that size. At $CONNS connections on $(nproc) cores a request also waits for the others; that column is shown, not judged."
    echo
    echo "\"index\" means the plan finds its rows through an index condition (Index Cond, Bitmap Index Scan); \"index order only\" that it walks an index for its order and checks every row with a filter (cheap for a first page, a full walk for a selective search); \"seq scan\" that it reads a whole table (the few rows of \`live_row_counts\`, where a first page reads its total, do not count); \"counters\" that the total came from \`live_row_counts\`; \"N rows filtered\" counts the rows read and thrown away. get-by-id is the service's prepared statement after five executions (a pooled connection may switch to the generic plan from then on); the first page is the prepared statement users_page after five executions; a search is one statement, sent with its values; see \`bench/sql/growth_explain.sql\`."
    local e ex
    for e in "${explains[@]}"; do
      IFS='|' read -r size ex <<<"$e"
      echo
      echo "<details><summary>EXPLAIN (ANALYZE, BUFFERS) at $size users</summary>"
      echo
      echo '```'
      cat "$ex"
      echo '```'
      echo
      echo "</details>"
    done
    echo
    echo "Commands:"
    echo
    commands_block
  } >"$f"
  replace_block growth "$f"
  printf '\n'
  awk '/^\| users/,/^$/' "$f"
}

# growth_pair LABEL URL SCRIPT [WARM-ARGS] -- [ARGS]: run_wrk at one connection, then at
# the configured ones; R_PAIR="p50 at 1|p50|p99|req/s|errors at CONNS" (errors of both).
growth_pair() {
  run_wrk_one_connection "$1-c1" "${@:2}"
  local p50_one=$R_P50 errs_one=$R_ERRS
  run_wrk "$@"
  R_PAIR="$p50_one|$R_P50|$R_P99|$R_RPS|$(( R_ERRS + errs_one ))"
}

run_wrk_one_connection() {
  local THREADS=1 CONNS=1  # seen by run_wrk (bash scoping is dynamic)
  run_wrk "$@"
}

# index_use FILE HEADING: how one EXPLAIN reads the table: "index" (an index condition:
# Index Cond, or a Bitmap Index Scan), "index order only" (an index walked for its
# order, every row checked by a filter), "seq scan"; plus the rows a filter threw away.
index_use() {
  awk -v h="### $2" '
    index($0, h) == 1 { on = 1; next }
    /^### / { on = 0 }
    on && (/Index Cond:/ || /Bitmap Index Scan/) { cond = 1 }
    on && /(Index Scan|Index Only Scan)/ { walk = 1 }
    on && /Seq Scan on live_row_counts/ { counters = 1; next }
    on && /Seq Scan/ { seq = 1 }
    on && /Rows Removed by Filter:/ { removed += $NF }
    END {
      r = cond ? "index" : (walk ? "index order only" : "")
      if (seq) r = (r == "" ? "seq scan" : r " + seq scan")
      if (counters) r = r " + counters"
      if (r == "") r = "?"
      if (removed > 0) r = r sprintf(", %d rows filtered", removed)
      print r
    }' "$1"
}
