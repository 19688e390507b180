#!/usr/bin/env bash
# remissd on a manual clock, as a demonstration or a black-box test would run it: KS issues
# a round, one board answers in time, the clock is moved past the deadline through the admin
# service, and the other board shows as breached and overdue.
# usage: remissd_deadlines_test.sh <remissd binary> <repository top>
set -euo pipefail
remissd=$1
top=$2
grpcurl=$("$top/tools/grpcurl.sh")
dir=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- remissd log:" >&2; cat "$dir/log" >&2 || true; exit 1; }

: >"$dir/log"
"$remissd" --listen 127.0.0.1:0 --data-dir "$dir/data" --manual-clock 2021-02-01T09:00:00+01:00 >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || fail "remissd did not start"
call() { "$grpcurl" -plaintext -max-time 10 -d "$2" "127.0.0.1:$port" "$1"; }
ok() { call "$@" >"$dir/out" 2>&1 || fail "$1 failed: $(cat "$dir/out")"; cat "$dir/out"; }
# await <method> <json> <pattern>: polls (bounded) until the answer matches.
await() {
  for _ in $(seq 1 100); do
    if call "$1" "$2" >"$dir/out" 2>&1 && grep -q "$3" "$dir/out"; then return 0; fi
    sleep 0.1
  done
  fail "$1 never answered with $3: $(cat "$dir/out")"
}

R=remiss.v1.ReferralService
P=remiss.v1.ResponseService
D=remiss.v1.DeadlineService
A=remiss.v1.AdminService
ok $A/GetClock '{}' | grep -q '"manual": true' || fail "not on the manual clock"
ok $R/RegisterOrganization '{"command_id":"o1","org_id":"ks","name":"Kommunstyrelsen","kind":"ORGANIZATION_KIND_KOMMUNSTYRELSE","may_send_rounds":true}' >/dev/null
for org in bromma-sdn sodermalm-sdn; do
  ok $R/RegisterOrganization "{\"command_id\":\"o-$org\",\"org_id\":\"$org\",\"name\":\"$org\",\"kind\":\"ORGANIZATION_KIND_STADSDELSNAMND\"}" >/dev/null
done
ok $R/CreateReferral '{"command_id":"r1","case_number":"KS 2019/1939","title":"Stockholms stads trygghetsprogram 2020-2023","sender_org_id":"ks"}' >/dev/null
for org in bromma-sdn sodermalm-sdn; do
  ok $R/AddAddressee "{\"command_id\":\"a-$org\",\"referral_id\":\"ks-2019-1939\",\"org_id\":\"$org\"}" >/dev/null
done
ok $R/SetDeadline '{"command_id":"r2","referral_id":"ks-2019-1939","deadline":"2021-02-26","working_day_rule":true}' >/dev/null
ok $R/IssueReferral '{"command_id":"r3","referral_id":"ks-2019-1939"}' >/dev/null

await $D/GetDeadline '{"referral_id":"ks-2019-1939","org_id":"bromma-sdn"}' '"effective_date": "2021-02-26"'
grep -q '"days_left": 25' "$dir/out" || fail "days left: $(cat "$dir/out")"

# Södermalm answers in time, on delegation.
S='"referral_id":"ks-2019-1939","org_id":"sodermalm-sdn"'
ok $A/SetClock '{"to":"2021-02-25T10:00:00+01:00"}' >/dev/null
await $P/GetResponse "{$S}" RESPONSE_STAGE_AWAITING
ok $P/RegisterResponse "{\"command_id\":\"s1\",$S,\"diary_number\":\"SÖ 2021/61\",\"registered_on\":\"2021-02-02\"}" >/dev/null
ok $P/RecordStatement "{\"command_id\":\"s2\",$S,\"statement\":{\"proposed_decision\":[\"Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.\"],\"summary\":\"Förvaltningen ställer sig positiv.\",\"standpoint\":\"STANDPOINT_POSITIVE\"}}" >/dev/null
ok $P/RecordDelegationDecision "{\"command_id\":\"s3\",$S,\"delegation\":{\"decided_by_name\":\"Stadsdelsdirektören\",\"decided_by_title\":\"Stadsdelsdirektör\",\"date\":\"2021-02-25\",\"decision_text\":\"Svaret lämnas på delegation.\"}}" >/dev/null
ok $P/SubmitResponse "{\"command_id\":\"s4\",$S}" >/dev/null
await $D/GetDeadline "{$S}" DEADLINE_OUTCOME_MET

# The deadline passes; Bromma has not answered.
ok $A/SetClock '{"to":"2021-02-27T00:30:00+01:00"}' >/dev/null
await $D/ListOverdue '{}' DEADLINE_OUTCOME_BREACHED
grep -q '"org_id": "bromma-sdn"' "$dir/out" || fail "Bromma is not overdue: $(cat "$dir/out")"
grep -q 'sodermalm-sdn' "$dir/out" && fail "Södermalm answered in time: $(cat "$dir/out")"
if call $A/SetClock '{"to":"2021-01-01T00:00:00Z"}' >"$dir/out" 2>&1; then fail "the clock moved backwards"; fi
echo "remissd-deadlines: 1 passed, 0 failed"
