#!/usr/bin/env bash
# dev-loop.sh: `make dev`: builds, starts both services as `make run` does, and
# whenever a source file or a shipped .ini changes, rebuilds and starts them
# again (Debian's `entr`; installed here when missing, as `make deps` installs
# packages). A build that fails leaves the services stopped until the next save
# fixes it. Ctrl-C stops everything. Settings: as for `make run` (see
# deploy/run-local.sh), e.g. `LOG_FORMAT=text make dev`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if ! command -v entr >/dev/null 2>&1; then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "dev-loop: entr is missing and there is no sudo: install entr" >&2; exit 1; }
    sudo=sudo
  fi
  echo "dev-loop: installing entr"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q entr
fi

watched() {
  find actors config domain http observability persistence resilience runtime security services cmake \
       \( -name '*.cpp' -o -name '*.hpp' -o -name '*.ipp' -o -name '*.ini' -o -name 'CMakeLists.txt' \) -print
  echo CMakeLists.txt
}

# entr -r: restart the command on a change; -d: also end when a file is added to a
# watched directory, so that the loop below watches the new file too; -n without
# a terminal (entr would refuse to start).
flags=(-d -r)
{ : </dev/tty; } 2>/dev/null || flags+=(-n)
# entr runs in the background so that a TERM to this script (not only Ctrl-C to
# the whole terminal) reaches it, and through it the services.
entr_pid=""
trap '[[ -n $entr_pid ]] && kill -TERM "$entr_pid" 2>/dev/null; wait; exit 0' TERM INT
while true; do
  watched | entr "${flags[@]}" bash -c "make build && exec bash deploy/run-local.sh" &
  entr_pid=$!
  set +e
  wait "$entr_pid"
  status=$?
  set -e
  # 2: a new file (-d) -> watch again; anything else ends the loop.
  (( status == 2 )) || exit "$status"
done
