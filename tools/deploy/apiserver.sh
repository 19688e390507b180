#!/usr/bin/env bash
# A real Kubernetes API server on loopback for server-side dry-runs (no nodes, no pods):
# Debian's etcd and the kube-apiserver that tools/deploy/tools.sh builds.
#
#   tools/deploy/apiserver.sh start DIR   writes DIR/url and DIR/token (an admin's bearer token)
#   tools/deploy/apiserver.sh stop DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "deploy/apiserver.sh: $*" >&2; exit 2; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() {
  local dir=$1
  command -v etcd >/dev/null || die "etcd is not installed (tools/setup.sh --with-deploy)"
  local apiserver; apiserver=$("$top/tools/deploy/tools.sh" path kube-apiserver)
  mkdir -p "$dir/etcd" "$dir/certs"
  local etcd_port peer_port api_port
  etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port)
  etcd --data-dir "$dir/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "default=http://127.0.0.1:$peer_port" >"$dir/etcd.log" 2>&1 &
  echo $! >"$dir/etcd.pid"
  openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
  openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
  local token; token=$(openssl rand -hex 24)
  echo "$token,remiss-check,remiss-check,system:masters" >"$dir/tokens.csv"
  echo "$token" >"$dir/token"
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$etcd_port/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --cert-dir "$dir/certs" --token-auth-file "$dir/tokens.csv" --authorization-mode RBAC \
    --service-account-key-file "$dir/sa.pub" --service-account-signing-key-file "$dir/sa.key" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-cluster-ip-range 10.96.0.0/16 --endpoint-reconciler-type none \
    >"$dir/apiserver.log" 2>&1 &
  echo $! >"$dir/apiserver.pid"
  for _ in $(seq 1 600); do
    if curl -skf -H "Authorization: Bearer $token" "https://127.0.0.1:$api_port/readyz" >/dev/null 2>&1; then
      echo "https://127.0.0.1:$api_port" >"$dir/url"
      return 0
    fi
    kill -0 "$(cat "$dir/apiserver.pid")" 2>/dev/null || break
    sleep 0.1
  done
  tail -30 "$dir/apiserver.log" >&2
  stop "$dir"
  die "kube-apiserver did not become ready"
}

stop() {
  local dir=$1 f
  for f in "$dir/apiserver.pid" "$dir/etcd.pid"; do
    [ -f "$f" ] || continue
    kill -TERM "$(cat "$f")" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

case ${1:-} in
  start) [ $# -eq 2 ] || die "usage: apiserver.sh start DIR"; start "$2" ;;
  stop) [ $# -eq 2 ] || die "usage: apiserver.sh stop DIR"; stop "$2" ;;
  *) die "usage: apiserver.sh start|stop DIR" ;;
esac
