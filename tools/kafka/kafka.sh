#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft, broker and controller in one process) for
# development and tests, bound to 127.0.0.1 only.
#
#   kafka.sh fetch        fetch the broker's jars with Maven into the cache (outside git);
#                         idempotent, quick once done
#   kafka.sh start DIR    start a broker whose config, data and logs live under DIR (made by
#                         the caller); prints 127.0.0.1:<port> and writes it to DIR/bootstrap.
#                         A DIR from an earlier start is started again on the same ports and data.
#   kafka.sh stop DIR     stop that broker (SIGTERM, SIGKILL after a bound) and wait for it
#
# Environment:
#   REMISS_CACHE               cache root (default $HOME/.cache/remiss); jars go to
#                              $REMISS_CACHE/kafka-<version>/libs
#   REMISS_KAFKA_OWNER_PID     if set, the broker is stopped when that process goes away (so a
#                              crashed test leaves no broker behind)
#   REMISS_KAFKA_START_TIMEOUT seconds to wait for the broker to accept connections (60)
#   REMISS_KAFKA_STOP_TIMEOUT  seconds to wait after SIGTERM before SIGKILL (30)
#   REMISS_KAFKA_TLS_DIR       a tools/pki.sh directory with ca.pem and kafka.pem/kafka.key
#                              (tools/pki.sh server DIR kafka 127.0.0.1): a fresh broker then
#                              also has a mutual-TLS listener, written to DIR/bootstrap_tls
#   JAVA                       the java binary (default: java on PATH)
set -euo pipefail

KAFKA_VERSION=3.9.1
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${REMISS_CACHE:-${HOME:-/tmp}/.cache/remiss}"
KAFKA_HOME="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
JAVA="${JAVA:-java}"
START_TIMEOUT="${REMISS_KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT="${REMISS_KAFKA_STOP_TIMEOUT:-30}"

log() { echo "kafka.sh: $*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

# ---- fetch ------------------------------------------------------------------------------

fetched() { [[ -f "$LIBS/.complete" && "$(cat "$LIBS/.complete")" == "$KAFKA_VERSION" ]]; }

cmd_fetch() {
  fetched && return 0
  command -v mvn >/dev/null || die "mvn (Maven) is needed to fetch Kafka"
  mkdir -p "$CACHE_ROOT"
  # One fetch at a time (tests may start brokers in parallel).
  exec 9>"$CACHE_ROOT/kafka-$KAFKA_VERSION.lock"
  flock 9
  if fetched; then exec 9>&-; return 0; fi
  log "fetching Apache Kafka $KAFKA_VERSION into $LIBS"
  local tmp="$KAFKA_HOME/libs.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! mvn -q -B -Dstyle.color=never -f "$HERE/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
      >"$KAFKA_HOME/fetch.log" 2>&1; then
    cat "$KAFKA_HOME/fetch.log" >&2
    rm -rf "$tmp"
    die "mvn could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
  fi
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || { rm -rf "$tmp"; die "kafka jar missing after fetch"; }
  echo "$KAFKA_VERSION" >"$tmp/.complete"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  exec 9>&-
  log "fetched $(ls "$LIBS" | wc -l) jars"
}

# ---- helpers ----------------------------------------------------------------------------

# Whether any socket on this machine uses local TCP port $1 (any state, IPv4 or IPv6).
port_used() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p="$hex" 'NR > 1 { split($2, a, ":"); if (a[2] == p) { found = 1; exit } }
                   END { exit found ? 0 : 1 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# A port that nothing uses now, below the ephemeral range (so that client connections do not
# take it between a stop and a restart).
free_port() {
  local exclude="${1:-}" p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    [[ "$p" == "$exclude" ]] && continue
    port_used "$p" || { echo "$p"; return 0; }
  done
  die "no free port found"
}

alive() {  # a running (not zombie) process
  local pid="$1" state
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || echo Z)
  [[ "$state" != Z && "$state" != X ]]
}

# The pid of the broker of DIR $1 if it runs (a pid file whose process is something else,
# after a reboot say, does not count).
broker_pid() {
  local pid
  pid=$([[ -f "$1/kafka.pid" ]] && cat "$1/kafka.pid" || true)
  if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
      grep -qF "kafka.Kafka $1/server.properties"; then
    echo "$pid"
  fi
}

can_connect() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cluster_id() {  # a Kafka Uuid: 16 random bytes, base64url without padding
  local id
  while true; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    # Not one that starts with '-' (the tool would take it for an option).
    [[ "$id" == [A-Za-z0-9]* ]] && { echo "$id"; return; }
  done
}

write_config() {
  local dir="$1" port="$2" cport="$3"
  cat >"$dir/server.properties" <<EOF
# Written by tools/kafka/kafka.sh: a single-node KRaft broker for development and tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.retention.hours=-1
EOF
  if [[ -n "${REMISS_KAFKA_TLS_DIR:-}" ]]; then
    local sport tls="$REMISS_KAFKA_TLS_DIR"
    sport=$(free_port "$cport")
    while [[ "$sport" == "$port" ]]; do sport=$(free_port "$cport"); done
    cat "$tls/kafka.key" "$tls/kafka.pem" >"$dir/keystore.pem"
    sed -i -e "s|^listeners=.*|listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport,SSL://127.0.0.1:$sport|" \
      -e "s|^advertised.listeners=.*|advertised.listeners=PLAINTEXT://127.0.0.1:$port,SSL://127.0.0.1:$sport|" \
      -e "s|^listener.security.protocol.map=.*|listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL|" \
      "$dir/server.properties"
    cat >>"$dir/server.properties" <<EOF
listener.name.ssl.ssl.keystore.type=PEM
listener.name.ssl.ssl.keystore.location=$dir/keystore.pem
listener.name.ssl.ssl.truststore.type=PEM
listener.name.ssl.ssl.truststore.location=$tls/ca.pem
listener.name.ssl.ssl.client.auth=required
EOF
    echo "127.0.0.1:$sport" >"$dir/bootstrap_tls"
  fi
  cat >"$dir/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/logs/server.log
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
  cat >"$dir/tools-log4j.properties" <<EOF
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
  echo "$port" >"$dir/port"
  echo "$cport" >"$dir/controller_port"
}

jvm_opts() {
  local dir="$1"
  echo -Xms64m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1 \
    -XX:-UsePerfData -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$dir/log4j.properties" -Dkafka.logs.dir="$dir/logs"
}

format_storage() {
  local dir="$1"
  [[ -f "$dir/data/meta.properties" ]] && return 0
  [[ -f "$dir/cluster_id" ]] || cluster_id >"$dir/cluster_id"
  "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:-UsePerfData \
    -Dlog4j.configuration="file:$dir/tools-log4j.properties" -cp "$LIBS/*" \
    kafka.tools.StorageTool format -t "$(cat "$dir/cluster_id")" \
    -c "$dir/server.properties" --ignore-formatted >"$dir/logs/format.out" 2>&1 ||
    { cat "$dir/logs/format.out" >&2; die "formatting the storage failed"; }
}

# Launches the broker and waits until it serves; returns 1 if it died on start (the log says
# why), 2 on timeout.
launch() {
  local dir="$1" port pid watchdog start_line
  port=$(cat "$dir/port")
  start_line=$({ wc -l <"$dir/logs/server.log"; } 2>/dev/null || echo 0)
  # shellcheck disable=SC2046
  setsid "$JAVA" $(jvm_opts "$dir") -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" \
    </dev/null >>"$dir/logs/kafka.out" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/kafka.pid"
  if [[ -n "${REMISS_KAFKA_OWNER_PID:-}" ]]; then
    # Stops the broker once its owner is gone (a test that crashed or was killed).
    setsid bash -c '
      owner=$1 broker=$2
      while kill -0 "$owner" 2>/dev/null && kill -0 "$broker" 2>/dev/null; do sleep 1; done
      if kill -0 "$broker" 2>/dev/null; then
        kill -TERM "$broker" 2>/dev/null; sleep 10; kill -KILL "$broker" 2>/dev/null
      fi' watchdog "$REMISS_KAFKA_OWNER_PID" "$pid" </dev/null >/dev/null 2>&1 &
    watchdog=$!
    echo "$watchdog" >"$dir/watchdog.pid"
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! alive "$pid"; then
      rm -f "$dir/kafka.pid"
      return 1
    fi
    if tail -n +"$((start_line + 1))" "$dir/logs/server.log" 2>/dev/null |
        grep -q 'Kafka Server started' && can_connect "$port"; then
      return 0
    fi
    sleep 0.2
  done
  return 2
}

cmd_start() {
  local dir="${1:-}"
  [[ -n "$dir" ]] || usage
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  cmd_fetch
  command -v "$JAVA" >/dev/null || die "java not found"

  local pid
  pid=$(broker_pid "$dir")
  if alive "$pid"; then
    local port
    port=$(cat "$dir/port")
    if can_connect "$port"; then
      echo "127.0.0.1:$port" | tee "$dir/bootstrap"
      return 0
    fi
    die "a broker (pid $pid) runs in $dir but does not accept connections"
  fi

  mkdir -p "$dir/logs" "$dir/data"
  local fresh=0 attempt rc
  if [[ ! -f "$dir/server.properties" ]]; then
    fresh=1
    local port cport
    port=$(free_port)
    cport=$(free_port "$port")
    write_config "$dir" "$port" "$cport"
  fi
  format_storage "$dir"

  local t0=$SECONDS
  for attempt in 1 2 3; do
    rc=0
    launch "$dir" || rc=$?
    if ((rc == 0)); then
      local port
      port=$(cat "$dir/port")
      echo "127.0.0.1:$port" >"$dir/bootstrap"
      log "broker up on 127.0.0.1:$port after $((SECONDS - t0)) s (logs: $dir/logs)"
      echo "127.0.0.1:$port"
      return 0
    fi
    if ((rc == 2)); then
      log "broker did not start within $START_TIMEOUT s; stopping it"
      cmd_stop "$dir" || true
      tail -n 30 "$dir/logs/server.log" "$dir/logs/kafka.out" >&2 2>/dev/null || true
      exit 1
    fi
    # It died. A fresh config whose port was taken meanwhile gets new ports; else give up.
    if ((fresh)) && grep -qi 'address already in use' "$dir/logs/server.log" "$dir/logs/kafka.out" 2>/dev/null; then
      log "port taken; retrying on other ports"
      local port cport
      port=$(free_port)
      cport=$(free_port "$port")
      mv "$dir/logs/server.log" "$dir/logs/server.log.failed.$attempt" 2>/dev/null || true
      # The controller port is in the formatted metadata only as a voter address, which
      # format does not record for static quorums, so the data can stay.
      write_config "$dir" "$port" "$cport"
      continue
    fi
    tail -n 30 "$dir/logs/server.log" "$dir/logs/kafka.out" >&2 2>/dev/null || true
    die "broker exited during start-up"
  done
  die "broker could not start"
}

cmd_stop() {
  local dir="${1:-}"
  [[ -n "$dir" ]] || usage
  [[ -d "$dir" ]] || die "no such directory: $dir"
  dir="$(cd "$dir" && pwd)"
  local pid wd
  pid=$(broker_pid "$dir")
  wd=$([[ -f "$dir/watchdog.pid" ]] && cat "$dir/watchdog.pid" || true)
  if [[ -n "$wd" ]] && alive "$wd" && grep -q watchdog "/proc/$wd/cmdline" 2>/dev/null; then
    kill -TERM "$wd" 2>/dev/null || true
  fi
  rm -f "$dir/watchdog.pid"
  if ! alive "$pid"; then
    rm -f "$dir/kafka.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if alive "$pid"; then
    log "broker $pid did not stop within $STOP_TIMEOUT s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  fi
  alive "$pid" && die "broker $pid would not die"
  rm -f "$dir/kafka.pid"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) usage ;;
esac
