#!/usr/bin/env bash
# remissd fails clearly at start: a taken port, a data directory in use by another process,
# plaintext off loopback, metrics off loopback, unreadable TLS files, a CRL directory without a
# list and an unreadable flag each end with one line naming the cause and a non-zero exit, never
# a crash; and one address is one server (no port reuse).
# usage: remissd_startup_test.sh <remissd binary>
set -euo pipefail
remissd=$1
dir=$(mktemp -d)
pid=""
cleanup() { if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_refusal <name> <pattern> <remissd args...>: exits non-zero (not a signal), says one
# line on stderr that matches the pattern.
expect_refusal() {
  local name=$1 pattern=$2
  shift 2
  local code=0
  timeout 30 "$remissd" "$@" >"$dir/$name.out" 2>"$dir/$name.err" || code=$?
  [ "$code" -ne 0 ] || fail "$name: remissd started"
  [ "$code" -lt 128 ] || fail "$name: remissd died of signal $((code - 128)): $(cat "$dir/$name.err")"
  [ "$code" -ne 124 ] || fail "$name: remissd did not exit"
  [ "$(grep -c . "$dir/$name.err")" -eq 1 ] || fail "$name: not one line: $(cat "$dir/$name.err")"
  grep -q -- "$pattern" "$dir/$name.err" || fail "$name: '$pattern' not in: $(cat "$dir/$name.err")"
  echo "ok: $name: exit $code: $(cat "$dir/$name.err")"
}

: >"$dir/log"
"$remissd" --listen 127.0.0.1:0 --data-dir "$dir/a" >"$dir/log" 2>&1 &
pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/log")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "remissd exited at start: $(cat "$dir/log")"
  sleep 0.1
done
[ -n "$port" ] || fail "remissd did not start listening"

expect_refusal taken-port "--listen: cannot serve on 127.0.0.1:$port" --listen "127.0.0.1:$port" --data-dir "$dir/b"
expect_refusal data-dir-in-use "--data-dir: .* is in use by another process" --listen 127.0.0.1:0 --data-dir "$dir/a"
expect_refusal unreadable-flag "--max-message-bytes: must be a number" --max-message-bytes lots --data-dir "$dir/c"
expect_refusal unknown-flag "--colour: unknown flag" --colour red --data-dir "$dir/c"
expect_refusal bad-clock "--manual-clock: must be an RFC 3339 time" --manual-clock yesterday --data-dir "$dir/c"
expect_refusal plaintext-off-loopback "--listen: refusing to serve plaintext on 0.0.0.0:0" --listen 0.0.0.0:0 --data-dir "$dir/c"
# Finding 13: metrics off loopback only when asked for; finding 5: a CRL directory with no list.
expect_refusal metrics-off-loopback "--metrics-listen 0.0.0.0:0: not a loopback address" --listen 127.0.0.1:0 --metrics-listen 0.0.0.0:0 --data-dir "$dir/c"
mkdir -p "$dir/no-crl"
expect_refusal crl-dir-empty "--tls-crl-dir: .* holds no certificate revocation list" --listen 127.0.0.1:0 --tls-cert /dev/null --tls-key /dev/null --tls-ca /dev/null --tls-crl-dir "$dir/no-crl" --data-dir "$dir/c"
expect_refusal tls-unreadable "--tls-cert: cannot read /nonexistent/server.pem" --listen 0.0.0.0:0 --tls-cert /nonexistent/server.pem --tls-key /nonexistent/server.key --tls-ca /nonexistent/ca.pem --data-dir "$dir/c"
kill -0 "$pid" 2>/dev/null || fail "the first remissd died"
echo "1 passed, 0 failed"
