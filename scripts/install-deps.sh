#!/usr/bin/env bash
# Installs what fusebox needs to build and test, from Debian 12's packages.
# Idempotent and non-interactive: installs only what is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build git
  libboost1.81-dev libssl-dev nlohmann-json3-dev libpugixml-dev libsqlite3-dev
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  clang-format
  # report.html inlines Chart.js (a UMD build) from here; the reports tests render the page
  # in headless Chromium.
  libjs-chart.js chromium
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: missing packages (${missing[*]}) and not root; run as root" >&2
    exit 2
  fi
  as_root=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
