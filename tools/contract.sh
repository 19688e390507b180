#!/usr/bin/env bash
# Checks the integrators' contract (proto/INTEGRATING.md):
#   1. proto/asyncapi.yaml is what tools/gen_asyncapi.py makes of infra/kafka/topics.conf and
#      the .proto files, and it validates as an AsyncAPI 3 document, its protobuf payload
#      schemas included (AsyncAPI CLI);
#   2. `buf lint` passes with proto/buf.yaml;
#   3. `buf breaking` finds no incompatible change against the last commit on main that
#      changed proto/, as of where HEAD forked from main (or $REMISS_CONTRACT_AGAINST, any
#      git ref).
# Installs the pinned tools from npm into ~/.cache/remiss/contract (outside git) on first use.
# Exits non-zero on any failure. Outside a git checkout, or when no earlier commit changed
# proto/, the breaking check is skipped with a loud notice (lint and AsyncAPI still run).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

BUF_VERSION=1.75.0        # npm @bufbuild/buf
ASYNCAPI_VERSION=6.2.0    # npm @asyncapi/cli
cache=${REMISS_CACHE:-$HOME/.cache/remiss}/contract
prefix=$cache/npm-buf-$BUF_VERSION-asyncapi-$ASYNCAPI_VERSION
bin=$prefix/node_modules/.bin

"$top/tools/setup.sh" --with-contract
if [ ! -x "$bin/buf" ] || [ ! -x "$bin/asyncapi" ]; then
  echo "contract: installing @bufbuild/buf@$BUF_VERSION and @asyncapi/cli@$ASYNCAPI_VERSION into $prefix"
  mkdir -p "$prefix"
  [ -f "$prefix/package.json" ] || echo '{"name":"remiss-contract-tools","private":true}' >"$prefix/package.json"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error --save-exact \
    "@bufbuild/buf@$BUF_VERSION" "@asyncapi/cli@$ASYNCAPI_VERSION" >&2
fi
export PATH=$bin:$PATH
# The AsyncAPI CLI asks about analytics and phones home otherwise.
export SUPPRESS_NO_CONFIG_WARNING=1
asyncapi config analytics --disable >/dev/null 2>&1 || true

failed=0
step() { echo "== contract: $*"; }

step "proto/asyncapi.yaml is generated from topics.conf and the .proto files"
if ! python3 "$top/tools/gen_asyncapi.py" --check; then
  echo "contract: FAIL: proto/asyncapi.yaml is stale (run tools/gen_asyncapi.py)" >&2
  failed=1
fi

step "asyncapi validate proto/asyncapi.yaml"
# --fail-severity=warn: warnings fail too; json diagnostics name the problem (the default
# format prints only "Errors"). node-config's NODE_ENV warnings are noise.
rc=0
out=$(asyncapi validate "$top/proto/asyncapi.yaml" --fail-severity=warn --diagnostics-format=json 2>&1) || rc=$?
printf '%s\n' "$out" | grep -v '^WARNING: ' | grep -v '^$' || true
if [ "$rc" -ne 0 ]; then
  echo "contract: FAIL: proto/asyncapi.yaml does not validate" >&2
  failed=1
fi

step "buf lint (proto/buf.yaml)"
if ! (cd "$top/proto" && buf lint); then
  echo "contract: FAIL: buf lint" >&2
  failed=1
fi

step "buf breaking"
against=${REMISS_CONTRACT_AGAINST:-}
if ! git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
  echo "contract: !!! SKIPPING buf breaking: $top is not a git checkout, nothing to compare with !!!" >&2
elif [ -z "$against" ]; then
  main=""
  for ref in main origin/main; do
    if git -C "$top" rev-parse --verify -q "$ref^{commit}" >/dev/null; then main=$ref; break; fi
  done
  if [ -z "$main" ]; then
    echo "contract: !!! SKIPPING buf breaking: no branch main in this checkout !!!" >&2
  else
    # Main's history up to where this checkout forked from it (a branch behind main must
    # not look as if it deleted what main added since). On main itself the newest such
    # commit may be HEAD: then compare with the one before.
    head=$(git -C "$top" rev-parse HEAD)
    base=$(git -C "$top" merge-base HEAD "$main" || true)
    against=""
    if [ -n "$base" ]; then
      against=$(git -C "$top" log --first-parent --format=%H "$base" -- proto/ |
                grep -v -x -m1 "$head" || true)
    fi
    if [ -z "$against" ]; then
      echo "contract: !!! SKIPPING buf breaking: no earlier commit on $main changed proto/ !!!" >&2
    fi
  fi
fi
if [ -n "$against" ]; then
  commit=$(git -C "$top" rev-parse --verify "$against^{commit}")
  echo "against $commit ($(git -C "$top" log -1 --format='%h %s' "$commit" | cut -c1-80))"
  # Compare the working tree's proto/ with proto/ at that commit (read from the object
  # store, so it works in a worktree and offline).
  snapshot=$(mktemp -d)
  trap 'rm -rf "$snapshot"' EXIT
  git -C "$top" archive "$commit" proto | tar -x -C "$snapshot"
  # The old tree may predate proto/buf.yaml: compare with today's module settings.
  cp "$top/proto/buf.yaml" "$snapshot/proto/buf.yaml"
  if ! (cd "$top/proto" && buf breaking --against "$snapshot/proto"); then
    echo "contract: FAIL: buf breaking: an incompatible change to proto/ against $commit" >&2
    failed=1
  fi
fi

if [ "$failed" -ne 0 ]; then
  echo "contract: FAILED" >&2
  exit 1
fi
echo "contract: OK"
