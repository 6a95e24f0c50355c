#!/usr/bin/env bash
# Chooses the gateway's HTTP stacks by measurement (bench/README.md, "Which HTTP stack"): the bare proxy
# of ProxyStacks with each front server (jdk, vt, helidon, jetty) and upstream client (okhttp, vt), and Netty as
# a whole non-blocking proxy (netty netty), in front of the fake Anthropic upstream, measured from outside the JVM
# like overhead.sh, with the proxy's CPU per request at c=16 from /proc. ROUNDS (default 2) repeats it all;
# STACKS="vt vt|netty netty|vt vt -Djdk.pollerMode=1" picks stacks ('|' between them; words after the
# second are the proxy JVM's options).
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
  IFS='|' read -r -a stacks <<<"${STACKS:-jdk okhttp|jdk vt|vt okhttp|vt okhttp0|vt vt|helidon vt|jetty vt|netty netty}"
  for stack in "${stacks[@]}"; do
    set -- $stack
    port=$(free_port)
    name="$1/$2${3:+ ${*:3}}"
    "$JAVA" -XX:+UseSerialGC "${@:3}" -cp "$cp" io.kongjava.bench.ProxyStacks "$1" "$2" "$port" "$up_port" >"$work/proxy-$1-$2.log" 2>&1 &
    proxy=$!
    for _ in $(seq 1 100); do grep -q "proxy" "$work/proxy-$1-$2.log" 2>/dev/null && break; sleep 0.1; done
    python3 "$client" "http://127.0.0.1:$port/v1/messages" --label "$name oneshot"
    python3 "$client" "http://127.0.0.1:$port/v1/messages" --stream --label "$name stream"
    before=$(awk '{print $14 + $15}' "/proc/$proxy/stat")
    out=$(wrk -t2 -c16 -d6s -s "$work/post.lua" "http://127.0.0.1:$port/v1/messages")
    after=$(awk '{print $14 + $15}' "/proc/$proxy/stat")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    echo "wrk c=16 $name: $rps req/s ($(python3 -c 'import sys; b,a,hz,n=map(float,sys.argv[1:]); print(f"{(a-b)/hz*1e6/n:.0f}")' "$before" "$after" "$(getconf CLK_TCK)" "$n") us CPU/request in the proxy)"
    kill "$proxy"; wait "$proxy" 2>/dev/null || true
  done
done
