#!/usr/bin/env bash
# Chooses the gateway's HTTP stacks by measurement (bench/README.md, "Which HTTP stack"): the bare proxy
# of ProxyStacks with each front server (jdk, vt) and upstream client (okhttp, vt), in front of the fake
# Anthropic upstream, measured from outside the JVM like overhead.sh. ROUNDS (default 2) repeats it all.
#   bench/external/stacks.sh [ROUNDS]      (build first: mvn -B -q -ntp -o -DskipTests package -pl bench -am)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-2}
root=$PWD
dist=$root/distribution/target/kong-java-pdk
. "$dist/libexec/find-java.sh"
KJP_HOME=$dist kjp_find_java
cp="$root/bench/target/classes:$(cat "$root/bench/target/classpath.txt")"
work=$(mktemp -d /tmp/kjp-stacks.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up_port=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
"$JAVA" -XX:+UseSerialGC -cp "$cp" io.kongjava.testing.anthropic.FakeAnthropic "$up_port" >"$work/fake.log" 2>&1 &
pids+=($!)
body='{"model":"claude-sonnet-4-5-20250929","max_tokens":256,"stream":false,"messages":[{"role":"user","content":"Say hi in five words."}]}'
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["content-type"] = "application/json"\nwrk.headers["x-api-key"] = "sk-ant-bench-key"\nwrk.headers["anthropic-version"] = "2023-06-01"\n' \
  "'$body'" >"$work/post.lua"
client=$root/bench/external/client.py
sleep 2
echo "# $(nproc) cores, $(uname -r), $("$JAVA" -version 2>&1 | head -1)"
for round in $(seq 1 "$rounds"); do
  echo "## round $round"
  python3 "$client" "http://127.0.0.1:$up_port/v1/messages" --label "direct oneshot"
  python3 "$client" "http://127.0.0.1:$up_port/v1/messages" --stream --label "direct stream"
  echo "wrk c=16 direct: $(wrk -t2 -c16 -d6s -s "$work/post.lua" "http://127.0.0.1:$up_port/v1/messages" | awk '/Requests\/sec/ {print $2}') req/s"
  for stack in ${STACKS:-"jdk okhttp" "jdk vt" "vt okhttp" "vt okhttp0" "vt vt"}; do
    set -- $stack
    port=$(free_port)
    "$JAVA" -XX:+UseSerialGC -cp "$cp" io.kongjava.bench.ProxyStacks "$1" "$2" "$port" "$up_port" >"$work/proxy-$1-$2.log" 2>&1 &
    proxy=$!
    for _ in $(seq 1 100); do grep -q "proxy" "$work/proxy-$1-$2.log" 2>/dev/null && break; sleep 0.1; done
    python3 "$client" "http://127.0.0.1:$port/v1/messages" --label "$1/$2 oneshot"
    python3 "$client" "http://127.0.0.1:$port/v1/messages" --stream --label "$1/$2 stream"
    echo "wrk c=16 $1/$2: $(wrk -t2 -c16 -d6s -s "$work/post.lua" "http://127.0.0.1:$port/v1/messages" | awk '/Requests\/sec/ {print $2}') req/s"
    kill "$proxy"; wait "$proxy" 2>/dev/null || true
  done
done
