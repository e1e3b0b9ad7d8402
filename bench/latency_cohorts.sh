#!/usr/bin/env bash
# Why the 50 ms / 1,000-connection test of bench/simulator_limits.sh sometimes falls short:
# ROUNDS rounds of it (wrk -t1 -c1000, DURATION_S each after a 2 s warm-up), each with one
# second of the simulator's recvmsg and sendmsg/sendto calls (sendto: its sender threads)
# traced by `perf record` (syscall tracepoints, so it needs root), and per round:
#   - held: per connection, request read -> its answer sent (50 ms is the fault; more is the
#     simulator's one event loop working through a cohort of answers due together);
#   - client: answer sent -> that connection's next request read (wrk's turnaround);
#   - bursts: answers sent with less than 0.5 ms between them, how many a second and how big.
# Every server listens on 127.0.0.1 and is stopped by its PID.
#
# Usage: [BUILD_DIR=build/ci] bench/latency_cohorts.sh [DURATION_S=5] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5}
rounds=${2:-3}
root=$(pwd)
source bench/lib.sh
build_fusebox_with_wrk
command -v perf >/dev/null || { echo "needs perf (linux-perf)" >&2; exit 2; }

echo "$(nproc) cores, $(date -u +%F), $fusebox, ${duration}s per round"
for round in $(seq "$rounds"); do
  start_simulator slow none 50  # a fresh process each round
  RUN=w$round wrk -t1 -c1000 -d2s -s "$root/bench/peers/pay.lua" "$url" >/dev/null 2>&1 || true
  (sleep 1; perf record -q -e syscalls:sys_enter_recvmsg,syscalls:sys_exit_recvmsg \
     -e syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendto \
     -p "$sim_pid" -o "$work/trace.data" -- sleep 1 >/dev/null 2>&1) &
  tracer=$!
  RUN=m$round wrk -t1 -c1000 -d"${duration}s" --latency -s "$root/bench/peers/pay.lua" "$url" > "$work/slow.wrk"
  wait "$tracer" || true
  kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true
  perf script -i "$work/trace.data" -F time,event,trace 2>/dev/null > "$work/trace.txt"
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/slow.wrk")
  p50=$(awk '$1 == "50%" {print $2}' "$work/slow.wrk")
  python3 - "$work/trace.txt" "$round" "$rps" "$p50" <<'PY'
import re, sys
path, round_, rps, p50 = sys.argv[1:]
recv_at, last_send, held, client, sends = {}, {}, [], [], []
pending = None
for line in open(path):
    m = re.match(r'\s*([0-9.]+):\s+(\S+):\s*(.*)', line)
    if not m:
        continue
    t, event, rest = float(m.group(1)), m.group(2), m.group(3)
    if event.endswith('sys_enter_recvmsg'):
        pending = (int(re.search(r'fd: (0x[0-9a-f]+|\d+)', rest).group(1), 0), t)
    elif event.endswith('sys_exit_recvmsg'):
        ret = int(re.search(r'(0x[0-9a-f]+|-?\d+)\s*$', rest).group(1), 0)
        if pending and 0 < ret < 2**63:
            fd = pending[0]
            if fd in last_send:
                client.append(t - last_send.pop(fd))
            recv_at[fd] = t
        pending = None
    elif event.endswith('sys_enter_sendmsg') or event.endswith('sys_enter_sendto'):
        fd = int(re.search(r'fd: (0x[0-9a-f]+|\d+)', rest).group(1), 0)
        sends.append(t)
        if fd in recv_at:
            held.append(t - recv_at.pop(fd))
        last_send[fd] = t
def q(values, p):
    values = sorted(values)
    return values[int(p * (len(values) - 1))] * 1000 if values else float('nan')
sizes, n = [], 1
for a, b in zip(sends, sends[1:]):
    if b - a < 0.0005:
        n += 1
    else:
        sizes.append(n)
        n = 1
sizes = sorted(sizes + [n]) if sends else [0]
print(f"round {round_}: {float(rps):,.0f} req/s = {float(rps) / 20000:.0%} of ideal, p50 {p50}; "
      f"held p50 {q(held, .5):.1f} / p90 {q(held, .9):.1f} ms; client p50 {q(client, .5):.1f} ms; "
      f"{len(sizes)} bursts a second, median {sizes[len(sizes) // 2]} answers, p90 {sizes[int(.9 * (len(sizes) - 1))]}")
PY
done
