#!/usr/bin/env bash
# Measures the committed server with the load tool, the way
# docs/performance.md reports it: the server pinned to core 0, the tool to
# core 1, a fresh server and data folder per workload, everything on
# loopback. Usage:
#   cmd/loadtest/measure.sh [OUTDIR] [WORKLOAD...]
# WORKLOAD: pairs10k findmax flood fanout idle churn rooms live (default: all),
# or cluster (cluster10k and clustermax): the figures of several nodes (docs/performance.md "Several nodes"):
# one node without Redis, two through Redis with both parties of a pair on one
# node (same) and on two (cross), each at 10,000 msgs/s three times and in a
# find-max search; both nodes on core 0, the tool on core 1, a shared SQLite
# file, the Redis at LOADTEST_REDIS_URL (default redis://127.0.0.1:6379/0)
# under a key prefix of each run's own, deleted after it.
# IDLE_HOLD sets how long idle holds its connections (default 150s);
# QUIET_TRIES how many 10 s waits for a quiet machine a run may take (40).
# Each run is bounded by the tool's -timeout; the whole script by the runs.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${1:-/tmp/loadtest-$(date +%Y%m%d-%H%M%S)}
shift || true
workloads=${*:-pairs10k findmax flood fanout idle churn rooms live}
addr=127.0.0.1:${LOADTEST_PORT:-18443}
addr2=127.0.0.1:$((${LOADTEST_PORT:-18443} + 1))
redis=${LOADTEST_REDIS_URL:-redis://127.0.0.1:6379/0}
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
  for _ in $(seq "${QUIET_TRIES:-40}"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    steal=$(steal_pct)
    awk -v l="$load" -v s="$steal" 'BEGIN { exit !(l < 0.7 && s < 3) }' && return 0
    echo "load average $load, steal $steal %: waiting for a quiet machine"
    sleep 5
  done
  echo "WARNING: load average $(cut -d' ' -f1 /proc/loadavg), steal $(steal_pct) %: measuring anyway" | tee -a "$out/notes.txt"
}

pids=()
datas=()
# start_node ADDR [VAR=value...]: a server pinned to core 0 with limits
# raised for load, the extra settings last (they win), and a data folder of
# its own.
start_node() {
  local a=$1 d
  shift
  d=$(mktemp -d)
  env CALLAPP_LISTEN="$a" CALLAPP_DATA_DIR="$d" CALLAPP_LOG_LEVEL=warn \
    CALLAPP_TURN_LISTEN=127.0.0.1:${LOADTEST_TURN_PORT:-13478} \
    CALLAPP_WS_MESSAGE_RATE=1000000 CALLAPP_WS_MESSAGE_BURST=1000000 \
    CALLAPP_CHAT_RATE=100 CALLAPP_CHAT_BURST=100 CALLAPP_METRICS=127.0.0.1 \
    CALLAPP_WS_MAX_PENDING_PER_IP=100000 CALLAPP_LOGIN_MAX_IP_FAILURES=1000 \
    CALLAPP_LIVE_MAX_VIEWERS=1000 "$@" \
    taskset -c 0 "$out/callapp-$rev" >>"$out/server.log" 2>&1 &
  pids+=($!)
  datas+=("$d")
  for _ in $(seq 100); do
    curl -fs "http://$a/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on $a did not start" >&2
  exit 1
}
pid=
data=
start_server() {
  start_node "$addr"
  pid=${pids[0]} data=${datas[0]}
}
stop_server() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "${datas[@]}"
  pids=() datas=()
}
shared=
prefix=
cleanup() {
  stop_server
  if [ -n "$prefix" ]; then
    redis-cli -u "$redis" --scan --pattern "$prefix*" | xargs -r -n 500 redis-cli -u "$redis" del >/dev/null
    prefix=
  fi
  [ -z "$shared" ] || rm -rf "$shared"
  shared=
}
trap cleanup EXIT

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

# node_run NAME NODES ARGS...: one run of the tool against NODES (1: one
# node without Redis; 2: two nodes joined through Redis), every node pinned
# to core 0 and sharing one SQLite file and its secrets; Redis's CPU is
# reported apart (in the one-node runs: what others' use of it cost).
node_run() {
  local name=$1 nodes=$2 key urls rpid cluster=()
  shift 2
  quiet
  shared=$(mktemp -d)
  key=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  echo "$key" >"$shared/session.key"
  local common=(CALLAPP_DB_DSN="$shared/callapp.db" CALLAPP_SESSION_KEY="$key"
    CALLAPP_TURN_SECRET="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" CALLAPP_TURN_ENABLED=false)
  if [ "$nodes" = 2 ]; then
    prefix="loadtest:$rev:$name:$$:"
    cluster=(CALLAPP_REDIS_URL="$redis" CALLAPP_REDIS_PREFIX="$prefix")
    start_node "$addr" "${common[@]}" "${cluster[@]}" CALLAPP_NODE_ID=lt1
    start_node "$addr2" "${common[@]}" "${cluster[@]}" CALLAPP_NODE_ID=lt2
    urls="http://$addr,http://$addr2"
  else
    start_node "$addr" "${common[@]}"
    urls="http://$addr"
  fi
  rpid=$(redis-cli -u "$redis" info server | tr -d '\r' | sed -n 's/^process_id://p')
  echo "== $name: loadtest -url $urls $* (load average $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/summary.txt"
  taskset -c 1 "$out/loadtest" -url "$urls" -pid "$(IFS=,; echo "${pids[*]}")" ${rpid:+-redis-pid "$rpid"} \
    -create-db "$shared/callapp.db" -session-key-file "$shared/session.key" -json-file "$out/$name.json" "$@" \
    >"$out/$name.txt" 2>"$out/$name.log" || echo "$name: loadtest failed (see $name.log)" | tee -a "$out/summary.txt"
  cat "$out/$name.txt" >>"$out/summary.txt"
  cleanup
}

# cluster10k and clustermax: the figures of docs/performance.md "Several
# nodes (issue 14)", each setting in turn so that the machine's swings fall
# on all three; cluster is both. A find-max step that fails while other
# processes took the CPU is repeated up to four times (twice elsewhere):
# both nodes and Redis share the machine with the tool.
cluster10k() {
  local i
  for i in 1 2 3; do
    node_run "one-10k-$i" 1 -workload pairs -pairs 100 -rate 10000 -duration 10s
    node_run "same-10k-$i" 2 -workload pairs -placement same -pairs 100 -rate 10000 -duration 10s
    node_run "cross-10k-$i" 2 -workload pairs -placement cross -pairs 100 -rate 10000 -duration 10s
  done
}
clustermax() {
  local fm=(-workload pairs -pairs 100 -find-max -runs 3 -rate 5000 -step 1.25 -refine 2 -duration 5s -busy-repeats 4)
  node_run one-findmax 1 "${fm[@]}"
  node_run same-findmax 2 "${fm[@]}" -placement same
  node_run cross-findmax 2 "${fm[@]}" -placement cross
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
  cluster) cluster10k && clustermax ;;
  cluster10k) cluster10k ;;
  clustermax) clustermax ;;
  live) tool live -workload live -viewers 200 -churn-rate 50 -churn-hold 2s -duration 10s ;;
  *) echo "unknown workload $w" >&2 ;;
  esac
done
echo "done: $out (commit $rev)"
