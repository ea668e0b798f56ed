#!/usr/bin/env bash
# Load test of the two hot paths against the release build, with wrk (Debian package `wrk`):
# an authenticated read (GET /api/user/profile) and a login (one argon2id verification each).
# Prints wrk's requests/s and latency percentiles, and the server's CPU time per request.
# Usage: cargo build --release && bash benches/http_load.sh   (DURATION=10s CONNECTIONS=32)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
. "$repo/benches/common.sh"
bin="${CARGO_TARGET_DIR:-$repo/target}/release/astro-auth"
duration="${DURATION:-10s}" connections="${CONNECTIONS:-32}" port=18777
work="$(mktemp -d)"
(cd "$work" && PORT=$port HOST=127.0.0.1 RUST_LOG=warn RATE_LIMIT_PER_MINUTE=100000000 \
  LOGIN_RATE_LIMIT_PER_15MIN=100000000 LOGIN_FAILURES_PER_ACCOUNT_15MIN=100000000 \
  MAIL_POLL_INTERVAL_MS=50 exec "$bin" > server.log 2>&1) &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
base="http://127.0.0.1:$port"
wait_for "$base/health"
access=$(verified_access_token "$base" "$work/data/mail" load@example.com loaduser 'Load-Test-Gate-4417!')
login='{"email":"load@example.com","password":"Load-Test-Gate-4417!"}'

cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }  # utime + stime, in clock ticks
ticks=$(getconf CLK_TCK)
run() {
  local name=$1; shift
  local before; before=$(cpu)
  local out; out=$(wrk --latency -t2 -c"$connections" -d"$duration" "$@")
  local after; after=$(cpu)
  local requests; requests=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "== $name"
  echo "$out" | grep -E 'Requests/sec|50%|90%|99%|Non-2xx'
  awk -v b="$before" -v a="$after" -v r="$requests" -v t="$ticks" \
    'BEGIN { printf "server CPU per request: %.1f us\n", (a - b) / t / r * 1e6 }'
}
run "GET /api/user/profile" -H "Authorization: Bearer $access" "$base/api/user/profile"
cat > "$work/login.lua" <<LUA
wrk.method = "POST"
wrk.body = '$login'
wrk.headers["Content-Type"] = "application/json"
LUA
run "POST /api/auth/login" -s "$work/login.lua" "$base/api/auth/login"
