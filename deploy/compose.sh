#!/usr/bin/env bash
# compose.sh: `make docker-up` / `make docker-down`: both services, their
# databases and Prometheus (Grafana with --profile grafana) from
# deploy/docker-compose.yml, with whichever compose tool is installed: Docker's
# compose plugin, docker-compose, or podman-compose / `podman compose`. `make deps`
# installs none of them (a container runtime is the host's choice); without one
# this says what is missing and exits 1.
# `up` first writes the secret files the compose file mounts (deploy/.secrets/,
# random database passwords) unless they exist.
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

# The secret files docker-compose.yml mounts: written once, with random
# passwords, unless they exist (then their contents are left as they are).
# Compose without swarm bind-mounts a file secret with the host file's owner and
# mode, and the services run as uid 10001 (the PostgreSQL image reads its password
# file as user postgres): a 0600 file is unreadable in the container (seen with
# podman-compose, 2026-12-06: "cannot read /run/secrets/...: Permission denied").
# So the files are 0644, and the directory (0700) is what keeps other host users out.
write_secrets() {
  local dir=$here/.secrets db password
  mkdir -p "$dir"
  chmod 700 "$dir"
  for db in users orders; do
    [[ -s $dir/$db-db-password ]] || openssl rand -hex 16 | tr -d '\n' >"$dir/$db-db-password"
    if [[ ! -s $dir/$db-database-url ]]; then
      password=$(<"$dir/$db-db-password")
      printf 'postgresql://%s:%s@%s-db:5432/%s' "$db" "$password" "$db" "$db" >"$dir/$db-database-url"
    fi
    chmod 644 "$dir/$db-db-password" "$dir/$db-database-url"
  done
}

action=${1:-}
shift || true
case $action in
  up) write_secrets; exec "${compose[@]}" -f "$file" up --build -d "$@" ;;
  down) exec "${compose[@]}" -f "$file" down "$@" ;;
  *) echo "usage: compose.sh up|down [compose arguments]" >&2; exit 2 ;;
esac
