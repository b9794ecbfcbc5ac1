#!/usr/bin/env bash
# start.sh RUNDIR [CERTDIR] - start the receiving SMTP testbed (see postfix.sh)
exec bash "$(dirname "$0")/postfix.sh" start "$@"
