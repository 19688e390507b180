#!/usr/bin/env bash
# Traces in a real Jaeger v2 (tools/observability.sh; infra/observability/jaeger.yaml).
#
#   traces_test.sh remissd <remissd binary> <repository top>
#     remissd with --otlp-endpoint on a manual clock: KS issues a round (the call carries a
#     traceparent of the test's own), Bromma misses its deadline. The breach is found through
#     Jaeger's query API by organization: a span deadline.breached with status ERROR, the
#     referral, organization, due instant and days late as attributes, and a link to the
#     trace that issued the round, which itself reaches from referrals through responses to
#     deadlines. The breach's JSON log line names that span. Jaeger's span metrics reach the
#     same Prometheus.
#   traces_test.sh kafka <build dir> <repository top>
#     the four services as their own processes over a real Kafka broker, each exporting to
#     Jaeger: one board's SubmitResponse trace holds spans of responses (the call, the commit,
#     the publish), deadlines and followup (their consumers), joined through Kafka headers.
set -euo pipefail
mode=$1
top=$3
grpcurl=$("$top/tools/grpcurl.sh")
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$top/tools/kafka/kafka.sh" stop "$dir/kafka" >/dev/null 2>&1 || true
  "$top/tools/observability.sh" stop "$dir/stack" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$dir"/*.log "$dir"/*.err "$dir/stack/jaeger.log"; do
    [ -f "$f" ] || continue
    echo "--- $f:" >&2
    tail -60 "$f" >&2
  done
  exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The stack first (remiss's metrics address is chosen beforehand), then the servers.
metrics_port=$(free_port)
REMISS_SCRAPE_INTERVAL=1s "$top/tools/observability.sh" start "$dir/stack" "127.0.0.1:$metrics_port" \
  >"$dir/stack.log" 2>&1 || fail "the observability stack did not start: $(cat "$dir/stack.log")"
otlp=$(cat "$dir/stack/jaeger_otlp")
jaeger=$(cat "$dir/stack/jaeger_query_url")
prom=$(cat "$dir/stack/prometheus_url")

# start <name> <binary> [flags...]: starts it on a free port; sets <name>_port.
start() {
  local name=$1 binary=$2
  shift 2
  : >"$dir/$name.log"
  "$binary" --listen 127.0.0.1:0 --data-dir "$dir/$name-data" \
    --manual-clock 2021-02-01T09:00:00+01:00 --otlp-endpoint "$otlp" "$@" >"$dir/$name.log" \
    2>"$dir/$name.err" &
  pids+=($!)
  for _ in $(seq 1 300); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/$name.log")
    if [ -n "$port" ]; then eval "${name}_port=$port"; return 0; fi
    sleep 0.1
  done
  fail "$name did not start"
}

# call <port> <method> <json> [traceparent]
call() {
  local headers=()
  [ -n "${4:-}" ] && headers=(-rpc-header "traceparent: $4")
  "$grpcurl" -plaintext -max-time 10 "${headers[@]}" -d "$3" "127.0.0.1:$1" "$2"
}
ok() { call "$@" >"$dir/out" 2>&1 || fail "$2 failed: $(cat "$dir/out")"; cat "$dir/out"; }
await() {
  for _ in $(seq 1 300); do
    if call "$1" "$2" "$3" >"$dir/out" 2>&1 && grep -q "$4" "$dir/out"; then return 0; fi
    sleep 0.1
  done
  fail "$2 never answered with $4: $(cat "$dir/out")"
}
# jaeger_until <python condition over `data` (the answer's JSON)> <path and query>: polls the
# query API (spans arrive in batches) until the condition holds; leaves the answer in $dir/jaeger.json.
jaeger_until() {
  for _ in $(seq 1 150); do
    if curl -sf "$jaeger$2" >"$dir/jaeger.json" 2>/dev/null &&
        python3 -c "import json,sys; data=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" \
          "$dir/jaeger.json" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  fail "Jaeger never answered $2 with what was expected ($1): $(head -c 3000 "$dir/jaeger.json" 2>/dev/null)"
}
urlq() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }

R=remiss.v1.ReferralService
P=remiss.v1.ResponseService
D=remiss.v1.DeadlineService
A=remiss.v1.AdminService
issue_trace=4bf92f3577b34da6a3ce929d0e0e4736
issue_tp="00-$issue_trace-00f067aa0ba902b7-01"
submit_trace=0af7651916cd43dd8448eb211c80319c
submit_tp="00-$submit_trace-b7ad6b7169203331-01"

# The round, to Bromma and Södermalm; the issuing call carries the test's trace context.
round() {
  local r=$1
  ok "$r" $R/RegisterOrganization '{"command_id":"o1","org_id":"ks","name":"Kommunstyrelsen","kind":"ORGANIZATION_KIND_KOMMUNSTYRELSE","may_send_rounds":true}' >/dev/null
  for org in bromma-sdn sodermalm-sdn; do
    ok "$r" $R/RegisterOrganization "{\"command_id\":\"o-$org\",\"org_id\":\"$org\",\"name\":\"$org\",\"kind\":\"ORGANIZATION_KIND_STADSDELSNAMND\"}" >/dev/null
  done
  ok "$r" $R/CreateReferral '{"command_id":"r1","case_number":"KS 2019/1939","title":"Stockholms stads trygghetsprogram 2020-2023","sender_org_id":"ks"}' >/dev/null
  for org in bromma-sdn sodermalm-sdn; do
    ok "$r" $R/AddAddressee "{\"command_id\":\"a-$org\",\"referral_id\":\"ks-2019-1939\",\"org_id\":\"$org\"}" >/dev/null
  done
  ok "$r" $R/SetDeadline '{"command_id":"r2","referral_id":"ks-2019-1939","deadline":"2021-02-26"}' >/dev/null
  ok "$r" $R/IssueReferral '{"command_id":"r3","referral_id":"ks-2019-1939"}' "$issue_tp" >/dev/null
}

# Södermalm answers in time (on delegation); the submission carries the test's trace context.
answer() {
  local p=$1 d=$2
  local S='"referral_id":"ks-2019-1939","org_id":"sodermalm-sdn"'
  await "$p" $P/GetResponse "{$S}" RESPONSE_STAGE_AWAITING
  await "$d" $D/GetDeadline "{$S}" '"effective_date": "2021-02-26"'
  ok "$p" $P/RegisterResponse "{\"command_id\":\"s1\",$S,\"diary_number\":\"SÖ 2021/61\",\"registered_on\":\"2021-02-01\"}" >/dev/null
  ok "$p" $P/RecordStatement "{\"command_id\":\"s2\",$S,\"statement\":{\"proposed_decision\":[\"Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.\"],\"summary\":\"Förvaltningen ställer sig positiv.\",\"standpoint\":\"STANDPOINT_POSITIVE\"}}" >/dev/null
  ok "$p" $P/RecordDelegationDecision "{\"command_id\":\"s3\",$S,\"delegation\":{\"decided_by_name\":\"Stadsdelsdirektören\",\"decided_by_title\":\"Stadsdelsdirektör\",\"date\":\"2021-02-01\",\"decision_text\":\"Svaret lämnas på delegation.\"}}" >/dev/null
  ok "$p" $P/SubmitResponse "{\"command_id\":\"s4\",$S}" "$submit_tp" >/dev/null
  await "$d" $D/GetDeadline "{$S}" DEADLINE_OUTCOME_MET
}

# The services of a trace, by its spans' processes.
services_of='sorted({t["processes"][s["processID"]]["serviceName"] for t in data["data"] for s in t["spans"]})'

case "$mode" in
remissd)
  start remissd "$2" --metrics-listen "127.0.0.1:$metrics_port"
  port=$remissd_port
  round "$port"
  answer "$port" "$port"
  # The deadline passes; Bromma has not answered.
  ok "$port" $A/SetClock '{"to":"2021-02-27T00:30:00+01:00"}' >/dev/null
  await "$port" $D/ListOverdue '{}' DEADLINE_OUTCOME_BREACHED

  # The breach, found by its organization.
  tags=$(urlq '{"remiss.org_id":"bromma-sdn"}')
  jaeger_until 'any(s["operationName"] == "deadline.breached" for t in data["data"] for s in t["spans"])' \
    "/api/traces?service=deadlines&operation=deadline.breached&tags=$tags&lookback=1h&limit=20"
  python3 - "$dir/jaeger.json" "$issue_trace" >"$dir/breach" 2>&1 <<'PY' || fail "the breach span: $(cat "$dir/breach")"
import json, sys
data, issue = json.load(open(sys.argv[1])), sys.argv[2]
spans = [s for t in data["data"] for s in t["spans"] if s["operationName"] == "deadline.breached"]
if len(spans) != 1:
    sys.exit(f"{len(spans)} breach spans for bromma-sdn, not 1")
s = spans[0]
tags = {t["key"]: t["value"] for t in s["tags"]}
want = {"remiss.referral_id": "ks-2019-1939", "remiss.org_id": "bromma-sdn",
        "remiss.due_at": "2021-02-26T23:00:00Z", "otel.status_code": "ERROR", "error": True}
for k, v in want.items():
    if tags.get(k) != v:
        sys.exit(f"tag {k} = {tags.get(k)!r}, not {v!r}: {tags}")
if tags.get("remiss.days_late") != 1:
    sys.exit(f"remiss.days_late = {tags.get('remiss.days_late')!r}, not 1 (the day after the effective date)")
links = [r for r in s.get("references", []) if r["traceID"] == issue]
if not links:
    sys.exit(f"no link to the issuing trace {issue}: {s.get('references')}")
print(s["traceID"], s["spanID"])
PY
  read -r breach_trace breach_span <"$dir/breach"

  # The issuing trace reaches from the call in referrals through responses to deadlines.
  jaeger_until "set($services_of) >= {'referrals', 'responses', 'deadlines', 'followup'}" \
    "/api/traces/$issue_trace"
  # The breach's log line: JSON, naming the breach span; no names of persons in it.
  grep '"event":"deadline_breached"' "$dir/remissd.err" >"$dir/breach.log" || fail "no breach log line"
  python3 - "$dir/breach.log" "$breach_trace" "$breach_span" <<'PY' || fail "the breach log line"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
bromma = [l for l in lines if l.get("org_id") == "bromma-sdn"]
assert len(bromma) == 1, lines
l = bromma[0]
assert l["trace_id"] == sys.argv[2] and l["span_id"] == sys.argv[3], (l, sys.argv[2:])
assert l["referral_id"] == "ks-2019-1939" and l["days_late"] == "1", l
PY
  # Jaeger's span metrics reach the same Prometheus.
  for _ in $(seq 1 150); do
    if curl -sf "$prom/api/v1/query?query=$(urlq 'sum(traces_span_metrics_calls_total{service_name="deadlines",span_name="deadline.breached",status_code="STATUS_CODE_ERROR"})')" >"$dir/prom.json" &&
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["data"]["result"]; sys.exit(0 if r and float(r[0]["value"][1]) >= 1 else 1)' "$dir/prom.json"; then
      spm=ok
      break
    fi
    sleep 0.2
  done
  [ "${spm:-}" = ok ] || fail "no span metrics of the breach in Prometheus: $(cat "$dir/prom.json")"
  # And the exporter dropped nothing.
  for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$metrics_port/metrics" >"$dir/metrics.txt" || true
    grep -q '^remiss_trace_spans_exported_total [1-9]' "$dir/metrics.txt" && break
    sleep 0.2
  done
  grep -q '^remiss_trace_spans_exported_total [1-9]' "$dir/metrics.txt" ||
    fail "remiss_trace_spans_exported_total is not counted: $(grep '^remiss_trace' "$dir/metrics.txt")"
  ;;
kafka)
  build=$2
  mkdir -p "$dir/kafka"
  REMISS_KAFKA_OWNER_PID=$$ "$top/tools/kafka/kafka.sh" start "$dir/kafka" >/dev/null || fail "no broker"
  brokers=$(cat "$dir/kafka/bootstrap")
  start referrals "$build/services/referrals/remiss-referrals" --kafka-brokers "$brokers"
  start responses "$build/services/responses/remiss-responses" --kafka-brokers "$brokers"
  start deadlines "$build/services/deadlines/remiss-deadlines" --kafka-brokers "$brokers"
  start followup "$build/services/followup/remiss-followup" --kafka-brokers "$brokers"
  round "$referrals_port"
  answer "$responses_port" "$deadlines_port"
  jaeger_until "set($services_of) >= {'responses', 'deadlines', 'followup'}" "/api/traces/$submit_trace"
  python3 - "$dir/jaeger.json" <<'PY' || fail "the submission's trace: $(head -c 4000 "$dir/jaeger.json")"
import json, sys
data = json.load(open(sys.argv[1]))
spans = [(t["processes"][s["processID"]]["serviceName"], s["operationName"], s) for t in data["data"] for s in t["spans"]]
names = {(svc, op) for svc, op, _ in spans}
# (The commit's span is the call's child only when its group held that command alone.)
for want in [("responses", "remiss.v1.ResponseService/SubmitResponse"),
             ("responses", "publish ResponseSubmitted")]:
    assert want in names, (want, sorted(names))
consumers = {svc for svc, op, s in spans if op.startswith("consume ")}
assert {"deadlines", "followup"} <= consumers, sorted(names)
# Every span but the test's own root has its parent in the trace.
ids = {s["spanID"] for _, _, s in spans}
for svc, op, s in spans:
    for r in s.get("references", []):
        if r["refType"] == "CHILD_OF" and r["spanID"] not in ids and r["spanID"] != "b7ad6b7169203331":
            sys.exit(f"{svc} {op}: parent {r['spanID']} is not in the trace")
print(f"traces: the submission's trace holds {len(spans)} spans of {sorted({svc for svc, _, _ in spans})}")
PY
  ;;
*)
  fail "usage: traces_test.sh remissd <remissd> <top> | kafka <build dir> <top>"
  ;;
esac
# Every line a server logged is one JSON object with its time, service and event.
python3 - "$dir"/*.err <<'PY' || fail "a log line that is not JSON"
import json, sys
seen = 0
for path in sys.argv[1:]:
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        try:
            entry = json.loads(line)
        except ValueError as e:
            sys.exit(f"{path}:{n}: not JSON ({e}): {line!r}")
        assert isinstance(entry, dict) and {"ts", "service", "event"} <= entry.keys(), (path, n, line)
        seen += 1
assert seen > 0, "no log lines at all"
print(f"traces: {seen} log lines, each one JSON object")
PY
echo "traces ($mode): 1 passed, 0 failed"
