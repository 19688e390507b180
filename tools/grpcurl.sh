#!/usr/bin/env bash
# Prints the path of grpcurl (a pinned version, installed with Go's module proxy into
# ~/go/bin if missing): the command line for talking to any remiss server by reflection.
set -euo pipefail
version=v1.9.1
gobin=$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin
if command -v grpcurl >/dev/null; then command -v grpcurl; exit 0; fi
if [ ! -x "$gobin/grpcurl" ]; then
  command -v go >/dev/null || { echo "grpcurl.sh: needs Go (apt-get install golang-go)" >&2; exit 1; }
  GOFLAGS=-mod=mod go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$version" >&2
fi
echo "$gobin/grpcurl"
