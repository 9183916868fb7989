#!/usr/bin/env bash
# Runs every test: native unit and end-to-end tests, then the web app in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
export PATH="$PWD/tools/node_modules/.bin:$PATH" TRUNK_OFFLINE=true

echo "== native: build and test (release profile, shared with the CLI build)"
cargo build --release --workspace --exclude glassbox-app --exclude glassbox-browser --bins
cargo test --release --workspace --exclude glassbox-app --exclude glassbox-browser

echo "== web: build with trunk"
cargo fetch --target wasm32-unknown-unknown
trunk build

echo "== web: end-to-end in headless Chromium"
node --test tests/e2e/
