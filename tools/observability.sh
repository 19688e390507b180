#!/usr/bin/env bash
# A local observability stack on loopback, for development and the end-to-end test:
# Debian's Prometheus with infra/observability's alert rules, scraping remiss servers, and
# Jaeger v2 (infra/observability/jaeger.yaml: OTLP/gRPC in, memory store, query HTTP API,
# span metrics that the same Prometheus scrapes).
#
#   tools/observability.sh start DIR TARGET...   TARGET: a server's --metrics-listen host:port
#                                                writes DIR/prometheus_url (http://127.0.0.1:P),
#                                                DIR/jaeger_otlp (host:port: --otlp-endpoint)
#                                                and DIR/jaeger_query_url (http://127.0.0.1:Q)
#   tools/observability.sh stop DIR              (Jaeger takes ~10 s to stop)
#   tools/observability.sh build-jaeger          builds Jaeger once into the cache; prints it
#
# REMISS_SCRAPE_INTERVAL (default 5s) sets both the scrape and the rule evaluation interval.
# Installs Debian's prometheus when it is missing. Data stays in DIR until it is removed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "observability.sh: $*" >&2; exit 2; }

# Jaeger v2 (an OpenTelemetry Collector distribution), built once from the Go module proxy
# into ~/.cache/remiss (about 10 minutes on 2 cores the first time), pinned.
jaeger_version=v1.76.0  # = Jaeger v2.13.0
jaeger_bin="${REMISS_CACHE:-$HOME/.cache/remiss}/jaeger-$jaeger_version/jaeger"

ensure_jaeger() {
  [ -x "$jaeger_bin" ] && return 0
  command -v go >/dev/null || die "go is needed to build Jaeger (the Go toolchain)"
  mkdir -p "$(dirname "$jaeger_bin")"
  (
    exec 9>"$(dirname "$jaeger_bin").lock"
    flock 9
    [ -x "$jaeger_bin" ] && exit 0
    echo "observability.sh: building Jaeger $jaeger_version (once; ~10 minutes)" >&2
    local mod
    mod=$(cd /tmp && GOFLAGS=-modcacherw go mod download -json "github.com/jaegertracing/jaeger@$jaeger_version" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
    (cd "$mod" && GOFLAGS=-modcacherw go build -o "$jaeger_bin.tmp" ./cmd/jaeger)
    mv "$jaeger_bin.tmp" "$jaeger_bin"
  )
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ensure_prometheus() { "$top/tools/setup.sh" --with-observability; }

start() {
  local dir=$1; shift
  [ "$#" -gt 0 ] || die "start DIR TARGET...: name at least one --metrics-listen address"
  ensure_prometheus
  ensure_jaeger
  mkdir -p "$dir/prometheus-data"
  local otlp_port query_port query_grpc_port spm_port
  otlp_port=$(free_port); query_port=$(free_port); query_grpc_port=$(free_port); spm_port=$(free_port)
  local interval=${REMISS_SCRAPE_INTERVAL:-5s} targets="" t
  for t in "$@"; do targets="$targets\"$t\", "; done
  cp "$top/infra/observability/alerts.yml" "$dir/alerts.yml"
  cat >"$dir/prometheus.yml" <<CONFIG
global:
  scrape_interval: $interval
  evaluation_interval: $interval
rule_files:
  - alerts.yml
scrape_configs:
  - job_name: remiss
    static_configs:
      - targets: [${targets%, }]
  - job_name: jaeger-spanmetrics
    static_configs:
      - targets: ["127.0.0.1:$spm_port"]
CONFIG
  promtool check config "$dir/prometheus.yml" >/dev/null || die "the generated prometheus.yml is invalid"
  local port
  port=$(free_port)
  prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/prometheus-data" \
    --web.listen-address="127.0.0.1:$port" >"$dir/prometheus.log" 2>&1 &
  echo $! >"$dir/prometheus.pid"
  for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then
      echo "http://127.0.0.1:$port" >"$dir/prometheus_url"
      echo "prometheus: http://127.0.0.1:$port (alerts: /alerts, targets: /targets)"
      start_jaeger "$dir" "http://127.0.0.1:$port" "$otlp_port" "$query_port" "$query_grpc_port" "$spm_port"
      return 0
    fi
    sleep 0.2
  done
  cat "$dir/prometheus.log" >&2
  die "prometheus did not become ready"
}

start_jaeger() {
  local dir=$1 prometheus_url=$2 otlp_port=$3 query_port=$4 query_grpc_port=$5 spm_port=$6
  cp "$top/infra/observability/jaeger.yaml" "$dir/jaeger.yaml"
  JAEGER_OTLP_GRPC="127.0.0.1:$otlp_port" JAEGER_QUERY_HTTP="127.0.0.1:$query_port" \
    JAEGER_QUERY_GRPC="127.0.0.1:$query_grpc_port" JAEGER_SPANMETRICS="127.0.0.1:$spm_port" \
    PROMETHEUS_URL="$prometheus_url" OTEL_TRACES_EXPORTER=none \
    "$jaeger_bin" --config "$dir/jaeger.yaml" >"$dir/jaeger.log" 2>&1 &
  echo $! >"$dir/jaeger.pid"
  for _ in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:$query_port/api/services" >/dev/null 2>&1 &&
        (exec 3<>"/dev/tcp/127.0.0.1/$otlp_port") 2>/dev/null; then
      echo "127.0.0.1:$otlp_port" >"$dir/jaeger_otlp"
      echo "http://127.0.0.1:$query_port" >"$dir/jaeger_query_url"
      echo "jaeger: OTLP/gRPC on 127.0.0.1:$otlp_port, query API http://127.0.0.1:$query_port/api/traces"
      return 0
    fi
    kill -0 "$(cat "$dir/jaeger.pid")" 2>/dev/null || break
    sleep 0.2
  done
  cat "$dir/jaeger.log" >&2
  die "jaeger did not become ready"
}

stop() {
  local dir=$1 f
  for f in "$dir"/*.pid; do
    [ -f "$f" ] || continue
    kill -TERM "$(cat "$f")" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

case "${1:-}" in
  build-jaeger) ensure_jaeger; echo "$jaeger_bin" ;;
  start) [ "$#" -ge 3 ] || die "usage: start DIR TARGET..."; shift; start "$@" ;;
  stop) [ "$#" -eq 2 ] || die "usage: stop DIR"; stop "$2" ;;
  *) die "usage: tools/observability.sh start DIR TARGET... | stop DIR | build-jaeger" ;;
esac
