#!/usr/bin/env bash
# remiss's performance figures, each against its baseline in the same run, in interleaved
# repetitions (figure, baseline, figure, baseline, ...), printed as one table: median, min
# and max of the figure, the baseline's median, their ratio and the goal (issue 16).
#
#   tools/bench/run.sh            everything (about 20 minutes on 2 cores)
#   tools/bench/run.sh --quick    shorter runs, smaller logs (about 7 minutes)
#
#   (a) durable commands through remissd's gRPC at 8/16/64 concurrent clients: RegisterOrganization
#       with unique ids, and the seed rounds' commands round after round (mix), against
#       grpc.health.v1.Health/Check carrying the same bytes and metadata on the same server:
#       calls/s, p99 latency, and the server's CPU time per call (/proc/PID/stat). On a
#       machine of 2 or more cores the server runs on core 0 and the load generator on core 1.
#   (b) the core's append in-process (EventStore, RegisterOrganization) against raw synced
#       RocksDB WriteBatches of the same bytes, at 1/8/64 threads.
#   (c) the relay publishing a log of N events to a real broker (tools/kafka/kafka.sh)
#       against a raw idempotent librdkafka producer (acks=all) sending the same messages.
#   (d) SubmitResponse -> visible on KS's status board, p99, while ~1,000 commands/s of the
#       mix run: in remissd (LocalFeed) and over Kafka (the four services' own processes);
#       the servers are not pinned here.
#   (e) rebuilding the referrals projections from a log of N events against a plain
#       RocksDB scan+parse of the same log.
#   (f) the peer: RegisterOrganization through remissd (as (a)) against the same work done
#       by a PostgreSQL 15 event store (tools/bench/postgres.sh: a cluster of its own on
#       127.0.0.1, fsync and synchronous_commit on; pg_register.sql: the command record with
#       its request hash, one event row with UNIQUE(stream, version) and a global position,
#       the projection's upsert, in one transaction, one call), driven by pgbench
#       (pg_load.py), at 8/16/64 clients, and at 64 also through PgBouncer (transaction
#       mode, 16 server connections): calls/s, p99 and the server side's CPU per command,
#       remiss's figure against PostgreSQL's. remissd and PostgreSQL (and PgBouncer) run on
#       core 0, the load on core 1; remiss's and PostgreSQL's runs alternate. Installs what
#       it needs with tools/setup.sh --with-bench.
#   (g) restoring the referrals service's store from its Kafka topic (--restore-from-kafka,
#       in-process: remiss-bench-restore) against a raw librdkafka consumer reading the same
#       topic to its end, on a log of N events the relay published to a broker of its own;
#       events/s, CPU s, and the projected time for 10,000,000 events.
#
# Environment: REMISS_BUILD_DIR (default ./build), BENCH_REPS (3), BENCH_SECONDS (5; quick 2),
# BENCH_RELAY_EVENTS (2000000; quick 200000), BENCH_REBUILD_EVENTS (1000000; quick 200000),
# BENCH_RESTORE_EVENTS (1000000; quick 200000), BENCH_ONLY (letters of the figures to run,
# e.g. "ab"), BENCH_KEEP (a directory where the relay's, the rebuild's and the restore's logs
# are kept between runs; default a temporary one), BENCH_PG_PROTOCOL (pgbench's -M for
# PostgreSQL's direct connections: prepared; through PgBouncer always simple, for its
# transaction mode keeps no prepared statements).
# Benchmarks print figures; nothing here asserts a speed.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${REMISS_BUILD_DIR:-$top/build}
quick=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $a (see --help)" >&2; exit 2 ;;
  esac
done
reps=${BENCH_REPS:-3}
secs=${BENCH_SECONDS:-$([ $quick = 1 ] && echo 2 || echo 5)}
relay_events=${BENCH_RELAY_EVENTS:-$([ $quick = 1 ] && echo 200000 || echo 2000000)}
rebuild_events=${BENCH_REBUILD_EVENTS:-$([ $quick = 1 ] && echo 200000 || echo 1000000)}
restore_events=${BENCH_RESTORE_EVENTS:-$([ $quick = 1 ] && echo 200000 || echo 1000000)}
pg_protocol=${BENCH_PG_PROTOCOL:-prepared}
only=${BENCH_ONLY:-abcdefg}
want() { [[ "$only" == *"$1"* ]]; }

# What the chosen figures run, and nothing more.
targets=()
{ want a || want d || want f; } && targets+=(remissd remiss-bench-grpc)
want b && targets+=(remiss-bench-append)
{ want c || want g; } && targets+=(remiss-bench-relay)
want d && targets+=(remiss-referrals remiss-responses remiss-deadlines remiss-followup)
want e && targets+=(remiss-bench-rebuild)
want g && targets+=(remiss-bench-restore)
[ "${#targets[@]}" -gt 0 ] || { echo "run.sh: BENCH_ONLY=$only names no figure (a-g)" >&2; exit 2; }
REMISS_BUILD_DIR="$build" "$top/tools/build.sh" "${targets[@]}" >&2
if want f; then "$top/tools/setup.sh" --with-bench >&2; fi  # PostgreSQL, pgbench, PgBouncer

work=$(mktemp -d /tmp/remiss-bench.XXXXXX)
keep=${BENCH_KEEP:-$work/keep}
mkdir -p "$keep"
results="$work/results"
: >"$results"
pids=()
broker_dir=""
pg_dir=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  stop_broker
  stop_postgres
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$(nproc)" -ge 2 ]; then
  server_cpu=(taskset -c 0)
  load_cpu=(taskset -c 1)
else
  server_cpu=()
  load_cpu=()
fi

note() { echo "run.sh: $*" >&2; }
# record KEY VALUE: one repetition's figure.
record() { echo "$1 $2" >>"$results"; }
# field NAME LINE: the value of NAME=... in a result line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

# start_server NAME BINARY [FLAGS...]: starts a server on a free port (on the server core when
# pin=1); sets <NAME>_port and <NAME>_pid.
pin=0
start_server() {
  local name=$1 bin=$2
  shift 2
  local log="$work/$name.log"
  : >"$log"
  local cpu=()
  [ "$pin" = 1 ] && cpu=("${server_cpu[@]}")
  "${cpu[@]}" "$bin" --listen 127.0.0.1:0 --data-dir "$work/$name-data" "$@" >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 300); do
    local port
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
    if [ -n "$port" ]; then
      eval "${name}_port=$port ${name}_pid=$pid"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  echo "run.sh: $name did not start" >&2
  exit 1
}

stop_servers() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}

# start_broker NAME: a fresh broker of its own (its topics hold nothing of another figure's).
start_broker() {
  stop_broker
  "$top/tools/kafka/kafka.sh" fetch >&2
  broker_dir="$work/kafka-$1"
  mkdir -p "$broker_dir"
  REMISS_KAFKA_OWNER_PID=$$ "$top/tools/kafka/kafka.sh" start "$broker_dir" >/dev/null
  brokers=$(cat "$broker_dir/bootstrap")
}

stop_broker() {
  if [ -n "$broker_dir" ]; then "$top/tools/kafka/kafka.sh" stop "$broker_dir" >/dev/null 2>&1 || true; fi
  broker_dir=""
}

# start_postgres: a PostgreSQL cluster and a PgBouncer of their own (tools/bench/postgres.sh),
# on the server core; sets pg_port, pg_pid, pool_port, pool_pid. Its directory is not in
# $work, which PostgreSQL's user (as root: postgres) could not enter.
start_postgres() {
  pg_dir=$(mktemp -d /tmp/remiss-bench-pg.XXXXXX)
  BENCH_PG_CPU="${server_cpu[2]:-}" "$top/tools/bench/postgres.sh" start "$pg_dir" >&2
  pg_port=$(cat "$pg_dir/port") pg_pid=$(cat "$pg_dir/pid")
  pool_port=$(cat "$pg_dir/pool_port") pool_pid=$(cat "$pg_dir/pool_pid")
}

stop_postgres() {
  if [ -n "$pg_dir" ]; then
    "$top/tools/bench/postgres.sh" stop "$pg_dir" >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
  pg_dir=""
}

load() { "${load_cpu[@]}" "$build/tools/remiss-bench-grpc" "$@"; }
pg_load() { "$top/tools/bench/pg_load.py" --cpu "${load_cpu[2]:-}" "$@"; }

# ---- (a) commands through gRPC against a no-op call ---------------------------------------
if want a; then
  note "(a) commands through remissd's gRPC, ${secs}s a run, $reps repetitions"
  pin=1
  start_server remissd "$build/services/remissd/remissd"
  pin=0
  for rep in $(seq 1 "$reps"); do
    for c in 8 16 64; do
      for w in noop-register register noop-mix mix; do
        line=$(load --target "127.0.0.1:$remissd_port" --workload "$w" --clients "$c" \
                    --seconds "$secs" --server-pid "$remissd_pid")
        note "  $line"
        record "a.$w.$c.per_s" "$(field per_s "$line")"
        record "a.$w.$c.p99_ms" "$(field p99_ms "$line")"
        record "a.$w.$c.cpu_us" "$(field server_cpu_us_per_call "$line")"
      done
    done
  done
  stop_servers
fi

# ---- (b) the core's append against raw RocksDB --------------------------------------------
if want b; then
  note "(b) core append in-process against raw synced RocksDB"
  for rep in $(seq 1 "$reps"); do
    for t in 1 8 64; do
      for m in raw core; do
        line=$("$build/tools/remiss-bench-append" --mode "$m" --threads "$t" --seconds "$secs")
        note "  $line"
        record "b.$m.$t.per_s" "$(field per_s "$line")"
      done
    done
  done
fi

# ---- (c) the relay against a raw producer -------------------------------------------------
if want c; then
  start_broker relay
  note "(c) relay of $relay_events events to $brokers against a raw producer"
  for rep in $(seq 1 "$reps"); do
    for m in raw relay; do
      line=$("$build/tools/remiss-bench-relay" --mode "$m" --brokers "$brokers" \
               --store "$keep/relay-$relay_events" --events "$relay_events")
      note "  $line"
      record "c.$m.per_s" "$(field per_s "$line")"
    done
  done
  stop_broker
fi

# ---- (d) SubmitResponse -> visible on the status board ------------------------------------
# Not pinned: five processes (and a broker) on one core would measure the core, not the path.
if want d; then
  note "(d) SubmitResponse -> visible on the board while ~1,000 commands/s run"
  start_server remissd "$build/services/remissd/remissd"
  start_broker services
  start_server referrals "$build/services/referrals/remiss-referrals" --kafka-brokers "$brokers"
  start_server responses "$build/services/responses/remiss-responses" --kafka-brokers "$brokers"
  start_server deadlines "$build/services/deadlines/remiss-deadlines" --kafka-brokers "$brokers"
  start_server followup "$build/services/followup/remiss-followup" --kafka-brokers "$brokers"
  # Warm-up, not counted: the consumers join their groups, the first rounds go through.
  load --target "127.0.0.1:$remissd_port" --workload mix --clients 16 --rate 1000 \
       --seconds "$secs" --probe >/dev/null
  load --target "127.0.0.1:$referrals_port" --responses "127.0.0.1:$responses_port" \
       --followup "127.0.0.1:$followup_port" --workload mix --clients 16 --rate 1000 \
       --seconds $((secs * 3)) --probe >/dev/null
  for rep in $(seq 1 "$reps"); do
    line=$(load --target "127.0.0.1:$remissd_port" --workload mix --clients 16 --rate 1000 \
                --seconds $((secs * 2)) --probe)
    note "  in-process: $line"
    record "d.local.p99_ms" "$(field probe_p99_ms "$line")"
    record "d.local.rate" "$(field per_s "$line")"
    line=$(load --target "127.0.0.1:$referrals_port" --responses "127.0.0.1:$responses_port" \
                --followup "127.0.0.1:$followup_port" --workload mix --clients 16 --rate 1000 \
                --seconds $((secs * 2)) --probe)
    note "  over Kafka: $line"
    record "d.kafka.p99_ms" "$(field probe_p99_ms "$line")"
    record "d.kafka.rate" "$(field per_s "$line")"
  done
  stop_servers
  stop_broker
fi

# ---- (e) rebuild against a plain scan -----------------------------------------------------
if want e; then
  note "(e) rebuild of $rebuild_events events against a plain scan+parse"
  for rep in $(seq 1 "$reps"); do
    out=$("$build/tools/remiss-bench-rebuild" "$rebuild_events" "$keep/rebuild-$rebuild_events")
    note "  $(tr '\n' ' ' <<<"$out")"
    record "e.scan.per_s" "$(sed -n 's/^plain scan+parse: .* = \([0-9]*\) events\/s.*/\1/p' <<<"$out")"
    record "e.rebuild.per_s" "$(sed -n 's/^rebuild: .* = \([0-9]*\) events\/s.*/\1/p' <<<"$out")"
  done
fi

# ---- (f) the peer: PostgreSQL as an event store ------------------------------------------
if want f; then
  note "(f) RegisterOrganization: remissd against a PostgreSQL 15 event store, ${secs}s a run, $reps repetitions"
  start_postgres
  note "  PostgreSQL on 127.0.0.1:$pg_port (pid $pg_pid), PgBouncer on 127.0.0.1:$pool_port"
  pin=1
  start_server remissd "$build/services/remissd/remissd"
  pin=0
  for rep in $(seq 1 "$reps"); do
    for c in 8 16 64; do
      line=$(load --target "127.0.0.1:$remissd_port" --workload register --clients "$c" \
                  --seconds "$secs" --server-pid "$remissd_pid" --label remiss)
      note "  $line"
      record "f.remiss.$c.per_s" "$(field per_s "$line")"
      record "f.remiss.$c.p99_ms" "$(field p99_ms "$line")"
      record "f.remiss.$c.cpu_us" "$(field server_cpu_us_per_call "$line")"
      line=$(pg_load --port "$pg_port" --pid "$pg_pid" --clients "$c" --seconds "$secs" \
                     --protocol "$pg_protocol" --label postgres)
      note "  $line"
      record "f.pg.$c.per_s" "$(field per_s "$line")"
      record "f.pg.$c.p99_ms" "$(field p99_ms "$line")"
      record "f.pg.$c.cpu_us" "$(field server_cpu_us_per_call "$line")"
      if [ "$c" = 64 ]; then
        line=$(pg_load --port "$pool_port" --pid "$pg_pid" --pool-pid "$pool_pid" --clients "$c" \
                       --seconds "$secs" --protocol simple --label postgres-pgbouncer-16)
        note "  $line"
        record "f.pgpool.$c.per_s" "$(field per_s "$line")"
        record "f.pgpool.$c.p99_ms" "$(field p99_ms "$line")"
        record "f.pgpool.$c.cpu_us" "$(field server_cpu_us_per_call "$line")"
      fi
    done
  done
  stop_servers
  stop_postgres
fi

# ---- (g) restore from Kafka against a raw consumer ----------------------------------------
if want g; then
  start_broker restore
  note "(g) restore of $restore_events events from $brokers against a raw consumer"
  # The topic: the relay's log published once (as (c) does, on a broker of its own).
  line=$("$build/tools/remiss-bench-relay" --mode relay --brokers "$brokers" \
           --store "$keep/relay-$restore_events" --events "$restore_events")
  note "  published: $line"
  for rep in $(seq 1 "$reps"); do
    for m in raw restore; do
      line=$("$build/tools/remiss-bench-restore" --mode "$m" --brokers "$brokers" \
               --events "$restore_events" --dir "$work/restore-data")
      note "  $(tr '\n' ' ' <<<"$line")"
      per_s=$(field per_s "$line")
      record "g.$m.per_s" "$per_s"
      record "g.$m.cpu_s" "$(field cpu_s "$line")"
      record "g.$m.10m_s" "$(python3 -c "print(10_000_000 / $per_s)")"
    done
  done
  stop_broker
fi

python3 - "$results" "$reps" "$secs" "$relay_events" "$rebuild_events" "$restore_events" <<'EOF'
import statistics, sys
path, reps, secs, relay_n, rebuild_n, restore_n = sys.argv[1:]
values = {}
for line in open(path):
    key, _, v = line.strip().partition(" ")
    try:
        values.setdefault(key, []).append(float(v))
    except ValueError:
        pass

def fmt(x, unit):
    if x is None:
        return "–"
    if unit in ("ms", "µs", "s"):
        return f"{x:.1f}" if x >= 10 else f"{x:.2f}"
    return f"{x/1000:.1f}k" if x >= 1000 else f"{x:.0f}"

rows = []
def row(label, key, base=None, goal="–", unit="/s"):
    v = values.get(key)
    if not v:
        return
    b = values.get(base) if base else None
    med = statistics.median(v)
    bmed = statistics.median(b) if b else None
    ratio = f"{med / bmed:.2f}" if bmed else "–"
    rows.append((label, fmt(med, unit), fmt(min(v), unit), fmt(max(v), unit),
                 fmt(bmed, unit) if bmed is not None else "–", ratio, goal))

for w, name in (("register", "RegisterOrganization"), ("mix", "seed-round mix")):
    for c in (8, 16, 64):
        row(f"(a) {name}, {c} clients: calls/s", f"a.{w}.{c}.per_s", f"a.noop-{w}.{c}.per_s", "≥ 0.7")
        row(f"(a) {name}, {c} clients: p99 ms", f"a.{w}.{c}.p99_ms", f"a.noop-{w}.{c}.p99_ms", unit="ms")
        row(f"(a) {name}, {c} clients: server CPU µs/call", f"a.{w}.{c}.cpu_us", f"a.noop-{w}.{c}.cpu_us", unit="µs")
for t in (1, 8, 64):
    row(f"(b) core append, {t} threads: commands/s (baseline raw RocksDB)", f"b.core.{t}.per_s", f"b.raw.{t}.per_s", "≥ 1.0")
row(f"(c) relay of {int(relay_n):,} events: events/s (baseline raw producer)", "c.relay.per_s", "c.raw.per_s", "≥ 0.8")
row("(d) SubmitResponse → board, in-process: p99 ms", "d.local.p99_ms", goal="≤ 5", unit="ms")
row("(d) … load meanwhile, commands/s", "d.local.rate")
row("(d) SubmitResponse → board, over Kafka: p99 ms", "d.kafka.p99_ms", goal="≤ 20", unit="ms")
row("(d) … load meanwhile, commands/s", "d.kafka.rate")
row(f"(e) rebuild of {int(rebuild_n):,} events: events/s (baseline plain scan+parse)", "e.rebuild.per_s", "e.scan.per_s", "≥ 0.5")
# The goal (issue 27) compares with PostgreSQL as it would be deployed: pooled at 64 clients.
for c, pg, peer, goal in ((8, "pg", "PostgreSQL", True), (16, "pg", "PostgreSQL", True),
                          (64, "pg", "PostgreSQL's 64 backends", False),
                          (64, "pgpool", "PostgreSQL through PgBouncer's 16", True)):
    name = f"(f) RegisterOrganization, {c} clients, baseline {peer}"
    row(f"{name}: calls/s", f"f.remiss.{c}.per_s", f"f.{pg}.{c}.per_s", "≥ 1.0" if goal else "–")
    row(f"{name}: p99 ms", f"f.remiss.{c}.p99_ms", f"f.{pg}.{c}.p99_ms", "≤ 1.0" if goal else "–", unit="ms")
    row(f"{name}: server CPU µs/call", f"f.remiss.{c}.cpu_us", f"f.{pg}.{c}.cpu_us", unit="µs")
row(f"(g) restore of {int(restore_n):,} events from Kafka: events/s (baseline raw consumer)", "g.restore.per_s", "g.raw.per_s", "≥ 0.5")
row("(g) … CPU s", "g.restore.cpu_s", "g.raw.cpu_s", unit="s")
row("(g) … projected for 10,000,000 events: s", "g.restore.10m_s", "g.raw.10m_s", unit="s")

print(f"\n{reps} interleaved repetitions, {secs} s a run; baseline = median of the same run's baseline\n")
print("| figure | median | min | max | baseline median | ratio | goal |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
EOF
