#!/usr/bin/env bash
# The local gateway with the plugin server as a process (as under Kong) and in its own JVM (--plugins-in-process,
# what gateway.sh runs), alternating, from outside the JVMs (overhead.sh):
#
#   bench/external/in_process_ab.sh [RUNS] [ROUNDS]     (defaults 2 and 2; ONLY_ROUTES as overhead.sh, default
#                                                        "none proxy anything")
#
# Each run starts fresh JVMs; the figures of each variant come from the same minutes. Summarise the added latency
# per route with: python3 bench/external/summarise_overhead.py OUTPUT
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-2}
rounds=${2:-2}
export ONLY_ROUTES=${ONLY_ROUTES:-none proxy anything}
for i in $(seq 1 "$runs"); do
  echo "=== socket run $i $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  IN_PROCESS=false bench/external/overhead.sh "$rounds"
  echo "=== in-process run $i $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  IN_PROCESS=true bench/external/overhead.sh "$rounds"
done
