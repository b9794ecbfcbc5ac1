#!/usr/bin/env bash
# tests/testbed/smtp/start.sh [-c CERTDIR] [RUNDIR] - start the receiving SMTP
# testbed (postfix.sh start), with the DNS testbed's conventions: an instance
# still running in RUNDIR is stopped first; RUNDIR defaults to
# $DANE_TESTBED_DIR/smtp, else <repo>/.testbed/smtp; CERTDIR defaults to
# RUNDIR/certs (made by tests/certs/mkcerts.sh when empty). Give both testbeds
# the same CERTDIR: mkcerts.sh makes new keys on every run, and the DNS
# testbed's TLSA records must match the keys these servers use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
certs=
if [ "${1:-}" = -c ]; then
    certs=${2:?start.sh: -c needs a directory}
    shift 2
fi
run=${1:-${DANE_TESTBED_DIR:-$repo/.testbed}/smtp}
bash "$here/postfix.sh" stop "$run"
exec bash "$here/postfix.sh" start "$run" ${certs:+"$certs"}
