#!/usr/bin/env bash
# tests/testbed/https/stop.sh RUNDIR - stop the HTTPS testbed's nginx by the PID
# in RUNDIR/nginx.pid (never by name), once that PID is the master of this
# instance; waits up to 5 s, then SIGKILLs it. Idempotent: a missing or stale
# PID file is not an error. Removes the served files' directory named in
# RUNDIR/www.path. Prints nothing on success.
set -euo pipefail
run=${1:?usage: stop.sh RUNDIR}
# remove_www - the served files, only ever a directory start.sh made
remove_www() {
    local www
    [ -s "$run/www.path" ] || return 0
    www=$(head -n1 "$run/www.path")
    case $www in /tmp/dane-https-www.??????) rm -rf -- "$www" ;; esac
    rm -f "$run/www.path"
}

[ -d "$run" ] || exit 0
run=$(cd "$run" && pwd)
trap remove_www EXIT
[ -s "$run/nginx.pid" ] || exit 0
pid=$(head -n1 "$run/nginx.pid")
case $pid in ''|*[!0-9]*) rm -f "$run/nginx.pid"; exit 0 ;; esac
# a stale file may name an unrelated process: only our master's command line
# names this run directory's configuration
if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$run/nginx.conf"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$run/nginx.pid"
