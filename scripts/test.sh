#!/usr/bin/env bash
# Runs every test: native unit and end-to-end tests, then the web app in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/phase.sh
scripts/setup.sh --browser
export PATH="$PWD/tools/bin:$PWD/tools/node_modules/.bin:$PATH" TRUNK_OFFLINE=true

phase "native: build (release profile, shared with the CLI)" "about 6 minutes" \
  cargo build --release --workspace --exclude glassbox-app --exclude glassbox-browser --bins
phase "native: unit and end-to-end tests" "about 2 minutes" \
  cargo test --release --workspace --exclude glassbox-app --exclude glassbox-browser

cargo fetch --quiet --target wasm32-unknown-unknown
phase "web: build with trunk" "about 15 minutes: burn and wgpu for wasm32; 2-3 after a change" \
  trunk build

phase "web: end-to-end in headless Chromium" "about 15 minutes" \
  node --test tests/e2e/
