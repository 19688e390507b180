#!/usr/bin/env bash
# Configures and builds remiss into ./build (or $REMISS_BUILD_DIR). Extra arguments are
# ninja targets; none builds everything.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${REMISS_BUILD_DIR:-$top/build}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${REMISS_CMAKE_ARGS:-} >/dev/null
fi
cmake --build "$build" -- "$@"
