#!/usr/bin/env bash
# Runs the benchmarks (see bench/README.md). Builds what they need first.
#
#   bench/run.sh [all|codec|pdk|gateway|startup|harness|relay|wakeups] [--smoke]
#
# --smoke runs each for a fraction of a second: it proves the programs work, the figures mean nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
[ $# -gt 0 ] && shift
smoke=false
for arg in "$@"; do [ "$arg" = "--smoke" ] && smoke=true; done

if [ "${BENCH_SKIP_BUILD:-false}" != true ]; then
  echo "bench: building (mvn -DskipTests package)..." >&2
  mvn -B -q -ntp -DskipTests package -pl bench,distribution -am
fi
KJP_HOME=$PWD/distribution/target/kong-java-pdk
. distribution/src/main/dist/libexec/find-java.sh
kjp_find_java
cp="bench/target/classes:$(cat bench/target/classpath.txt)"
java_run() {
  # shellcheck disable=SC2046
  "$JAVA" $(kjp_runtime_opts) -cp "$cp" "$@"
}

codec() {
  if $smoke; then
    java_run org.openjdk.jmh.Main CodecBenchmark -f 1 -wi 1 -i 1 -w 200ms -r 200ms -prof gc
  else
    java_run org.openjdk.jmh.Main CodecBenchmark -prof gc
  fi
}

case "$what" in
  codec) codec ;;
  pdk) java_run io.kongjava.bench.PdkRoundTrip "$@" ;;
  gateway) java_run io.kongjava.bench.GatewayOverhead "$@" ;;
  startup) java_run io.kongjava.bench.Startup "$@" ;;
  harness) java_run io.kongjava.bench.HarnessBench "$@" ;;
  relay) java_run io.kongjava.bench.RelayFirstByte "$@" ;;
  wakeups) java_run io.kongjava.bench.ThreadWakeups "$@" ;;
  all)
    java_run io.kongjava.bench.Startup "$@"
    echo
    java_run io.kongjava.bench.PdkRoundTrip "$@"
    echo
    java_run io.kongjava.bench.GatewayOverhead "$@"
    echo
    java_run io.kongjava.bench.HarnessBench "$@"
    echo
    java_run io.kongjava.bench.RelayFirstByte "$@"
    echo
    java_run io.kongjava.bench.ThreadWakeups "$@"
    echo
    codec ;;
  *) echo "bench/run.sh: unknown benchmark $what (all, codec, pdk, gateway, startup, harness, relay, wakeups)" >&2; exit 2 ;;
esac
