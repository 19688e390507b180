#!/usr/bin/env bash
# Runs the libFuzzer targets (tests/fuzz) for a bounded time each on their committed seed
# corpus: installs clang 14 and libFuzzer, builds the targets with ASan and UBSan into
# ./build-fuzz (or $REMISS_FUZZ_BUILD_DIR), and runs `ctest -L fuzz` there. A crash or a
# sanitizer report fails. REMISS_FUZZ_SECONDS sets how long each target runs (default 30).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${REMISS_FUZZ_BUILD_DIR:-$top/build-fuzz}
"$top/tools/setup.sh" --with-fuzz
seconds=${REMISS_FUZZ_SECONDS:-30}
if [ -f "$build/build.ninja" ]; then  # an existing build takes this run's time too
  cmake -S "$top" -B "$build" -DREMISS_FUZZ_SECONDS="$seconds" >/dev/null
fi
REMISS_BUILD_DIR="$build" \
REMISS_CMAKE_ARGS="-DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 -DREMISS_FUZZ=ON -DREMISS_FUZZ_SECONDS=$seconds" \
  "$top/tools/build.sh" identity_fuzz projectors_fuzz referrals_decide_fuzz responses_decide_fuzz \
  deadlines_decide_fuzz followup_decide_fuzz
cd "$build"
ctest --output-on-failure -L fuzz
