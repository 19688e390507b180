#!/usr/bin/env bash
# The fault tests (tests/faults) at full size, with their figures.
#
#   tools/faults.sh [gtest filter]      e.g. tools/faults.sh 'SigkillUnderLoad.*'
#
# Builds what they need into ./build (or $REMISS_BUILD_DIR), runs each test binary with
# REMISS_FAULTS_SIZE=full (20 kills in a row, more clients and commands, the broker down for
# 60 s, ten relay deaths after Kafka's acknowledgement, ...), and prints every
# figure the tests report ("[ figures ] <test>: <name> = <value>") and the seed of each run
# ("[ seed ] ..."); a failing run replays with REMISS_FAULTS_SEED=<seed>. Any size can be
# set on its own: REMISS_FAULTS_KILLS, REMISS_FAULTS_CLIENTS, REMISS_FAULTS_COMMANDS, ...
# (see tests/faults/*.cc). The whole output of each binary goes to $REMISS_FAULTS_LOG_DIR
# (default: a new temporary directory, printed). Exits non-zero if any test failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${REMISS_BUILD_DIR:-$top/build}
filter=${1:-*}
tests=(faults_sigkill_test faults_storage_test faults_random_workload_test faults_kafka_test
       faults_random_kafka_test)
REMISS_BUILD_DIR=$build "$top/tools/build.sh" "${tests[@]}" >/dev/null
logs=${REMISS_FAULTS_LOG_DIR:-$(mktemp -d /tmp/remiss-faults-XXXXXX)}
mkdir -p "$logs"
echo "tools/faults.sh: full size; each test's output in $logs"
failed=0
for t in "${tests[@]}"; do
  start=$(date +%s)
  if REMISS_FAULTS_SIZE=${REMISS_FAULTS_SIZE:-full} "$build/tests/faults/$t" \
      --gtest_filter="$filter" >"$logs/$t.log" 2>&1; then
    result=passed
  else
    result=FAILED
    failed=1
  fi
  grep -E '^\[ (seed|figures) \]|^\[  (FAILED|SKIPPED|     OK) \]' "$logs/$t.log" || true
  echo "== $t: $result in $(( $(date +%s) - start )) s"
  if [ "$result" = FAILED ]; then
    grep -E 'Failure|Expected|Which is|  Actual|error:' "$logs/$t.log" | head -40 || true
  fi
done
exit $failed
