#!/usr/bin/env bash
# Builds the web app (release) and serves it at http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/tools/node_modules/.bin:$PATH" TRUNK_OFFLINE=true
cargo fetch --target wasm32-unknown-unknown
exec trunk serve "$@"
