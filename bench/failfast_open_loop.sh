#!/usr/bin/env bash
# The fail-fast figure of issue #4 (docs/PERFORMANCE.md, "Fail-fast, open loop"): a pay to a
# switched-off channel answered to the merchant, p99 end to end over loopback HTTP, measured
# with fusebox's own open-loop generator (fusebox_load_bench: requests leave on a planned
# schedule whatever the answers do, latency counts from the planned send time, late sends
# are reported), so a stall shows in every request it delays, not only the one it holds.
#
# One simulator and one gateway on 127.0.0.1 (SQLite in memory, or a file with FILE_STORE=1;
# polls pushed out), FILL_S seconds of HMAC pays at 64 connections (wrk) to fill the
# gateway's tables, the channel switched off, then at each rate: the gateway, and in the same
# round the same generator against nginx answering a fixed payment JSON (the floor:
# loopback, the generator and the machine, no gateway). Every request of the gateway runs is a new merchant order that
# the gateway rejects and stores as FAILED.
#
# Usage: [BUILD_DIR=build/ci] [FILL_S=30] [FILE_STORE=1] bench/failfast_open_loop.sh [ROUNDS=3] [DURATION_S=10] [RATES="1000 5000 10000"]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
duration=${2:-10}
rates=${3:-"1000 5000 10000"}
source bench/lib.sh
build_fusebox_with_wrk
build=${BUILD_DIR:-build/release}
cmake --build "$build" --target fusebox_load_bench >/dev/null
loader=$build/harness/load/fusebox_load_bench
if [ ! -x /usr/sbin/nginx ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi

write_failfast_configs
start_simulator_and_gateway
start_payment_nginx
gw_port=${api##*:}

: > "$work/fill.out"
if [ "${FILL_S:-30}" -gt 0 ]; then
  TARGET=gateway CHANNEL=hmac RUN=fill wrk -t1 -c64 -d"${FILL_S:-30}s" -s bench/peers/pay.lua "$api" \
    > "$work/fill.out"
fi
store_writes() {
  curl -s -H 'Authorization: Bearer bench' "$api/metrics" |
    awk '$1 == "fusebox_gateway_store_writes_total" {print $2}'
}
store_queued() {
  curl -s -H 'Authorization: Bearer bench' "$api/metrics" |
    awk '$1 == "fusebox_gateway_store_queued" {print $2}'
}
# The fill outruns the store's writer (its queue fills and holds the gateway back); measure
# from a drained queue, not while the writer is still catching up.
drain_s=0
until [ "$(store_queued)" = 0 ] || [ $drain_s -ge 300 ]; do sleep 1; drain_s=$((drain_s + 1)); done
filled=$(store_writes)
curl -s -X POST -H 'Authorization: Bearer bench' "$api/admin/channels/hmac/switch" \
  -d '{"enabled": false}' >/dev/null

echo "fusebox_load_bench, open loop, uniform arrivals, 16 connections, ${duration}s a run;" \
  "$rounds rounds; $(nproc) cores; $(date -u +%F); filled: $(awk '/Requests\/sec/ {print $2}' "$work/fill.out") req/s for ${FILL_S:-30}s, store rows written $filled, drained in ${drain_s}s"
printf '%-8s %6s %8s %8s %8s %8s %8s %6s %s\n' target tps p50_ms p90_ms p99_ms p999_ms max_ms late outcomes
run() {  # name port tps
  "$loader" --port "$2" --tps "$3" --duration "$duration" --connections 16 > "$work/run.json"
  python3 - "$1" "$work/run.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[2]))
seen = {k: v for k, v in d["outcomes"].items() if v}
print(f'{sys.argv[1]:<8} {d["target_tps"]:>6.0f} {d["p50_ms"]:>8.3f} {d["p90_ms"]:>8.3f} '
      f'{d["p99_ms"]:>8.3f} {d["p999_ms"]:>8.3f} {d["max_ms"]:>8.2f} {d["late"]:>6} {seen}')
PY
}
for round in $(seq 1 "$rounds"); do
  for rate in $rates; do
    run gateway "$gw_port" "$rate"
    run nginx "$port" "$rate"
  done
done
echo "gateway store rows written after the runs: $(store_writes)"
