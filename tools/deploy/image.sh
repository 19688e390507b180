#!/usr/bin/env bash
# Builds the remiss image (deploy/Containerfile) with podman, from the binaries of a build
# tree, on a Debian 12 base made with debootstrap (cached as localhost/remiss-base:bookworm;
# no image registry is needed), then checks it: every binary is there and finds all its
# libraries inside the image (ldd in the image's root), the user is not root, no key or
# certificate file is inside; and, as `podman run` does not work in every sandbox (not in
# this project's), it runs the image's binaries in its root (chroot) as user 10001: every
# one answers --help, remissd serves (the image's remissctl finds it SERVING on its probe
# port) and stops cleanly on SIGTERM. Prints the image's size.
#
#   tools/deploy/image.sh build BUILD_DIR [TAG]   (TAG default localhost/remiss:dev)
#
# podman builds with --isolation=chroot (no container runtime needed to build).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "deploy/image.sh: $*" >&2; exit 1; }
base=localhost/remiss-base:bookworm
binaries=(
  services/remissd/remissd
  services/referrals/remiss-referrals
  services/responses/remiss-responses
  services/deadlines/remiss-deadlines
  services/followup/remiss-followup
  services/notices/remiss-notices
  services/console/remiss-console
  tools/remissctl/remissctl
)

ensure_base() {
  podman image exists "$base" && return 0
  command -v debootstrap >/dev/null || die "debootstrap is not installed (tools/setup.sh --with-deploy)"
  local root; root=$(mktemp -d)
  echo "deploy/image.sh: making the Debian 12 base with debootstrap (once)" >&2
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$root.log" 2>&1 ||
    { tail -20 "$root.log" >&2; rm -rf "$root" "$root.log"; die "debootstrap failed"; }
  # The security updates too, as in Debian's own images.
  echo "deb http://deb.debian.org/debian-security bookworm-security main" >>"$root/etc/apt/sources.list"
  rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
  tar -C "$root" -c . | podman import --quiet - "$base" >/dev/null
  rm -rf "$root" "$root.log"
}

build() {
  local build_dir=$1 tag=${2:-localhost/remiss:dev}
  command -v podman >/dev/null || die "podman is not installed (tools/setup.sh --with-deploy)"
  local ctx; ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  mkdir -p "$ctx/bin"
  local b
  for b in "${binaries[@]}"; do
    [ -x "$build_dir/$b" ] || die "$build_dir/$b is not built (tools/build.sh)"
    objcopy --strip-debug "$build_dir/$b" "$ctx/bin/$(basename "$b")"
  done
  # The notices' texts, which an administrator may replace (--notices-templates).
  mkdir -p "$ctx/notices-templates"
  cp "$top/services/notices/templates/"* "$ctx/notices-templates/"
  ensure_base
  local old; old=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
  podman build --quiet --isolation=chroot --pull=never --build-arg "BASE=$base" \
    -f "$top/deploy/Containerfile" -t "$tag" "$ctx" >/dev/null
  # The image this tag named before, now untagged, goes (not every dangling image: only ours).
  if [ -n "$old" ] && [ "$old" != "$(podman image inspect --format '{{.Id}}' "$tag")" ]; then
    podman rmi "$old" >/dev/null 2>&1 || true
  fi
  check "$tag"
}

check() {
  local tag=$1 c mnt problems=0 b
  c=$(podman create "$tag")
  mnt=$(podman mount "$c")
  for b in "${binaries[@]}"; do
    b=/usr/local/bin/$(basename "$b")
    [ -x "$mnt$b" ] || { echo "deploy/image.sh: $b missing from the image" >&2; problems=1; continue; }
    if chroot "$mnt" /usr/bin/ldd "$b" | grep -q 'not found'; then
      chroot "$mnt" /usr/bin/ldd "$b" | grep 'not found' | sed "s#^#deploy/image.sh: $b: #" >&2
      problems=1
    fi
  done
  [ "$problems" -eq 0 ] && smoke "$mnt" || problems=1
  local keys
  keys=$(find "$mnt" -xdev \( -name '*.key' -o -name '*.pem' -o -name '*.p12' \) \
           -not -path "$mnt/etc/ssl/*" -not -path "$mnt/usr/share/*" 2>/dev/null || true)
  [ -z "$keys" ] || { echo "deploy/image.sh: key or certificate files inside: $keys" >&2; problems=1; }
  local user; user=$(podman image inspect --format '{{.Config.User}}' "$tag")
  case $user in ''|0|0:*|root|root:*) echo "deploy/image.sh: the image runs as root ($user)" >&2; problems=1 ;; esac
  podman unmount "$c" >/dev/null
  podman rm "$c" >/dev/null
  [ "$problems" -eq 0 ] || die "$tag: see above"
  local size; size=$(podman image inspect --format '{{.Size}}' "$tag")
  echo "deploy/image.sh: $tag: ${#binaries[@]} binaries, user $user, every library found; size $((size / 1000000)) MB ($size bytes)"
}

# The image's binaries run in its root as the image's user: --help, then remissd serving.
smoke() {
  local mnt=$1 b port pid
  for b in "${binaries[@]}"; do
    b=$(basename "$b")
    chroot --userspec=10001:10001 "$mnt" "/usr/local/bin/$b" --help >/dev/null 2>&1 ||
      { echo "deploy/image.sh: $b --help fails inside the image" >&2; return 1; }
  done
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$mnt/tmp/smoke" && chown 10001:10001 "$mnt/tmp/smoke"
  chroot --userspec=10001:10001 "$mnt" /usr/local/bin/remissd --listen 127.0.0.1:0 \
    --probe-listen "127.0.0.1:$port" --data-dir /tmp/smoke/data >"$mnt/tmp/smoke/log" 2>&1 &
  pid=$!
  local ok=1
  for _ in $(seq 1 100); do
    if chroot --userspec=10001:10001 "$mnt" /usr/local/bin/remissctl health --server "127.0.0.1:$port" >/dev/null 2>&1; then
      ok=0; break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null
  local rc=0; wait "$pid" || rc=$?
  if [ "$ok" -ne 0 ] || [ "$rc" -ne 0 ]; then
    cat "$mnt/tmp/smoke/log" >&2
    echo "deploy/image.sh: remissd inside the image did not serve (health) and stop cleanly (exit $rc)" >&2
    return 1
  fi
  rm -rf "$mnt/tmp/smoke"
}

case ${1:-} in
  build) [ $# -ge 2 ] || die "usage: image.sh build BUILD_DIR [TAG]"; build "$2" "${3:-}" ;;
  *) die "usage: image.sh build BUILD_DIR [TAG]" ;;
esac
