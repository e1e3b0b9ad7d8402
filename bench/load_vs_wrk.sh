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
#      time of one request in flight);
#   4. like for like: ours and a paced wrk at the same rate R (10%, then 25% of wrk's max),
#      same connections, duration, target and body. The paced wrk's Lua delay() holds each
#      of its C connections C*1000/R ms before each request (wrk 4.1 takes whole ms, so the
#      script alternates floor and ceil to keep that average, and spreads the connections'
#      first requests over one period); if wrk's achieved rate is more than 5% off R, the
#      delay is corrected once from the measured rate and wrk run again. wrk times a request
#      from its write to the end of the answer; ours from the planned send time. wrk fires
#      its delays on whole-millisecond ticks, so its paced requests leave in bursts (several
#      connections written back to back); last, a burst-free pair on one connection: wrk
#      paced with a 1 ms delay, then ours at the rate that wrk achieved.
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
# The same request, paced: `wrk ... -s paced.lua URL -- PERIOD_MS CONNECTIONS`. wrk calls
# delay() before every request of a connection (its first included) and waits that many
# whole milliseconds; the first C calls spread the connections over one period, the rest
# carry the fraction over so the delays average PERIOD_MS.
{ cat "$work/pay.lua"; cat <<'LUA'
local period, count, calls, owed = 1, 1, 0, 0
function init(args)
  period = tonumber(args[1]); count = tonumber(args[2])
end
function delay()
  calls = calls + 1
  if calls <= count then return math.floor((calls - 1) * period / count) end
  owed = owed + period
  local whole = math.floor(owed)
  owed = owed - whole
  return whole
end
LUA
} > "$work/paced.lua"

wrk_run() {  # connections seconds [period_ms: paced]: prints "req/s p50_ms p99_ms"
  local script=pay.lua paced=()
  if [ $# -ge 3 ]; then script=paced.lua paced=(-- "$3" "$1"); fi
  wrk -t1 -c"$1" -d"$2s" --latency -s "$work/$script" "http://127.0.0.1:$port" "${paced[@]}" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
    END { print rps, p50, p99 }'
}
# Ours at rate R (already in $work/NAME.json), then wrk paced to R on the same connections;
# appends one JSON line to $work/pairs.json.
paced_pair() {  # name share rate
  local period rps p50 p99 first_rps="" first_period=""
  period=$(python3 -c "print($connections * 1000 / $3)")
  read -r rps p50 p99 < <(wrk_run "$connections" "$duration" "$period")
  if python3 -c "import sys; sys.exit(0 if abs($rps / $3 - 1) > 0.05 else 1)"; then
    first_rps=$rps first_period=$period
    period=$(python3 -c "print(max($period + $connections * 1000 * (1 / $3 - 1 / $rps), 0))")
    read -r rps p50 p99 < <(wrk_run "$connections" "$duration" "$period")
  fi
  python3 -c "import json; print(json.dumps({'name': '$1', 'share': $2, 'rate': $3,
    'period_ms': $period, 'rps': $rps, 'p50_ms': $p50, 'p99_ms': $p99,
    'first_rps': ${first_rps:-None}, 'first_period_ms': ${first_period:-None}}))" >> "$work/pairs.json"
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
: > "$work/pairs.json"
paced_pair low 0.10 "$low"
quarter=$(python3 -c "print(int(float('$wrk_rps') / 4))")
ours "$quarter" "$duration" "$connections" > "$work/quarter.json"
paced_pair quarter 0.25 "$quarter"
read -r one_rps one_p50 one_p99 < <(wrk_run 1 "$duration" 1)
ours "$(python3 -c "print(round($one_rps))")" "$duration" 1 > "$work/one.json"
: > "$work/sweep.json"
for share in 0.25 0.5 0.75 0.9 1.0 1.25 1.5; do
  ours "$(python3 -c "print(int(float('$wrk_rps') * $share))")" 5 "$connections" >> "$work/sweep.json"
done

python3 - "$work" "$wrk_rps" "$wrk_p50" "$wrk_p99" "$wrk1_rps" "$wrk1_p50" "$wrk1_p99" \
  "$connections" "$duration" "$one_rps" "$one_p50" "$one_p99" <<'PY'
import json, sys
work = sys.argv[1]
wrk_rps, wrk_p50, wrk_p99, wrk1_rps, wrk1_p50, wrk1_p99 = map(float, sys.argv[2:8])
c, d = sys.argv[8], sys.argv[9]
one_rps, one_p50, one_p99 = map(float, sys.argv[10:13])
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
print(f"like for like, -c{c} -d{d}s, uniform arrivals (ours from the planned send time, wrk from its write):")
for pair in (json.loads(line) for line in open(f"{work}/pairs.json")):
    r = json.load(open(f"{work}/{pair['name']}.json"))
    note = ""
    if pair["first_rps"] is not None:
        note = (f" (first try at {pair['first_period_ms']:.3f} ms reached {pair['first_rps']:,.0f}/s"
                f" = {pair['first_rps'] / pair['rate']:.1%}: delay corrected once)")
    print(f"  at {pair['rate']:,.0f}/s ({pair['share']:.0%} of wrk max):")
    print(f"    ours:      achieved {r['achieved_tps']:>9,.0f}/s = {r['achieved_tps'] / pair['rate']:6.1%}, "
          f"p50 {r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms, late {r['late']:,}")
    print(f"    wrk paced: achieved {pair['rps']:>9,.0f}/s = {pair['rps'] / pair['rate']:6.1%}, "
          f"p50 {pair['p50_ms']:.3f} ms, p99 {pair['p99_ms']:.3f} ms, delay {pair['period_ms']:.3f} ms "
          f"per request per connection{note}")
    print(f"    ours/wrk:  p50 {r['p50_ms'] / pair['p50_ms']:.2f}x, p99 {r['p99_ms'] / pair['p99_ms']:.2f}x")
one = json.load(open(f"{work}/one.json"))
print(f"  burst-free, -c1 -d{d}s: wrk paced (1 ms delay) achieved {one_rps:,.0f}/s, p50 {one_p50:.3f} ms, "
      f"p99 {one_p99:.3f} ms;")
print(f"    ours at {one['target_tps']:,.0f}/s: achieved {one['achieved_tps']:,.0f}/s, p50 {one['p50_ms']:.3f} ms, "
      f"p99 {one['p99_ms']:.3f} ms, late {one['late']:,}  -> ours/wrk p50 {one['p50_ms'] / one_p50:.2f}x, "
      f"p99 {one['p99_ms'] / one_p99:.2f}x")
PY
