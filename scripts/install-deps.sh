#!/usr/bin/env bash
# Installs everything tapedeck needs to build, test and run its local stack, from Debian's
# packages and the npm registry. Idempotent: a second run only checks and returns.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config git ca-certificates curl procps psmisc util-linux
  clang-format clang-tidy
  libpq-dev postgresql-15 postgresql-client-15
  nats-server libnats-dev
  libsimdjson-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libcpp-httplib-dev libtomlplusplus-dev libcurl4-openssl-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libhowardhinnant-date-dev tzdata
  clang libclang-rt-14-dev jq
  s3cmd nodejs
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
# npm comes with the Node.js that the base image ships; Debian's npm only where it does not.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# s3rver, the S3 API the local stack serves for tests, pinned by package-lock.json.
if [[ ! -x scripts/s3rver/node_modules/.bin/s3rver ]]; then
  echo "install-deps: installing s3rver from the npm registry"
  (cd scripts/s3rver && npm ci --no-audit --no-fund --loglevel=error)
fi
