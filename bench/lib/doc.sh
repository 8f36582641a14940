# shellcheck shell=bash
# bench/lib/doc.sh: the machine description and the marked blocks of docs/PERFORMANCE.md.
# Sourced by bench/run.sh (and bench/soak.sh); not run on its own.

# --- document --------------------------------------------------------------------

host_info() {
  local cpu
  cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
  [[ -n $cpu ]] || cpu=$(lscpu 2>/dev/null | awk -F': *' '/Model name/ { print $2; exit }')
  local mem
  mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  local head dirty=""
  head=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
  git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || dirty=" plus uncommitted changes in the working tree"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "- \`uname -a\`: \`$(uname -a)\`"
  echo "- \`nproc\`: $(nproc); CPU: ${cpu:-unknown}; memory: $mem"
  echo "- source: commit \`$head\`$dirty (the build is of the working tree as it was)"
  echo "- PostgreSQL ${PG_VERSION:-?} (deploy/local-postgres.sh: fsync=off, synchronous_commit=off, shared_buffers=128MB);" \
       "$("$PG_BIN/pgbench" --version 2>&1 | head -n 1); $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }')${NGINX_VERSION:+; $NGINX_VERSION}"
}

commands_block() {
  echo '```sh'
  local c
  for c in "${COMMANDS[@]}"; do echo "$c"; done
  echo '```'
}

# replace_block NAME FILE: puts FILE between the markers <!-- bench:NAME:begin/end -->
# of the doc (created from the template when missing; other text is kept).
replace_block() {
  local name=$1 file=$2
  local begin="<!-- bench:$name:begin -->" end="<!-- bench:$name:end -->"
  mkdir -p "$(dirname "$DOC")"
  [[ -f $DOC ]] || doc_template >"$DOC"
  if ! grep -qF "$begin" "$DOC" || ! grep -qF "$end" "$DOC"; then
    printf '\n%s\n%s\n' "$begin" "$end" >>"$DOC"
  fi
  splice_block "$DOC" "$begin" "$end" "$file"
}

# splice_block DOC BEGIN END FILE: replaces the lines between the marker lines BEGIN
# and END of DOC (both present) with FILE; the rest of DOC is kept as it is.
splice_block() {
  local doc=$1 begin=$2 end=$3 file=$4 tmp
  tmp=$(mktemp "$doc.XXXXXX")
  awk -v begin="$begin" -v end="$end" -v file="$file" '
    $0 == begin { print; while ((getline line < file) > 0) print line; skip = 1; next }
    $0 == end   { skip = 0 }
    !skip       { print }' "$doc" >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$doc"
}

doc_template() {
  cat <<'EOF'
# Performance

The figures here are produced by `make bench` (`bench/run.sh`): a Release build, a
throwaway PostgreSQL, both services on loopback, and for every scenario a
**reference measured in the same run** right before the service, with the same
client settings, so that the ratios compare like with like even on a busy or slow
machine. Absolute req/s depend on the machine; the ratios and the latency targets
are what the targets are about. `bench/run.sh --growth` adds the cost-growth curve.
The harness is not part of `make test`.

How to read the table: *ratio* = service req/s ÷ reference req/s; *p50/p99* are wrk's
latency distribution (`--latency`) for the service and pgbench's per-transaction
log for the pgbench references. wrk corrects its distribution for coordinated
omission (a response that took k mean request cycles also counts k − 1 requests a
steady client would have sent meanwhile), so one 300 ms stall among 50 000 requests
moves its p99; the pgbench log goes through the same correction, so the two p99
columns compare. *errors* are non-2xx responses plus socket errors
(a run with errors fails). *CPU* is the cores the measured process used during the
run (service, or nginx's master and workers). The client (wrk or pgbench), the
service and PostgreSQL share the same cores: that is the same for the reference.

<!-- bench:main:begin -->
<!-- bench:main:end -->

## Cost growth (`bench/run.sh --growth`)

<!-- bench:growth:begin -->
Not measured yet: run `bench/run.sh --growth` (or `make bench BENCH_ARGS=--growth`).
<!-- bench:growth:end -->

## What changed each figure and why

Newest first. Each entry: the date, the change (commit or PR), which figures moved
and by how much, and why (a profile, an EXPLAIN, a reasoning) — so that a later
reader can tell a real improvement from noise.

### baseline
First run of the harness on the code as it stood; nothing changed yet. The figures
are those of the first "Latest run" committed with this file.
EOF
}
