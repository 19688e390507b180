#!/usr/bin/env bash
# Shows that every deploy check can fail: for each, breaks the chart (or compose file, image,
# topics file) in one way, in a copy of the repository's deploy/, infra/ and tools/, runs
# that check there and expects it to fail. Exits 1 if a mutation went unnoticed.
#
#   tools/deploy/mutations.sh [CHECK...]     (default: every check; the image one needs the
#                                             build tree, $REMISS_BUILD_DIR or ./build)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
export REMISS_BUILD_DIR=${REMISS_BUILD_DIR:-$top/build}
export REMISS_IMAGE_TAG=localhost/remiss:mutation  # never the image a check built

# check | file (under the copy) | sed expression | what it breaks
mutations=(
  "lint|deploy/helm/remiss/values.yaml|s/^trustDomain: remiss.local/trustDomain: Remiss Local/|a trust domain the values schema refuses"
  "unittest|deploy/helm/remiss/templates/statefulsets.yaml|s/grpc: { port: 8081, service: \"\" }/grpc: { port: 8081, service: liveness }/|readiness asks the liveness name"
  "sources|deploy/helm/remiss/templates/kafkatopics.yaml|s/set \$spec \"partitions\" (int \$pair._1)/set \$spec \"partitions\" 3/|every KafkaTopic gets 3 partitions"
  "score|deploy/helm/remiss/templates/_helpers.tpl|s/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/|a writable root file system"
  "validate|deploy/helm/remiss/templates/console.yaml|s/enableServiceLinks: false/enableServiceLink: false/|an unknown field in the console's pod spec"
  "models|deploy/helm/remiss/templates/certificates.yaml|0,/usages: \[digital signature, server auth, client auth\]/s//usages: [digital signature, server-auth]/|a certificate usage cert-manager does not know"
  "dryrun|deploy/helm/remiss/templates/statefulsets.yaml|s/{ name: metrics, containerPort: 9464/{ name: prometheus-metric, containerPort: 9464/|a port name over 15 characters"
  "topics|infra/kafka/topics.production.conf|0,/cleanup.policy=delete/s//cleanup.policy=deletee/|a cleanup policy Kafka does not know"
  "compose|deploy/compose.yaml|s/    restart: \"no\"/    restartt: \"no\"/|a key the Compose specification does not have"
  "image|deploy/Containerfile|s/ libjemalloc2 / /|a runtime library (jemalloc) left out of the image"
)

want=("$@")
missed=0
for m in "${mutations[@]}"; do
  IFS='|' read -r check file expr what <<<"$m"
  if [ "${#want[@]}" -gt 0 ] && [[ ! " ${want[*]} " == *" $check "* ]]; then continue; fi
  copy=$(mktemp -d)
  cp -a "$top/deploy" "$top/infra" "$top/tools" "$copy/"
  # The chart's links into infra/ resolve inside the copy (they are relative).
  before=$(sha256sum "$copy/$file")
  sed -i "$expr" "$copy/$file"
  if [ "$(sha256sum "$copy/$file")" = "$before" ]; then
    echo "mutations: $check: the mutation ($what) changed nothing in $file"; missed=1; rm -rf "$copy"; continue
  fi
  log=$copy/check.log
  if "$copy/tools/deploy-check.sh" "$check" >"$log" 2>&1; then
    echo "mutations: $check: NOT caught: $what ($file)"; missed=1
  else
    echo "mutations: $check: caught: $what ($file):"
    grep -vE '^(== deploy-check|deploy-check: failed|\[SKIPPED\]|\[OK\])' "$log" | grep -iE 'fail|error|warning|critical|refused|invalid|differ|root|!=|schema|must|not found' | head -3 | cut -c1-220 | sed 's/^/    /'
  fi
  rm -rf "$copy"
done
podman image exists "$REMISS_IMAGE_TAG" 2>/dev/null && podman rmi "$REMISS_IMAGE_TAG" >/dev/null 2>&1
exit "$missed"
