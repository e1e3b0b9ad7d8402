#!/usr/bin/env bash
# End-to-end figures of the reference gateway, in one run on this machine (issue #4):
#  1. pay through the live gateway to the live simulator (no faults, keep-alive), once on an
#     HMAC-signed channel and once on an RSA-2048 one, against the simulator's own pay
#     endpoint driven directly by the same load tool (unsigned: wrk cannot sign);
#  2. a rejection answered to the merchant while the channel is switched off (fail-fast).
# wrk reports closed-loop latency (it waits for each answer), so p99 here is the service
# time under that load, not an open-loop figure. Everything listens on 127.0.0.1 and is
# stopped by its PID.
#
# Usage: [BUILD_DIR=build/ci] bench/gateway_e2e.sh [DURATION_S=10] [CONNECTIONS=64]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-64}
root=$(pwd)
source bench/lib.sh
build_fusebox_with_wrk


cat > "$work/sim.json" <<JSON
{"seed": 1, "channels": [
  {"name": "direct", "family": "wallet-json", "sign": "none", "tls": false,
   "latency_ms": {"pay": 0}, "notify": {"enabled": false},
   "outcome": {"success_p": 0, "decline_p": 0, "expire_after_s": 3600}},
  {"name": "hmac", "family": "wallet-json", "sign": "hmac-sha256", "tls": false,
   "latency_ms": {"pay": 0, "query": 0}, "notify": {"enabled": false},
   "outcome": {"success_p": 0, "decline_p": 0, "expire_after_s": 3600}},
  {"name": "rsa", "family": "wallet-json", "sign": "rsa-sha256", "tls": false,
   "latency_ms": {"pay": 0, "query": 0}, "notify": {"enabled": false},
   "outcome": {"success_p": 0, "decline_p": 0, "expire_after_s": 3600}}]}
JSON
# Polls would start after 5 s and compete with the load; this measures the pay path.
cat > "$work/gw.json" <<JSON
{"admin_token": "bench", "gateway": {"poller": {"schedule_s": [3600]},
  "channels": [
    {"name": "hmac", "family": "wallet-json", "bulkheads": {"pay": {"max_in_flight": 512, "max_pending": 4096}}},
    {"name": "rsa", "family": "wallet-json", "bulkheads": {"pay": {"max_in_flight": 512, "max_pending": 4096}}}]}}
JSON
start_simulator_and_gateway
direct=$(ready_field "$work/sim.ready" '["channels"]["direct"]["url"]')

run() {  # name url target [channel [connections]]: prints "name req/s p50 p99"
  local c=${5:-$connections} script="$root/bench/peers/pay.lua"
  TARGET=$3 CHANNEL=${4:-} RUN=w$RANDOM wrk -t1 -c"$c" -d2s -s "$script" "$2" >/dev/null 2>&1 || true
  TARGET=$3 CHANNEL=${4:-} RUN=m$RANDOM wrk -t1 -c"$c" -d"${duration}s" --latency -s "$script" "$2" \
    > "$work/wrk.out"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.out")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.out")
  printf '%-34s %10s req/s   p50 %8s   p99 %8s\n' "$1" "$rps" "$p50" "$p99"
  echo "$1|$rps" >> "$work/results"
}
echo "wrk -t1 -c$connections -d${duration}s --latency, $(nproc) cores, $(date -u +%F)"
run "simulator direct (unsigned)" "$direct" channel
run "gateway -> simulator, HMAC" "$api" gateway hmac
run "gateway -> simulator, RSA-2048" "$api" gateway rsa
curl -s -X POST -H 'Authorization: Bearer bench' "$api/admin/channels/hmac/switch" -d '{"enabled": false}' >/dev/null
run "fail-fast: switched off, 64 conns" "$api" gateway hmac
# The rejection's own latency: one connection, so no request waits behind another.
run "fail-fast: switched off, 1 conn" "$api" gateway hmac 1
echo "gateway RSS after the run: $(awk '/VmRSS/ {print $2/1024 " MiB"}' "/proc/$gw_pid/status")"
python3 - "$work/results" <<'PY'
import sys
r = {l.split("|")[0]: float(l.split("|")[1]) for l in open(sys.argv[1])}
d = r["simulator direct (unsigned)"]
for k in ("gateway -> simulator, HMAC", "gateway -> simulator, RSA-2048"):
    print(f"{k} / simulator direct: {r[k] / d:.0%}   (goal >= 50%)")
PY
