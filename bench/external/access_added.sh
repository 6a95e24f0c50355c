#!/usr/bin/env bash
# What an access-phase plugin adds to a request through Kong's own client (bench/README.md, "Under Kong's own
# client"): the harness's basic suite for java-hello and for kong-pdk's js-hello, two rounds each, printing the
# sequential stage's p50/p99 with the plugin next to the same nginx without it (the baseline).
#   bench/external/access_added.sh          (KONG=3.9.3 for the other Kong version)
# Needs ../shared/kong-harness (or KONG_HARNESS), its Debian packages, a built distribution, and
# testing/js-pluginserver's npm packages (./test.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
H=${KONG_HARNESS:-$PWD/../shared/kong-harness}
export KONG_SRC=$H/kong-src/${KONG:-3.10-dev}
S=$PWD/distribution/target/kong-java-pdk/bin/kong-java-pluginserver
PS=$PWD/testing/js-pluginserver/node_modules/.bin/kong-js-pluginserver
PL=$PWD/testing/js-pluginserver/hello
for which in java js java js; do
  D=$(mktemp -d); echo '{"message":"bench"}' > "$D/cfg.json"
  if [ $which = java ]; then
    "$H/run-conformance.sh" "$S -kong-prefix $D --socket $D/java.sock" "$D/java.sock" java-hello "$D/cfg.json" \
      --query-cmd "$S --dump-plugin-info java-hello" > "$D/out.txt" 2>&1 || true
  else
    "$H/run-conformance.sh" "$PS --plugins-directory $PL --kong-prefix $D" "$D/js_pluginserver.sock" js-hello "$D/cfg.json" \
      --query-cmd "$PS --plugins-directory $PL --dump-all-plugins" > "$D/out.txt" 2>&1 || true
  fi
  echo "$which: $(tail -1 "$D/out.txt") | $(grep -E '^  plugin sequential' "$D/out.txt" | tr -s ' ') | $(grep -E '^  baseline sequential' "$D/out.txt" | tr -s ' ')"
  rm -rf "$D"
done
