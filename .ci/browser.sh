#!/usr/bin/env bash
# CI: the example Astro site's browser journey (examples/astro/tests) in Debian's Chromium,
# driven by Playwright against the debug backend. Idempotent: installs what is missing, builds
# what is stale, and leaves screenshots and traces of failed tests under
# examples/astro/test-results/artifacts. ASTRO_AUTH_BIN=<path> tests that binary instead of
# building the debug one (e.g. a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
mkdir -p "$CARGO_TARGET_DIR" 2>/dev/null || export CARGO_TARGET_DIR="$repo/target"

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "== installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

if [ -n "${ASTRO_AUTH_BIN:-}" ]; then
  echo "== backend under test: $ASTRO_AUTH_BIN (given; no cargo build)"
else
  echo "== cargo build -p astro-auth (the backend under test)"
  cargo build -p astro-auth
  ASTRO_AUTH_BIN="$CARGO_TARGET_DIR/debug/astro-auth"
  export ASTRO_AUTH_BIN
fi

cd examples/astro
export ASTRO_TELEMETRY_DISABLED=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# npm ci starts from an empty node_modules: only when the lock file changed since the last one.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat node_modules/.ci-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.ci-lock-hash
fi
echo "== astro build"
npm run --silent build >/dev/null

echo "== playwright (artefacts of failures: $PWD/test-results/artifacts)"
rm -rf test-results
start=$(date +%s)
status=0
npx playwright test || status=$?
echo "== browser journey: exit $status in $(( $(date +%s) - start )) s; artefacts in $PWD/test-results"
exit "$status"
