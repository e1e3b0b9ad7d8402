#!/usr/bin/env bash
# The live simulator's memory per order: wrk sends DURATION_S seconds of pays (each a new
# order that never settles) to one wallet-json channel, each naming a notify_url as a
# gateway's pays do, and the simulator's RSS growth over the run is divided by the orders
# it took. Every server listens on 127.0.0.1 and is stopped by its PID.
#
# Usage: [BUILD_DIR=build/ci] bench/simulator_memory.sh [DURATION_S=10]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
root=$(pwd)
source bench/lib.sh
build_fusebox_with_wrk

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
echo "$(nproc) cores, $(date -u +%F), $fusebox, ${duration}s of pays"
start_simulator mem none 0
before=$(rss_kib "$sim_pid")
NOTIFY_URL="http://127.0.0.1:9/notify/mem" RUN=mem wrk -t1 -c64 -d"${duration}s" \
  -s "$root/bench/peers/pay.lua" "$url" > "$work/mem.wrk"
after=$(rss_kib "$sim_pid")
orders=$(curl -sf "$control/channels" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["counters"]["pay"])')
python3 - "$before" "$after" "$orders" <<'PY'
import sys
before, after, orders = (int(v) for v in sys.argv[1:])
print(f"{orders:,} orders: RSS {before / 1024:,.0f} -> {after / 1024:,.0f} MiB, "
      f"{(after - before) * 1024 / orders:,.0f} bytes per order")
PY
