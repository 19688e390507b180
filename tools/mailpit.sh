#!/usr/bin/env bash
# mailpit, the real SMTP server the notices tests deliver to (TOOLS.md, "Mail"), built once
# from the Go module proxy into ~/.cache/remiss/mailpit-<version> (about 70 s on 2 cores),
# pinned, under a lock so that concurrent callers build it once.
#
#   tools/mailpit.sh build     builds it when missing; prints the binary's path
#   tools/mailpit.sh path      prints the binary's path (fails when it is not built)
set -euo pipefail
die() { echo "mailpit.sh: $*" >&2; exit 2; }
mailpit_version=v1.33.1
mailpit_bin="${REMISS_CACHE:-$HOME/.cache/remiss}/mailpit-$mailpit_version/mailpit"

ensure_mailpit() {
  [ -x "$mailpit_bin" ] && return 0
  command -v go >/dev/null || die "go is needed to build mailpit (the Go toolchain)"
  mkdir -p "$(dirname "$mailpit_bin")"
  (
    exec 9>"$(dirname "$mailpit_bin").lock"
    flock 9
    [ -x "$mailpit_bin" ] && exit 0
    echo "mailpit.sh: building mailpit $mailpit_version (once; ~70 s)" >&2
    local gobin; gobin="$(dirname "$mailpit_bin")/gobin"
    GOFLAGS=-modcacherw GOBIN="$gobin" go install "github.com/axllent/mailpit@$mailpit_version"
    mv "$gobin/mailpit" "$mailpit_bin"
    rmdir "$gobin" 2>/dev/null || true
  )
}

case "${1:-}" in
  build) ensure_mailpit; echo "$mailpit_bin" ;;
  path) [ -x "$mailpit_bin" ] || die "mailpit $mailpit_version is not built (tools/mailpit.sh build)"; echo "$mailpit_bin" ;;
  *) die "usage: tools/mailpit.sh build | path" ;;
esac
