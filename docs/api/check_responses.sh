#!/usr/bin/env bash
# Checks the responses the end-to-end suites recorded (one JSON line per
# exchange, tests/support/http_client.cpp) against both services' OpenAPI documents:
# see check_responses.mjs. usage: check_responses.sh RECORDED.jsonl
# Exits 77 (skipped) when RECORDED does not exist.
set -euo pipefail

if [[ ! -f "$1" ]]; then
  echo "nothing recorded at $1 (no end-to-end suite ran): nothing to check" >&2
  exit 77  # ctest: skipped
fi
recorded=$(realpath "$1")
cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=SCRIPTDIR/ensure_tools.sh
source ensure_tools.sh
ensure_api_tools

bundles=$(mktemp -d)
trap 'rm -rf "$bundles"' EXIT
for doc in user-service order-service; do
  node_modules/.bin/redocly bundle "$doc.yaml" --dereferenced --output "$bundles/$doc.json" >/dev/null 2>&1 ||
    node_modules/.bin/redocly bundle "$doc.yaml" --dereferenced --output "$bundles/$doc.json"
done
node check_responses.mjs "$recorded" "$bundles/user-service.json" "$bundles/order-service.json"
