#!/usr/bin/env bash
# Installs the Debian packages remiss builds, runs and tests with. Idempotent: when
# everything is there it only checks, in a second or so. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates tzdata
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librdkafka-dev librocksdb-dev libssl-dev openssl
  # The servers' allocator (cmake/remiss.cmake, remiss_server_allocator).
  libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus-cpp-dev libhowardhinnant-date-dev libabsl-dev
  # The web console (services/console): its HTTP(S) server (libmicrohttpd, with GnuTLS) and
  # JSON; its tests' HTTP client (cpp-httplib). All from Debian.
  libmicrohttpd-dev libgnutls28-dev nlohmann-json3-dev libcpp-httplib-dev
  # The notices service's SMTP client (services/notices); its tests build mailpit with the Go toolchain
  # (tools/mailpit.sh) and put socat in front of it as a TLS endpoint requiring a client certificate.
  libcurl4-openssl-dev socat
  python3
  # The build fetches the OTLP .proto files with Maven (tools/otlp/fetch_protos.sh); Kafka's
  # broker jars come the same way.
  openjdk-17-jre-headless maven
)
if [ "${1:-}" = "--with-contract" ]; then  # tools/contract.sh: buf and the AsyncAPI CLI from npm
  packages+=(nodejs npm python3)
fi
if [ "${1:-}" = "--with-observability" ]; then  # tools/observability.sh: Prometheus, promtool
  packages+=(prometheus curl python3)
fi
if [ "${1:-}" = "--with-console" ]; then  # tests/console: Chromium, and Node.js for puppeteer-core and axe-core
  packages+=(chromium nodejs npm fonts-dejavu-core)
fi
if [ "${1:-}" = "--with-deploy" ]; then  # tools/deploy-check.sh: a real API server's etcd, the image
  packages+=(etcd-server podman debootstrap python3-yaml python3-requests curl)
fi
if [ "${1:-}" = "--with-bench" ]; then  # tools/bench/run.sh (f): PostgreSQL 15 and pgbench, PgBouncer
  packages+=(postgresql postgresql-15 pgbouncer util-linux python3)
fi
if [ "${1:-}" = "--with-fuzz" ]; then  # libFuzzer targets (tests/fuzz)
  packages+=(clang-14 libfuzzer-14-dev libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Maven or a JRE that came some other way will do.
command -v java >/dev/null && missing=("${missing[@]/openjdk-17-jre-headless}")
command -v mvn >/dev/null && missing=("${missing[@]/maven}")
# A Node.js with npm that came some other way (e.g. NodeSource's nodejs) will do.
if { [ "${1:-}" = "--with-contract" ] || [ "${1:-}" = "--with-console" ]; } && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}")
  missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]:-}"
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# Tests run side by side may each install what they need: one apt at a time (apt itself
# would refuse the second with "Could not get lock").
exec 9>"${TMPDIR:-/tmp}/remiss-setup.lock"
flock 9
echo "setup: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
