# shellcheck shell=bash
# Sourced by the scripts here: installs the npm tools pinned in package-lock.json
# (Redocly's CLI, Ajv) with `npm ci` when they are missing or older than the lock
# file. Needs Node.js >= 20.19 and npm; run from this directory.
ensure_api_tools() {
  local stamp=node_modules/.installed
  if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" || ! -x node_modules/.bin/redocly ]]; then
    npm ci --no-audit --no-fund
    # npm ci keeps the files' own dates: mark the install as newer than the lock.
    touch "$stamp"
  fi
}
