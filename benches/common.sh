# Shared by the load scripts in benches/: source it, do not run it.

# The value of `field` (kB) in /proc/<pid>/status, e.g. VmRSS or VmHWM, as MB.
mem_mb() { awk -v f="$2:" '$1 == f { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# Waits until `url` answers 2xx.
wait_for() { until curl -fsS "$1" >/dev/null 2>&1; do sleep 0.1; done; }

# Registers `email`/`username`/`password` at `base`, verifies it with the token from the
# verification email under `mail_dir`, logs in, and prints the access token.
verified_access_token() {
  local base=$1 mail_dir=$2 email=$3 username=$4 password=$5
  curl -fsS -X POST "$base/api/auth/register" -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"username\":\"$username\",\"password\":\"$password\"}" >/dev/null
  # The token, from the email's text part (decoded: the body may be quoted-printable).
  local read_token='import email,glob,re,sys
for path in glob.glob(sys.argv[1] + "/*.eml"):
    msg = email.message_from_file(open(path))
    if sys.argv[2] not in str(msg["To"]): continue
    for part in msg.walk():
        m = re.search(r"verify-email\?token=([0-9a-f]{64})", str(part.get_payload(decode=True) or b"", "utf-8"))
        if m: print(m.group(1)); sys.exit()'
  local token
  until token=$(python3 -c "$read_token" "$mail_dir" "$email" 2>/dev/null); [ -n "$token" ]; do sleep 0.05; done
  curl -fsS -X POST "$base/api/auth/verify-email" -H 'content-type: application/json' \
    -d "{\"token\":\"$token\"}" >/dev/null
  curl -fsS -X POST "$base/api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# Starts the five binaries of release directory `bin` with mutual TLS on the gRPC plane
# (certificates from `astro-auth certs` under `work`), on PostgreSQL database `database_url`,
# the gateway on `port`; logs under `work`. Appends every pid to the array `pids` and sets
# `pid_of[<binary>]` (declare both first). Set REDIS_URL beforehand to share revocations and
# limits. Returns once the gateway is ready.
start_five_processes() {
  local bin=$1 work=$2 database_url=$3 port=$4
  "$bin/astro-auth" certs --out "$work/certs" > /dev/null
  local service
  for service in notification user admin auth gateway; do
    local binary="$service-service"
    [ "$service" = gateway ] && binary=gateway
    DATABASE_URL="$database_url" PORT="$port" HOST=127.0.0.1 \
      GRPC_TLS_CERT="$work/certs/$service.pem" GRPC_TLS_KEY="$work/certs/$service-key.pem" \
      GRPC_TLS_CA="$work/certs/ca.pem" "$bin/$binary" > "$work/$binary.log" 2>&1 &
    pid_of[$binary]=$!
    pids+=("$!")
  done
  wait_for "http://127.0.0.1:$port/ready"
}
