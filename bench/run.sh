#!/usr/bin/env bash
# Builds the release preset and runs the micro-benchmarks: the kernel's pinned to one core,
# then the gateway's breaker (its two-thread cases need both cores, so it is not pinned).
# Usage: bench/run.sh [google-benchmark flags], e.g. --benchmark_filter=Histogram
# The figures and the command line go into docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target fusebox_bench fusebox_gateway_bench
taskset -c 1 build/release/bench/fusebox_bench --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_min_time=0.2 "$@"
build/release/bench/fusebox_gateway_bench --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_min_time=0.2 "$@"
