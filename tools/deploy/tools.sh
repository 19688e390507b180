#!/usr/bin/env bash
# The deploy check's tools, built once from the Go module proxy (and PyPI) into
# ~/.cache/remiss/<tool>-<version> and pinned, like Jaeger in tools/observability.sh:
#
#   tools/deploy/tools.sh ensure [TOOL...]   builds what is missing (all when none named)
#   tools/deploy/tools.sh path TOOL          prints the binary's path (fails if not built)
#
# TOOL: helm helm-unittest kube-score kube-apiserver compose-check kubernetes-validate k8s-models
#       kafka-tools
# Costs on 2 cores (first time): helm ~4 min, helm-unittest ~1, kube-score ~1,
# kube-apiserver ~6-10, compose-check ~1, kubernetes-validate a few seconds.
# Debian's etcd-server, podman and debootstrap come from tools/setup.sh --with-deploy.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${REMISS_CACHE:-$HOME/.cache/remiss}
die() { echo "deploy/tools.sh: $*" >&2; exit 2; }

helm_version=v4.3.2
unittest_version=v1.1.2
kube_score_version=v1.20.0
kubernetes_version=v1.37.2        # kube-apiserver; its staging modules are v0.37.2
compose_go_version=v2.16.2
kubernetes_validate_version=1.37.0
kafka_tools_version=3.9.1         # Kafka's TopicCommand, for compose's topic creator (Maven)
k8s_models_version=6.0.0          # npm @kubernetes-models/cert-manager and /prometheus-operator

bin_of() {
  case $1 in
    helm) echo "$cache/helm-$helm_version/helm" ;;
    helm-unittest) echo "$cache/helm-unittest-$unittest_version/helm-unittest" ;;
    kube-score) echo "$cache/kube-score-$kube_score_version/kube-score" ;;
    kube-apiserver) echo "$cache/kube-apiserver-$kubernetes_version/kube-apiserver" ;;
    compose-check) echo "$cache/compose-check-$compose_go_version-$(compose_check_hash)/compose-check" ;;
    kubernetes-validate) echo "$cache/kubernetes-validate-$kubernetes_validate_version/venv/bin/kubernetes-validate" ;;
    k8s-models) echo "$cache/k8s-models-$k8s_models_version/node_modules/.complete" ;;
    kafka-tools) echo "$cache/kafka-tools-$kafka_tools_version/kafka-tools-$kafka_tools_version.jar" ;;
    *) die "unknown tool $1" ;;
  esac
}
# compose-check is our own program: its cache directory changes with its source.
compose_check_hash() { sha256sum "$top/tools/deploy/compose-check/main.go" | cut -c1-12; }

mod_dir() {  # downloads a Go module (pinned) and prints its directory in the module cache
  (cd /tmp && GOFLAGS=-modcacherw go mod download -json "$1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
}

build_helm() { GOFLAGS=-modcacherw GOBIN="$(dirname "$1")/gobin" go install "helm.sh/helm/v4/cmd/helm@$helm_version"; mv "$(dirname "$1")/gobin/helm" "$1"; }
build_kube_score() { GOFLAGS=-modcacherw GOBIN="$(dirname "$1")/gobin" go install "github.com/zegl/kube-score/cmd/kube-score@$kube_score_version"; mv "$(dirname "$1")/gobin/kube-score" "$1"; }
build_helm_unittest() {
  # `go install` refuses it (a replace directive in its go.mod); build inside the module.
  local dir; dir=$(mod_dir "github.com/helm-unittest/helm-unittest@$unittest_version")
  (cd "$dir" && GOFLAGS=-modcacherw go build -o "$1" ./cmd/helm-unittest)
}
build_kube_apiserver() {
  # A scratch module requiring k8s.io/kubernetes, with its ./staging replaces pointed at the
  # published staging modules of the same release.
  local work; work=$(dirname "$1")/src
  rm -rf "$work"; mkdir -p "$work"
  local gomod; gomod=$(cd /tmp && GOFLAGS=-modcacherw go mod download -json "k8s.io/kubernetes@$kubernetes_version" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  local staging=v0${kubernetes_version#v1}
  {
    echo "module remiss.local/kube-apiserver"
    echo "go 1.25"
    echo "require k8s.io/kubernetes $kubernetes_version"
    grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
  } >"$work/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n' >"$work/tools.go"
  (cd "$work" && GOFLAGS=-modcacherw go mod tidy && GOFLAGS=-modcacherw go build -o "$1" k8s.io/kubernetes/cmd/kube-apiserver)
  rm -rf "$work"
}
build_compose_check() {
  local work; work=$(dirname "$1")/src
  rm -rf "$work"; mkdir -p "$work"
  cp "$top/tools/deploy/compose-check/main.go" "$work/"
  (cd "$work" && go mod init remiss.local/compose-check >/dev/null 2>&1 &&
    GOFLAGS=-modcacherw go get "github.com/compose-spec/compose-go/v2@$compose_go_version" &&
    GOFLAGS=-modcacherw go mod tidy && GOFLAGS=-modcacherw go build -o "$1" .)
  rm -rf "$work"
}
build_kubernetes_validate() {
  local venv; venv=$(dirname "$(dirname "$1")")
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "kubernetes-validate==$kubernetes_validate_version"
}

build_k8s_models() {
  local dir; dir=$(dirname "$(dirname "$1")")
  command -v npm >/dev/null || die "npm is needed for the cert-manager and Prometheus Operator models"
  echo '{"private": true, "type": "module"}' >"$dir/package.json"
  (cd "$dir" && npm install --silent --no-audit --no-fund --save-exact \
    "@kubernetes-models/cert-manager@$k8s_models_version" \
    "@kubernetes-models/prometheus-operator@$k8s_models_version")
  touch "$1"
}

build_kafka_tools() {
  # Only the one jar: TopicCommand's dependencies are among the broker's (tools/kafka/kafka.sh).
  command -v mvn >/dev/null || die "mvn is needed for Kafka's tools jar (tools/setup.sh)"
  local dir; dir=$(dirname "$1")
  mvn -q dependency:copy "-Dartifact=org.apache.kafka:kafka-tools:$kafka_tools_version" \
    "-DoutputDirectory=$dir/tmp" >&2
  mv "$dir/tmp/kafka-tools-$kafka_tools_version.jar" "$1"
  rm -rf "$dir/tmp"
}

ensure() {
  local tool=$1 bin; bin=$(bin_of "$tool")
  [ -e "$bin" ] && return 0
  if [ "$tool" = kubernetes-validate ] || [ "$tool" = k8s-models ] || [ "$tool" = kafka-tools ]; then command -v python3 >/dev/null || die "python3 is needed for $tool"
  else command -v go >/dev/null || die "go is needed to build $tool (the Go toolchain)"; fi
  local dir; dir=${bin%/venv/bin/*}; [ "$dir" = "$bin" ] && dir=${bin%/node_modules/*}
  [ "$dir" = "$bin" ] && dir=$(dirname "$bin")
  mkdir -p "$dir"
  (
    exec 9>"$dir.lock"
    flock 9
    [ -e "$bin" ] && exit 0
    echo "deploy/tools.sh: building $tool (once)" >&2
    local t0=$SECONDS
    case $tool in
      helm) build_helm "$bin.tmp" ;;
      helm-unittest) build_helm_unittest "$bin.tmp" ;;
      kube-score) build_kube_score "$bin.tmp" ;;
      kube-apiserver) build_kube_apiserver "$bin.tmp" ;;
      compose-check) build_compose_check "$bin.tmp" ;;
      kubernetes-validate) build_kubernetes_validate "$bin"; exit 0 ;;
      k8s-models) build_k8s_models "$bin"; exit 0 ;;
      kafka-tools) build_kafka_tools "$bin.tmp" ;;
    esac
    mv "$bin.tmp" "$bin"
    rm -rf "$dir/gobin"
    echo "deploy/tools.sh: $tool built in $((SECONDS - t0)) s" >&2
  )
}

# In braces with the exit: bash reads the whole block before running it, so a script edited
# while it runs (a build takes minutes) does not go on from the middle of the new text.
{
all=(helm helm-unittest kube-score kube-apiserver compose-check kubernetes-validate k8s-models kafka-tools)
case ${1:-} in
  ensure) shift; [ "$#" -gt 0 ] || set -- "${all[@]}"; for t in "$@"; do ensure "$t"; done ;;
  path) [ -x "$(bin_of "$2")" ] || [ -f "$(bin_of "$2")" ] || die "$2 is not built: tools/deploy/tools.sh ensure $2"; bin_of "$2" ;;
  *) die "usage: tools.sh ensure [TOOL...] | path TOOL" ;;
esac
exit
}
