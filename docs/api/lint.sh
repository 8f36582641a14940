#!/usr/bin/env bash
# Lints the OpenAPI documents of both services with Redocly CLI (the version
# pinned in package.json / package-lock.json, rules in redocly.yaml). Exits
# non-zero on any lint error.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=SCRIPTDIR/ensure_tools.sh
source ensure_tools.sh
ensure_api_tools

node_modules/.bin/redocly lint --config redocly.yaml user-service.yaml order-service.yaml
