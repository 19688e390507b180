#!/usr/bin/env bash
# The services as separate processes over a real Kafka broker, as they are deployed, each on
# a manual clock: remiss-referrals publishes, remiss-responses follows it and
# remiss-deadlines follows responses, over Kafka. A round issued in referrals becomes
# answerable in responses and has deadlines; a board that was not asked is refused; when
# the clocks pass the deadline, the board that did not answer is breached, once the
# responses feed is known to be complete past the due instant.
# usage: services_over_kafka_test.sh <build dir> <repository top>
set -euo pipefail
build=$1
top=$2
grpcurl=$("$top/tools/grpcurl.sh")
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$top/tools/kafka/kafka.sh" stop "$dir/kafka" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$dir"/*.log; do echo "--- $f:" >&2; cat "$f" >&2; done
  exit 1
}

mkdir -p "$dir/kafka"
REMISS_KAFKA_OWNER_PID=$$ "$top/tools/kafka/kafka.sh" start "$dir/kafka" >/dev/null || fail "no broker"
brokers=$(cat "$dir/kafka/bootstrap")

# start <name> <binary>: starts it on a free port; sets the variable <name>_port.
start() {
  : >"$dir/$1.log"
  "$2" --listen 127.0.0.1:0 --data-dir "$dir/$1-data" --kafka-brokers "$brokers" \
    --manual-clock 2021-02-01T09:00:00+01:00 >"$dir/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/$1.log")
    if [ -n "$port" ]; then eval "$1_port=$port"; return 0; fi
    sleep 0.1
  done
  fail "$1 did not start"
}
start referrals "$build/services/referrals/remiss-referrals"
start responses "$build/services/responses/remiss-responses"
start deadlines "$build/services/deadlines/remiss-deadlines"

call() { "$grpcurl" -plaintext -max-time 10 -d "$3" "127.0.0.1:$1" "$2"; }
ok() { call "$@" >"$dir/out" 2>&1 || fail "$2 failed: $(cat "$dir/out")"; cat "$dir/out"; }

R=remiss.v1.ReferralService
P=remiss.v1.ResponseService
ok "$referrals_port" $R/RegisterOrganization '{"command_id":"o1","org_id":"ks","name":"Kommunstyrelsen","kind":"ORGANIZATION_KIND_KOMMUNSTYRELSE","may_send_rounds":true}' >/dev/null
ok "$referrals_port" $R/RegisterOrganization '{"command_id":"o2","org_id":"bromma-sdn","name":"Bromma stadsdelsnämnd","kind":"ORGANIZATION_KIND_STADSDELSNAMND","diary_prefix":"BRO"}' >/dev/null
ok "$referrals_port" $R/RegisterOrganization '{"command_id":"o3","org_id":"polisen","name":"Polisregion Stockholm","kind":"ORGANIZATION_KIND_EXTERN"}' >/dev/null
ok "$referrals_port" $R/CreateReferral '{"command_id":"r1","case_number":"KS 2019/1939","title":"Stockholms stads trygghetsprogram 2020-2023","sender_org_id":"ks"}' >/dev/null
ok "$referrals_port" $R/AddAddressee '{"command_id":"r2","referral_id":"ks-2019-1939","org_id":"bromma-sdn"}' >/dev/null
deadline=2021-02-26
ok "$referrals_port" $R/SetDeadline "{\"command_id\":\"r3\",\"referral_id\":\"ks-2019-1939\",\"deadline\":\"$deadline\"}" >/dev/null
ok "$referrals_port" $R/IssueReferral '{"command_id":"r4","referral_id":"ks-2019-1939"}' >/dev/null

# The round reaches the responses process over Kafka.
for _ in $(seq 1 300); do
  if call "$responses_port" $P/GetResponse '{"referral_id":"ks-2019-1939","org_id":"bromma-sdn"}' >"$dir/out" 2>&1; then break; fi
  sleep 0.1
done
grep -q '"stage": "RESPONSE_STAGE_AWAITING"' "$dir/out" || fail "the round never reached responses: $(cat "$dir/out")"
grep -q "\"stated_deadline\": \"$deadline\"" "$dir/out" || fail "wrong stated deadline: $(cat "$dir/out")"

today=2021-02-01
ok "$responses_port" $P/RegisterResponse "{\"command_id\":\"p1\",\"referral_id\":\"KS 2019/1939\",\"org_id\":\"bromma-sdn\",\"diary_number\":\"BRO 2020/440\",\"registered_on\":\"$today\"}" >/dev/null
if call "$responses_port" $P/RegisterResponse "{\"command_id\":\"p2\",\"referral_id\":\"ks-2019-1939\",\"org_id\":\"polisen\",\"diary_number\":\"POL 2021/1\",\"registered_on\":\"$today\"}" >"$dir/out" 2>&1; then
  fail "a board that was not asked could register an answer"
fi
grep -q "Code: NotFound" "$dir/out" && grep -q "org_id" "$dir/out" || fail "wrong refusal: $(cat "$dir/out")"

# A later change of terms (an addressee added after issue) follows too.
ok "$referrals_port" $R/AddAddressee '{"command_id":"r5","referral_id":"ks-2019-1939","org_id":"polisen"}' >/dev/null
for _ in $(seq 1 300); do
  if call "$responses_port" $P/GetResponse '{"referral_id":"ks-2019-1939","org_id":"polisen"}' >/dev/null 2>&1; then break; fi
  sleep 0.1
done
ok "$responses_port" $P/RegisterResponse "{\"command_id\":\"p3\",\"referral_id\":\"ks-2019-1939\",\"org_id\":\"polisen\",\"diary_number\":\"POL 2021/1\",\"registered_on\":\"$today\"}" >/dev/null
ok "$responses_port" remiss.v1.AdminService/GetPositions '{}' | grep -q '"source": "referrals"' || fail "no feed position for referrals"
# Deadlines hear of the round over Kafka, through responses.
D=remiss.v1.DeadlineService
for _ in $(seq 1 300); do
  if call "$deadlines_port" $D/GetDeadline '{"referral_id":"ks-2019-1939","org_id":"bromma-sdn"}' >"$dir/out" 2>&1 \
     && grep -q '"effective_date": "2021-02-26"' "$dir/out"; then break; fi
  sleep 0.1
done
grep -q '"effective_date": "2021-02-26"' "$dir/out" || fail "no deadline over Kafka: $(cat "$dir/out")"

# Past the deadline on every clock: Bromma never submitted, so it is breached.
for port in "$referrals_port" "$responses_port" "$deadlines_port"; do
  ok "$port" remiss.v1.AdminService/SetClock '{"to":"2021-02-27T00:30:00+01:00"}' >/dev/null
done
for _ in $(seq 1 300); do
  if call "$deadlines_port" $D/GetDeadline '{"referral_id":"ks-2019-1939","org_id":"bromma-sdn"}' >"$dir/out" 2>&1 \
     && grep -q DEADLINE_OUTCOME_BREACHED "$dir/out"; then break; fi
  sleep 0.1
done
grep -q DEADLINE_OUTCOME_BREACHED "$dir/out" || fail "no breach over Kafka: $(cat "$dir/out")"
echo "services-over-kafka: 1 passed, 0 failed"
