#!/usr/bin/env bash
# Makes (once) a Python virtual environment for the examples with pinned packages, under
# ${REMISS_CACHE:-~/.cache/remiss}, outside git, and prints its python's path. Exits non-zero
# (saying why) when it cannot: a test that needs it fails rather than skips.
set -euo pipefail
pins=(confluent-kafka==2.16.1 grpcio==1.85.1 grpcio-tools==1.85.1 protobuf==7.36.2)
cache=${REMISS_CACHE:-${HOME:-/tmp}/.cache/remiss}
name=py-examples-$(printf '%s\n' "${pins[@]}" | sha256sum | cut -c1-12)
venv=$cache/$name
if [ ! -f "$venv/.complete" ]; then
  mkdir -p "$cache"
  exec 9>"$cache/$name.lock"
  flock 9
  if [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2 || { echo "venv.sh: python3 -m venv failed (apt-get install python3-venv?)" >&2; exit 1; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" >&2 \
      || { echo "venv.sh: pip could not install ${pins[*]}" >&2; exit 1; }
    touch "$venv/.complete"
  fi
fi
echo "$venv/bin/python"
