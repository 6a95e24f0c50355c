#!/usr/bin/env bash
# What an access-phase plugin adds to a request through Kong's own client (bench/README.md, "Under Kong's own
# client"): the harness's basic suite for java-hello and for kong-pdk's js-hello, two rounds each, printing the
# sequential stage's p50/p99 with the plugin next to the same nginx without it (the baseline). With a C compiler
# it also runs null-hello (null_server.c: the same three PDK calls, nothing else) for the floor: what any plugin
# server adds here for these calls, Kong's own Lua for them included.
#   bench/external/access_added.sh          (KONG=3.9.3 for the other Kong version; FLOOR=false without null-hello)
# Needs ../shared/kong-harness (or KONG_HARNESS), its Debian packages, a built distribution, and
# testing/js-pluginserver's npm packages (./test.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
H=${KONG_HARNESS:-$PWD/../shared/kong-harness}
export KONG_SRC=$H/kong-src/${KONG:-3.10-dev}
S=$PWD/distribution/target/kong-java-pdk/bin/kong-java-pluginserver
PS=$PWD/testing/js-pluginserver/node_modules/.bin/kong-js-pluginserver
PL=$PWD/testing/js-pluginserver/hello
servers="java js java js"
N=
if [ "${FLOOR:-true}" = true ] && command -v cc >/dev/null; then
  N=$(mktemp -d)/null_server
  trap 'rm -rf "$(dirname "$N")"' EXIT
  if cc -O2 -o "$N" bench/external/null_server.c; then
    servers="java js null java js null"
  else
    echo "# the floor's null_server.c did not compile: no null rows" >&2
  fi
fi
for which in $servers; do
  D=$(mktemp -d); echo '{"message":"bench"}' > "$D/cfg.json"
  if [ $which = null ]; then
    echo '[{"Name":"null-hello","Version":"0.1.0","Priority":0,"Phases":["access"],"Schema":{"name":"null-hello","fields":[{"config":{"type":"record","fields":[{"message":{"type":"string"}}]}}]}}]' >"$D/dump.json"
    "$H/run-conformance.sh" "$N $D/null.sock" "$D/null.sock" null-hello "$D/cfg.json" \
      --query-cmd "cat $D/dump.json" > "$D/out.txt" 2>&1 || true
  elif [ $which = java ]; then
    "$H/run-conformance.sh" "$S -kong-prefix $D --socket $D/java.sock" "$D/java.sock" java-hello "$D/cfg.json" \
      --query-cmd "$S --dump-plugin-info java-hello" > "$D/out.txt" 2>&1 || true
  else
    "$H/run-conformance.sh" "$PS --plugins-directory $PL --kong-prefix $D" "$D/js_pluginserver.sock" js-hello "$D/cfg.json" \
      --query-cmd "$PS --plugins-directory $PL --dump-all-plugins" > "$D/out.txt" 2>&1 || true
  fi
  echo "$which: $(tail -1 "$D/out.txt") | $(grep -E '^  plugin sequential' "$D/out.txt" | tr -s ' ') | $(grep -E '^  baseline sequential' "$D/out.txt" | tr -s ' ')"
  rm -rf "$D"
done
