#!/usr/bin/env bash
# Runs the seeded whole-system simulation (tests/simulation, DESIGN.md "Proving it: the
# simulation"): the four services in one process under a seeded real-round workload and
# faults, the invariants I1-I7 checked after every step and at quiescence. Builds what it
# needs first (tools/build.sh). Examples:
#   tools/simulate.sh --seed 42                 replay one seed (its wiring is drawn from it)
#   tools/simulate.sh --seed 42 --steps 17 --wiring kafka   replay as a failure printed it
#   tools/simulate.sh --seeds 10000 --steps 60  a long run; prints seeds per minute,
#                                               simulated hours per second, faults fired
#   tools/simulate.sh --jobs 6 --seeds 10000 --first 1   the same seeds split over 6
#                                               processes (a seed spends most of its time
#                                               waiting for the services' threads, so more
#                                               processes than cores pay); prints each
#                                               process's summary and the total
#   tools/simulate.sh --minutes 3 --regression tests/simulation/regression_seeds.txt
# Every option: tools/simulate.sh --help. Exit status 1 when a seed broke an invariant.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${REMISS_BUILD_DIR:-$top/build}
"$top/tools/build.sh" remiss-simulate >/dev/null
sim="$build/tests/simulation/remiss-simulate"

jobs=1 seeds="" first="" dir="" rest=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --jobs) jobs=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --first) first=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    *) rest+=("$1"); shift ;;
  esac
done
args=("${rest[@]}")
if [ "$jobs" -le 1 ]; then
  exec "$sim" ${seeds:+--seeds "$seeds"} ${first:+--first "$first"} ${dir:+--dir "$dir"} "${args[@]}"
fi
if [ -z "$seeds" ]; then
  echo "simulate.sh: --jobs needs --seeds N (the seeds are split between the processes)" >&2
  exit 2
fi
first=${first:-$(( $(date +%s%N) / 1000 % 1000000000 ))}
base=${dir:-$([ -w /dev/shm ] && echo /dev/shm/remiss-sim || echo /tmp/remiss-sim)}
echo "seeds from $first, $seeds of them, in $jobs processes (stores under $base/job-K)"
began=$(date +%s)
pids=() outs=()
per=$(( (seeds + jobs - 1) / jobs ))
for ((k = 0; k < jobs; k++)); do
  from=$(( first + k * per ))
  n=$(( seeds - k * per < per ? seeds - k * per : per ))
  [ "$n" -gt 0 ] || break
  out="$base/job-$k.out"
  mkdir -p "$base/job-$k"
  "$sim" --seeds "$n" --first "$from" --dir "$base/job-$k" "${args[@]}" >"$out" 2>&1 &
  pids+=("$!") outs+=("$out")
done
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
trap - EXIT INT TERM
wall=$(( $(date +%s) - began ))
for o in "${outs[@]}"; do echo "== ${o%.out}"; cat "$o"; done
# Sums the processes' "ran N seeds (...), F failed, in T s: ... (H h in all), C commands" and
# "fired: [name] n ..." lines.
cat "${outs[@]}" | awk -v wall="$wall" '
  /^ran [0-9]+ seeds/ {
    seeds += $2
    for (i = 1; i <= NF; i++) {
      if ($(i + 1) == "failed,") failed += $i
      if ($i == "h" && $(i + 1) == "in" && $(i + 2) == "all),") hours += substr($(i - 1), 2)
      if ($(i + 1) == "commands") commands += $i
    }
  }
  /^fired:/ {
    line = $0
    while (match(line, /\[[^]]+\] [0-9]+/)) {
      item = substr(line, RSTART, RLENGTH)
      split(item, parts, "] ")
      fired[parts[1] "]"] += parts[2]
      line = substr(line, RSTART + RLENGTH)
    }
  }
  END {
    w = wall > 0 ? wall : 1
    printf "in all: %d seeds, %d failed, in %d s: %.1f seeds per minute, %.1f simulated hours per second (%d h in all), %d commands\n", seeds, failed, wall, seeds * 60 / w, hours / w, hours, commands
    printf "fired:"
    for (name in fired) printf " %s %d", name, fired[name]
    printf "\n"
  }'
exit "$status"
