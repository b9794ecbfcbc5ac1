#!/usr/bin/env bash
# tests/testbed/dns/stop.sh [RUNDIR] - stop the DNS testbed started by start.sh.
#
# Stops nsd and unbound by the PIDs in RUNDIR/{nsd,unbound}.pid (never by
# name), waits up to 5 s for each to exit, then SIGKILLs it. Idempotent: a
# missing or stale PID file is not an error. RUNDIR defaults as in start.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
run=${1:-${DANE_TESTBED_DIR:-$repo/.testbed}/dns}

stop_pidfile() {
    local pidfile=$1 pid i
    [ -s "$pidfile" ] || { rm -f "$pidfile"; return 0; }
    pid=$(head -n1 "$pidfile")
    case $pid in ''|*[!0-9]*) rm -f "$pidfile"; return 0 ;; esac
    if kill "$pid" 2>/dev/null; then
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

[ -d "$run" ] || exit 0
stop_pidfile "$run/unbound.pid"
stop_pidfile "$run/nsd.pid"
