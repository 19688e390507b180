#!/usr/bin/env bash
# The console in a real browser. Starts remissd (manual clock, fresh data) hosting the console
# with development sign-in, loads both seed rounds with `remissctl demo`, then drives every
# page with Debian's Chromium through puppeteer-core (console_test.cjs): content checked
# against the seed documents, axe-core at WCAG 2.1 AA on every page (zero violations),
# screenshots in <build>/test-artifacts/console, a KS flow and a registrar flow clicked through.
# Installs what it needs (tools/setup.sh --with-console; the pinned npm packages into
# ~/.cache/remiss/console); a missing tool fails the test.
# usage: browser_test.sh <remissd> <remissctl> <repository top> <build dir>
set -euo pipefail
remissd=$1
remissctl=$2
top=$3
build=$4
fail() { echo "FAIL: $*" >&2; [ -f "${dir:-/nonexistent}/log" ] && { echo "--- remissd log:" >&2; tail -50 "$dir/log" >&2; }; exit 1; }

. "$top/tests/console/browser_tools.sh"
ensure_browser_tools "$top"

dir=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

: >"$dir/log"
"$remissd" --listen 127.0.0.1:0 --data-dir "$dir/data" --manual-clock 2020-12-01T09:00:00+01:00 \
  --console-listen 127.0.0.1:0 --console-dev-signin >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/log")
  console=$(sed -n 's/^remissd console on \(http:[^ ]*\).*/\1/p' "$dir/log")
  [ -n "$port" ] && [ -n "$console" ] && break
  kill -0 "$pid" 2>/dev/null || fail "remissd exited at start"
  sleep 0.1
done
[ -n "$console" ] || fail "remissd did not say where the console is"

"$remissctl" --server "127.0.0.1:$port" demo >"$dir/demo.log" 2>&1 || { cat "$dir/demo.log" >&2; fail "remissctl demo failed"; }

artifacts=$build/test-artifacts/console
rm -rf "$artifacts"
mkdir -p "$artifacts"
NODE_PATH=$browser_node_modules CONSOLE_URL=$console ARTIFACTS=$artifacts SEEDS=${REMISS_SEEDS:-/work/shared/seeds} \
  AXE_PATH=$browser_node_modules/axe-core/axe.min.js \
  node "$top/tests/console/console_test.cjs" || fail "the browser test failed (screenshots so far in $artifacts)"

kill -TERM "$pid"
wait "$pid" || true
pid=""
echo "console test: OK; screenshots in $artifacts"
