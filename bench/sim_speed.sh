#!/usr/bin/env bash
# Sim mode's speed (issue #6), all on one core (taskset) unless a figure needs two:
#   1. payments per wall-clock second: bench/scenarios/sim-throughput.json (300,000 requests,
#      every payment notified, a fifth of notifications lost so polling works, an outage), in
#      the default mode (codecs in the loop, HMAC for every signature), with --fast (no
#      codecs) and with --real-crypto;
#   2. lost-notifications-polling in sim mode against the same scenario live (ratio of wall
#      times);
#   3. refund-settlement-7day: virtual seconds per wall second;
#   4. sales-day shortened by SALES_DAY_SCALE (default 0.01: 14.4 virtual minutes at the same
#      rates), with the codecs and with --fast, and what the whole day would take at that speed;
#   5. a sweep of SWEEP_SEEDS (default 1000) seeds of channel-outage-isolation on both cores.
#   6. with BASELINE=path/to/an/older/fusebox: sim-throughput (wire and --fast) and sales-day
#      at --time-scale $scale (--fast), played by the baseline and by this build in turns,
#      twice, each run's wall time, peak RSS and the ratios (the machine is shared: only a
#      ratio from one run means anything). BASELINE_ONLY=1 skips parts 1-5.
# Every figure is printed with the command that made it; the numbers go into
# docs/PERFORMANCE.md. Usage: bench/sim_speed.sh   (BUILD_DIR default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/release}
scale=${SALES_DAY_SCALE:-0.01}
seeds=${SWEEP_SEEDS:-1000}
# A build dir that exists is used as configured (say which in the figures); else Release.
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFUSEBOX_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target fusebox >/dev/null
echo "build: $build ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt"))"
fusebox="$build/harness/fusebox"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%F)"

# Runs `fusebox run ... --mode sim` on one core; prints its speed line and the payments per
# wall second (pays sent / wall seconds of the run itself, printed by fusebox).
sim_run() {  # name, extra args...
  local name=$1; shift
  local line
  # Not piped into head: fusebox must not die of SIGPIPE while it still writes its summary.
  taskset -c 1 "$fusebox" run "$@" --mode sim --quiet --out "$out/$name" >"$out/$name.txt" || true
  line=$(head -1 "$out/$name.txt")
  echo "  $line"
  python3 - "$out/$name/result.json" "$line" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
wall = float(re.search(r"in ([0-9.]+) wall s", sys.argv[2]).group(1))
pays = r["checker"]["orders_checked"]  # payments the gateway made
print(f"  passed={r['passed']} requests={r['load']['sent']} pays={pays} "
      f"virtual_s={r['sim']['virtual_s']} wall_s={wall} -> {pays / wall:,.0f} pays per wall s, "
      f"{r['load']['sent'] / wall:,.0f} requests per wall s")
PY
}

if [ -z "${BASELINE_ONLY:-}" ]; then
echo "1. sim-throughput (codecs on, HMAC): fusebox run bench/scenarios/sim-throughput.json --mode sim"
sim_run throughput bench/scenarios/sim-throughput.json
echo "   with --fast (no codecs: calls, answers and notifications as structs):"
sim_run throughput-fast bench/scenarios/sim-throughput.json --fast
echo "   with --real-crypto (RSA-2048 on wallet-a):"
sim_run throughput-rsa bench/scenarios/sim-throughput.json --real-crypto

echo "2. lost-notifications-polling, sim against live"
sim_run polling-sim scenarios/lost-notifications-polling.json
start=$(date +%s.%N)
"$fusebox" run scenarios/lost-notifications-polling.json --quiet --out "$out/polling-live" \
  >"$out/polling-live.txt" || true
head -1 "$out/polling-live.txt"
live_s=$(python3 -c "import time; print(round(time.time() - $start, 2))")
echo "  live: ${live_s} wall s (fusebox run scenarios/lost-notifications-polling.json)"

echo "3. refund-settlement-7day: fusebox run scenarios/refund-settlement-7day.json --mode sim"
sim_run week scenarios/refund-settlement-7day.json

echo "4. sales-day at --time-scale $scale: fusebox run scenarios/sales-day.json --mode sim --time-scale $scale"
sim_run sales-day scenarios/sales-day.json --time-scale "$scale"
echo "   with --fast:"
sim_run sales-day-fast scenarios/sales-day.json --time-scale "$scale" --fast

echo "5. sweep: fusebox sweep scenarios/channel-outage-isolation.json --seeds $seeds --jobs 2"
start=$(date +%s.%N)
"$fusebox" sweep scenarios/channel-outage-isolation.json --seeds "$seeds" --jobs 2 --no-shrink \
  --out "$out/sweep" | sed -n '/seeds run/,/seeds per second/p' || true
echo "  wall: $(python3 -c "import time; print(round(time.time() - $start, 1))") s"

fi

if [ -n "${BASELINE:-}" ]; then
  echo "6. baseline $BASELINE against this build, in turns (wall s of the run itself, peak RSS)"
  measure() {  # binary, args...: "<wall s> <peak RSS MB>"
    local bin=$1; shift
    /usr/bin/time -f '%M' -o "$out/ab.rss" taskset -c 1 "$bin" run "$@" --mode sim --quiet \
      --out "$out/ab" >"$out/ab.txt" || true
    echo "$(sed -n 's/.* in \([0-9.]*\) wall s.*/\1/p' "$out/ab.txt" | head -1)" \
      "$(( $(tail -1 "$out/ab.rss") / 1024 ))"
  }
  for run in "sim-throughput wire" "sim-throughput fast" "sales-day fast"; do
    set -- $run
    if [ "$1" = sales-day ]; then args=(scenarios/sales-day.json --time-scale "$scale")
    else args=(bench/scenarios/sim-throughput.json); fi
    [ "$2" = fast ] && args+=(--fast)
    for round in 1 2; do
      read -r base_s base_mb < <(measure "$BASELINE" "${args[@]}")
      read -r ours_s ours_mb < <(measure "$fusebox" "${args[@]}")
      echo "  $run round $round: baseline ${base_s} s ${base_mb} MB, this build ${ours_s} s" \
        "${ours_mb} MB -> $(python3 -c "print(f'{$base_s / $ours_s:.2f}x the speed, {$ours_mb / $base_mb:.2f}x the memory')")"
    done
  done
fi
