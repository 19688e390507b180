#!/usr/bin/env bash
# A local observability stack on loopback, for development and the end-to-end test:
# Debian's Prometheus with infra/observability's alert rules, scraping remiss servers.
#
#   tools/observability.sh start DIR TARGET...   TARGET: a server's --metrics-listen host:port
#                                                writes DIR/prometheus_url (http://127.0.0.1:P)
#   tools/observability.sh stop DIR
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
  mkdir -p "$dir/prometheus-data"
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
      return 0
    fi
    sleep 0.2
  done
  cat "$dir/prometheus.log" >&2
  die "prometheus did not become ready"
}

stop() {
  local dir=$1 f
  for f in "$dir"/*.pid; do
    [ -f "$f" ] || continue
    kill -TERM "$(cat "$f")" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

case "${1:-}" in
  build-jaeger) ensure_jaeger; echo "$jaeger_bin" ;;
  start) [ "$#" -ge 3 ] || die "usage: start DIR TARGET..."; shift; start "$@" ;;
  stop) [ "$#" -eq 2 ] || die "usage: stop DIR"; stop "$2" ;;
  *) die "usage: tools/observability.sh start DIR TARGET... | stop DIR" ;;
esac
