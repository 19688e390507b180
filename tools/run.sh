#!/usr/bin/env bash
# Builds remissctl too. Runs remissd, every service in one process (the embedded default, no Kafka), on
# 127.0.0.1:50051 with its data in ./remiss-data. Installs and builds what is missing first.
# Flags are passed on: tools/run.sh --listen 127.0.0.1:6000 --data-dir /tmp/r
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/setup.sh"
"$top/tools/build.sh" remissd remissctl
exec "${REMISS_BUILD_DIR:-$top/build}/services/remissd/remissd" "$@"
