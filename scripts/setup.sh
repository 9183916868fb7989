#!/usr/bin/env bash
# Installs what building and testing Glassbox needs, or says exactly what is missing.
# Usage: scripts/setup.sh [--browser]   (--browser: also Chromium, ChromeDriver and Playwright for tests)
# The build tools go into tools/ (ignored by git) at pinned versions, whatever else the machine has:
# every checkout builds with the same tools, and a clean clone (CI's) installs them as a new
# contributor's machine would, so CI's time is a fresh machine's.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/phase.sh
export PATH="$root/tools/bin:$root/tools/node_modules/.bin:$PATH"
# Tools built for what they do here, measured on 2 cores against a release install: trunk only
# orchestrates and rewrites files, so unoptimised it installs in 4 minutes instead of 19 and runs a
# build in the same time; wasm-bindgen-cli rewrites the 47 MB module, 6× slower unoptimised, so it
# gets opt-level 1 (2 minutes, and as fast as release). No debug info in either.
install_unoptimised() { CARGO_PROFILE_DEV_DEBUG=0 cargo install --root "$root/tools" --debug "$@"; }
install_at_opt1() {
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=0 cargo install --root "$root/tools" "$@"
}

say() { printf '[setup] %s\n' "$*"; }
need() { command -v "$1" >/dev/null 2>&1; }
missing() { printf '[setup] MISSING: %s\n' "$*" >&2; exit 1; }

need cargo || missing "Rust (cargo): install it with rustup (https://rustup.rs), then re-run"
need rustup || missing "rustup: needed to add the wasm32-unknown-unknown target"
need npm || missing "Node.js and npm: apt-get install -y nodejs npm"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli must match the wasm-bindgen crate exactly (Cargo.lock).
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if ! tools/bin/wasm-bindgen --version 2>/dev/null | grep -q " $bindgen_version\$"; then
  # --locked fails for this crate on current toolchains; its own lock is not needed.
  phase "installing wasm-bindgen-cli $bindgen_version into tools/" "about 2 minutes" \
    install_at_opt1 wasm-bindgen-cli --version "$bindgen_version"
fi

trunk_version=0.22.1
if ! tools/bin/trunk --version 2>/dev/null | grep -qx "trunk $trunk_version"; then
  phase "installing trunk $trunk_version into tools/" "about 4 minutes" \
    install_unoptimised trunk --version "$trunk_version" --locked --ignore-rust-version
fi

# wasm-opt from npm's binaryen 132: Debian's (108) silently breaks wasm-bindgen 0.2.130 output.
if ! tools/node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "version 132"; then
  say "installing binaryen 132 (wasm-opt) from npm into tools/"
  npm install --silent --no-audit --no-fund --prefix tools binaryen@132.0.0
fi

if [ "${1:-}" = "--browser" ]; then
  if ! need chromium || ! need chromedriver; then
    if [ "$(id -u)" = 0 ] && need apt-get; then
      say "installing chromium and chromium-driver"
      apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
    else
      missing "chromium and chromium-driver: sudo apt-get install -y chromium chromium-driver"
    fi
  fi
  if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/axe-core ]; then
    say "installing playwright-core (driving Debian's chromium; no browser download) and axe-core"
    (cd tests/e2e && npm ci --silent --no-audit --no-fund)
  fi
fi
say "ready (wasm-bindgen $bindgen_version, $(tools/bin/trunk --version), wasm-opt $(tools/node_modules/.bin/wasm-opt --version | awk '{print $3}'))"
