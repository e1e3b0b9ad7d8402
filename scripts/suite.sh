#!/usr/bin/env bash
# The README's first command: install what is missing, build fusebox (release), and play the
# default scenario suite (every file in scenarios/) live on loopback, writing one folder per
# scenario (result.json, junit.xml, report.html) plus out/suite/index.html and a suite-wide
# out/suite/junit.xml. Exits with fusebox's exit code: 0 every assertion held, 1 one failed,
# 2 bad input or a part that could not start. Extra arguments go to `fusebox run`
# (e.g. --time-scale 0.5, --seed 7).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target fusebox
exec build/release/harness/fusebox run scenarios --out out/suite "$@"
