#!/usr/bin/env bash
# Runs every test of the project. Maven may run on any JDK; the build selects an installed JDK >= 21 itself.
set -euo pipefail
cd "$(dirname "$0")"
exec mvn -B -ntp verify "$@"
