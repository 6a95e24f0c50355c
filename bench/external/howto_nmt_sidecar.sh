#!/usr/bin/env bash
# Where the how-to server's memory goes: run beside bench/external/howto_rss.sh with NMT on, e.g.
#   KONG_JAVA_OPTS='-XX:NativeMemoryTracking=summary' bench/external/howto_rss.sh 50000 100 & \
#     bench/external/howto_nmt_sidecar.sh /tmp/nmt $!
# Every 8 s it snapshots the server's VmRSS/VmHWM, `jcmd VM.native_memory summary` and `jcmd GC.heap_info`,
# keeping the last complete one in OUT.last: taken at most 8 s before the suite stops the server.
set -u
OUT="$1" HOWTO="$2" JCMD="${JCMD:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/jcmd}"
while kill -0 "$HOWTO" 2>/dev/null; do
  sleep 8
  pid=$(pgrep -f "io.kongjava.server.Main.*kjp-howto-rss" | head -n 1 || true)
  [ -n "$pid" ] || continue
  { date -u +%T; echo "pid $pid"; grep -E 'VmRSS|VmHWM' "/proc/$pid/status"; "$JCMD" "$pid" VM.native_memory summary
    "$JCMD" "$pid" GC.heap_info; } >"$OUT.tmp" 2>&1 && grep -q 'Total:' "$OUT.tmp" && mv "$OUT.tmp" "$OUT.last"
done
