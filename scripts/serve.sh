#!/usr/bin/env bash
# Builds the web app (release) and serves it at http://127.0.0.1:8080, compressed (Brotli or
# gzip, as the browser accepts) and with cache headers (scripts/static-server.mjs).
#   scripts/serve.sh [port]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/phase.sh
scripts/setup.sh
export PATH="$PWD/tools/bin:$PWD/tools/node_modules/.bin:$PATH" TRUNK_OFFLINE=true
cargo fetch --quiet --target wasm32-unknown-unknown
phase "building the web app (trunk build)" "about 15 minutes: burn and wgpu for wasm32; 2-3 after a change" \
  trunk build
phase "compressing it for the wire" "about a minute; skipped for unchanged files" \
  node scripts/precompress.mjs dist
exec node scripts/static-server.mjs dist "${1:-8080}"
