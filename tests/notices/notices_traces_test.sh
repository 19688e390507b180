#!/usr/bin/env bash
# The notices' delivery spans in a real Jaeger v2 (tools/observability.sh) with a real mailpit
# (tools/mailpit.sh; it rejects one registry's address with 550). remissd on a manual clock
# with --otlp-endpoint: KS issues a round to two boards, the issuing call carrying a
# traceparent of the test's own. Jaeger holds, per notice, one span notice.deliver of the
# service "notices" with the notice's id, its referral, organization, attempt, SMTP code and
# the Message-ID mailpit received as attributes, linked to the issuing trace (the trace of the
# ReferralIssued the notice came from); the rejected one with status ERROR and code 550.
# A missing tool (Jaeger, mailpit, grpcurl) fails the test.
#   notices_traces_test.sh <remissd binary> <repository top>
set -euo pipefail
remissd=$1
top=$2
grpcurl=$("$top/tools/grpcurl.sh")
mailpit=$("$top/tools/mailpit.sh" path)
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$top/tools/observability.sh" stop "$dir/stack" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$dir"/*.log "$dir"/*.err "$dir/stack/jaeger.log"; do
    [ -f "$f" ] || continue
    echo "--- $f:" >&2
    tail -40 "$f" >&2
  done
  exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

metrics_port=$(free_port)
"$top/tools/observability.sh" start "$dir/stack" "127.0.0.1:$metrics_port" >"$dir/stack.log" 2>&1 ||
  fail "the observability stack did not start: $(cat "$dir/stack.log")"
otlp=$(cat "$dir/stack/jaeger_otlp")
jaeger=$(cat "$dir/stack/jaeger_query_url")

smtp_port=$(free_port)
mail_port=$(free_port)
"$mailpit" --smtp "127.0.0.1:$smtp_port" --listen "127.0.0.1:$mail_port" --disable-version-check \
  --database "$dir/mailpit.db" --smtp-allowed-recipients '^registrator@board-001\.' >"$dir/mailpit.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$mail_port/api/v1/info" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$mail_port/api/v1/info" >/dev/null || fail "mailpit did not start"

"$remissd" --listen 127.0.0.1:0 --data-dir "$dir/data" --manual-clock 2024-03-01T09:00:00+01:00 \
  --otlp-endpoint "$otlp" --metrics-listen "127.0.0.1:$metrics_port" \
  --smtp-url "smtp://127.0.0.1:$smtp_port" --smtp-from remiss@stockholm.example \
  --notices-domain stockholm.example --notices-backoff 100ms >"$dir/remissd.log" 2>"$dir/remissd.err" &
pids+=($!)
for _ in $(seq 1 300); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/remissd.log" 2>/dev/null || true)
  [ -n "$port" ] && break
  kill -0 "${pids[-1]}" 2>/dev/null || fail "remissd exited at start"
  sleep 0.1
done
[ -n "$port" ] || fail "remissd did not start"

call() {
  local headers=()
  [ -n "${3:-}" ] && headers=(-rpc-header "traceparent: $3")
  "$grpcurl" -plaintext -max-time 10 -rpc-header "x-remiss-org: ks" -rpc-header "x-remiss-role: ks" \
    -rpc-header "x-remiss-person: ks-person-1" "${headers[@]}" -d "$2" "127.0.0.1:$port" "$1"
}
ok() { call "$@" >"$dir/out" 2>&1 || fail "$1 failed: $(cat "$dir/out")"; }
R=remiss.v1.ReferralService
issue_trace=5cf92f3577b34da6a3ce929d0e0e4737
issue_tp="00-$issue_trace-01f067aa0ba902b8-01"

ok $R/RegisterOrganization '{"command_id":"o-ks","org_id":"ks","name":"Kommunstyrelsen","kind":"ORGANIZATION_KIND_KOMMUNSTYRELSE","may_send_rounds":true,"registry_mailbox":"registrator.slk@stockholm.example"}'
for b in board-001 board-002; do
  ok $R/RegisterOrganization "{\"command_id\":\"o-$b\",\"org_id\":\"$b\",\"name\":\"Nämnd $b\",\"kind\":\"ORGANIZATION_KIND_FACKNAMND\",\"registry_mailbox\":\"registrator@$b.stockholm.example\"}"
done
ok $R/CreateReferral '{"command_id":"r1","case_number":"KS 2024/316","title":"Stockholms stads trygghetsprogram","sender_org_id":"ks","add_org_ids":["board-001","board-002"]}'
ok $R/SetDeadline '{"command_id":"r2","referral_id":"ks-2024-316","deadline":"2024-04-30"}'
ok $R/IssueReferral '{"command_id":"r3","referral_id":"ks-2024-316"}' "$issue_tp"

# Both notices settle: board-001's delivered, board-002's refused (550) and parked.
for _ in $(seq 1 300); do
  call remiss.v1.NoticesService/ListNotices '{"referral_id":"ks-2024-316"}' >"$dir/notices.json" 2>&1 || true
  if python3 -c '
import json, sys
n = json.load(open(sys.argv[1])).get("notices", [])
states = sorted(x.get("state") for x in n)
sys.exit(0 if states == ["NOTICE_STATE_DELIVERED", "NOTICE_STATE_PARKED"] else 1)' "$dir/notices.json" 2>/dev/null; then
    settled=yes
    break
  fi
  sleep 0.1
done
[ "${settled:-}" = yes ] || fail "the notices did not settle: $(cat "$dir/notices.json")"
curl -sf "http://127.0.0.1:$mail_port/api/v1/messages" >"$dir/mailpit.json" || fail "mailpit's API"

# The spans, by the notices service's operation.
for _ in $(seq 1 150); do
  if curl -sf "$jaeger/api/traces?service=notices&operation=notice.deliver&lookback=1h&limit=50" >"$dir/jaeger.json" 2>/dev/null &&
      python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if sum(1 for t in d["data"] for s in t["spans"] if s["operationName"]=="notice.deliver") >= 2 else 1)' "$dir/jaeger.json" 2>/dev/null; then
    found=yes
    break
  fi
  sleep 0.2
done
[ "${found:-}" = yes ] || fail "Jaeger holds no two notice.deliver spans: $(head -c 3000 "$dir/jaeger.json" 2>/dev/null)"

python3 - "$dir/jaeger.json" "$dir/notices.json" "$dir/mailpit.json" "$issue_trace" <<'PY' || fail "the delivery spans"
import json, sys
data, notices, mail, issue = (json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["notices"],
                              json.load(open(sys.argv[3])), sys.argv[4])
spans = {}
for t in data["data"]:
    for s in t["spans"]:
        if s["operationName"] != "notice.deliver":
            continue
        assert t["processes"][s["processID"]]["serviceName"] == "notices", t["processes"][s["processID"]]
        tags = {x["key"]: x["value"] for x in s["tags"]}
        spans.setdefault(tags.get("remiss.notice_id"), []).append((s, tags))
mailed = {m["MessageID"] for m in mail["messages"]}
assert len(mailed) == 1, mail
for n in notices:
    got = spans.get(n["notice_id"], [])
    assert len(got) == 1, f'{n["notice_id"]}: {len(got)} delivery spans, not 1'
    s, tags = got[0]
    delivered = n["state"] == "NOTICE_STATE_DELIVERED"
    # The Message-ID every try of it carries (a refused notice records none of its own).
    message_id = f'<notice.{n["event_id"]}@stockholm.example>'
    want = {"remiss.referral_id": "ks-2024-316", "remiss.org_id": n["org_id"], "remiss.attempt": 1,
            "remiss.smtp_code": 250 if delivered else 550, "remiss.message_id": message_id,
            "span.kind": "client"}
    for k, v in want.items():
        assert tags.get(k) == v, f'{n["notice_id"]}: {k} = {tags.get(k)!r}, not {v!r}: {tags}'
    if delivered:
        # The Message-ID on the span is the one the registry received.
        assert n["message_id"] == message_id and message_id.strip("<>") in mailed, (n["message_id"], mailed)
        assert tags.get("otel.status_code") != "ERROR", tags
    else:
        assert tags.get("otel.status_code") == "ERROR" and tags.get("error") is True, tags
    # Linked to the trace of the event it came from: the round's issuing, the test's trace.
    linked = [r for r in s.get("references", []) if r["traceID"] == issue]
    assert linked, f'{n["notice_id"]}: no link to the issuing trace {issue}: {s.get("references")}'
    print(f'notices traces: {n["notice_id"]} span {s["traceID"]}/{s["spanID"]} code {tags["remiss.smtp_code"]} '
          f'linked to {issue}')
PY

# The issuing trace itself reaches the notices service (its taking in of ReferralIssued).
curl -sf "$jaeger/api/traces/$issue_trace" >"$dir/issue.json" || fail "no issuing trace in Jaeger"
python3 - "$dir/issue.json" <<'PY' || fail "the issuing trace: $(head -c 3000 "$dir/issue.json")"
import json, sys
data = json.load(open(sys.argv[1]))
services = {t["processes"][s["processID"]]["serviceName"] for t in data["data"] for s in t["spans"]}
assert {"referrals", "notices"} <= services, services  # the notices service took the event in within it
print(f"notices traces: the issuing trace holds spans of {sorted(services)}")
PY
echo "notices traces: 1 passed, 0 failed"
