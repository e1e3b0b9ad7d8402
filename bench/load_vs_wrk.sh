#!/usr/bin/env bash
# fusebox's open-loop load generator against wrk, in one run on this machine, both driving
# the same nginx on 127.0.0.1 that answers POST /v1/payments with a fixed payment JSON:
#   1. the most each can push: wrk -t1 -cC -dDs (closed loop: a new request as soon as an
#      answer comes) against fusebox_load_bench asked for 3x wrk's rate on C connections,
#      and the best rate fusebox_load_bench achieved in any run of this script;
#   2. fusebox_load_bench's achieved rate against its target at several rates, and the
#      highest target it met within 1%;
#   3. p50/p99 well below saturation: ours at 10% of wrk's rate (open loop, latency from
#      the planned send time) against wrk's own percentiles (-cC, and -c1 for the service
#      time of one request in flight).
# nginx runs in a temp dir and is stopped by its PID; wrk and nginx-light come from Debian.
#
# Usage: bench/load_vs_wrk.sh [DURATION_S=10] [CONNECTIONS=64]
#   BUILD_DIR (default build/release) is where fusebox_load_bench is built (Release).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-64}
build=${BUILD_DIR:-build/release}
source bench/lib.sh

if ! command -v wrk >/dev/null || [ ! -x /usr/sbin/nginx ]; then
  apt-cache policy wrk | grep -q 'Candidate: [0-9]' || { echo "wrk is not in the apt sources" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target fusebox_load_bench >/dev/null
bench="$build/harness/load/fusebox_load_bench"

start_payment_nginx

cat > "$work/pay.lua" <<'LUA'
wrk.method = "POST"
wrk.path = "/v1/payments"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"merchant_order_id":"wrk-1","amount":100,"currency":"CNY","method":"wallet","channel":"wallet-a"}'
LUA

wrk_run() {  # connections seconds: prints "req/s p50_ms p99_ms"
  wrk -t1 -c"$1" -d"$2s" --latency -s "$work/pay.lua" "http://127.0.0.1:$port" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
    END { print rps, p50, p99 }'
}
ours() {  # tps seconds connections: one JSON line
  "$bench" --port "$port" --tps "$1" --duration "$2" --connections "$3" --timeout 2
}

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%F)"
wrk -t1 -c"$connections" -d2s -s "$work/pay.lua" "http://127.0.0.1:$port" >/dev/null  # warm-up
read -r wrk_rps wrk_p50 wrk_p99 < <(wrk_run "$connections" "$duration")
read -r wrk1_rps wrk1_p50 wrk1_p99 < <(wrk_run 1 "$duration")
max_target=$(python3 -c "print(int(float('$wrk_rps') * 3))")
ours "$max_target" "$duration" "$connections" > "$work/max.json"
low=$(python3 -c "print(int(float('$wrk_rps') / 10))")
ours "$low" "$duration" "$connections" > "$work/low.json"
: > "$work/sweep.json"
for share in 0.25 0.5 0.75 0.9 1.0 1.25 1.5; do
  ours "$(python3 -c "print(int(float('$wrk_rps') * $share))")" 5 "$connections" >> "$work/sweep.json"
done

python3 - "$work" "$wrk_rps" "$wrk_p50" "$wrk_p99" "$wrk1_rps" "$wrk1_p50" "$wrk1_p99" \
  "$connections" "$duration" <<'PY'
import json, sys
work = sys.argv[1]
wrk_rps, wrk_p50, wrk_p99, wrk1_rps, wrk1_p50, wrk1_p99 = map(float, sys.argv[2:8])
c, d = sys.argv[8], sys.argv[9]
top = json.load(open(f"{work}/max.json"))
low = json.load(open(f"{work}/low.json"))
print(f"max rate   wrk -t1 -c{c} -d{d}s: {wrk_rps:,.0f} req/s;  fusebox_load_bench "
      f"(target {top['target_tps']:,.0f}/s, -c{c}): {top['achieved_tps']:,.0f} req/s  "
      f"= {top['achieved_tps'] / wrk_rps:.2f}x wrk   (late {top['late']:,} of {top['planned']:,})")
sweep = [json.loads(line) for line in open(f"{work}/sweep.json")]
best = max([top] + sweep, key=lambda r: r["achieved_tps"])
print(f"best rate  fusebox_load_bench: {best['achieved_tps']:,.0f} req/s (asked {best['target_tps']:,.0f}/s) "
      f"= {best['achieved_tps'] / wrk_rps:.2f}x wrk")
met = [r for r in sweep if r["achieved_tps"] >= 0.99 * r["target_tps"]]
if met:
    print(f"highest target met within 1%: {max(r['target_tps'] for r in met):,.0f}/s")
print("achieved vs target (5 s each):")
for r in sweep:
    print(f"  target {r['target_tps']:>9,.0f}/s ({r['target_tps'] / wrk_rps:4.0%} of wrk max): "
          f"achieved {r['achieved_tps']:>9,.0f}/s = {r['achieved_tps'] / r['target_tps']:6.1%}, "
          f"p50 {r['p50_ms']:8.2f} ms, p99 {r['p99_ms']:8.2f} ms, late {r['late']:,}")
print(f"below saturation: ours at {low['target_tps']:,.0f}/s (10% of wrk max, -c{c}): "
      f"p50 {low['p50_ms']:.3f} ms, p99 {low['p99_ms']:.3f} ms, achieved {low['achieved_tps']:,.0f}/s, "
      f"late {low['late']:,}")
print(f"  wrk -c{c} (saturated): p50 {wrk_p50:.3f} ms, p99 {wrk_p99:.3f} ms  -> ours/wrk "
      f"p50 {low['p50_ms'] / wrk_p50:.2f}x, p99 {low['p99_ms'] / wrk_p99:.2f}x")
print(f"  wrk -c1 ({wrk1_rps:,.0f} req/s):  p50 {wrk1_p50:.3f} ms, p99 {wrk1_p99:.3f} ms  -> ours/wrk "
      f"p50 {low['p50_ms'] / wrk1_p50:.2f}x, p99 {low['p99_ms'] / wrk1_p99:.2f}x")
PY
