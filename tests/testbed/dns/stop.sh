#!/usr/bin/env bash
# tests/testbed/dns/stop.sh [RUNDIR] - stop the DNS testbed started by start.sh.
#
# Stops nsd, unbound (and a strip-proxy.py) by the PIDs in RUNDIR/*.pid (never by
# name), waits up to 5 s for each to exit, then SIGKILLs it. Idempotent: a
# missing or stale PID file is not an error. RUNDIR defaults as in start.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
run=${1:-${DANE_TESTBED_DIR:-$repo/.testbed}/dns}

# pid_of PIDFILE - the PID in it, or nothing
pid_of() {
    local pid
    [ -s "$1" ] || return 0
    pid=$(head -n1 "$1")
    case $pid in ''|*[!0-9]*) return 0 ;; esac
    echo "$pid"
}

[ -d "$run" ] || exit 0
pids=
for f in "$run/unbound.pid" "$run/nsd.pid" "$run/strip-proxy.pid"; do
    pid=$(pid_of "$f")
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && pids+=" $pid"
done
# both stop in parallel (each takes 1-2 s); SIGKILL after 5 s
for _ in $(seq 50); do
    alive=
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive+=" $pid"; done
    pids=$alive
    [ -z "$pids" ] && break
    sleep 0.1
done
for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
rm -f "$run/unbound.pid" "$run/nsd.pid" "$run/strip-proxy.pid"
