#!/usr/bin/env bash
# Builds remissctl too. Runs remissd, every service in one process (the embedded default, no Kafka), on
# 127.0.0.1:50051 with its data in ./remiss-data, and the web console on http://127.0.0.1:8080/
# (development sign-in; REMISS_CONSOLE=127.0.0.1:9090 picks another address, REMISS_CONSOLE=off
# none; it is off when you pass --tls-* flags or a --console-listen of your own).
# Installs and builds what is missing first.
# Flags are passed on: tools/run.sh --listen 127.0.0.1:6000 --data-dir /tmp/r
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/setup.sh"
"$top/tools/build.sh" remissd remissctl
console_at=${REMISS_CONSOLE:-127.0.0.1:8080}
for a in "$@"; do
  case "$a" in --console-listen*|--tls-*) console_at=off ;; esac
done
console=()
if [ "$console_at" != off ]; then
  console=(--console-listen "$console_at" --console-dev-signin)
  echo "run.sh: the console: http://$console_at/ (choose a development identity to sign in)" >&2
fi
exec "${REMISS_BUILD_DIR:-$top/build}/services/remissd/remissd" "${console[@]}" "$@"
