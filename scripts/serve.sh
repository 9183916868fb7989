#!/usr/bin/env bash
# Builds the web app (release) and serves it at http://127.0.0.1:8080, compressed (Brotli or
# gzip, as the browser accepts) and with cache headers (scripts/static-server.mjs).
#   scripts/serve.sh [port]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/tools/node_modules/.bin:$PATH" TRUNK_OFFLINE=true
echo "== building the web app (trunk build; a first build compiles burn and wgpu for wasm32)"
cargo fetch --target wasm32-unknown-unknown
trunk build
echo "== compressing it for the wire"
node scripts/precompress.mjs dist
exec node scripts/static-server.mjs dist "${1:-8080}"
