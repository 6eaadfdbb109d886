#!/usr/bin/env bash
# Install the Debian packages cdp needs to build, test, demo and benchmark.
# As root: apt-get.  Otherwise: sudo -n apt-get if allowed, else print the
# command to run.  Idempotent and quiet when everything is present.
set -euo pipefail

PKGS=(
  build-essential pkg-config cmake
  postgresql-15 postgresql-server-dev-15 postgresql-contrib
  postgresql-15-cron postgresql-15-pgtap postgresql-15-pgrouting postgresql-15-similarity
  libicu-dev libphonenumber-dev libprotobuf-dev nlohmann-json3-dev libssl-dev
  libgtest-dev libipc-run-perl
  postgresql-15-wal2json libcurl4-openssl-dev libhttp-daemon-perl
  clang libclang-rt-14-dev
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "cdp: installing missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "cdp: not root and no passwordless sudo; run as root:" >&2
  echo "  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >/dev/null
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "cdp: packages installed"
