#!/usr/bin/env bash
# Resident memory of the plugin server through the harness's how-to suite (java-ai-proxy + java-file-log on one
# server, half the requests streamed) with a long burst: the issue #16 target "under 150 MB after 50,000
# how-to requests". KONG_JAVA_OPTS is passed to the launcher as usual.
#   bench/external/howto_rss.sh [REQUESTS=50000] [CLIENTS=100] [KONG=3.10-dev]
# Prints the suite's burst line and summary, the server's VmRSS at the last sample (every second, so at most
# a second before the suite stops it) and its peak (VmHWM).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
REQUESTS="${1:-50000}" CLIENTS="${2:-100}" KONG="${3:-3.10-dev}"
HARNESS="${KONG_HARNESS:-$ROOT/../../shared/kong-harness}"
[ -x "$HARNESS/run-conformance.sh" ] || HARNESS=/work/shared/kong-harness
SERVER="${DIST:-$ROOT/distribution/target/kong-java-pdk}/bin/kong-java-pluginserver"
RUN="$(mktemp -d /tmp/kjp-howto-rss.XXXXXX)"
SOCK="$RUN/java.sock"
PORT="${PORT:-$((20000 + RANDOM % 20000))}"
KONG_SRC="$HARNESS/kong-src/$KONG" "$HARNESS/run-conformance.sh" "$SERVER -kong-prefix $RUN --socket $SOCK" "$SOCK" \
  --suite howto --query-cmd "$SERVER --dump-plugin-info {plugin}" --burst "$REQUESTS" --burst-clients "$CLIENTS" \
  --port "$PORT" --howto-model claude-opus-5-5 </dev/null >"$RUN/suite.txt" 2>&1 &
SUITE=$!
rss=0 hwm=0 pid=""
while kill -0 "$SUITE" 2>/dev/null; do
  [ -n "$pid" ] && [ -r "/proc/$pid/status" ] || pid=$(pgrep -f "io.kongjava.server.Main.*$SOCK" | head -n 1 || true)
  if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
    r=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    h=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$r" ] && rss=$r
    [ -n "$h" ] && hwm=$h
  fi
  sleep 1
done
wait "$SUITE" || true
grep -E "burst\(|passed, .* failed|^FAIL" "$RUN/suite.txt" || tail -n 20 "$RUN/suite.txt"
echo "KONG_JAVA_OPTS='${KONG_JAVA_OPTS:-}': server VmRSS at the last sample $((rss / 1024)) MiB, peak $((hwm / 1024)) MiB (run dir $RUN)"
