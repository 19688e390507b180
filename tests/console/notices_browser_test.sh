#!/usr/bin/env bash
# The console's "Utskick" tables in a real browser. Starts a real mailpit (tools/mailpit.sh)
# that refuses Bromma's registry mailbox (550: it accepts only the other seed registries), and
# remissd (manual clock, fresh data) hosting the console with development sign-in and mailing
# notices there; loads both seed rounds with `remissctl demo`; then notices_test.cjs checks in
# Debian's Chromium (puppeteer-core) that the status board and the organization pages show
# Södermalm's round delivered and Bromma's refused and parked, axe-core at WCAG 2.1 AA on
# each; and mailpit holds Södermalm's mail and none of Bromma's. A missing tool fails the test.
# usage: notices_browser_test.sh <remissd> <remissctl> <repository top> <build dir>
set -euo pipefail
remissd=$1
remissctl=$2
top=$3
build=$4
fail() { echo "FAIL: $*" >&2; [ -f "${dir:-/nonexistent}/log" ] && { echo "--- remissd log:" >&2; tail -50 "$dir/log" >&2; }; exit 1; }

. "$top/tests/console/browser_tools.sh"
ensure_browser_tools "$top"
mailpit=$("$top/tools/mailpit.sh" path) || fail "mailpit is not built (tools/mailpit.sh build; tools/test.sh does)"

dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

smtp_port=$(free_port)
mail_port=$(free_port)
"$mailpit" --smtp "127.0.0.1:$smtp_port" --listen "127.0.0.1:$mail_port" --disable-version-check \
  --database "$dir/mailpit.db" \
  --smtp-allowed-recipients '^registrator\.(slk|sodermalm|hasselby-vallingby|skarholmen|utbildning|socialforvaltningen|kyrkogard)@' \
  >"$dir/mailpit.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$mail_port/api/v1/info" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$mail_port/api/v1/info" >/dev/null || fail "mailpit did not start: $(cat "$dir/mailpit.log")"

: >"$dir/log"
"$remissd" --listen 127.0.0.1:0 --data-dir "$dir/data" --manual-clock 2020-12-01T09:00:00+01:00 \
  --console-listen 127.0.0.1:0 --console-dev-signin \
  --smtp-url "smtp://127.0.0.1:$smtp_port" --smtp-from remiss@example.stockholm.se \
  --notices-domain example.stockholm.se --notices-backoff 100ms >"$dir/log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/log")
  console=$(sed -n 's/^remissd console on \(http:[^ ]*\).*/\1/p' "$dir/log")
  [ -n "$port" ] && [ -n "$console" ] && break
  sleep 0.1
done
[ -n "${console:-}" ] || fail "remissd did not say where the console is"

"$remissctl" --server "127.0.0.1:$port" demo >"$dir/demo.log" 2>&1 || { cat "$dir/demo.log" >&2; fail "remissctl demo failed"; }

artifacts=$build/test-artifacts/console-notices
rm -rf "$artifacts"
mkdir -p "$artifacts"
NODE_PATH=$browser_node_modules CONSOLE_URL=$console ARTIFACTS=$artifacts \
  AXE_PATH=$browser_node_modules/axe-core/axe.min.js \
  node "$top/tests/console/notices_test.cjs" || fail "the browser test failed (screenshots in $artifacts)"

# What mailpit holds agrees: Södermalm's registry got mail, Bromma's none.
curl -sf "http://127.0.0.1:$mail_port/api/v1/messages?limit=1000" >"$dir/messages.json" || fail "mailpit's API"
python3 - "$dir/messages.json" <<'PY' || fail "mailpit's messages"
import json, sys
to = [a["Address"] for m in json.load(open(sys.argv[1]))["messages"] for a in m["To"]]
assert "registrator.sodermalm@example.stockholm.se" in to, to
assert "registrator.bromma@example.stockholm.se" not in to, to
print(f"notices browser test: mailpit holds {len(to)} messages, none to Bromma")
PY
echo "notices browser test: OK; screenshots in $artifacts"
