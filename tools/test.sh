#!/usr/bin/env bash
# Runs every test: installs the Debian packages, fetches the Kafka broker's jars and grpcurl
# (into ~/.cache/remiss and ~/go/bin, outside git), builds, and runs ctest, the tests against
# a real Kafka broker and the fault tests included; then, with no arguments, the integrators'
# contract (tools/contract.sh: AsyncAPI document, buf lint, buf breaking) and the libFuzzer
# targets for a bounded time each (tools/fuzz.sh, REMISS_FUZZ_SECONDS, default 20 here), and
# the deploy's checks (tools/deploy-check.sh: the Helm chart against a real kube-apiserver,
# the image, compose; its tools are built once into the cache, ~20 minutes the first time).
# Extra arguments go to ctest (e.g. -R referrals) and skip the contract, fuzz and deploy runs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/setup.sh" --with-kafka
# What the tests themselves would install (the console's browser, Prometheus), before they run.
"$top/tools/setup.sh" --with-console
"$top/tools/setup.sh" --with-observability
# Jaeger (for the trace tests) is built once into the cache (~10 min the first time), beside
# the build rather than inside a test, so that no test's timeout pays for it.
jaeger_log=$(mktemp)
"$top/tools/observability.sh" build-jaeger >"$jaeger_log" 2>&1 &
jaeger_pid=$!
# The deploy check's tools likewise (Go and npm builds into the cache, ~20 min the first time).
deploy_tools_pid=""
if [ "$#" -eq 0 ]; then
  "$top/tools/setup.sh" --with-deploy
  deploy_tools_log=$(mktemp)
  "$top/tools/deploy/tools.sh" ensure >"$deploy_tools_log" 2>&1 &
  deploy_tools_pid=$!
fi
# mailpit (the notices tests' SMTP server) likewise, once into the cache (~70 s).
mailpit_log=$(mktemp)
"$top/tools/mailpit.sh" build >"$mailpit_log" 2>&1 &
mailpit_pid=$!
trap 'kill "$jaeger_pid" "$mailpit_pid" $deploy_tools_pid 2>/dev/null || true' EXIT
"$top/tools/kafka/kafka.sh" fetch
"$top/tools/grpcurl.sh" >/dev/null
"$top/tools/build.sh"
wait "$jaeger_pid" || { cat "$jaeger_log" >&2; echo "test.sh: building Jaeger failed" >&2; exit 1; }
rm -f "$jaeger_log"
wait "$mailpit_pid" || { cat "$mailpit_log" >&2; echo "test.sh: building mailpit failed" >&2; exit 1; }
rm -f "$mailpit_log"
cd "${REMISS_BUILD_DIR:-$top/build}"
ctest --output-on-failure --timeout 600 -j2 "$@"
if [ "$#" -eq 0 ]; then
  "$top/tools/contract.sh"
  REMISS_FUZZ_SECONDS=${REMISS_FUZZ_SECONDS:-20} "$top/tools/fuzz.sh"
  wait "$deploy_tools_pid" || { cat "$deploy_tools_log" >&2; echo "test.sh: building the deploy tools failed" >&2; exit 1; }
  rm -f "$deploy_tools_log"
  REMISS_BUILD_DIR="${REMISS_BUILD_DIR:-$top/build}" "$top/tools/deploy-check.sh"
fi
