#!/usr/bin/env bash
# Where remissd spends its CPU under figure (a)'s load: remissd on core 0, the load generator
# on core 1 (as tools/bench/run.sh pins them), perf recording remissd's threads meanwhile.
# Prints the load's result line and the CPU by thread (the stores' writer and syncer threads
# are named "store <service>" and "sync <service>", the feeds "feed <source>", gRPC's
# "nexting_thread"), then leaves perf.data for `perf report -i DIR/perf.data`.
#
#   tools/bench/profile.sh [register|mix|noop-register|noop-mix] [CLIENTS] [SECONDS]
#
# Defaults: register, 64 clients, 8 seconds (after 3 seconds of warm-up). Needs perf
# (Debian: linux-perf) and root or kernel.perf_event_paranoid <= 1. Nothing here asserts.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${REMISS_BUILD_DIR:-$top/build}
workload=${1:-register}
clients=${2:-64}
seconds=${3:-8}
command -v perf >/dev/null || { echo "profile.sh: perf is missing (apt-get install linux-perf)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "profile.sh: needs two cores (server and load apart)" >&2; exit 1; }

REMISS_BUILD_DIR="$build" "$top/tools/build.sh" remissd remiss-bench-grpc >&2
dir=$(mktemp -d /tmp/remiss-profile.XXXXXX)
: >"$dir/remissd.log"  # exists before the background job opens it, for the polling below
taskset -c 0 "$build/services/remissd/remissd" --listen 127.0.0.1:0 --data-dir "$dir/data" \
  >"$dir/remissd.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/remissd.log")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/remissd.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "profile.sh: remissd did not start" >&2; exit 1; }
load() {
  taskset -c 1 "$build/tools/remiss-bench-grpc" --target "127.0.0.1:$port" --workload "$workload" \
    --clients "$clients" --seconds "$1" --server-pid "$pid"
}
load 3 >/dev/null  # warm-up: the stores hold some data, the connections are up
perf record -F 2000 -g -p "$pid" -o "$dir/perf.data" -- sleep "$seconds" >"$dir/perf.log" 2>&1 &
perf_pid=$!
load "$seconds"
wait "$perf_pid" || true
echo "CPU by thread:"
perf report -i "$dir/perf.data" --no-children --sort comm -g none 2>/dev/null |
  grep -v '^#' | grep -v '^$' | head -15
echo "profile.sh: perf report -i $dir/perf.data --children --sort sym   (where the time goes)"
