#!/usr/bin/env bash
# The load generator's memory over a long run: fusebox_load_bench at a constant open-loop
# rate against the same nginx target as bench/load_vs_wrk.sh, its resident set (VmRSS from
# /proc/PID/status) sampled every 10 s. Constant memory means RSS at the end within a few MB
# of RSS after the first minute: the recorder's histograms are fixed by channels and windows,
# the order book and the queue are bounded. nginx answers the same order every time, so the
# run holds one order; then, without network, the recorder alone is filled with TPS x
# DURATION distinct orders (what a real gateway's run would leave for the checker).
#
# Usage: bench/load_memory.sh [TPS=5000] [DURATION_S=600] [CONNECTIONS=64]
#   BUILD_DIR (default build/release) is where fusebox_load_bench is built (Release).
set -euo pipefail
cd "$(dirname "$0")/.."
tps=${1:-5000}
duration=${2:-600}
connections=${3:-64}
build=${BUILD_DIR:-build/release}
source bench/lib.sh

if [ ! -x /usr/sbin/nginx ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target fusebox_load_bench >/dev/null
bench="$build/harness/load/fusebox_load_bench"

start_payment_nginx

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%F)"
"$bench" --port "$port" --tps "$tps" --duration "$duration" --connections "$connections" \
  --timeout 2 > "$work/result.json" &
gen=$!
pids+=("$gen")
: > "$work/rss.txt"
start=$(date +%s)
while kill -0 "$gen" 2>/dev/null; do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$gen/status" 2>/dev/null || true)
  [ -n "$rss" ] && echo "$(( $(date +%s) - start )) $rss" >> "$work/rss.txt"
  sleep 10
done
wait "$gen"
"$bench" --recorder-orders "$(( tps * duration ))" > "$work/orders.json"

python3 - "$work" "$tps" "$duration" <<'PY'
import json, sys
work, tps, duration = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
samples = [tuple(map(int, line.split())) for line in open(f"{work}/rss.txt") if line.strip()]
result = json.load(open(f"{work}/result.json"))
mb = lambda kb: kb / 1024
print("RSS samples (s: MB): " + ", ".join(f"{t}: {mb(r):.1f}" for t, r in samples))
at = lambda s: min(samples, key=lambda x: abs(x[0] - s))
first_minute, last = at(60), samples[-1]
print(f"max RSS {mb(max(r for _, r in samples)):.1f} MB; at {first_minute[0]} s "
      f"{mb(first_minute[1]):.1f} MB, at {last[0]} s {mb(last[1]):.1f} MB "
      f"(change {mb(last[1] - first_minute[1]):+.1f} MB)")
print(f"target {tps:,.0f}/s for {duration:.0f} s: achieved {result['achieved_tps']:,.1f}/s "
      f"({result['achieved_tps'] / tps:.2%}), planned {result['planned']:,}, sent {result['sent']:,}, "
      f"late {result['late']:,}, p50 {result['p50_ms']:.3f} ms, p99 {result['p99_ms']:.3f} ms, "
      f"outcomes {result['outcomes']}")
orders = json.load(open(f"{work}/orders.json"))
print(f"recorder alone with {orders['orders']:,} distinct orders (2 statuses each): "
      f"+{orders['rss_growth_mb']:.0f} MB RSS, {orders['bytes_per_order']:.0f} bytes an order")
PY
