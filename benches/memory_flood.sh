#!/usr/bin/env bash
# Memory under a login and registration flood, and under worst-case avatar uploads, against the
# release build (run by hand, not in CI; needs `wrk` and PostgreSQL).
#
# 1. The one-process binary (SQLite): RUNS back-to-back floods of DURATION at CONNECTIONS,
#    half logins and half registrations; idle RSS before, RSS and peak (VmHWM) after each run,
#    and RSS after 30 s idle.
# 2. The five binaries (PostgreSQL, mutual TLS on the loopback plane): the same for `auth-service`,
#    then UPLOADS rounds of 4 concurrent worst-case avatar uploads (the largest picture
#    accepted, 24 MP of 8-bit RGBA in a small PNG) and `user-service`'s peak.
#
# Usage: cargo build --release --workspace --bins && bash benches/memory_flood.sh
#        (DURATION=60s CONNECTIONS=64 RUNS=3 UPLOADS=5
#         BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
. "$repo/benches/common.sh"
bin="${CARGO_TARGET_DIR:-$repo/target}/release"
duration="${DURATION:-60s}" connections="${CONNECTIONS:-64}" runs="${RUNS:-3}" uploads="${UPLOADS:-5}"
server_url="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
password='Load-Test-Gate-4417!'
work="$(mktemp -d)"
pids=()
stop_all() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
trap 'stop_all; rm -rf "$work"' EXIT

# Unlimited rate limits: the flood is meant to reach the hashing threads.
export RUST_LOG=warn RATE_LIMIT_PER_MINUTE=100000000 LOGIN_RATE_LIMIT_PER_15MIN=100000000 \
  LOGIN_FAILURES_PER_ACCOUNT_15MIN=100000000 PASSWORD_RESET_RATE_LIMIT_PER_HOUR=100000000 \
  MAIL_POLL_INTERVAL_MS=200 ENVIRONMENT=development

# Half logins of one verified user, half registrations of new ones (unique per thread and run).
cat > "$work/flood.lua" <<LUA
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", string.format("%d%d", os.time(), threads))
end
local n = 0
local json = { ["Content-Type"] = "application/json" }
request = function()
  n = n + 1
  if n % 2 == 0 then
    local body = string.format('{"email":"f%sx%d@example.com","username":"f%sx%d","password":"$password"}', id, n, id, n)
    return wrk.format("POST", "/api/auth/register", json, body)
  end
  return wrk.format("POST", "/api/auth/login", json, '{"email":"flood@example.com","password":"$password"}')
end
LUA

# Floods `base` RUNS times and reports the memory of process `pid`, named `name`.
flood() {
  local name=$1 pid=$2 base=$3
  echo "== $name: login/register flood, $runs x $duration at c=$connections"
  echo "idle before: RSS $(mem_mb "$pid" VmRSS) MB"
  for run in $(seq "$runs"); do
    local out; out=$(wrk -t2 -c"$connections" -d"$duration" -s "$work/flood.lua" "$base")
    local rate; rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    echo "run $run: $rate requests/s; RSS $(mem_mb "$pid" VmRSS) MB, peak (VmHWM) $(mem_mb "$pid" VmHWM) MB"
  done
  sleep 30
  echo "after 30 s idle: RSS $(mem_mb "$pid" VmRSS) MB, peak $(mem_mb "$pid" VmHWM) MB"
}

# --- 1. the one-process binary -------------------------------------------------------------
mkdir -p "$work/one"
port=18778
(cd "$work/one" && PORT=$port HOST=127.0.0.1 exec "$bin/astro-auth" > server.log 2>&1) &
one=$!; pids+=("$one")
base="http://127.0.0.1:$port"
wait_for "$base/health"
verified_access_token "$base" "$work/one/data/mail" flood@example.com flooduser "$password" >/dev/null
flood "astro-auth (one process)" "$one" "$base"
stop_all

# --- 2. five processes -----------------------------------------------------------------------
database="astro_flood_$$"
psql "$server_url" -qc "CREATE DATABASE $database" >/dev/null
trap 'stop_all; psql "$server_url" -qc "DROP DATABASE IF EXISTS $database" >/dev/null; rm -rf "$work"' EXIT
export DATABASE_URL="${server_url%/*}/$database" MAIL_DIR="$work/five/mail" AVATAR_DIR="$work/five/avatars"
mkdir -p "$MAIL_DIR" "$AVATAR_DIR"
declare -A pid_of
port=18779
start_five_processes "$bin" "$work/five" "$DATABASE_URL" "$port"
base="http://127.0.0.1:$port"
access=$(verified_access_token "$base" "$MAIL_DIR" flood@example.com flooduser "$password")
flood "auth-service (five processes)" "${pid_of[auth-service]}" "$base"

# The largest picture the user service accepts, of one colour: 4896x4896 8-bit RGBA (24 MP,
# 91 MiB decoded) in a PNG of a few hundred KB.
python3 - "$work/worst.png" <<'PY'
import struct, sys, zlib
side = 4896
row = b"\0" + b"\x40\x80\xc0\xff" * side
data = zlib.compress(row * side, 9)
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0))
open(sys.argv[1], "wb").write(png + chunk(b"IDAT", data) + chunk(b"IEND", b""))
PY
user=${pid_of[user-service]}
echo "== user-service: $uploads rounds of 4 concurrent uploads of $(du -k "$work/worst.png" | cut -f1) KB, 24 MP PNGs"
echo "before: RSS $(mem_mb "$user" VmRSS) MB, peak $(mem_mb "$user" VmHWM) MB"
for round in $(seq "$uploads"); do
  uploading=()
  for _ in 1 2 3 4; do
    curl -sS -o /dev/null -w '%{http_code} ' -H "Authorization: Bearer $access" \
      -F "file=@$work/worst.png;type=image/png" "$base/api/user/upload-avatar" &
    uploading+=("$!")
  done
  wait "${uploading[@]}"
  echo "round $round: RSS $(mem_mb "$user" VmRSS) MB, peak $(mem_mb "$user" VmHWM) MB"
done
