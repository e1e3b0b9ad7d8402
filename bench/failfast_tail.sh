#!/usr/bin/env bash
# Where the fail-fast tail comes from (issue #4; docs/PERFORMANCE.md, "Where the fail-fast
# tail comes from"). One simulator and one gateway on 127.0.0.1, a short fill at 64
# connections, the channel switched off, then rounds of wrk -c1 that alternate variants on
# the same gateway, so each variant sees the same machine:
#   bad-request   a pay with amount -1: answered 400 by the same loop, nothing stored
#   switched-off  a pay to the switched-off channel: rejected, a FAILED payment stored
#   writer-nice10 the same, the store's writer thread reniced to 10
#   writer-idle   the same, the writer at SCHED_IDLE
# Thread priorities are changed from outside (renice, chrt) on every gateway thread but the
# event loop's; the gateway itself is unchanged.
#
# Usage: [BUILD_DIR=build/ci] [EXPECTED_ORDERS=N] bench/failfast_tail.sh [ROUNDS=4] [DURATION_S=6]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-4}
duration=${2:-6}
source bench/lib.sh
build_fusebox_with_wrk

write_failfast_configs
start_simulator_and_gateway
gw=$gw_pid
sed 's/"amount":100,/"amount":-1,/' bench/peers/pay.lua > "$work/bad.lua"

TARGET=gateway CHANNEL=hmac RUN=fill wrk -t1 -c64 -d5s -s bench/peers/pay.lua "$api" >/dev/null
curl -s -X POST -H 'Authorization: Bearer bench' "$api/admin/channels/hmac/switch" \
  -d '{"enabled": false}' >/dev/null

writer() {  # normal|nice10|idle: the scheduling of every gateway thread but the event loop
  for task in /proc/"$gw"/task/*; do
    local tid=${task##*/}
    [ "$tid" = "$gw" ] && continue
    case $1 in
      normal) chrt -o -p 0 "$tid"; renice -n 0 -p "$tid" >/dev/null ;;
      nice10) chrt -o -p 0 "$tid"; renice -n 10 -p "$tid" >/dev/null ;;
      idle) renice -n 0 -p "$tid" >/dev/null; chrt -i -p 0 "$tid" ;;
    esac
  done
}
echo "wrk -t1 -c1 -d${duration}s --latency, $rounds rounds, $(nproc) cores, $(date -u +%F)"
for round in $(seq 1 "$rounds"); do
  for variant in bad-request switched-off writer-nice10 writer-idle; do
    script=bench/peers/pay.lua
    case $variant in
      bad-request) script=$work/bad.lua; writer normal ;;
      switched-off) writer normal ;;
      writer-nice10) writer nice10 ;;
      writer-idle) writer idle ;;
    esac
    TARGET=gateway CHANNEL=hmac RUN=r$round$RANDOM wrk -t1 -c1 -d"${duration}s" --latency \
      -s "$script" "$api" > "$work/wrk.out"
    printf '%-14s %10s req/s   p50 %8s   p90 %8s   p99 %8s\n' "$variant" \
      "$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")" \
      "$(awk '$1 == "50%" {print $2}' "$work/wrk.out")" \
      "$(awk '$1 == "90%" {print $2}' "$work/wrk.out")" \
      "$(awk '$1 == "99%" {print $2}' "$work/wrk.out")"
  done
done
