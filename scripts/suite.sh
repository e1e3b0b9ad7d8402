#!/usr/bin/env bash
# The README's first command: install what is missing, build fusebox (release), and play the
# default scenario suite (every file in scenarios/) live on loopback, writing one folder per
# scenario (result.json, junit.xml, report.html) plus out/suite/index.html and a suite-wide
# out/suite/junit.xml; then the same suite in virtual time (--mode sim, seconds in all, the
# week-long refund scenario included) into out/suite-sim/. Exits with the worse of the two
# exit codes: 0 every assertion held, 1 one failed, 2 bad input or a part that could not
# start. Extra arguments go to both `fusebox run`s (e.g. --seed 7).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target fusebox
live=0
build/release/harness/fusebox run scenarios --out out/suite "$@" || live=$?
sim=0
build/release/harness/fusebox run scenarios --mode sim --quiet --out out/suite-sim "$@" || sim=$?
exit $((live > sim ? live : sim))
