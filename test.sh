#!/usr/bin/env bash
# Runs every test of the project. Maven may run on any JDK; the build selects an installed JDK >= 21 itself.
# First installs the project-local npm packages the tests drive (Kong's JS plugin server, the Claude Code CLI)
# when npm is there. Suites that cannot run on this machine (Kong in Docker without a Docker engine,
# kong-harness without ../shared/kong-harness or nginx, npm packages without npm) are skipped, and the reason
# is printed at the end, one line per reason.
set -euo pipefail
cd "$(dirname "$0")"

# Node packages, installed into testing/*/node_modules only (never globally). No install scripts are run:
# kong-pdk needs none, and Claude Code's native binary is a package of its own. Under CI=true a failed
# install fails the run, since CI must run those tests; elsewhere their tests skip and say why.
for dir in testing/js-pluginserver testing/claude-code; do
  [ -f "$dir/package.json" ] || continue
  if ! command -v npm >/dev/null; then
    echo "test.sh: npm not found; the tests needing $dir skip (Node.js 20 or later with npm installs them)" >&2
    [ "${CI:-}" != true ] || exit 1
    continue
  fi
  if [ -f "$dir/package-lock.json" ]; then install=(npm ci); else install=(npm install); fi
  echo "test.sh: ${install[*]} in $dir"
  if ! (cd "$dir" && "${install[@]}" --ignore-scripts --no-audit --no-fund --loglevel=error); then
    echo "test.sh: ${install[*]} failed in $dir; its tests skip" >&2
    [ "${CI:-}" != true ] || exit 1
  fi
done

status=0
mvn -B -ntp verify "$@" || status=$?
# surefire keeps an assumption's message in a message attribute (class-level skips) or in the text (per test)
reasons=$( { grep -ho '<skipped message="[^"]*"' */target/surefire-reports/TEST-*.xml */*/target/surefire-reports/TEST-*.xml 2>/dev/null \
    | sed 's/<skipped message="//; s/"$//; s/^Assumption failed: //'
  grep -ho 'Assumption failed: [^<]*' */target/surefire-reports/TEST-*.xml */*/target/surefire-reports/TEST-*.xml 2>/dev/null \
    | sed 's/^Assumption failed: //'
  } | sed 's/&quot;/"/g; s/&apos;/'"'"'/g; s/&amp;/\&/g; s/&lt;/</g; s/&gt;/>/g' | sort -u || true)
if [ -n "$reasons" ]; then
  echo "test.sh: skipped suites:"
  echo "$reasons" | sed 's/^/  /'
fi
exit $status
