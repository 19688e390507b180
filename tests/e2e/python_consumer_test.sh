#!/usr/bin/env bash
# A real consumer, as an integrating system would write one: tools/examples/unanswered_boards.py
# (Python, confluent-kafka, protobuf code generated at run time) builds "the boards that have
# not answered, per round" from remiss's Kafka topics alone, after both seed rounds were played
# (remissctl demo) into the four services running as their own processes over a real broker.
# responses' topic is published a second time first (remissctl republish), so the consumer
# must drop repeats by (source, partition, position) to get it right. Its view must equal what
# the followup service's status boards say (not_answered), and the same view read from the
# responses service's gRPC EventsService/Subscribe stream must equal it too. Prints the
# volume of remiss.followup.events.v1 (messages and bytes, by ce_type).
# The Python packages come pinned from tools/examples/venv.sh: no venv, no pass.
# usage: python_consumer_test.sh <build dir> <repository top> [--kafka-only]
set -euo pipefail
build=$1
top=$2
kafka_only=${3:-}
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
  for f in "$dir"/*.log; do echo "--- $f:" >&2; tail -c 5000 "$f" >&2; done
  echo "python-consumer: 0 passed, 1 failed"
  exit 1
}

python=$("$top/tools/examples/venv.sh") || fail "no Python environment for the example (tools/examples/venv.sh)"
remissctl=$build/tools/remissctl/remissctl

mkdir -p "$dir/kafka"
REMISS_KAFKA_OWNER_PID=$$ "$top/tools/kafka/kafka.sh" start "$dir/kafka" >/dev/null || fail "no broker"
brokers=$(cat "$dir/kafka/bootstrap")

# start <name> <binary> [clock] [flags...]: on a free port, on a manual clock (the seed
# scenario's start by default); sets <name>_port and <name>_pid.
start() {
  local name=$1 binary=$2 clock=${3:-2020-12-01T09:00:00+01:00}
  shift 2; shift || true
  : >"$dir/$name.log"  # exists before the background job opens it, for the polling below
  "$binary" --listen 127.0.0.1:0 --data-dir "$dir/$name-data" --kafka-brokers "$brokers" \
    --manual-clock "$clock" "$@" >"$dir/$name.log" 2>&1 &
  pids+=($!)
  eval "${name}_pid=$!"
  set -- "$name"
  for _ in $(seq 1 300); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/$1.log")
    if [ -n "$port" ]; then eval "$1_port=$port"; return 0; fi
    sleep 0.1
  done
  fail "$1 did not start"
}
start referrals "$build/services/referrals/remiss-referrals"
start responses "$build/services/responses/remiss-responses"
start deadlines "$build/services/deadlines/remiss-deadlines"
start followup "$build/services/followup/remiss-followup"

ctl=("$remissctl" --referrals "127.0.0.1:$referrals_port" --responses "127.0.0.1:$responses_port"
     --deadlines "127.0.0.1:$deadlines_port" --followup "127.0.0.1:$followup_port"
     --as-org ks --as-role operator)
"${ctl[@]}" --server "127.0.0.1:$referrals_port" demo >"$dir/demo.log" 2>&1 || fail "remissctl demo failed"
if [ "$kafka_only" != "--kafka-only" ]; then
  # Everything of responses once more on its topic: the consumer must drop the repeats.
  "${ctl[@]}" --server "127.0.0.1:$responses_port" republish responses >/dev/null \
    || fail "remissctl republish responses failed"
  "${ctl[@]}" --server "127.0.0.1:$responses_port" positions responses --json >"$dir/responses-head.json" \
    || fail "no positions from responses"
  head=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["services"][0]["log_position"])' "$dir/responses-head.json")
  twice() {  # the responses topic holds the log twice over
    "$python" - "$brokers" "$head" <<'PY'
import sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "count"})
topic = "remiss.responses.events.v1"
parts = c.list_topics(topic, timeout=30).topics[topic].partitions
total = sum(c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in parts)
c.close()
sys.exit(0 if total >= 2 * int(sys.argv[2]) else 1)
PY
  }
  for _ in $(seq 1 300); do
    if twice; then break; fi
    sleep 0.2
  done
  twice || fail "responses' log did not reach its topic a second time"
fi

# published: every service's relay has Kafka's word for its whole log, and followup has
# applied every source's last position.
published() {
  local heads="" port
  for port in "$referrals_port" "$responses_port" "$deadlines_port" "$followup_port"; do
    "${ctl[@]}" --server "127.0.0.1:$port" positions --json >"$dir/positions-$port.json" || return 1
    heads+="$dir/positions-$port.json "
  done
  python3 - $heads <<'PY'
import json, sys
services = [s for f in sys.argv[1:] for s in json.load(open(f))["services"]]
head = {s["service"]: int(s["log_position"]) for s in services}
relays = all(s["relay_enabled"] and int(s["relay_cursor"]) == int(s["log_position"]) for s in services)
followup = next(s for s in services if s["service"] == "followup")
applied = {}
for f in followup.get("feeds", []):
    applied[f["source"]] = max(applied.get(f["source"], 0), int(f["position"]))
fed = all(applied.get(s, 0) == head[s] for s in ("referrals", "responses", "deadlines"))
sys.exit(0 if relays and fed else 1)
PY
}
for _ in $(seq 1 600); do
  if published; then break; fi
  sleep 0.1
done
published || fail "the relays or followup's feeds did not catch up: $(cat "$dir"/positions-*.json)"

# What the followup service's status boards say.
for round in ks-2019-1939 ks-2023-739; do
  "${ctl[@]}" board "$round" --json >"$dir/board-$round.json" || fail "no board for $round"
done
python3 - "$dir"/board-*.json >"$dir/expected.json" <<'PY'
import json, sys
boards = [json.load(open(f)) for f in sys.argv[1:]]
json.dump({b["referral_id"]: sorted(b.get("not_answered", [])) for b in boards}, sys.stdout, sort_keys=True)
PY

"$python" "$top/tools/examples/unanswered_boards.py" kafka --brokers "$brokers" >"$dir/kafka.json" \
  2>"$dir/consumer-kafka.log" || fail "the Kafka consumer failed"
compare() {  # compare <consumer json> <what>: its not_answered must be the boards'
  python3 - "$dir/expected.json" "$1" "$2" <<'PY'
import json, sys
expected = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
view = {r: got["not_answered"].get(r) for r in expected}
if view != expected:
    sys.exit(f"{sys.argv[3]}: {view}\n  but followup's boards say: {expected}")
print(f"{sys.argv[3]}: {len(expected)} rounds as followup's boards say: {expected} "
      f"({got['events']} events, {got['repeats_dropped']} repeats dropped)")
PY
}
compare "$dir/kafka.json" "from the Kafka topics" || fail "the view from Kafka differs"
python3 - "$dir/kafka.json" <<'PY'
import json, sys
volume = json.load(open(sys.argv[1]))["volume"]
for topic in sorted(volume):
    v = volume[topic]
    print(f"volume {topic}: {v['messages']} messages, {v['bytes']} bytes")
    if topic.startswith("remiss.followup."):
        for t, tv in sorted(v["by_type"].items()):
            print(f"  {t}: {tv['messages']} messages, {tv['bytes']} bytes")
PY

if [ "$kafka_only" != "--kafka-only" ]; then
  python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["repeats_dropped"] > 0 else 1)' \
    "$dir/kafka.json" || fail "responses was published twice, yet the consumer dropped no repeat"
  "$python" "$top/tools/examples/unanswered_boards.py" grpc --responses "127.0.0.1:$responses_port" \
    >"$dir/grpc.json" 2>"$dir/consumer-grpc.log" || fail "the gRPC consumer failed"
  compare "$dir/grpc.json" "from EventsService/Subscribe" || fail "the view from gRPC differs"

  # followup's topic is its whole history, observations included: a lost disk comes back
  # from it with the same log and projections.
  digest() { "${ctl[@]}" --server "127.0.0.1:$followup_port" digest followup --json; }
  digest >"$dir/digest-before.json" || fail "no digest from followup"
  now=$("${ctl[@]}" --server "127.0.0.1:$followup_port" clock --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"])')
  kill -TERM "$followup_pid"
  wait "$followup_pid" || fail "followup did not stop cleanly"
  rm -rf "$dir/followup-data"
  start followup "$build/services/followup/remiss-followup" "$now" --restore-from-kafka
  for i in "${!ctl[@]}"; do
    if [ "${ctl[$i]}" = --followup ]; then ctl[$((i + 1))]="127.0.0.1:$followup_port"; fi
  done
  digest >"$dir/digest-after.json" || fail "no digest from the restored followup"
  python3 - "$dir/digest-before.json" "$dir/digest-after.json" <<'PY' || fail "the restored followup differs"
import json, sys
before, after = (json.load(open(f)) for f in sys.argv[1:])
keys = ("sha256", "entries", "log_position")
if [before.get(k) for k in keys] != [after.get(k) for k in keys]:
    sys.exit(f"before {before}\nafter  {after}")
print(f"followup restored from its topic: {after['log_position']} events, digest {after['sha256'][:12]}")
PY
fi
echo "python-consumer: 1 passed, 0 failed"
