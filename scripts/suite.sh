#!/usr/bin/env bash
# The README's first command: install what is missing, build fusebox (release), and run the
# default scenario suite (every file in scenarios/) on the embedded defaults, writing the
# report to out/suite/. Exits with fusebox's exit code: 0 all held, 1 a check failed, 2 bad
# input or a part that has not landed yet.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target fusebox
exec build/release/harness/fusebox run scenarios --out out/suite "$@"
