#!/usr/bin/env bash
# run_fuzzer.sh: one timed libFuzzer run with the repository's seeds, then a
# one-line summary. Used by `make fuzz` and by the short ctest runs in build-fuzz.
#
#   run_fuzzer.sh [--scratch] FUZZER SRC_DIR OUT_DIR SECONDS [libFuzzer flags...]
#
#   FUZZER   the fuzz target executable; its file name is the target's name
#   SRC_DIR  tests/fuzz: seeds in corpus/<name>/ (read only), optional <name>.dict
#   OUT_DIR  corpus/<name>/ gets the inputs libFuzzer adds (kept between runs unless
#            --scratch empties it first), artifacts/<name>-crash-* a crashing input,
#            logs/<name>.log the full output
#
# Exit status: libFuzzer's (0 when no crash, no leak, no broken invariant, no timeout).
set -uo pipefail

scratch=0
if [[ "${1:-}" == "--scratch" ]]; then
  scratch=1
  shift
fi
if [[ $# -lt 4 ]]; then
  echo "usage: $0 [--scratch] FUZZER SRC_DIR OUT_DIR SECONDS [libFuzzer flags...]" >&2
  exit 2
fi
fuzzer=$1 src=$2 out=$3 seconds=$4
shift 4
name=$(basename "$fuzzer")
seeds="$src/corpus/$name"
corpus="$out/corpus/$name"
log="$out/logs/$name.log"

[[ -x "$fuzzer" ]] || { echo "$name: no executable $fuzzer (make build-fuzz)" >&2; exit 2; }
[[ -d "$seeds" ]] || { echo "$name: no seed corpus $seeds" >&2; exit 2; }
if [[ $scratch -eq 1 ]]; then
  rm -rf "$corpus"
fi
mkdir -p "$corpus" "$out/artifacts" "$out/logs"

flags=(-max_total_time="$seconds" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048
       -artifact_prefix="$out/artifacts/$name-")
[[ -f "$src/$name.dict" ]] && flags+=(-dict="$src/$name.dict")

# New inputs go to the first directory only: the seeds in the repository stay as they are.
"$fuzzer" "${flags[@]}" "$@" "$corpus" "$seeds" >"$log" 2>&1
status=$?

# The last status line reads "#12345  DONE  cov: 812 ft: 2210 corp: 301/18Kb ...".
last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
field() { sed -nE "s/.* $1: ([^ ]+).*/\\1/p" <<<"$last"; }
execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -n 1)
added=$(sed -nE 's/^stat::new_units_added: *([0-9]+).*/\1/p' "$log" | tail -n 1)
files=$(find "$corpus" -type f | wc -l)
result=ok
[[ $status -ne 0 ]] && result="FAILED(exit $status)"

printf '%-20s %s  %ss  execs=%s  exec/s=%s  cov=%s  ft=%s  corp=%s  new=%s  corpus-files=%s\n' \
  "$name" "$result" "$seconds" "${execs:-?}" "${rate:-?}" "$(field cov)" "$(field ft)" "$(field corp)" \
  "${added:-?}" "$files"
if [[ $status -ne 0 ]]; then
  artifact=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -n 1)
  echo "  log: $log"
  [[ -n "$artifact" ]] && echo "  input: $artifact  (replay: $fuzzer $artifact)"
  grep -E '^==[0-9]+==ERROR|^\*\*\* invariant|^    detail: |runtime error:|^SUMMARY' "$log" | head -n 12 | cut -c1-300 | sed 's/^/  /'
fi
exit $status
