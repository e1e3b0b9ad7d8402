#!/usr/bin/env bash
# The README's second command: install what is missing, configure, build and run every test
# through CTest, as CI does: once optimised with warnings as errors (the `ci` preset), then
# again under AddressSanitizer and UndefinedBehaviorSanitizer (`asan-ubsan`).
# FUSEBOX_SKIP_SANITIZERS=1 skips the second pass for a quicker local run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --workflow --preset ci
if [ "${FUSEBOX_SKIP_SANITIZERS:-0}" != 1 ]; then
  cmake --workflow --preset asan-ubsan
fi
