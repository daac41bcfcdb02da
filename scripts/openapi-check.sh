#!/bin/sh
# Regenerates the OpenAPI document into a temporary file and fails when it differs from the
# committed openapi.json (run `npm run openapi` and commit the result to fix).
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
npm run -s openapi -- "$tmp"
if ! diff -u openapi.json "$tmp"; then
  echo "openapi.json is out of date: run 'npm run openapi' and commit the result." >&2
  exit 1
fi
echo "openapi.json is up to date."
