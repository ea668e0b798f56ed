#!/usr/bin/env bash
# Fuzzes the running server against its own /openapi.json with Schemathesis: zero server
# errors and zero responses outside the published schema. Uses the debug binary that
# `cargo test` already built, on a throwaway data directory, logged in as an initial admin.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="${CARGO_TARGET_DIR:-$repo/target}/debug/astro-auth"
venv="${HOME}/.cache/astro-ci-venv"
[ -x "$venv/bin/schemathesis" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet schemathesis; }
cargo build --quiet -p astro-auth

work="$(mktemp -d)"
port=18321
export ST_ADMIN_EMAIL="admin@schemathesis.test" ST_ADMIN_PASSWORD="Schema-Fuzz-Gate-4417!"
(
  cd "$work"
  PORT=$port HOST=127.0.0.1 ENVIRONMENT=ci \
    INITIAL_ADMIN_EMAIL="$ST_ADMIN_EMAIL" INITIAL_ADMIN_PASSWORD="$ST_ADMIN_PASSWORD" \
    RATE_LIMIT_PER_MINUTE=1000000 LOGIN_RATE_LIMIT_PER_15MIN=1000000 \
    PASSWORD_RESET_RATE_LIMIT_PER_HOUR=1000000 LOGIN_FAILURES_PER_ACCOUNT_15MIN=1000000 \
    exec "$bin" > "$work/server.log" 2>&1
) &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; [ -n "${KEEP_LOGS:-}" ] || rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done

# Two passes: logged in as the admin (without the operations that would end that login), then
# anonymous over every operation.
excluded_checks="missing_required_header,positive_data_acceptance"
st() { "$venv/bin/schemathesis" "$@" --checks all --exclude-checks "$excluded_checks" \
  --max-examples "${ST_MAX_EXAMPLES:-50}" --workers 2 --seed 1 --no-color; }
status=0
st --config-file "$repo/.ci/schemathesis.toml" run "http://127.0.0.1:$port/openapi.json" \
  --exclude-path /api/user/account --exclude-path /api/auth/logout \
  --exclude-path /api/user/change-password > "$work/authenticated.txt" 2>&1 || status=1
st run "http://127.0.0.1:$port/openapi.json" > "$work/anonymous.txt" 2>&1 || status=1
for pass in authenticated anonymous; do
  echo "== schemathesis ($pass)"; sed -n '/SUMMARY/,$p' "$work/$pass.txt"
done
if grep -q '"detail":"Internal server error"\|panicked' "$work/server.log"; then
  echo "server log shows an internal error:"; grep -m5 'Internal server error\|panicked' "$work/server.log"; exit 1
fi
exit "$status"
