#!/usr/bin/env bash
# astro-auth beside fastapi-users (the peer in ../shared/peer-bench, same argon2id cost as ours),
# in interleaved rounds on this machine, and the ratios that the performance goals are written
# in: CPU per request, requests/s and p99 of the profile read, and CPU per login. Absolute
# figures on shared machines drift 2-3x from day to day; ratios from one interleaved run do not.
# Topologies: the one-process binary on SQLite, then the five processes on PostgreSQL and Redis
# with mutual TLS on the gRPC plane (their CPU and the database's, counted apart).
# Usage: cargo build --release --workspace --bins && bash benches/peer_compare.sh
#        (ROUNDS=3 PEER_BENCH=<repo>/../shared/peer-bench
#         BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
#         BENCH_REDIS_URL=redis://127.0.0.1:6379, and bench.sh's own knobs)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
. "$repo/benches/common.sh"
peer_bench="${PEER_BENCH:-$repo/../shared/peer-bench}"
release="${CARGO_TARGET_DIR:-$repo/target}/release"
server_url="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
redis_url="${BENCH_REDIS_URL:-redis://127.0.0.1:6379}"
rounds="${ROUNDS:-3}" ours_port=18100 peer_port=18003
work="$(mktemp -d)"
pids=()
database="astro_compare_$$"
cleanup() {
  kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null
  psql "$server_url" -qc "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

PEER_ARGON2=owasp RESET_DB=1 PEER_DATA="$work/peer" \
  "$peer_bench/fastapi_users/run.sh" "$peer_port" > "$work/peer.log" 2>&1 &
pids+=("$!")
(cd "$work" && PORT=$ours_port HOST=127.0.0.1 MAIL_DIR="$work/mail" \
  DATABASE_URL="sqlite:///$work/astro.db" RUST_LOG=warn RATE_LIMIT_PER_MINUTE=100000000 \
  LOGIN_RATE_LIMIT_PER_15MIN=100000000 LOGIN_FAILURES_PER_ACCOUNT_15MIN=100000000 \
  exec "$release/astro-auth") > "$work/astro.log" 2>&1 &
ours=$!
pids+=("$ours")
wait_for "http://127.0.0.1:$ours_port/health"
# The peer installs its virtualenv on first use, which can take a minute.
wait_for "http://127.0.0.1:$peer_port/healthz"

results="$work/results"
mkdir -p "$results"
# Rounds of ours (`config`, the pids to count, bench.sh extras) beside the peer, interleaved.
rounds_beside_peer() {
  local config=$1 server_pids=$2; shift 2
  for round in $(seq "$rounds"); do  # A/B/A/B: never compare runs from different minutes
    # The parallel-hash limit of this machine now: what logins/s and CPU per login are held to.
    (cd "$repo" && cargo bench -q --bench hash_limit 2>/dev/null) \
      | sed "s/^{/{\"tag\": \"$config-r$round\", \"flavor\": \"hash\", /" >> "$results/hash_limit.jsonl"
    env TAG="$config-r$round" RESULTS="$results" BENCH_MAIL_DIR="$work/mail" \
      SERVER_PIDS="$server_pids" "$@" \
      bash "$peer_bench/bench.sh" "http://127.0.0.1:$ours_port" astro > /dev/null
    TAG="$config-r$round" RESULTS="$results" \
      bash "$peer_bench/bench.sh" "http://127.0.0.1:$peer_port" fastapi-users > /dev/null
  done
}
rounds_beside_peer one "$ours"
kill "$ours"

psql "$server_url" -qc "CREATE DATABASE $database" >/dev/null
declare -A pid_of
mkdir -p "$work/five"
MAIL_DIR="$work/mail" REDIS_URL="$redis_url" REDIS_KEY_PREFIX="compare:$$:" RUST_LOG=warn \
  RATE_LIMIT_PER_MINUTE=100000000 LOGIN_RATE_LIMIT_PER_15MIN=100000000 \
  LOGIN_FAILURES_PER_ACCOUNT_15MIN=100000000 \
  start_five_processes "$release" "$work/five" "${server_url%/*}/$database" "$ours_port"
db_port="${server_url##*:}"
rounds_beside_peer five "${pid_of[*]}" DB_PORT="${db_port%%/*}"
python3 - "$results" <<'PY'
import glob, json, statistics, sys
from collections import defaultdict
runs = defaultdict(list)
for path in glob.glob(sys.argv[1] + "/*.jsonl"):
    for line in open(path):
        row = json.loads(line)
        runs[(row["tag"].rsplit("-r", 1)[0], row["flavor"], row["scenario"])].append(row)
def values(config, flavor, scenario, field):
    return [r[field] for r in runs[(config, flavor, scenario)] if r.get(field) is not None]
def med(*key):
    v = values(*key)
    return statistics.median(v) if v else float("nan")
def spread(*key):
    v = values(*key)
    return f"{min(v):.2f}-{max(v):.2f}" if v else "-"
for config, title in [("one", "one process, SQLite"), ("five", "five processes, PostgreSQL + Redis, mutual TLS")]:
    print(f"\n{title}\n")
    print("| figure | astro-auth | fastapi-users | ratio |")
    print("|---|---|---|---|")
    for label, field, better_low in [("GET profile, server CPU ms per request", "server_cpu_ms_per_req", True),
                                     ("GET profile, requests/s", "rps", False),
                                     ("GET profile, p99 ms", "p99_ms", True)]:
        a, p = med(config, "astro", "me", field), med(config, "fastapi-users", "me", field)
        ratio = p / a if better_low else a / p
        print(f"| {label} | {spread(config, 'astro', 'me', field)} | {spread(config, 'fastapi-users', 'me', field)} | {ratio:.1f}x |")
    db = med(config, "astro", "me", "db_cpu_ms_per_req")
    if db == db:  # not NaN: the database's CPU was counted
        total = med(config, "astro", "me", "server_cpu_ms_per_req") + db
        peer = med(config, "fastapi-users", "me", "server_cpu_ms_per_req")
        print(f"| GET profile, CPU ms per request with the database | {total:.3f} | {peer:.2f} | {peer / total:.1f}x |")
    for label, field in [("login, server CPU ms per login", "server_cpu_ms_per_req"), ("login, requests/s", "rps")]:
        a, p = med(config, "astro", "login", field), med(config, "fastapi-users", "login", field)
        print(f"| {label} | {spread(config, 'astro', 'login', field)} | {spread(config, 'fastapi-users', 'login', field)} | {a / p:.2f} (ours / theirs) |")
    limit, hash_cpu = med(config, "hash", "hash_limit", "hashes_per_s"), med(config, "hash", "hash_limit", "cpu_ms_per_hash")
    logins, login_cpu = med(config, "astro", "login", "rps"), med(config, "astro", "login", "server_cpu_ms_per_req")
    print(f"| parallel-hash limit (hash_limit), verifications/s | {spread(config, 'hash', 'hash_limit', 'hashes_per_s')} | | |")
    print(f"| logins/s against that limit | {logins:.1f} | | {logins / limit:.0%} of the limit |")
    print(f"| CPU per login beyond the hash ({hash_cpu:.1f} ms) | {login_cpu - hash_cpu:.2f} ms | | {(login_cpu - hash_cpu) / hash_cpu:+.0%} of the hash |")
PY
