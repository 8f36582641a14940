#!/usr/bin/env bash
# compose.sh: `make docker-up` / `make docker-down`: both services, their
# databases and Prometheus (Grafana with --profile grafana) from
# deploy/docker-compose.yml, with whichever compose tool is installed: Docker's
# compose plugin, docker-compose, or podman-compose / `podman compose`. `make deps`
# installs none of them (a container runtime is the host's choice); without one
# this says what is missing and exits 1.
#   usage: compose.sh up|down [extra compose arguments]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
file=$here/docker-compose.yml

compose=()
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif command -v podman >/dev/null 2>&1 && podman compose version >/dev/null 2>&1; then
  compose=(podman compose)
elif command -v podman-compose >/dev/null 2>&1; then
  compose=(podman-compose)
fi
if (( ${#compose[@]} == 0 )); then
  echo "compose.sh: no compose tool: install Docker with its compose plugin (docker-compose-plugin)," \
       "docker-compose, or podman with podman-compose; make deps does not install a container runtime" >&2
  exit 1
fi

action=${1:-}
shift || true
case $action in
  up) exec "${compose[@]}" -f "$file" up --build -d "$@" ;;
  down) exec "${compose[@]}" -f "$file" down "$@" ;;
  *) echo "usage: compose.sh up|down [compose arguments]" >&2; exit 2 ;;
esac
