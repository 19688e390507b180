#!/usr/bin/env bash
# Fetches the OpenTelemetry protocol's .proto files (OTLP) with Maven into a cache outside git
# and prints the directory that holds opentelemetry/proto/**.proto. Idempotent; CMake runs it
# at configure time (proto/CMakeLists.txt). Nothing fetched here is committed.
#
#   fetch_protos.sh [VERSION]     default 1.11.0-alpha (Maven io.opentelemetry.proto:opentelemetry-proto)
#
# REMISS_CACHE: cache root (default $HOME/.cache/remiss); files go to $REMISS_CACHE/otlp-VERSION.
set -euo pipefail
VERSION=${1:-1.11.0-alpha}
CACHE_ROOT="${REMISS_CACHE:-${HOME:-/tmp}/.cache/remiss}"
DIR="$CACHE_ROOT/otlp-$VERSION"
die() { echo "fetch_protos.sh: $*" >&2; exit 1; }
done_mark="$DIR/proto/.complete"
if [[ -f "$done_mark" ]]; then echo "$DIR/proto"; exit 0; fi
command -v mvn >/dev/null || die "mvn (Maven) is needed to fetch the OTLP protos (tools/setup.sh installs it)"
command -v python3 >/dev/null || die "python3 is needed to unpack the OTLP protos"
mkdir -p "$DIR"
exec 9>"$CACHE_ROOT/otlp-$VERSION.lock"
flock 9
if [[ -f "$done_mark" ]]; then echo "$DIR/proto"; exit 0; fi
echo "fetch_protos.sh: fetching io.opentelemetry.proto:opentelemetry-proto:$VERSION into $DIR" >&2
if ! mvn -q -B -Dstyle.color=never \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
    -Dartifact="io.opentelemetry.proto:opentelemetry-proto:$VERSION:jar" \
    -DoutputDirectory="$DIR" >"$DIR/fetch.log" 2>&1; then
  cat "$DIR/fetch.log" >&2
  die "mvn could not fetch io.opentelemetry.proto:opentelemetry-proto:$VERSION"
fi
jar="$DIR/opentelemetry-proto-$VERSION.jar"
[[ -f "$jar" ]] || die "$jar missing after the fetch"
rm -rf "$DIR/proto.tmp"
python3 - "$jar" "$DIR/proto.tmp" <<'PY'
import sys, zipfile
jar, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(jar) as z:
    names = [n for n in z.namelist() if n.startswith("opentelemetry/proto/") and n.endswith(".proto")]
    if not names:
        sys.exit("no opentelemetry/proto/**.proto in " + jar)
    for n in names:
        z.extract(n, out)
PY
touch "$DIR/proto.tmp/.complete"
rm -rf "$DIR/proto"
mv "$DIR/proto.tmp" "$DIR/proto"
echo "$DIR/proto"
