#!/usr/bin/env bash
# Instructions per authenticated profile read (GET /api/user/profile), counted by callgrind:
# the one-process release binary on SQLite beside limit_probe (the floor: axum + an HS256 check
# + one SQLite point read; ../shared/peer-bench/limit_probe) on the same database and token.
# Unlike CPU time, an instruction count is the same from run to run whatever else the machine
# does, so it shows what a change to the read path saved on a busy machine. Prints the ratio and
# the costliest functions (inclusive) of our read, from which the budget per layer is read off.
# Usage: cargo build --release && bash benches/read_instructions.sh
#        (REQUESTS=2000, PEER_BENCH=<repo>/../shared/peer-bench, TOP=40, ASTRO_AUTH_BIN=<another build>)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
. "$repo/benches/common.sh"
peer_bench="${PEER_BENCH:-$repo/../shared/peer-bench}"
release="${CARGO_TARGET_DIR:-$repo/target}/release"
binary="${ASTRO_AUTH_BIN:-$release/astro-auth}"
requests="${REQUESTS:-2000}"
probe_target="${PROBE_TARGET:-$HOME/.cache/limit-probe-target}"
probe="$probe_target/release/limit_probe"
[ -x "$probe" ] || CARGO_TARGET_DIR="$probe_target" cargo build --quiet --locked --release \
  --manifest-path "$peer_bench/limit_probe/Cargo.toml"
work="$(mktemp -d)"
out="${OUT:-$work}"  # where the callgrind profiles are kept (OUT=<dir> keeps them)
mkdir -p "$out"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000)) probe_port=$((port + 1))
secret=read-instructions-secret-0123456789abcdef

# No HOST=127.0.0.1: valgrind names its control pipes after $HOST, and callgrind_control
# would look for them under the real host name.
(cd "$work" && PORT=$port DATABASE_URL="sqlite:///$work/astro.db" \
  MAIL_DIR="$work/mail" JWT_SECRET=$secret RUST_LOG=warn RATE_LIMIT_PER_MINUTE=100000000 \
  exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/astro.out" \
  "$binary" serve) > "$work/astro.log" 2>&1 &
astro=$!
pids+=("$astro")
wait_for "http://127.0.0.1:$port/health"
token=$(verified_access_token "http://127.0.0.1:$port" "$work/mail" reader@example.com reader 'Read-1nstructions!')
(exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/probe.out" \
  "$probe" "$work/astro.db" "$probe_port" "$secret") > "$work/probe.log" 2>&1 &
probe_pid=$!
pids+=("$probe_pid")
until curl -fsS -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$probe_port/api/user/profile"; do
  sleep 0.2
done

# Warm both (caches, pools, lazily built state), then count exactly `requests` reads on one
# kept-alive connection.
count() {  # count NAME PID PORT
  python3 "$repo/benches/read_loop.py" "$3" "$token" 50
  callgrind_control -i on "$2" > /dev/null
  python3 "$repo/benches/read_loop.py" "$3" "$token" "$requests"
  callgrind_control -i off "$2" > /dev/null
  callgrind_control -d "$2" > /dev/null
}
count astro-auth "$astro" "$port"
count limit_probe "$probe_pid" "$probe_port"
kill "$astro" "$probe_pid" 2>/dev/null || true
wait 2>/dev/null || true

# The first dump holds exactly the counted reads.
# (awk reads to the end: leaving early would kill callgrind_annotate, and pipefail the script.)
total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ && !n++ { gsub(",", "", $1); print $1 }'; }
ours=$(total "$out/astro.out.1") floor=$(total "$out/probe.out.1")
python3 - "$ours" "$floor" "$requests" <<'PY'
import sys
ours, floor, n = (int(a) for a in sys.argv[1:4])
print(f"astro-auth:  {ours / n:,.0f} instructions per profile read")
print(f"limit_probe: {floor / n:,.0f} instructions per profile read")
print(f"ratio: {ours / floor:.1f}x the floor")
PY
echo
echo "costliest functions of our read (inclusive, share of all instructions):"
callgrind_annotate --inclusive=yes "$out/astro.out.1" 2>/dev/null \
  | awk '/^-+$/ { n++ } n >= 3' | sed -n "3,$((${TOP:-40} + 2))p" | cut -c1-200
