#!/usr/bin/env bash
# cmake/tidy.sh BUILD_DIR JOBS FILE...: clang-tidy with the repository's .clang-tidy on
# each FILE (repository-relative .cpp files), through run-clang-tidy and
# BUILD_DIR/compile_commands.json (no build needed: the project's own sources include
# no generated header). Headers of the repository are checked as they are included.
#
# Prints every finding once (file:line:col: message [check]) and fails if there is
# one, except in the files matching a glob of TIDY_PENDING (environment, space
# separated, e.g. 'runtime/* actors/users_actor.*'): those findings are printed
# under their own heading and do not fail (files being rewritten elsewhere; the list
# is meant to be emptied). The whole run-clang-tidy output is kept in
# BUILD_DIR/tidy.log.
#
# Environment: CLANG_TIDY (clang-tidy), RUN_CLANG_TIDY (run-clang-tidy),
# TIDY_PENDING (empty).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
build=$1 jobs=$2
shift 2
clang_tidy=${CLANG_TIDY:-clang-tidy}
run_clang_tidy=${RUN_CLANG_TIDY:-run-clang-tidy}

for tool in "$clang_tidy" "$run_clang_tidy"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "tidy: $tool is missing (make deps)" >&2; exit 1; }
done
[[ -f $build/compile_commands.json ]] || { echo "tidy: no $build/compile_commands.json" >&2; exit 1; }
(( $# > 0 )) || { echo "tidy: no file to check" >&2; exit 1; }

# run-clang-tidy takes regular expressions on the database's (absolute) file names;
# a file the database lacks would be skipped without a word.
regexes=() unknown=()
for f in "$@"; do
  grep -qF "\"file\": \"$root/$f\"" "$build/compile_commands.json" || unknown+=("$f")
  regexes+=("^${root//./\\.}/${f//./\\.}\$")
done
if (( ${#unknown[@]} )); then
  echo "tidy: not in $build/compile_commands.json (not built by this configuration?):" >&2
  printf '  %s\n' "${unknown[@]}" >&2
  exit 1
fi
# Diagnostics in any header under the repository root, not in the build directory.
header_filter="^${root//./\\.}/[a-z_]+/"

log=$build/tidy.log
started=$SECONDS
rc=0
# run-clang-tidy 14 always asks for colours: they are taken out of the log.
"$run_clang_tidy" -quiet -p "$build" -j "$jobs" -clang-tidy-binary "$(command -v "$clang_tidy")" \
  -header-filter "$header_filter" "${regexes[@]}" 2>&1 | sed -E 's/\x1b\[[0-9;]*m//g' >"$log" \
  || rc=$?
elapsed=$(( SECONDS - started ))

# One line per finding, repository-relative, each once (a header's finding comes
# once per file that includes it).
mapfile -t findings < <(sed -nE "s#^${root}/(.+:[0-9]+:[0-9]+: (warning|error): .*)\$#\1#p" "$log" \
                          | sed -E 's/,-warnings-as-errors\]$/]/' | sort -u)

read -r -a pending_globs <<<"${TIDY_PENDING:-}"
is_pending() {
  local file=$1 glob
  for glob in "${pending_globs[@]}"; do
    # shellcheck disable=SC2053  # $glob is a pattern on purpose
    [[ $file == $glob ]] && return 0
  done
  return 1
}

failing=() pending=()
for line in "${findings[@]}"; do
  if is_pending "${line%%:*}"; then pending+=("$line"); else failing+=("$line"); fi
done

if (( ${#pending[@]} )); then
  echo "tidy: ${#pending[@]} finding(s) in files listed in TIDY_PENDING (not failing):"
  printf '  %s\n' "${pending[@]}"
fi
if (( ${#failing[@]} )); then
  echo "tidy: ${#failing[@]} finding(s):"
  printf '  %s\n' "${failing[@]}"
  echo "tidy: failed ($# files, ${elapsed} s, -j$jobs; details in $log)" >&2
  exit 1
fi
if (( rc != 0 && ${#findings[@]} == 0 )); then
  tail -n 20 "$log" >&2
  echo "tidy: run-clang-tidy failed without a finding (see $log)" >&2
  exit 1
fi
echo "tidy: $# files, no finding outside TIDY_PENDING (${elapsed} s, -j$jobs)"
