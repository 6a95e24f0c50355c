# Sourced by the launchers. Finds a Java runtime >= 21 without relying on the environment: Kong starts plugin
# servers through `/bin/sh -c exec ...` as the nginx user with no PATH and no JAVA_HOME.
# Sets JAVA to the java executable, or prints why not and exits 1.

KJP_MIN_JAVA=21

kjp_java_version() {
  # The major version of the runtime at $1, read from its release file (no JVM start needed).
  _release="$1/release"
  [ -r "$_release" ] || return 1
  _v=$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$_release" | head -n 1)
  [ -n "$_v" ] || return 1
  echo "$_v"
}

kjp_java_update() {
  # The update (third) number of the runtime at $1: 5 for JAVA_VERSION="21.0.5", 0 for "21".
  _u=$(sed -n 's/^JAVA_VERSION="[0-9][0-9]*\.[0-9][0-9]*\.\([0-9][0-9]*\).*/\1/p' "$1/release" | head -n 1)
  echo "${_u:-0}"
}

kjp_try_home() {
  [ -n "$1" ] && [ -x "$1/bin/java" ] || return 1
  _major=$(kjp_java_version "$1") || return 1
  [ "$_major" -ge "$KJP_MIN_JAVA" ] || return 1
  JAVA="$1/bin/java"
  KJP_JAVA_MAJOR="$_major"
  KJP_JAVA_UPDATE=$(kjp_java_update "$1")
  return 0
}

kjp_find_java() {
  kjp_try_home "${KONG_JAVA_HOME:-}" && return 0
  if [ -n "${KONG_JAVA_HOME:-}" ]; then
    # named on purpose, so say why it was passed over (on stderr: a query_cmd's stdout is Kong's JSON)
    _named=$(kjp_java_version "$KONG_JAVA_HOME" 2>/dev/null || echo "no java runtime")
    echo "$(basename "$0"): KONG_JAVA_HOME=$KONG_JAVA_HOME is not a Java runtime >= $KJP_MIN_JAVA ($_named); looking for another" >&2
  fi
  kjp_try_home "${JAVA_HOME:-}" && return 0
  if [ -r "$KJP_HOME/libexec/java-home" ]; then
    kjp_try_home "$(cat "$KJP_HOME/libexec/java-home")" && return 0
  fi
  for _home in /opt/java/openjdk /usr/lib/jvm/* /usr/local/openjdk-* /usr/java/* /opt/jdk*; do
    kjp_try_home "$_home" && return 0
  done
  _path_java=$(PATH="${PATH:-/usr/local/bin:/usr/bin:/bin}" command -v java 2>/dev/null || true)
  if [ -n "$_path_java" ]; then
    _resolved=$(readlink -f "$_path_java" 2>/dev/null || echo "$_path_java")
    kjp_try_home "$(dirname "$(dirname "$_resolved")")" && return 0
  fi
  echo "$(basename "$0"): no Java runtime >= $KJP_MIN_JAVA found; install one (e.g. /usr/lib/jvm/...) or set KONG_JAVA_HOME" >&2
  exit 1
}

kjp_runtime_opts() {
  # msgpack-core reads buffers through sun.misc.Unsafe; JDK 24+ warns at every start unless allowed.
  if [ "${KJP_JAVA_MAJOR:-0}" -ge 24 ]; then
    echo "--sun-misc-unsafe-memory-access=allow"
  fi
}

kjp_gc_opts() {
  # The serial collector unless KONG_JAVA_OPTS names one: the JVM refuses to start with two.
  for opt in ${KONG_JAVA_OPTS:-}; do
    case "$opt" in -XX:+Use*GC) return 0 ;; esac
  done
  echo "-XX:+UseSerialGC"
}

kjp_trim_native_heap_opts() {
  # glibc keeps the memory that malloc'd and freed (the JIT's arenas) for reuse; -XX:TrimNativeHeapInterval
  # hands it back. A product option from 21.0.4 and 22.0.1 (experimental or absent before): older runtimes go
  # without it rather than fail to start.
  if [ "${KJP_JAVA_MAJOR:-0}" -ge 23 ] \
      || { [ "${KJP_JAVA_MAJOR:-0}" -eq 22 ] && [ "${KJP_JAVA_UPDATE:-0}" -ge 1 ]; } \
      || { [ "${KJP_JAVA_MAJOR:-0}" -eq 21 ] && [ "${KJP_JAVA_UPDATE:-0}" -ge 4 ]; }; then
    echo "-XX:TrimNativeHeapInterval=1000"
  fi
}

kjp_aot_stamp() {
  # What an AOT cache is made from: the runtime at $JAVA (its path and exact build) and every jar of lib/ and
  # plugins/ (name, size, time). JDK 25 serves a cached class even after its jar has changed, so any difference
  # here voids the cache. Fails without stat(1).
  command -v stat > /dev/null 2>&1 || return 1
  _release="$(dirname "$(dirname "$JAVA")")/release"
  _build=$(sed -n 's/^IMPLEMENTOR="\(.*\)"/\1/p; s/^JAVA_RUNTIME_VERSION="\(.*\)"/\1/p' "$_release" | tr '\n' ' ')
  _jars=$(stat -L -c '%n %s %Y' "$KJP_HOME"/lib/*.jar "$KJP_HOME"/plugins/*.jar | cksum)
  echo "$JAVA ${_build}jars $_jars"
}

kjp_aot_cache_usable() {
  # True when the AOT cache $1 exists, its stamp ($1.jvm, written by the training run) matches this runtime and
  # these jars, and KONG_JAVA_OPTS names no other class-data archive or cache (the JVM refuses two).
  [ -r "$1" ] && [ -r "$1.jvm" ] && [ "${KJP_JAVA_MAJOR:-0}" -ge 25 ] || return 1
  _stamp=$(kjp_aot_stamp) || return 1
  [ "$(cat "$1.jvm")" = "$_stamp" ] || return 1
  for opt in ${KONG_JAVA_OPTS:-}; do
    case "$opt" in -Xshare:*|-XX:SharedArchiveFile=*|-XX:AOTCache=*|-XX:AOTCacheOutput=*|-XX:ArchiveClassesAtExit=*) return 1 ;; esac
  done
  return 0
}
