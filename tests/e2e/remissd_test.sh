#!/usr/bin/env bash
# remissd as a user runs it: started from the command line, talked to with grpcurl through
# server reflection, stopped with SIGTERM, killed with SIGKILL, started again.
# usage: remissd_test.sh <remissd binary> <repository top>
set -euo pipefail
remissd=$1
top=$2
grpcurl=$("$top/tools/grpcurl.sh")
dir=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- remissd log:" >&2; cat "$dir/log" >&2 || true; exit 1; }

start() {
  : >"$dir/log"  # exists before the background job opens it, for the polling below
  "$remissd" --listen 127.0.0.1:0 --data-dir "$dir/data" >"$dir/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/log")
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || fail "remissd exited at start"
    sleep 0.1
  done
  fail "remissd did not start listening"
}
call() { "$grpcurl" -plaintext -max-time 10 -d "$2" "127.0.0.1:$port" "$1"; }
ok() { call "$@" >"$dir/out" 2>&1 || fail "$1 failed: $(cat "$dir/out")"; cat "$dir/out"; }
refused() {  # refused <method> <json> <code> <field>
  if call "$1" "$2" >"$dir/out" 2>&1; then fail "$1 accepted bad input: $2"; fi
  grep -q "Code: $3" "$dir/out" || fail "$1: expected $3, got: $(cat "$dir/out")"
  grep -q "$4" "$dir/out" || fail "$1: the error does not name $4: $(cat "$dir/out")"
}

start
services=$("$grpcurl" -plaintext -max-time 10 "127.0.0.1:$port" list)
for s in remiss.v1.ReferralService remiss.v1.AdminService grpc.health.v1.Health; do
  grep -qx "$s" <<<"$services" || fail "reflection does not list $s: $services"
done
ok grpc.health.v1.Health/Check '{}' | grep -q SERVING || fail "not SERVING"

R=remiss.v1.ReferralService
ok $R/RegisterOrganization '{"command_id":"o1","org_id":"ks","name":"Kommunstyrelsen","kind":"ORGANIZATION_KIND_KOMMUNSTYRELSE","may_send_rounds":true,"diary_prefix":"KS"}' >/dev/null
ok $R/RegisterOrganization '{"command_id":"o2","org_id":"bromma-sdn","name":"Bromma stadsdelsnämnd","kind":"ORGANIZATION_KIND_STADSDELSNAMND","diary_prefix":"BRO"}' >/dev/null
ok $R/CreateReferral '{"command_id":"r1","case_number":"KS 2019/1939","title":"Stockholms stads trygghetsprogram 2020-2023","sender_org_id":"ks"}' | grep -q '"id": "ks-2019-1939"' || fail "CreateReferral did not return the id"
ok $R/AddAddressee '{"command_id":"r2","referral_id":"ks-2019-1939","org_id":"bromma-sdn"}' >/dev/null
deadline=$(date -u -d '+30 days' +%F)
ok $R/SetDeadline "{\"command_id\":\"r3\",\"referral_id\":\"KS 2019/1939\",\"deadline\":\"$deadline\"}" >/dev/null
ok $R/IssueReferral '{"command_id":"r4","referral_id":"ks-2019-1939"}' >/dev/null

refused $R/CreateReferral '{"command_id":"bad1","case_number":"Kommunstyrelsen","title":"x","sender_org_id":"ks"}' InvalidArgument case_number
refused $R/AddAddressee '{"command_id":"bad2","referral_id":"ks-2019-1939","org_id":"nobody"}' NotFound org_id
refused $R/IssueReferral '{"command_id":"bad3","referral_id":"ks-2019-1939"}' FailedPrecondition status

ok $R/GetReferral '{"referral_id":"ks-2019-1939"}' >"$dir/before.json"
grep -q '"status": "REFERRAL_STATUS_ISSUED"' "$dir/before.json" || fail "not issued: $(cat "$dir/before.json")"
grep -q "\"stated_deadline\": \"$deadline\"" "$dir/before.json" || fail "no stated deadline: $(cat "$dir/before.json")"

# A clean stop, and everything is there after a start.
kill -TERM "$pid"
wait "$pid" || fail "remissd exited with $? on SIGTERM"
pid=""
grep -q "remissd: stopped" "$dir/log" || fail "no clean shutdown"
start
ok $R/GetReferral '{"referral_id":"ks-2019-1939"}' >"$dir/after.json"
diff "$dir/before.json" "$dir/after.json" || fail "the round changed across a restart"

# A crash right after an acknowledged command loses nothing.
ok $R/CloseReferral '{"command_id":"r5","referral_id":"ks-2019-1939","reason":"svaren är inne"}' >/dev/null
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=""
start
ok $R/GetReferral '{"referral_id":"ks-2019-1939"}' | grep -q REFERRAL_STATUS_CLOSED || fail "the close was lost in the crash"
ok remiss.v1.AdminService/GetPositions '{}' | grep -q '"log_position": "7"' || fail "expected 7 events in the log"
echo "remissd-e2e: 1 passed, 0 failed"
