#!/usr/bin/env bash
# Operators see a deadline breach: remissd on a manual clock with --metrics-listen, scraped by
# a real Prometheus (tools/observability.sh) with infra/observability/alerts.yml. KS issues a
# round to two boards, one answers, the clock passes the deadline: Prometheus's
# RemissDeadlineBreached alert fires for the other board, with the organization as a label.
# Then every panel query of infra/observability/dashboards/*.json runs without error against
# that Prometheus.
# usage: observability_test.sh <remissd binary> <repository top>
set -euo pipefail
remissd=$1
top=$2
grpcurl=$("$top/tools/grpcurl.sh")
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  "$top/tools/observability.sh" stop "$dir/stack" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$dir/log" "$dir/stack/prometheus.log"; do echo "--- $f:" >&2; tail -50 "$f" >&2 || true; done
  exit 1
}

: >"$dir/log"
"$remissd" --listen 127.0.0.1:0 --data-dir "$dir/data" --manual-clock 2021-02-01T09:00:00+01:00 \
  --metrics-listen 127.0.0.1:0 >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || fail "remissd did not start"
metrics=$(sed -n 's|.*metrics on http://\(127\.0\.0\.1:[0-9]*\)/metrics.*|\1|p' "$dir/log")
[ -n "$metrics" ] || fail "remissd did not say where its metrics are"
curl -sf "http://$metrics/metrics" | grep -q '^remiss_log_position{store="referrals"}' ||
  fail "no remiss_log_position on http://$metrics/metrics"

REMISS_SCRAPE_INTERVAL=1s "$top/tools/observability.sh" start "$dir/stack" "$metrics" >/dev/null ||
  fail "the observability stack did not start"
prom=$(cat "$dir/stack/prometheus_url")

call() { "$grpcurl" -plaintext -max-time 10 -d "$2" "127.0.0.1:$port" "$1"; }
ok() { call "$@" >"$dir/out" 2>&1 || fail "$1 failed: $(cat "$dir/out")"; cat "$dir/out"; }
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
ok $R/RegisterOrganization '{"command_id":"o1","org_id":"ks","name":"Kommunstyrelsen","kind":"ORGANIZATION_KIND_KOMMUNSTYRELSE","may_send_rounds":true}' >/dev/null
for org in bromma-sdn sodermalm-sdn; do
  ok $R/RegisterOrganization "{\"command_id\":\"o-$org\",\"org_id\":\"$org\",\"name\":\"$org\",\"kind\":\"ORGANIZATION_KIND_STADSDELSNAMND\"}" >/dev/null
done
ok $R/CreateReferral '{"command_id":"r1","case_number":"KS 2019/1939","title":"Stockholms stads trygghetsprogram 2020-2023","sender_org_id":"ks"}' >/dev/null
for org in bromma-sdn sodermalm-sdn; do
  ok $R/AddAddressee "{\"command_id\":\"a-$org\",\"referral_id\":\"ks-2019-1939\",\"org_id\":\"$org\"}" >/dev/null
done
ok $R/SetDeadline '{"command_id":"r2","referral_id":"ks-2019-1939","deadline":"2021-02-26"}' >/dev/null
ok $R/IssueReferral '{"command_id":"r3","referral_id":"ks-2019-1939"}' >/dev/null
await $D/GetDeadline '{"referral_id":"ks-2019-1939","org_id":"bromma-sdn"}' '"effective_date": "2021-02-26"'

S='"referral_id":"ks-2019-1939","org_id":"sodermalm-sdn"'
ok $A/SetClock '{"to":"2021-02-25T10:00:00+01:00"}' >/dev/null
await $P/GetResponse "{$S}" RESPONSE_STAGE_AWAITING
ok $P/RegisterResponse "{\"command_id\":\"s1\",$S,\"diary_number\":\"SÖ 2021/61\",\"registered_on\":\"2021-02-02\"}" >/dev/null
ok $P/DeclineResponse "{\"command_id\":\"s2\",$S,\"reason\":\"Nämnden avstår från att yttra sig.\"}" >/dev/null
await $D/GetDeadline "{$S}" DEADLINE_OUTCOME_DECLINED

# The deadline passes; Bromma has not answered.
ok $A/SetClock '{"to":"2021-02-27T00:30:00+01:00"}' >/dev/null
await $D/ListOverdue '{}' DEADLINE_OUTCOME_BREACHED

# The alert fires, for Bromma and only Bromma.
firing=""
for _ in $(seq 1 120); do
  curl -sf "$prom/api/v1/alerts" >"$dir/alerts" || true
  firing=$(python3 - "$dir/alerts" <<'PY'
import json, sys
alerts = json.load(open(sys.argv[1]))["data"]["alerts"]
print(" ".join(sorted(a["labels"].get("org", "?") for a in alerts
                      if a["labels"]["alertname"] == "RemissDeadlineBreached" and a["state"] == "firing")))
PY
)
  [ -n "$firing" ] && break
  sleep 0.5
done
[ "$firing" = "bromma-sdn" ] || fail "RemissDeadlineBreached firing for [$firing], not [bromma-sdn]: $(cat "$dir/alerts")"

# Every dashboard panel's query runs without error.
python3 - "$prom" "$top"/infra/observability/dashboards/*.json <<'PY' || fail "a dashboard query failed"
import json, sys, urllib.parse, urllib.request
prom, files = sys.argv[1], sys.argv[2:]
n = 0
for f in files:
    for panel in json.load(open(f))["panels"]:
        for target in panel.get("targets", []):
            url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": target["expr"]})
            try:
                answer = json.load(urllib.request.urlopen(url, timeout=10))
            except Exception as e:
                sys.exit(f"{f}: panel {panel['title']!r}: {target['expr']}: {e}")
            if answer.get("status") != "success":
                sys.exit(f"{f}: panel {panel['title']!r}: {target['expr']}: {answer}")
            n += 1
print(f"observability: {n} dashboard queries ran")
PY
echo "observability: 1 passed, 0 failed"
