# shellcheck shell=bash
# bench/lib/soak_report.sh: the verdict and the tables of bench/soak.sh.
# Sourced by bench/soak.sh after common.sh, setup.sh and doc.sh; not run on its own.
# shellcheck disable=SC2034  # the globals set here are read by the other bench/lib files and bench/*.sh; shellcheck checks one file at a time

SOAK_BEGIN='<!-- reliability:soak:begin -->'
SOAK_END='<!-- reliability:soak:end -->'
declare -A M_REQ=() M_RPS=() M_P50=() M_P99=() M_2XX=() M_3XX=() M_4XX=() M_4XX_EXP=() M_5XX=() \
           M_NONE=() M_UNEXP=() M_SOCK=() M_SOCKN=()
declare -A B=() E=()   # after warm-up / end values: B[u_rss], E[o_fds], ...
declare -a FAILS=() WARNS=()

# Sum of http_requests_total with a 5xx status in a service's /metrics ("?" if gone).
server_5xx() {
  curl -fsS --max-time 5 "http://127.0.0.1:$1/metrics" 2>/dev/null \
    | awk '/^http_requests_total\{/ && /status="5/ { s += $NF } END { printf "%d", s }' || echo "?"
}

log_levels() {   # "N warn, M error" lines in a service log
  awk '/"level":"warn"/ { w++ } /"level":"error"/ { e++ } END { printf "%d warn, %d error", w, e }' "$1" 2>/dev/null
}

# parse_wrk MIX FILE: the wrk summary and the soak| lines of one mix into M_*[MIX].
parse_wrk() {
  local mix=$1 f=$2
  M_RPS[$mix]=$(awk '/^Requests\/sec:/ { print $2 }' "$f")
  M_P50[$mix]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$f")")
  M_P99[$mix]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$f")")
  M_SOCK[$mix]=$(awk '/Socket errors:/ { sub(/^ *Socket errors: */, ""); print }' "$f")
  M_SOCKN[$mix]=$(awk -F'[ ,]+' '/Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i }
                                 END { printf "%d", s }' "$f")
  local line
  line=$(awk -F'|' '$1 == "soak" {
      c = substr($4, 1, 1); n += $5
      if (c == "2") a += $5; else if (c == "3") b += $5; else if (c == "4") { d += $5; if ($6 == "expected") de += $5 }
      else if (c == "5") f5 += $5; else none += $5
      if ($6 != "expected" && c != "5") u += $5
    } END { printf "%d %d %d %d %d %d %d %d", n, a, b, d, de, f5, none, u }' "$f")
  read -r "M_REQ[$mix]" "M_2XX[$mix]" "M_3XX[$mix]" "M_4XX[$mix]" "M_4XX_EXP[$mix]" "M_5XX[$mix]" "M_NONE[$mix]" "M_UNEXP[$mix]" <<<"$line"
  { [[ -n ${M_RPS[$mix]} ]] && (( M_REQ[$mix] > 0 )); } || die "no result in $f"
}

# window COLUMN FIRST|LAST: the highest value of COLUMN over the first WINDOW samples
# from the end of the warm-up on, or over the last WINDOW samples.
window() {
  awk -v col="$1" -v which="$2" -v warm="$WARM" -v k="$WINDOW" '
    /^#/ || $1 < warm { next }
    { v[++n] = $col }
    END {
      lo = (which == "first") ? 1 : n - k + 1; hi = (which == "first") ? k : n
      if (lo < 1) lo = 1
      for (i = lo; i <= hi && i <= n; i++) if (m == "" || v[i] + 0 > m + 0) m = v[i]
      print m
    }' "$SAMPLES"
}

# shellcheck disable=SC2153  # RESULTS is set by bench/soak.sh, not a misspelling of a local
soak_verdict() {
  parse_wrk users "$RESULTS/users.wrk"
  parse_wrk orders "$RESULTS/orders.wrk"
  local c i=2 n
  for c in u_rss u_fds u_thr o_rss o_fds o_thr db_u db_o; do
    B[$c]=$(window "$i" first); E[$c]=$(window "$i" last); i=$(( i + 1 ))
  done
  n=$(awk '!/^#/ && $1 >= w' w="$WARM" "$SAMPLES" | wc -l)
  (( n >= 2 * WINDOW )) || FAILS+=("only $n samples after the warm-up (need $(( 2 * WINDOW )))")
  [[ -z ${DIED:-} ]] || FAILS+=("died during the load:$DIED")
  local mix svc p
  for mix in users orders; do
    (( M_5XX[$mix] == 0 )) || FAILS+=("${M_5XX[$mix]} 5xx responses in the $mix mix")
    (( M_SOCKN[$mix] + M_NONE[$mix] == 0 )) \
      || FAILS+=("$mix mix: ${M_NONE[$mix]} requests without a response; wrk socket errors: ${M_SOCK[$mix]:-none}")
    (( M_UNEXP[$mix] == 0 )) || WARNS+=("${M_UNEXP[$mix]} unexpected non-5xx statuses in the $mix mix (see the table)")
  done
  [[ $U5XX == 0 ]] || FAILS+=("user-service counted $U5XX 5xx responses in http_requests_total")
  [[ $O5XX == 0 ]] || FAILS+=("order-service counted $O5XX 5xx responses in http_requests_total")
  for p in u o; do
    svc=$([[ $p == u ]] && echo user-service || echo order-service)
    le "${E[${p}_rss]}" "$(calc "${B[${p}_rss]} * $RSS_MAX_GROWTH")" \
      || FAILS+=("$svc RSS grew from $(kb_mb "${B[${p}_rss]}") to $(kb_mb "${E[${p}_rss]}") MB (more than x$RSS_MAX_GROWTH)")
    (( E[${p}_fds] - B[${p}_fds] <= FD_SLACK )) \
      || FAILS+=("$svc open descriptors grew from ${B[${p}_fds]} to ${E[${p}_fds]} (more than +$FD_SLACK)")
  done
  OK_5XX=no; OK_CONN=no; OK_RSS=no; OK_FDS=no
  [[ ${M_5XX[users]}${M_5XX[orders]}$U5XX$O5XX == 0000 ]] && OK_5XX=ok
  (( M_SOCKN[users] + M_NONE[users] + M_SOCKN[orders] + M_NONE[orders] == 0 )) && OK_CONN=ok
  [[ "${FAILS[*]}" == *" RSS grew "* ]] || OK_RSS=ok
  [[ "${FAILS[*]}" == *" open descriptors grew "* ]] || OK_FDS=ok
  [[ $U_LOGS$O_LOGS != *[1-9]*" error"* ]] || WARNS+=("error lines in the service logs: user-service $U_LOGS, order-service $O_LOGS")
  if (( ${#FAILS[@]} )); then RESULT="FAIL"
  elif (( ${#WARNS[@]} )); then RESULT="PASS (with warnings)"
  else RESULT="PASS"; fi
}

grow() {   # grow FROM TO: "FROM → TO (×R)" in MB for kB values
  echo "$(kb_mb "$1") → $(kb_mb "$2") (×$(fmt '%.3f' "$(calc "($1 > 0) ? $2 / $1 : 0")"))"
}
delta() { echo "$1 → $2 ($(printf '%+d' $(( $2 - $1 ))))"; }
mark() { if [[ $1 == ok ]]; then echo "**PASS**"; else echo "**FAIL**"; fi; }

soak_table() {
  local mix svc
  echo "Last run of \`make soak\` (\`bench/soak.sh\`; not part of \`make test\`): **$RESULT**"
  echo
  host_info
  echo "- load: ${SECS} s; two wrk processes, $CONNS connections each (one per wrk thread), every connection pausing $PAUSE_MS ms before each request: \`bench/lua/soak_users.lua\` on user-service (create, read, list, search, update with \`If-Match\`, a stale \`If-Match\`, delete, read a deleted user) and \`bench/lua/soak_orders.lua\` on order-service (create with user-service up, \`Idempotency-Key\` and its replay, read, list, search, update with \`If-Match\`, a stale \`If-Match\`); $USERS seeded users"
  echo "- services: \`${SERVICE_ENV[*]}\`, every other setting at its default; each in an empty working directory, on loopback, against a throwaway PostgreSQL ${PG_VERSION:-?} (deploy/local-postgres.sh)"
  echo "- warm-up: the first $WARM s are not judged; a sample every $SAMPLE s; \"after warm-up\" is the highest of the first $WINDOW samples from $WARM s on, \"end\" the highest of the last $WINDOW samples"
  echo "- machine load (1-min load average) at the start / end: $LOAD_START / $(loadavg1); niceness of the run (services and wrk included): $(nice)"
  echo
  echo "| mix | requests | req/s | p50 / p99 ms | 2xx | 3xx | 4xx (of which expected) | 5xx | no response / socket errors | unexpected statuses |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for mix in users orders; do
    echo "| $mix → $([[ $mix == users ]] && echo user-service || echo order-service) | ${M_REQ[$mix]} | ${M_RPS[$mix]} | ${M_P50[$mix]} / ${M_P99[$mix]} | ${M_2XX[$mix]} | ${M_3XX[$mix]} | ${M_4XX[$mix]} (${M_4XX_EXP[$mix]}) | ${M_5XX[$mix]} | ${M_NONE[$mix]} / ${M_SOCKN[$mix]} | ${M_UNEXP[$mix]} |"
  done
  echo
  echo "| criterion | user-service | order-service | limit | result |"
  echo "|---|---:|---:|---:|---|"
  echo "| 5xx: counted by the client / in the service's \`http_requests_total\` | ${M_5XX[users]} / $U5XX | ${M_5XX[orders]} / $O5XX | 0 | $(mark "$OK_5XX") |"
  echo "| broken connections, timeouts, requests without a response | $(( M_SOCKN[users] + M_NONE[users] )) | $(( M_SOCKN[orders] + M_NONE[orders] )) | 0 | $(mark "$OK_CONN") |"
  echo "| RSS MB, after warm-up → end | $(grow "${B[u_rss]}" "${E[u_rss]}") | $(grow "${B[o_rss]}" "${E[o_rss]}") | ≤ ×$RSS_MAX_GROWTH | $(mark "$OK_RSS") |"
  echo "| open descriptors, after warm-up → end | $(delta "${B[u_fds]}" "${E[u_fds]}") | $(delta "${B[o_fds]}" "${E[o_fds]}") | ≤ +$FD_SLACK | $(mark "$OK_FDS") |"
  echo "| threads, after warm-up → end | $(delta "${B[u_thr]}" "${E[u_thr]}") | $(delta "${B[o_thr]}" "${E[o_thr]}") | reported | — |"
  echo "| PostgreSQL backends of its database, after warm-up → end | $(delta "${B[db_u]}" "${E[db_u]}") | $(delta "${B[db_o]}" "${E[db_o]}") | reported | — |"
  echo "| CPU used during the load (cores) | $U_CPU | $O_CPU | reported | — |"
  echo "| service log lines (LOG_LEVEL=warn) | $U_LOGS | $O_LOGS | reported | — |"
  echo "| still running at the end | $([[ ${DIED:-} == *user-service* ]] && echo no || echo yes) | $([[ ${DIED:-} == *order-service* ]] && echo no || echo yes) | yes | $(mark "$([[ -z ${DIED:-} ]] && echo ok)") |"
  local f
  if (( ${#FAILS[@]} + ${#WARNS[@]} )); then
    echo
    for f in "${FAILS[@]}"; do echo "- **failed**: $f"; done
    for f in "${WARNS[@]}"; do echo "- warning: $f"; done
  fi
  echo
  echo "Requests by operation and status (a status the mix does not expect is in bold; \"none\": no response):"
  echo
  echo "| mix | operation | statuses |"
  echo "|---|---|---|"
  cat "$RESULTS/users.wrk" "$RESULTS/orders.wrk" | awk -F'|' '$1 == "soak" {
      k = $2 "|" $3; t = $4 ": " $5; if ($6 != "expected") t = "**" t "**"
      if (k in s) s[k] = s[k] ", " t; else { order[++n] = k; s[k] = t }
    } END { for (i = 1; i <= n; i++) { split(order[i], p, "|"); printf "| %s | %s | %s |\n", p[1], p[2], s[order[i]] } }'
  echo
  echo "Samples (RSS MB / open descriptors / threads; PostgreSQL backends of users / orders):"
  echo
  echo "| t s | user-service | order-service | backends |"
  echo "|---:|---:|---:|---:|"
  # about ten rows: a step of a tenth of the run, in whole samples; and the last one
  local step=$(( (SECS / 10 + SAMPLE - 1) / SAMPLE * SAMPLE )) last
  last=$(tail -n 1 "$SAMPLES" | cut -d' ' -f1)
  awk -v step="$step" -v sample="$SAMPLE" -v last="$last" '!/^#/ && ($1 % step < sample || NR == 2 || $1 == last) {
      printf "| %d | %.1f / %d / %d | %.1f / %d / %d | %s / %s |\n", $1, $2/1024, $3, $4, $5/1024, $6, $7, $8, $9 }' "$SAMPLES"
  echo
  echo "Commands (raw outputs and every sample in \`${RESULTS#"$ROOT"/}/\`, service logs one level up; not committed):"
  echo
  commands_block
}

soak_print() {
  printf '\n'
  awk '/^\| mix \| requests/,/^$/' "$WORK/doc-soak.md"
  awk '/^\| criterion/,/^$/' "$WORK/doc-soak.md"
  local f
  for f in "${FAILS[@]}"; do printf 'FAILED: %s\n' "$f"; done
  for f in "${WARNS[@]}"; do printf 'warning: %s\n' "$f"; done
  printf 'result: %s\n\n' "$RESULT"
}
