#!/usr/bin/env bash
# CI: the example Astro site's browser journey (examples/astro/tests) in Debian's Chromium,
# driven by Playwright against the debug backend. Idempotent: installs what is missing, builds
# what is stale, and leaves screenshots and traces of failed tests under
# examples/astro/test-results/artifacts.
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

echo "== cargo build -p astro-auth (the backend under test)"
# The executable cargo reports for this checkout (target/debug/deps/astro_auth-<hash>), not the
# shared target/debug/astro-auth that a build of another checkout may overwrite.
ASTRO_AUTH_BIN="$(cargo build -p astro-auth --message-format=json-render-diagnostics | node -e '
  let exe = "";
  require("readline").createInterface({ input: process.stdin }).on("line", (line) => {
    const m = JSON.parse(line);
    if (m.reason === "compiler-artifact" && m.target.name === "astro-auth" && m.executable) exe = m.executable;
  }).on("close", () => { if (!exe) process.exit(1); console.log(exe); });')"
export ASTRO_AUTH_BIN
echo "backend binary: $ASTRO_AUTH_BIN"

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
