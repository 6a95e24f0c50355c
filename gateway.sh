#!/usr/bin/env bash
# The main job: Kong's Claude Code how-to on the local gateway (no Kong needed). Builds the distribution,
# then runs bin/kong-java-gateway with kong-config/kong.conf and kong-config/kong.yaml, the same files a
# real Kong uses; only the paths that point into the Docker image are overridden (KONG_ variables, as
# `kong start` honours them) to point at this checkout.
#
#   ANTHROPIC_API_KEY=sk-... ./gateway.sh            (ANTHROPIC_PINNED_MODEL=... to pin another model)
#   KONG_JAVA_METRICS_LISTEN=127.0.0.1:9542 ANTHROPIC_API_KEY=sk-... ./gateway.sh   # plus Prometheus metrics
#   ANTHROPIC_BASE_URL=http://localhost:8000/anything claude
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
dist=$root/distribution/target/kong-java-pdk
prefix=${KONG_PREFIX:-$root/target/kong-prefix}

echo "gateway.sh: building the distribution (mvn -DskipTests package; on Java 25+ also the AOT caches, about a minute after a change)..." >&2
mvn -B -q -ntp -DskipTests package

mkdir -p "$prefix"
server="$dist/bin/kong-java-pluginserver"
export KONG_PREFIX=$prefix
# The model the route pins (kong.yaml's {vault://env/anthropic-pinned-model}); Anthropic's current Opus by default.
export ANTHROPIC_PINNED_MODEL=${ANTHROPIC_PINNED_MODEL:-claude-opus-5-5}
export KONG_DECLARATIVE_CONFIG=${KONG_DECLARATIVE_CONFIG:-$root/kong-config/kong.yaml}
export KONG_PROXY_LISTEN=${KONG_PROXY_LISTEN:-127.0.0.1:8000}
export KONG_PLUGINSERVER_JAVA_AI_PROXY_SOCKET=$prefix/kong-java-pluginserver.socket
# The gateway gives the server an nginx worker's empty environment: the metrics settings go on its command line.
export KONG_PLUGINSERVER_JAVA_AI_PROXY_START_CMD="$server -kong-prefix $prefix${KONG_JAVA_METRICS_LISTEN:+ --metrics-listen $KONG_JAVA_METRICS_LISTEN}${KONG_JAVA_OTLP_ENDPOINT:+ --otlp-endpoint $KONG_JAVA_OTLP_ENDPOINT}"
export KONG_PLUGINSERVER_JAVA_AI_PROXY_QUERY_CMD="$server --dump-plugin-info java-ai-proxy"
export KONG_PLUGINSERVER_JAVA_FILE_LOG_SOCKET=$prefix/kong-java-pluginserver.socket
export KONG_PLUGINSERVER_JAVA_FILE_LOG_QUERY_CMD="$server --dump-plugin-info java-file-log"
# The plugin server runs in the gateway's own JVM (--plugins-in-process): a PDK call is then a method call, not a
# socket round trip, and the relay gets Kong's request in memory: the how-to's added p50 went from 0.70-1.11 ms to
# 0.12-0.41 ms on a 2-vCPU VM (bench/README.md, "The plugin server in the gateway's JVM"). Its metrics
# endpoints are served by its own process only, so asking for metrics starts it as Kong would.
in_process=--plugins-in-process
if [ -n "${KONG_JAVA_METRICS_LISTEN:-}${KONG_JAVA_OTLP_ENDPOINT:-}" ]; then
  in_process=
fi
exec "$dist/bin/kong-java-gateway" -c "$root/kong-config/kong.conf" $in_process
