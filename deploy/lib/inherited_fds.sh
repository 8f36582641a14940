# shellcheck shell=bash
# deploy/lib/inherited_fds.sh: sourced first by the scripts that start a daemon
# (deploy/local-postgres.sh, deploy/local-pgbouncer.sh); not run on its own.
#
# Closes every descriptor above 2 inherited from the caller (a test binary's
# sockets, say), so that the daemon started afterwards does not hold them open for
# its whole life. The descriptors bash reads the sourcing scripts (and this file)
# from stay open.
close_inherited_fds() {
  local fd n src target
  local -a sources=()
  for src in "${BASH_SOURCE[@]}"; do
    sources+=("$(readlink -f "$src")")
  done
  for fd in "/proc/$$/fd"/*; do
    n=${fd##*/}
    [[ $n =~ ^[0-9]+$ ]] || continue
    (( n > 2 )) || continue
    target=$(readlink "$fd" 2>/dev/null) || continue
    for src in "${sources[@]}"; do
      [[ $target == "$src" ]] && continue 2
    done
    eval "exec $n>&-" 2>/dev/null || true
  done
}
