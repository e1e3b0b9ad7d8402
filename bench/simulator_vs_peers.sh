#!/usr/bin/env bash
# Throughput of the simulator against its peers, in one run on this machine: wrk drives the
# wallet-json pay endpoint over plain HTTP and over TLS, WireMock (tuned: no request journal,
# async responses) and Mountebank serving a stub of the same JSON body, and nginx returning
# that body over HTTP and HTTPS as the loopback ceiling; our own tool (fusebox_bank_load)
# drives the bank-binary channel's three front-end nodes with pipelined pay frames. Each
# runs for DURATION seconds with CONNECTIONS keep-alive connections (no signatures on the
# wallets, the bank's MAC on, no faults). Every server listens on 127.0.0.1 and is stopped
# by its PID. bench/simulator_limits.sh measures RSA signing, 1,000 connections and RSS.
#
# Usage: [BUILD_DIR=build/ci] bench/simulator_vs_peers.sh [DURATION_S=10] [CONNECTIONS=64] [ROUNDS=1]
# BUILD_DIR names an already configured build to use as it is (say which in the figures); by
# default the release preset, configured and built here. With ROUNDS > 1 the servers are
# driven in turn that many times and each round's ratios are printed: this machine is noisy.
# Peers are installed on first use: wrk and nginx-light from Debian, wiremock and mountebank
# from npm into build/peers (not committed). Needs Java for WireMock.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-64}
rounds=${3:-1}
build=${BUILD_DIR:-build/release}
root=$(pwd)
source bench/lib.sh

for tool in wrk nginx java; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light default-jre-headless >/dev/null; break; }
done
if [ ! -d build/peers/node_modules/wiremock ] || [ ! -d build/peers/node_modules/mountebank ]; then
  mkdir -p build/peers && (cd build/peers && npm init -y >/dev/null && npm install --silent wiremock mountebank)
fi
if [ "$build" = build/release ]; then cmake --preset release >/dev/null; fi
cmake --build "$build" --target fusebox fusebox_bank_load >/dev/null

body='{"amount":100,"code":"SUCCESS","currency":"CNY","message":"OK","nonce":"n1","order_id":"o-1","state":"PAYING","timestamp":1}'

# fusebox simulator: a wallet-json channel over plain HTTP and one over TLS, no signatures,
# no latency, no faults; a bank-binary channel with three nodes that approves every pay.
cat > "$work/sim.json" <<JSON
{"seed": 1, "channels": [
  {"name": "bench", "family": "wallet-json", "sign": "none", "tls": false,
   "latency_ms": {"pay": 0}, "notify": {"enabled": false},
   "outcome": {"success_p": 0, "decline_p": 0, "expire_after_s": 3600}},
  {"name": "tls", "family": "wallet-json", "sign": "none", "tls": true,
   "latency_ms": {"pay": 0}, "notify": {"enabled": false},
   "outcome": {"success_p": 0, "decline_p": 0, "expire_after_s": 3600}},
  {"name": "bank", "family": "bank-binary", "nodes": 3, "latency_ms": {"pay": 0},
   "outcome": {"success_p": 1, "decline_p": 0}}]}
JSON
"$build"/harness/fusebox simulator --config "$work/sim.json" > "$work/sim.ready" 2>"$work/sim.err" &
sim_pid=$!; pids+=("$sim_pid")
wait_ready "$work/sim.ready"
sim_url=$(ready_field "$work/sim.ready" '["channels"]["bench"]["url"]')
sim_tls_url=$(ready_field "$work/sim.ready" '["channels"]["tls"]["url"]')
control=$(ready_field "$work/sim.ready" '["control"]')
bank_ports=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["channels"]["bank"]; print(",".join(n.rsplit(":", 1)[1] for n in d["nodes"]))' "$work/sim.ready")
bank_key=$(curl -s "$control/channels" | python3 -c 'import json,sys; print(next(c["hmac_secret"] for c in json.load(sys.stdin) if c["name"] == "bank"))')

# nginx: the same body from a static location, over HTTP and over HTTPS (a self-signed
# RSA-2048 certificate, as the simulator's own).
nginx_port=$(free_port); nginx_tls_port=$(free_port)
mkdir -p "$work/nginx"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -keyout "$work/nginx/key.pem" -out "$work/nginx/cert.pem" 2>/dev/null
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $work/nginx;
  server { listen 127.0.0.1:$nginx_port; keepalive_requests 1000000;
    location / { default_type application/json; return 200 '$body'; } }
  server { listen 127.0.0.1:$nginx_tls_port ssl; keepalive_requests 1000000;
    ssl_certificate $work/nginx/cert.pem; ssl_certificate_key $work/nginx/key.pem;
    location / { default_type application/json; return 200 '$body'; } } }
CONF
/usr/sbin/nginx -c "$work/nginx/nginx.conf" & pids+=("$!")

# WireMock, tuned as its docs advise for load: no request journal, async responses.
wm_port=$(free_port)
java -jar "$(ls build/peers/node_modules/wiremock/build/wiremock-standalone-*.jar)" --port "$wm_port" \
  --bind-address 127.0.0.1 --no-request-journal --async-response-enabled true --disable-banner \
  > "$work/wiremock.log" 2>&1 &
wm_pid=$!; pids+=("$wm_pid")
wait_http "http://127.0.0.1:$wm_port/__admin/mappings"
curl -s -X POST "http://127.0.0.1:$wm_port/__admin/mappings" -d "$(python3 -c 'import json,sys; print(json.dumps({"request":{"method":"POST","url":"/v1/pay"},"response":{"status":200,"headers":{"Content-Type":"application/json"},"body":sys.argv[1]}}))' "$body")" >/dev/null

# Mountebank: an HTTP imposter with the same stub.
mb_port=$(free_port); imposter_port=$(free_port)
build/peers/node_modules/.bin/mb --port "$mb_port" --host 127.0.0.1 --logfile "$work/mb.log" > "$work/mb.out" 2>&1 &
mb_pid=$!; pids+=("$mb_pid")
wait_http "http://127.0.0.1:$mb_port/imposters"
curl -s -X POST "http://127.0.0.1:$mb_port/imposters" -H 'Content-Type: application/json' -d "$(python3 -c 'import json,sys; print(json.dumps({"port":int(sys.argv[2]),"protocol":"http","host":"127.0.0.1","stubs":[{"responses":[{"is":{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":sys.argv[1]}}]}]}))' "$body" "$imposter_port")" >/dev/null

wait_http "http://127.0.0.1:$nginx_port/"
# WireMock's JVM compiles and collects in the background, and Mountebank's node keeps
# timers, after their own runs: each is paused (SIGSTOP) while another server is measured,
# so no server is measured against a peer's leftover work.
only_peer_running() {  # pid of the peer to run, or none: pauses the others
  for pid in "$wm_pid" "$mb_pid"; do
    if [ "$pid" = "$1" ]; then kill -CONT "$pid"; else kill -STOP "$pid"; fi
  done
}
run() {  # name url [peer pid]: prints "name req/s"
  only_peer_running "${3:-none}"
  wrk -t1 -c"$connections" -d2s -s "$root/bench/peers/pay.lua" "$2" >/dev/null 2>&1 || true  # warm-up
  local rps
  rps=$(wrk -t1 -c"$connections" -d"${duration}s" -s "$root/bench/peers/pay.lua" "$2" | awk '/Requests\/sec/ {print $2}')
  printf '%-22s %12s req/s\n' "$1" "$rps"
  echo "$1 $rps" >> "$work/results"
}
run_bank() {  # our pipelined load on the bank's three nodes, about CONNECTIONS in all
  only_peer_running none
  local per_node=$(( (connections + 2) / 3 ))
  "$build"/bench/fusebox_bank_load --ports "$bank_ports" --mac-key "$bank_key" \
    --connections "$per_node" --depth 4 --warmup 2 --duration "$duration" --run "r$1"
}
echo "wrk -t1 -c$connections -d${duration}s, POST /v1/pay, $(nproc) cores, $(date -u +%F), build $build"
for round in $(seq 1 "$rounds"); do
  [ "$rounds" -gt 1 ] && echo "round $round"
  : > "$work/results"
  run "fusebox simulator" "$sim_url"
  run "nginx (ceiling)" "http://127.0.0.1:$nginx_port"
  run "WireMock (tuned)" "http://127.0.0.1:$wm_port" "$wm_pid"
  run "Mountebank" "http://127.0.0.1:$imposter_port" "$mb_pid"
  run "fusebox simulator TLS" "$sim_tls_url"
  run "nginx TLS (ceiling)" "https://127.0.0.1:$nginx_tls_port"
  run_bank "$round"
  python3 - "$work/results" <<'PY'
import sys
r = {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1]) for l in open(sys.argv[1])}
s = r["fusebox simulator"]
print(f"simulator / WireMock (tuned): {s / r['WireMock (tuned)']:.2f}x   (target >= 2x)")
print(f"simulator / nginx:            {s / r['nginx (ceiling)']:.0%}    (target >= 70%)")
print(f"simulator / Mountebank:       {s / r['Mountebank']:.2f}x")
t = r["fusebox simulator TLS"]
print(f"simulator TLS / nginx TLS:    {t / r['nginx TLS (ceiling)']:.0%}")
print(f"simulator TLS / plain:        {t / s:.0%}")
PY
done
sim_rss=$(awk '/VmRSS/ {print $2/1024 " MiB"}' "/proc/$sim_pid/status")
echo "fusebox simulator RSS after the run: $sim_rss"
