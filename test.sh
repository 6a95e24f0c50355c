#!/usr/bin/env bash
# Runs every test of the project. Maven may run on any JDK; the build selects an installed JDK >= 21 itself.
# Suites that cannot run on this machine (Kong in Docker without a Docker engine) are skipped, and the
# reason is printed at the end, one line per suite.
set -euo pipefail
cd "$(dirname "$0")"
status=0
mvn -B -ntp verify "$@" || status=$?
reasons=$(grep -ho '<skipped message="[^"]*"' */target/surefire-reports/TEST-*.xml */*/target/surefire-reports/TEST-*.xml 2>/dev/null \
  | sed 's/<skipped message="//; s/"$//' | sort -u || true)
if [ -n "$reasons" ]; then
  echo "test.sh: skipped suites:"
  echo "$reasons" | sed 's/^/  /'
fi
exit $status
