#!/usr/bin/env bash
# Gateway overhead measured from outside the JVMs (bench/README.md, "Measured from outside").
#
#   bench/external/overhead.sh [ROUNDS]
#
# Starts the fake Anthropic upstream (its own JVM) and bin/kong-java-gateway from the distribution with
# four routes on one service: /none (no plugin), /log (java-file-log), /proxy (java-ai-proxy) and
# /anything (both: the how-to). Then, ROUNDS times (default 3), a Python client sends sequential
# keep-alive requests to the upstream directly and to each route, non-streamed and streamed, and wrk
# (when installed) measures requests/s at concurrency 16 for direct and the how-to.
# GATEWAY_JAVA_OPTS and PLUGINSERVER_JAVA_OPTS pass JVM options (a JFR recording, say) to each JVM.
# IN_PROCESS=true runs the plugin server inside the gateway's JVM (kong-java-gateway --plugins-in-process).
# ONLY_ROUTES (e.g. "none anything") limits the routes measured; DIST runs another distribution tree.
# PAIRED=N adds, each round, bench/external/paired.py for each route: N direct and gateway requests interleaved,
# so the added p99 is measured against the same moments' direct p99 (non-streamed, and streamed first byte).
# WRK_WARM=SECONDS loads each wrk URL that long before its measured 8 s.
# UPSTREAM_JAVA_OPTS passes JVM options to the fake upstream; DUMP_DIR keeps every request's timing per route
# (client.py --dump), for tail_causes.py. BODY_SIZE=BYTES sends a Claude Code-shaped body of about that size
# (claude_code_body.py; a real session's first request is ~48 KB) instead of the one-line prompt.
# NGINX_REFERENCE=true also starts Debian's nginx (when installed) as a plain reverse proxy to the same upstream
# (keep-alive upstream connections, worker_processes auto as Kong's nginx_worker_processes), measured like a route:
# what nginx alone, Kong's proxying engine without Kong's Lua, adds and keeps of direct's requests/s on this machine.
# NGINX_LUA_REFERENCE=true (independent of NGINX_REFERENCE) also starts that nginx with lua-nginx-module running
# bench/external/nginx-lua-howto.lua, labelled nginx+lua: the least work Kong's ai-proxy and file-log do per request
# for the how-to (JSON in and out, the model pin, the key, usage from the answer or the stream, one serialized log
# line), so a lower bound of what Kong itself would keep of direct's requests/s. NGINX_MODULES names the directory
# of ndk_http_module.so and ngx_http_lua_module.so (default /usr/lib/nginx/modules).
# Build first: mvn -B -q -ntp -o -DskipTests package -pl distribution,testing/fake-anthropic -am
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
root=$PWD
dist=${DIST:-$root/distribution/target/kong-java-pdk}
fake_jar=$(ls "$root"/testing/fake-anthropic/target/kong-java-fake-anthropic-*.jar | head -1)
. "$dist/libexec/find-java.sh"
KJP_HOME=$dist kjp_find_java
work=$(mktemp -d /tmp/kjp-external.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up_port=$(free_port); gw_port=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

"$JAVA" -XX:+UseSerialGC ${UPSTREAM_JAVA_OPTS:-} -cp "$fake_jar:$dist/lib/*" io.kongjava.testing.anthropic.FakeAnthropic "$up_port" >"$work/fake.log" 2>&1 &
pids+=($!)
mkdir -p "$work/prefix"
cat >"$work/kong.yaml" <<YAML
_format_version: "3.0"
services:
  - name: fake
    url: http://127.0.0.1:$up_port
    routes:
      - name: none
        paths: [/none]
      - name: log
        paths: [/log]
        plugins:
          - name: java-file-log
            config: {path: $work/log.json}
      - name: proxy
        paths: [/proxy]
        plugins:
          - name: java-ai-proxy
            config:
              route_type: llm/v1/chat
              llm_format: anthropic
              auth: {header_name: x-api-key, header_value: sk-ant-bench-key}
              model:
                provider: anthropic
                name: claude-sonnet-4-5-20250929
                options: {anthropic_version: "2023-06-01", upstream_url: "http://127.0.0.1:$up_port"}
              logging: {log_statistics: true}
      - name: howto
        paths: [/anything]
        plugins:
          - name: java-ai-proxy
            config:
              route_type: llm/v1/chat
              llm_format: anthropic
              auth: {header_name: x-api-key, header_value: sk-ant-bench-key}
              model:
                provider: anthropic
                name: claude-sonnet-4-5-20250929
                options: {anthropic_version: "2023-06-01", upstream_url: "http://127.0.0.1:$up_port"}
              logging: {log_statistics: true}
          - name: java-file-log
            config: {path: $work/claude.json}
YAML
server=$dist/bin/kong-java-pluginserver
if [ "${IN_PROCESS:-false}" = true ]; then
  # the gateway runs the plugin server in its own JVM (GATEWAY_JAVA_OPTS apply to both)
  start_cmd="$server -kong-prefix $work/prefix"; gateway_args=--plugins-in-process
else
  start_cmd="env KONG_JAVA_OPTS=\"${PLUGINSERVER_JAVA_OPTS:-}\" $server -kong-prefix $work/prefix"; gateway_args=
fi
cat >"$work/kong.conf" <<CONF
prefix = $work/prefix
proxy_listen = 127.0.0.1:$gw_port
declarative_config = kong.yaml
plugins = bundled,java-ai-proxy,java-file-log
pluginserver_names = java-ai-proxy,java-file-log
pluginserver_java_ai_proxy_socket = $work/prefix/kong-java-pluginserver.socket
pluginserver_java_ai_proxy_start_cmd = $start_cmd
pluginserver_java_ai_proxy_query_cmd = env -u KONG_JAVA_OPTS $server --dump-plugin-info java-ai-proxy
pluginserver_java_file_log_socket = $work/prefix/kong-java-pluginserver.socket
pluginserver_java_file_log_query_cmd = env -u KONG_JAVA_OPTS $server --dump-plugin-info java-file-log
CONF
KONG_JAVA_OPTS="${GATEWAY_JAVA_OPTS:-}" "$dist/bin/kong-java-gateway" -c "$work/kong.conf" $gateway_args >"$work/gateway.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
  curl -s -o /dev/null "http://127.0.0.1:$gw_port/none" && break
  kill -0 "${pids[1]}" 2>/dev/null || { echo "gateway did not start:" >&2; cat "$work/gateway.log" >&2; exit 1; }
  sleep 0.1
done
nginx_port=
if [ "${NGINX_REFERENCE:-false}" = true ]; then
  nginx_bin=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
  if [ -z "$nginx_bin" ]; then
    echo "# NGINX_REFERENCE: nginx is not installed; no nginx rows" >&2
  else
    nginx_port=$(free_port)
    mkdir -p "$work/nginx/logs"
    cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  upstream fake { server 127.0.0.1:$up_port; keepalive 60; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX
    "$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' 2>"$work/nginx/logs/stderr.log" &
    pids+=($!); nginx_pid=$!
  fi
fi
nginx_lua_port=
if [ "${NGINX_LUA_REFERENCE:-false}" = true ]; then
  nginx_bin=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
  modules=${NGINX_MODULES:-/usr/lib/nginx/modules}
  if [ -z "$nginx_bin" ] || [ ! -f "$modules/ngx_http_lua_module.so" ]; then
    echo "# NGINX_LUA_REFERENCE: nginx or lua-nginx-module ($modules) is not installed; no nginx+lua rows" >&2
  else
    nginx_lua_port=$(free_port)
    mkdir -p "$work/nginx-lua/logs" "$work/nginx-lua/tmp"
    # Kong's buffered proxying location is kept by name: a non-streamed answer is read whole through it.
    # client_body_buffer_size 16m as Kong's Claude Code cookbook sets it (Kong's default is 8k); a bigger body
    # is read back from its temp file, as Kong's body reader does.
    # the workers run as the invoking user (as the gateway does): they write the log in the private $work
    cat >"$work/nginx-lua/nginx.conf" <<NGINX
$([ "$(id -u)" != 0 ] || echo "user root;")
worker_processes auto;
pid $work/nginx-lua/nginx.pid;
error_log $work/nginx-lua/logs/error.log warn;
load_module $modules/ndk_http_module.so;
load_module $modules/ngx_http_lua_module.so;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx-lua/tmp/body;
  proxy_temp_path $work/nginx-lua/tmp/proxy;
  client_max_body_size 0;
  client_body_buffer_size 16m;
  lua_package_path "$root/bench/external/?.lua;/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua;;";
  lua_package_cpath "/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;/usr/local/lib/lua/5.1/?.so;;";
  init_by_lua_block {
    require("nginx-lua-howto").configure({ log_path = "$work/nginx-lua.json", upstream_host = "127.0.0.1", upstream_port = $up_port })
  }
  upstream fake { server 127.0.0.1:$up_port; keepalive 60; }
  server {
    listen 127.0.0.1:$nginx_lua_port;
    location / {
      set \$upstream_uri '';
      access_by_lua_block { require("nginx-lua-howto").access() }
      header_filter_by_lua_block { require("nginx-lua-howto").header_filter() }
      body_filter_by_lua_block { require("nginx-lua-howto").body_filter() }
      log_by_lua_block { require("nginx-lua-howto").log() }
      proxy_pass http://fake\$upstream_uri;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
    location = /kong_buffered_http {
      internal;
      proxy_pass http://fake\$upstream_uri;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
NGINX
    "$nginx_bin" -p "$work/nginx-lua" -c "$work/nginx-lua/nginx.conf" -g 'daemon off;' 2>"$work/nginx-lua/logs/stderr.log" &
    pids+=($!); nginx_lua_pid=$!
  fi
fi
echo "# $(nproc) cores, $(uname -r), $("$JAVA" -version 2>&1 | head -1); upstream :$up_port, gateway :$gw_port; logs in $work"
client=$root/bench/external/client.py
# CPU (user+system, clock ticks) of the gateway, the plugin server and the upstream, then of each reference nginx
# started (master and workers; columns named in ref_labels), for the CPU per request of each client run (its warm-up
# requests included).
plugin_server_pid() { pgrep -f "io.kongjava.server.Main.*$work/prefix" | head -1 || true; }
ref_pids=(); ref_labels=
[ -z "$nginx_port" ] || { ref_pids+=("$nginx_pid"); ref_labels+=" nginx"; }
[ -z "$nginx_lua_port" ] || { ref_pids+=("$nginx_lua_pid"); ref_labels+=" nginx+lua"; }
ticks() { local pid; for pid in "${pids[1]}" "$(plugin_server_pid)" "${pids[0]}"; do
  [ -n "$pid" ] && awk '{printf "%d ", $14 + $15}' "/proc/$pid/stat" 2>/dev/null || printf '0 '; done
  for pid in ${ref_pids[@]+"${ref_pids[@]}"}; do
    cat "/proc/$pid/stat" $(pgrep -P "$pid" | sed 's|.*|/proc/&/stat|') 2>/dev/null | awk '{t += $14 + $15} END {printf "%d ", t}'
  done; }
hz=$(getconf CLK_TCK)
measured() { # label, then the client's command line; prints its line and the CPU per request
  local before after n=4000 # client.py's default 2,000 warm-up and 2,000 measured requests
  before=$(ticks); "${@:2}"; after=$(ticks)
  python3 -c 'import sys; b, a, hz, n, label, refs = sys.argv[1].split(), sys.argv[2].split(), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6].split()
us = [(int(y) - int(x)) * 1e6 / hz / n for x, y in zip(b, a)]
print(f"  cpu us/request {label:<17} gateway {us[0]:6.0f}  plugin server {us[1]:6.0f}  upstream {us[2]:6.0f}" + "".join(f"  {r} {u:6.0f}" for r, u in zip(refs, us[3:])))' "$before" "$after" "$hz" "$n" "$1" "$ref_labels"
}
body='{"model":"claude-sonnet-4-5-20250929","max_tokens":256,"stream":false,"messages":[{"role":"user","content":"Say hi in five words."}]}'
body_args=()
if [ -n "${BODY_SIZE:-}" ]; then
  python3 "$root/bench/external/claude_code_body.py" --size "$BODY_SIZE" >"$work/body.json"
  body=$(cat "$work/body.json"); body_args=(--body-file "$work/body.json")
  echo "# body: $(wc -c <"$work/body.json") bytes, Claude Code-shaped (claude_code_body.py --size $BODY_SIZE)"
fi
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["content-type"] = "application/json"\nwrk.headers["x-api-key"] = "sk-ant-bench-key"\nwrk.headers["anthropic-version"] = "2023-06-01"\n' \
  "'$body'" >"$work/post.lua"
if [ -n "${BODY_SIZE:-}" ]; then # a Lua quoted string would unescape the JSON's own escapes
  sed -i "s|^wrk.body = .*|local f = io.open(\"$work/body.json\", \"rb\"); wrk.body = f:read(\"*a\"); f:close()|" "$work/post.lua"
fi
for round in $(seq 1 "$rounds"); do
  echo "## round $round"
  for stream in "" "--stream"; do
    dump() { [ -z "${DUMP_DIR:-}" ] || echo "--dump $DUMP_DIR/$1-$([ -n "$stream" ] && echo stream || echo oneshot)-r$round.txt"; }
    measured "direct ${stream:-oneshot}" python3 "$client" "http://127.0.0.1:$up_port/v1/messages" $stream --label "direct ${stream:-oneshot}" $(dump direct) ${body_args[@]+"${body_args[@]}"}
    if [ -n "$nginx_port" ]; then
      measured "nginx ${stream:-oneshot}" python3 "$client" "http://127.0.0.1:$nginx_port/v1/messages" $stream --label "nginx ${stream:-oneshot}" ${body_args[@]+"${body_args[@]}"}
    fi
    if [ -n "$nginx_lua_port" ]; then
      measured "nginx+lua ${stream:-oneshot}" python3 "$client" "http://127.0.0.1:$nginx_lua_port/v1/messages" $stream --label "nginx+lua ${stream:-oneshot}" ${body_args[@]+"${body_args[@]}"}
    fi
    for route in ${ONLY_ROUTES:-none log proxy anything}; do
      measured "$route ${stream:-oneshot}" python3 "$client" "http://127.0.0.1:$gw_port/$route/v1/messages" $stream --label "$route ${stream:-oneshot}" $(dump "$route") ${body_args[@]+"${body_args[@]}"}
    done
  done
  if [ -n "${PAIRED:-}" ]; then
    for route in ${ONLY_ROUTES:-none log proxy anything}; do
      for stream in "" "--stream"; do
        python3 "$root/bench/external/paired.py" "http://127.0.0.1:$up_port/v1/messages" "http://127.0.0.1:$gw_port/$route/v1/messages" \
          --pairs "$PAIRED" $stream --label "paired $route ${stream:-oneshot}"
      done
    done
  fi
  if command -v wrk >/dev/null; then
    targets=("direct http://127.0.0.1:$up_port/v1/messages")
    [ -z "$nginx_port" ] || targets+=("nginx http://127.0.0.1:$nginx_port/v1/messages")
    [ -z "$nginx_lua_port" ] || targets+=("nginx+lua http://127.0.0.1:$nginx_lua_port/v1/messages")
    targets+=("none http://127.0.0.1:$gw_port/none/v1/messages" "howto http://127.0.0.1:$gw_port/anything/v1/messages")
    for target in "${targets[@]}"; do
      set -- $target
      # WRK_WARM=SECONDS first loads the URL that long unmeasured: the gateway's C2 still takes ~20% of its CPU a
      # minute into a c=16 load (bench/README.md, "Once warm")
      [ "${WRK_WARM:-0}" -gt 0 ] && wrk -t2 -c16 -d"${WRK_WARM}s" -s "$work/post.lua" "$2" >/dev/null
      before=$(ticks)
      out=$(wrk -t2 -c16 -d8s -s "$work/post.lua" "$2")
      after=$(ticks)
      rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
      n=$(echo "$out" | awk '/requests in/ {print $1}')
      # the CPU per request at c=16 too: a pile-up of deferred work (log phases) shows here before it shows in req/s
      echo "wrk c=16 $1: $rps req/s$(python3 -c 'import sys; b, a, hz, n, refs = sys.argv[1].split(), sys.argv[2].split(), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5].split()
us = [(int(y) - int(x)) * 1e6 / hz / max(n, 1) for x, y in zip(b, a)]
print(f"  (cpu us/request gateway {us[0]:.0f}, plugin server {us[1]:.0f}, upstream {us[2]:.0f}" + "".join(f", {r} {u:.0f}" for r, u in zip(refs, us[3:])) + ")")' "$before" "$after" "$hz" "${n:-0}" "$ref_labels")"
    done
  fi
done
