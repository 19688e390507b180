#!/usr/bin/env bash
# The deploy's offline checks, each able to fail, none skipped (a missing tool fails):
#   1. helm lint --strict (the default values, ci/test-values.yaml, README's example values);
#      kubeVersion >=1.27
#   2. helm-unittest: the chart's logic (deploy/helm/remiss/tests)
#   3. the chart's KafkaTopics equal infra/kafka/topics.production.conf, its PrometheusRule
#      infra/observability/alerts.yml (compare_sources.py)
#   4. kube-score, with the one ignored test below and why
#   5. kubernetes-validate --strict on every rendered object it knows (Kubernetes 1.27, 1.37)
#   6. the cert-manager and Prometheus Operator objects against those projects' schemas
#   7. a server-side dry-run of every rendered object against a real kube-apiserver on
#      loopback (Debian's etcd) in a namespace enforcing the restricted Pod Security profile,
#      strict field validation, zero warnings (dry_run.py); with ci/test-values.yaml and
#      with the defaults
#   8. the topic settings through a real broker's validate-only topic creation; compose's
#      one-shot topic creator run against that broker (every topic of topics.conf, twice)
#   9. deploy/compose.yaml through the Compose specification's loader (compose-go)
#  10. the image (deploy/Containerfile) built with podman from a debootstrap base, with the
#      binaries of the build tree; every binary's libraries resolve inside it, its binaries
#      run in it as its user, remissd serves; the chart's and compose's flags for every
#      server are accepted by the image's binaries; its size
#
#   tools/deploy-check.sh [CHECK...]   CHECK: lint unittest sources score validate models
#                                      dryrun topics compose image (default: all)
# The tools are built once into ~/.cache/remiss (tools/deploy/tools.sh: ~15 min on 2 cores
# the first time). The image needs the build tree ($REMISS_BUILD_DIR or ./build, built).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
chart=$top/deploy/helm/remiss
build=${REMISS_BUILD_DIR:-$top/build}
die() { echo "deploy-check: $*" >&2; exit 1; }

# kube-score's opinions this chart does not follow, each with why (of its default tests and
# the optional ones check_score enables; the chart passes all the others):
score_ignores=(
  # It wants imagePullPolicy: Always. Production pins the image by digest (image.digest), for
  # which IfNotPresent pulls exactly the same bytes, and Always would make every restart of a
  # service depend on the registry being reachable.
  container-image-pull-policy
)

setup_tools() {
  "$top/tools/setup.sh" --with-deploy
  "$top/tools/deploy/tools.sh" ensure
}

work=$(mktemp -d)
cleanup() {
  [ -f "$work/api/apiserver.pid" ] && "$top/tools/deploy/apiserver.sh" stop "$work/api"
  [ -f "$work/kafka/bootstrap" ] && "$top/tools/kafka/kafka.sh" stop "$work/kafka" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

tool() { "$top/tools/deploy/tools.sh" path "$1"; }
render() {
  "$(tool helm)" template remiss "$chart" --namespace remiss-check \
    --values "$chart/ci/test-values.yaml" "$@" 2> >(grep -v 'found symbolic link' >&2)
}

check_lint() {
  "$(tool helm)" lint --strict "$chart" 2>&1 | grep -v 'found symbolic link'
  "$(tool helm)" lint --strict "$chart" --values "$chart/ci/test-values.yaml" 2>&1 | grep -v 'found symbolic link'
  # helm lint prints failures but the pipe above would hide its status
  "$(tool helm)" lint --strict "$chart" >/dev/null 2>&1 &&
    "$(tool helm)" lint --strict "$chart" --values "$chart/ci/test-values.yaml" >/dev/null 2>&1
  # The README's example values, as a new operator copies them, pass the schema and render.
  /usr/bin/python3 -c 'import re, sys
m = re.search(r"cat > values.yaml <<.VALUES.\n(.*?)\nVALUES\n", open(sys.argv[1]).read(), re.S)
sys.exit("deploy-check: no example values in README.md") if not m else open(sys.argv[2], "w").write(m.group(1) + "\n")' \
    "$top/README.md" "$work/readme-values.yaml"
  "$(tool helm)" lint --strict "$chart" --values "$work/readme-values.yaml" >/dev/null 2>&1 ||
    { "$(tool helm)" lint --strict "$chart" --values "$work/readme-values.yaml" 2>&1 | grep -v 'symbolic link' >&2; return 1; }
  echo "deploy-check: README.md's example values pass helm lint --strict"
  # kubeVersion: 1.27 renders, 1.26 is refused.
  render --kube-version 1.27.0 >/dev/null
  if render --kube-version 1.26.0 >/dev/null 2>&1; then
    echo "deploy-check: the chart renders for Kubernetes 1.26 (kubeVersion must be >=1.27)" >&2
    return 1
  fi
  echo "deploy-check: kubeVersion: 1.27 accepted, 1.26 refused"
}
check_unittest() { "$(tool helm-unittest)" --color=false "$chart"; }
check_sources() {
  /usr/bin/python3 "$top/tools/deploy/compare_sources.py" "$work/rendered.yaml" \
    "$top/infra/kafka/topics.production.conf" "$top/infra/observability/alerts.yml"
}
check_score() {
  # Two of its optional tests too: a seccomp profile on every pod, well-formed container ports.
  local args=(--enable-optional-test container-seccomp-profile --enable-optional-test container-ports-check) t
  for t in "${score_ignores[@]}"; do args+=(--ignore-test "$t"); done
  "$(tool kube-score)" score "${args[@]}" --output-format ci --exit-one-on-warning "$work/rendered.yaml" |
    grep -v '^\[OK\]' || true
  "$(tool kube-score)" score "${args[@]}" --output-format ci --exit-one-on-warning "$work/rendered.yaml" >/dev/null
}
check_validate() {
  # Custom resources are for the dry-run and models checks; this one knows the built-in kinds.
  /usr/bin/python3 -c '
import sys, yaml
def builtin(d):  # core (v1), apps/v1, policy/v1, networking.k8s.io/v1...: no dot, or .k8s.io
    group = d["apiVersion"].rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and builtin(d)]
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
print(f"kubernetes-validate: {len(docs)} built-in objects")' "$work/rendered.yaml" "$work/builtin.yaml"
  # Against the oldest Kubernetes the chart supports (kubeVersion >=1.27) and the newest.
  local v
  for v in 1.27 1.37; do
    "$(tool kubernetes-validate)" --strict --kubernetes-version "$v" "$work/builtin.yaml" | grep -v 'INFO' || true
    "$(tool kubernetes-validate)" --strict --kubernetes-version "$v" --quiet "$work/builtin.yaml"
    echo "kubernetes-validate: Kubernetes $v: valid"
  done
}
check_models() {
  MODELS_DIR=$(dirname "$(dirname "$(tool k8s-models)")") node "$top/tools/deploy/validate_models.mjs" "$work/rendered.json"
}
check_dryrun() {
  "$top/tools/deploy/apiserver.sh" start "$work/api"
  /usr/bin/python3 "$top/tools/deploy/dry_run.py" "$(cat "$work/api/url")" "$(cat "$work/api/token")" \
    remiss-check "$work/rendered.yaml" "$top/tools/deploy/crds.yaml" "$(tool strimzi-crd)"
  # And the chart as an operator's first install renders it: the defaults, a bootstrap and a mail server.
  "$(tool helm)" template remiss "$chart" --namespace remiss-defaults --set kafka.bootstrap=kafka:9092 \
    --set notices.smtp.url=smtp://mail.kommun.example:587 \
    2> >(grep -v 'found symbolic link' >&2) >"$work/rendered-defaults.yaml"
  /usr/bin/python3 "$top/tools/deploy/dry_run.py" "$(cat "$work/api/url")" "$(cat "$work/api/token")" \
    remiss-defaults "$work/rendered-defaults.yaml" "$top/tools/deploy/crds.yaml" "$(tool strimzi-crd)"
  "$top/tools/deploy/apiserver.sh" stop "$work/api"
}
check_topics() {
  "$top/tools/kafka/kafka.sh" fetch >/dev/null
  mkdir -p "$work/kafka"
  "$top/tools/kafka/kafka.sh" start "$work/kafka" >/dev/null
  "$("$top/tools/examples/venv.sh")" "$top/tools/deploy/validate_topics.py" \
    "$(cat "$work/kafka/bootstrap")" "$work/rendered.json"
  # And compose's one-shot topic creator, run for real against the same broker.
  # (its script as the Compose loader hands it over: interpolated, $$ made $)
  COMPOSE_CHECK_JSON=$work/compose.json "$(tool compose-check)" "$top/deploy/compose.yaml" \
    REMISS_IMAGE=localhost/remiss:check REMISS_PKI="$work/pki" >/dev/null
  /usr/bin/python3 -c 'import json, sys
json.dump(json.load(open(sys.argv[1]))["services"]["topics"]["command"][0], open(sys.argv[2], "w"))' \
    "$work/compose.json" "$work/compose_topics.json"
  "$("$top/tools/examples/venv.sh")" "$top/tools/deploy/compose_topics.py" "$work/compose_topics.json" \
    "$top/infra/kafka/topics.conf" "$(cat "$work/kafka/bootstrap")" "${REMISS_CACHE:-$HOME/.cache/remiss}/kafka-3.9.1/libs" \
    "$(tool kafka-tools)"
  "$top/tools/kafka/kafka.sh" stop "$work/kafka" >/dev/null 2>&1
}
check_compose() {
  "$(tool compose-check)" "$top/deploy/compose.yaml" REMISS_IMAGE=localhost/remiss:check REMISS_PKI="$work/pki"
}
check_image() {
  local tag=${REMISS_IMAGE_TAG:-localhost/remiss:dev}
  "$top/tools/deploy/image.sh" build "$build" "$tag"
  # The chart's and compose's flags against the image's binaries.
  COMPOSE_CHECK_JSON=$work/compose.json "$(tool compose-check)" "$top/deploy/compose.yaml" \
    REMISS_IMAGE="$tag" REMISS_PKI="$work/pki" >/dev/null
  "$top/tools/deploy/flag_check.sh" "$tag" "$work/rendered.json" "$work/compose.json"
}

# In braces with the exit: bash reads the whole block first (the checks take minutes; an edit
# of this file meanwhile must not change what runs).
{
all=(lint unittest sources score validate models dryrun topics compose image)
[ "$#" -gt 0 ] || set -- "${all[@]}"
setup_tools
render >"$work/rendered.yaml"
/usr/bin/python3 -c 'import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(open(sys.argv[1])) if d], open(sys.argv[2], "w"))' \
  "$work/rendered.yaml" "$work/rendered.json"
failed=()
for c in "$@"; do
  declare -F "check_$c" >/dev/null || die "unknown check $c (one of: ${all[*]})"
  echo "== deploy-check: $c"
  t0=$SECONDS
  # Not inside `if`: there bash would ignore set -e in the check.
  set +e
  ( set -euo pipefail; "check_$c" )
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    echo "== deploy-check: $c ok ($((SECONDS - t0)) s)"
  else
    echo "== deploy-check: $c FAILED ($((SECONDS - t0)) s)"
    failed+=("$c")
  fi
done
[ "${#failed[@]}" -eq 0 ] || die "failed: ${failed[*]}"
echo "deploy-check: all of $* ok"
exit 0
}
