#!/usr/bin/env bash
# The flags the chart and compose give each server, against the image's own binaries: every
# server and console container's command and args, with --help added, run in the image's
# root as its user (a server reads every flag before it answers --help, and refuses one it
# does not know).
#
#   tools/deploy/flag_check.sh TAG RENDERED.json COMPOSE.json
set -euo pipefail
die() { echo "deploy/flag_check.sh: $*" >&2; exit 1; }
[ $# -eq 3 ] || die "usage: flag_check.sh TAG RENDERED.json COMPOSE.json"
tag=$1
commands=$(/usr/bin/python3 - "$2" "$3" <<'PY'
import json, sys
rendered, compose = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for o in rendered:
    if o["kind"] in ("StatefulSet", "Deployment"):
        for c in o["spec"]["template"]["spec"]["containers"]:
            args = [a.replace("$(POD_NAME)", "pod-0") for a in c.get("args", [])]
            print(json.dumps({"where": f"chart {o['kind']} {o['metadata']['name']}", "argv": c["command"] + args}))
for name, s in compose["services"].items():
    if s.get("image", "").startswith("localhost/remiss") and s.get("command"):
        print(json.dumps({"where": f"compose {name}", "argv": s["command"]}))
PY
)
[ -n "$commands" ] || die "no server containers found"
c=$(podman create "$tag")
mnt=$(podman mount "$c")
trap 'podman unmount "$c" >/dev/null; podman rm "$c" >/dev/null' EXIT
problems=0 count=0
while IFS= read -r line; do
  where=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["where"])' "$line")
  mapfile -t argv < <(/usr/bin/python3 -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])["argv"]))' "$line")
  count=$((count + 1))
  out=$(chroot --userspec=10001:10001 "$mnt" "/usr/local/bin/${argv[0]}" "${argv[@]:1}" --help 2>&1 >/dev/null) ||
    { echo "deploy/flag_check.sh: $where: ${argv[0]} refuses its flags: $out" >&2; problems=1; }
done <<<"$commands"
[ "$problems" -eq 0 ] || exit 1
echo "deploy/flag_check.sh: $count server commands of the chart and compose accepted by the image's binaries"
