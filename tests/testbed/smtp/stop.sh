#!/usr/bin/env bash
# stop.sh RUNDIR - stop the receiving SMTP testbed by its master PID (see postfix.sh)
exec bash "$(dirname "$0")/postfix.sh" stop "$@"
