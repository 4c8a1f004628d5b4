#!/usr/bin/env bash
# Measures the committed server with the load tool, the way
# docs/performance.md reports it: the server pinned to core 0, the tool to
# core 1, a fresh server and data folder per workload, everything on
# loopback. Usage:
#   cmd/loadtest/measure.sh [OUTDIR] [WORKLOAD...]
# WORKLOAD: pairs10k findmax flood fanout idle churn rooms live (default: all).
# IDLE_HOLD sets how long idle holds its connections (default 150s).
# Each run is bounded by the tool's -timeout; the whole script by the runs.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${1:-/tmp/loadtest-$(date +%Y%m%d-%H%M%S)}
shift || true
workloads=${*:-pairs10k findmax flood fanout idle churn rooms live}
addr=127.0.0.1:${LOADTEST_PORT:-18443}
mkdir -p "$out"

rev=$(git rev-parse --short HEAD)
echo "measuring commit $rev into $out"
src=$(mktemp -d)
git archive HEAD | tar -x -C "$src"
(cd "$src" && go build -o "$out/callapp-$rev" . && go build -o "$out/loadtest" ./cmd/loadtest)
rm -rf "$src"

# Other work shares this machine, and the hypervisor may give the cores to
# other machines (steal time, which the load average does not show): wait,
# at most 7 minutes, until the load average is under 0.7 and under 3 % of
# the last 5 seconds were stolen.
cpu_line() { head -1 /proc/stat; }
steal_pct() {
  local a b
  a=$(cpu_line); sleep 5; b=$(cpu_line)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x); split(b, y); t = 0
    for (i = 2; i <= 9; i++) t += y[i] - x[i]
    printf "%.1f", (t > 0 ? 100 * (y[9] - x[9]) / t : 0) }'
}
quiet() {
  local load steal
  for _ in $(seq 40); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    steal=$(steal_pct)
    awk -v l="$load" -v s="$steal" 'BEGIN { exit !(l < 0.7 && s < 3) }' && return 0
    echo "load average $load, steal $steal %: waiting for a quiet machine"
    sleep 5
  done
  echo "WARNING: load average $(cut -d' ' -f1 /proc/loadavg), steal $(steal_pct) %: measuring anyway" | tee -a "$out/notes.txt"
}

pid=
start_server() {
  data=$(mktemp -d)
  env CALLAPP_LISTEN="$addr" CALLAPP_DATA_DIR="$data" CALLAPP_LOG_LEVEL=warn \
    CALLAPP_TURN_LISTEN=127.0.0.1:${LOADTEST_TURN_PORT:-13478} \
    CALLAPP_WS_MESSAGE_RATE=1000000 CALLAPP_WS_MESSAGE_BURST=1000000 \
    CALLAPP_CHAT_RATE=100 CALLAPP_CHAT_BURST=100 CALLAPP_METRICS=127.0.0.1 \
    CALLAPP_WS_MAX_PENDING_PER_IP=100000 CALLAPP_LOGIN_MAX_IP_FAILURES=1000 \
    CALLAPP_LIVE_MAX_VIEWERS=1000 \
    taskset -c 0 "$out/callapp-$rev" >>"$out/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    curl -fs "http://$addr/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not start" >&2
  exit 1
}
stop_server() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap stop_server EXIT

# tool NAME ARGS...: one run against a fresh server, table and JSON kept.
tool() {
  local name=$1
  shift
  quiet
  start_server
  echo "== $name: loadtest $* (load average $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/summary.txt"
  taskset -c 1 "$out/loadtest" -url "http://$addr" -data-dir "$data" -pid "$pid" -json-file "$out/$name.json" "$@" \
    >"$out/$name.txt" 2>"$out/$name.log" || echo "$name: loadtest failed (see $name.log)" | tee -a "$out/summary.txt"
  cat "$out/$name.txt" >>"$out/summary.txt"
  stop_server
}

for w in $workloads; do
  case $w in
  pairs10k) for i in 1 2 3; do tool "pairs10k-$i" -workload pairs -pairs 100 -rate 10000 -duration 10s; done ;;
  findmax) tool findmax -workload pairs -pairs 100 -find-max -runs 3 -rate 10000 -step 1.25 -refine 2 -duration 5s ;;
  flood) tool flood -workload pairs -pairs 100 -rate 10000 -duration 10s -login-flood 32 ;;
  fanout) for i in 1 2 3; do tool "fanout-$i" -workload fanout -users 2000 -interval 100ms -duration 10s -drain 5s; done ;;
  idle) for i in 1 2 3; do tool "idle-$i" -workload idle -conns 10000 -concurrency 64 -duration "${IDLE_HOLD:-150s}" -timeout 30m -metrics-url "http://$addr/metrics"; done ;;
  churn) tool churn -workload churn -pairs 100 -rate 2000 -churn-users 200 -churn-rate 50 -churn-hold 2s -duration 10s ;;
  rooms) tool rooms -workload rooms -rooms 100 -rate 10000 -duration 10s ;;
  live) tool live -workload live -viewers 200 -churn-rate 50 -churn-hold 2s -duration 10s ;;
  *) echo "unknown workload $w" >&2 ;;
  esac
done
echo "done: $out (commit $rev)"
