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
  libhowardhinnant-date-dev libpugixml-dev tzdata
  clang libclang-rt-14-dev jq ccache
  s3cmd nodejs locales
  chromium  # the web console's browser test (tests/browser) and the demo's screenshot
)

sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
# npm comes with the Node.js that the base image ships; Debian's npm only where it does not.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Two locales whose money differs from C's (de_DE writes "1.000,00 €", ja_JP has no fraction
# digits): the tests prove money crosses servers and databases set to them unchanged.
for locale in de_DE ja_JP; do
  locale -a | grep -qx "$locale.utf8" && continue
  echo "install-deps: generating locale $locale.UTF-8"
  "${sudo_cmd[@]}" localedef -i "$locale" -f UTF-8 "$locale.UTF-8"
done

# npm packages (s3rver, the S3 API the local stack serves for tests; playwright-core, which
# drives Debian's chromium in tests/browser and the demo's screenshot), pinned by each folder's
# committed package-lock.json and installed with `npm ci`, never committed. A stamp holding the
# lockfile's hash skips the install while the lockfile is unchanged; npm's own cache keeps a
# reinstall quick.
npm_ci() {
  local folder=$1 stamp="$1/node_modules/.tapedeck-lock-sha256" want
  want=$(sha256sum "$folder/package-lock.json" | cut -d' ' -f1)
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return
  echo "install-deps: installing $folder's npm packages from its lockfile"
  (cd "$folder" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}
npm_ci scripts/s3rver
npm_ci tests/browser
