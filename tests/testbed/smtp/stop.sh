#!/usr/bin/env bash
# tests/testbed/smtp/stop.sh [RUNDIR] - stop the receiving SMTP testbed by its
# master's PID (postfix.sh stop); idempotent. RUNDIR defaults as in start.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
exec bash "$here/postfix.sh" stop "${1:-${DANE_TESTBED_DIR:-$repo/.testbed}/smtp}"
