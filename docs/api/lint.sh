#!/usr/bin/env bash
# Lints the OpenAPI documents of both services with Redocly CLI (the version
# pinned in package.json / package-lock.json, rules in redocly.yaml). Exits
# non-zero on any lint error. Installs the tools with `npm ci` when they are
# missing or older than the lock file. Needs Node.js >= 20.19 and npm.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

redocly=node_modules/.bin/redocly
if [[ ! -x "$redocly" || package-lock.json -nt "$redocly" ]]; then
  npm ci --no-audit --no-fund
  # npm ci keeps the files' own dates: mark the install as newer than the lock.
  touch "$redocly"
fi

"$redocly" lint --config redocly.yaml user-service.yaml order-service.yaml
