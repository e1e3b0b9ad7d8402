#!/usr/bin/env bash
# The README's second command: install what is missing, configure, build and run every test
# through CTest, as CI does (warnings are errors).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --workflow --preset ci
