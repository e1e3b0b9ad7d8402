# Shared by the bench/ scripts: a scratch folder, processes stopped by PID on exit, and
# waiting (bounded) for servers and ready lines. Source it after `set -euo pipefail`.
work=$(mktemp -d)
pids=()
cleanup() {
  # CONT after TERM: a process a script paused (SIGSTOP) must run to act on the TERM.
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; kill -CONT "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() {  # url: wait until something answers
  for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "timed out waiting for $1" >&2; return 1
}
wait_ready() {  # file: wait until a ready line was written to it
  for _ in $(seq 1 300); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "no ready line in $1" >&2; return 1
}
ready_field() {  # file python-subscript: a field of the JSON ready line, e.g. '["control"]'
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$1" "$2"
}

# nginx answering every request with one fixed payment JSON: the loopback target the load
# generator and wrk are measured against. Sets `port`.
start_payment_nginx() {
  local body='{"payment_id":"pay-1","merchant_order_id":"bench-1","amount":100,"currency":"CNY","method":"wallet","status":"SUCCEEDED","channel":"wallet-a"}'
  port=$(free_port)
  mkdir -p "$work/nginx"
  cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $work/nginx;
  server { listen 127.0.0.1:$port; keepalive_requests 1000000;
    location / { default_type application/json; return 200 '$body'; } } }
CONF
  /usr/sbin/nginx -c "$work/nginx/nginx.conf" & pids+=("$!")
  wait_http "http://127.0.0.1:$port/"
}

# The fusebox binary for the gateway scripts, with wrk: BUILD_DIR names an already configured
# build to use as it is (say which in the figures); by default the release preset,
# configured and built here. Sets `fusebox`.
build_fusebox_with_wrk() {
  command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  local build=${BUILD_DIR:-build/release}
  if [ "$build" = build/release ]; then cmake --preset release >/dev/null; fi
  cmake --build "$build" --target fusebox >/dev/null
  fusebox=$build/harness/fusebox
}

# Needs $fusebox (build_fusebox_with_wrk).
start_simulator() {  # name sign pay-latency-ms: one plain-HTTP wallet-json channel NAME that
  # never settles, notifications off; sets sim_pid, control and url (the channel's).
  # SIM_SEND_THREADS, when set, is passed as --send-threads (default: the command's).
  cat > "$work/$1.json" <<JSON
{"seed": 1, "channels": [{"name": "$1", "family": "wallet-json", "sign": "$2", "tls": false,
  "latency_ms": {"pay": $3}, "notify": {"enabled": false},
  "outcome": {"success_p": 0, "decline_p": 0, "expire_after_s": 3600}}]}
JSON
  $fusebox simulator --config "$work/$1.json" ${SIM_SEND_THREADS:+--send-threads "$SIM_SEND_THREADS"} \
    > "$work/$1.ready" 2>"$work/$1.err" &
  sim_pid=$!
  pids+=("$sim_pid")
  wait_ready "$work/$1.ready"
  control=$(ready_field "$work/$1.ready" '["control"]')
  url=$(ready_field "$work/$1.ready" "[\"channels\"][\"$1\"][\"url\"]")
}

# Starts `fusebox simulator` on $work/sim.json and then `fusebox gateway` on $work/gw.json
# taking its channels from it, both stopped on exit. Sets `control`, `api` and `gw_pid`.
start_simulator_and_gateway() {
  $fusebox simulator --config "$work/sim.json" > "$work/sim.ready" 2>"$work/sim.err" &
  pids+=("$!")
  wait_ready "$work/sim.ready"
  control=$(ready_field "$work/sim.ready" '["control"]')
  $fusebox gateway --config "$work/gw.json" --simulator "$control" > "$work/gw.ready" \
    2>"$work/gw.err" &
  gw_pid=$!
  pids+=("$gw_pid")
  wait_ready "$work/gw.ready"
  api=$(ready_field "$work/gw.ready" '["api"]')
}

# The fail-fast benches' parts: one HMAC wallet that answers at once and never settles (so
# the fill's orders stay PROCESSING and nothing notifies), and a gateway whose polls wait an
# hour. Writes $work/sim.json and $work/gw.json; EXPECTED_ORDERS sizes the order tables, and
# FILE_STORE=1 gives the gateway a SQLite file in the scratch folder instead of :memory:.
write_failfast_configs() {
  local store='":memory:"'
  [ -n "${FILE_STORE:-}" ] && store="\"$work/gateway.db\""
  cat > "$work/sim.json" <<JSON
{"seed": 1, "channels": [
  {"name": "hmac", "family": "wallet-json", "sign": "hmac-sha256", "tls": false,
   "latency_ms": {"pay": 0, "query": 0}, "notify": {"enabled": false},
   "outcome": {"success_p": 0, "decline_p": 0, "expire_after_s": 3600}}]}
JSON
  cat > "$work/gw.json" <<JSON
{"admin_token": "bench", "store": $store, "gateway": {"expected_orders": ${EXPECTED_ORDERS:-0},
  "poller": {"schedule_s": [3600]},
  "channels": [{"name": "hmac", "family": "wallet-json",
                "bulkheads": {"pay": {"max_in_flight": 512, "max_pending": 4096}}}]}}
JSON
}
