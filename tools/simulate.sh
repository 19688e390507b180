#!/usr/bin/env bash
# Runs the seeded whole-system simulation (tests/simulation, DESIGN.md "Proving it: the
# simulation"): the four services in one process under a seeded real-round workload and
# faults, the invariants I1-I7 checked after every step and at quiescence. Builds what it
# needs first (tools/build.sh). Examples:
#   tools/simulate.sh --seed 42                 replay one seed (its wiring is drawn from it)
#   tools/simulate.sh --seed 42 --steps 17 --wiring kafka   replay as a failure printed it
#   tools/simulate.sh --seeds 10000 --steps 60  a long run; prints seeds per minute,
#                                               simulated hours per second, faults fired
#   tools/simulate.sh --minutes 3 --regression tests/simulation/regression_seeds.txt
# Every option: tools/simulate.sh --help. Exit status 1 when a seed broke an invariant.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${REMISS_BUILD_DIR:-$top/build}
"$top/tools/build.sh" remiss-simulate >/dev/null
exec "$build/tests/simulation/remiss-simulate" "$@"
