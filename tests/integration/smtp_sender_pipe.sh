#!/usr/bin/env bash
# smtp_sender_pipe.sh - the private sending Postfix instance
# (tests/testbed/smtp/sender.sh) hands mail to its agent through pipe(8) with
# the README's argv, and maps the agent's exit status and stderr line the way
# dane-agent relies on: 0 sent, 75 deferred with the reason in the log and the
# queue listing, 69 bounced with the reason in the DSN. pipe(8) takes a leading
# RFC 3463 code of the agent's stderr line as the DSN status (dsn=4.7.5) and
# logs the rest of the line as the reason. A stub agent stands in
# for dane-agent here (the end-to-end test with the real one is issue 7's), so
# this proves the plumbing, not the agent.
set -euo pipefail
src=${DANE_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
sender=$src/tests/testbed/smtp/sender.sh
run=$(mktemp -d /tmp/smtp_sender.XXXXXX)
chmod 755 "$run"
cleanup() { bash "$sender" stop "$run/pf" || true; rm -rf "$run"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

# The stub records its argv (one line per call) and answers by recipient.
cat > "$run/agent" <<'STUB'
#!/bin/sh
# one write per call: concurrent invocations must not interleave their lines
line=$(printf '%s|' "$(id -un)" "$@"); printf '%s\n' "$line" >> "$(dirname "$0")/calls"
cat > /dev/null
for last; do :; done
case $last in
    ok*) exit 0 ;;
    tmp*) echo "4.7.5 TLSA lookup error for _25._tcp.mx.dane.test: SERVFAIL" >&2; exit 75 ;;
    *) echo "5.7.1 no usable TLSA records and level dane-only" >&2; exit 69 ;;
esac
STUB
chmod 755 "$run/agent"
: > "$run/calls"; chmod 666 "$run/calls"
echo "# policy placeholder" > "$run/policy.yaml"

bash "$sender" start "$run/pf" "$run/agent" "$run/policy.yaml"
grep -q 'argv=.*/agent deliver -c .*/policy.yaml -f ${sender} -n ${nexthop} -- ${recipient}$' \
    "$run/pf/etc/master.cf" && pass "master.cf has the README's pipe line" \
    || fail "master.cf pipe line differs"
ss -Hltnp | grep -q "pid=$(bash "$sender" pid "$run/pf")," && fail "sender listens on a socket" \
    || pass "sender has no listener"

msg() { printf 'From: sender@sender.test\nTo: %s\nSubject: %s\nMessage-ID: <%s@sender.test>\n\nbody\n' "$1" "$2" "$2"; }
msg ok@dane.test m-ok | bash "$sender" send "$run/pf" sender@sender.test ok@dane.test
msg tmp@dane.test m-tmp | bash "$sender" send "$run/pf" sender@sender.test tmp@dane.test
msg perm@dane.test m-perm | bash "$sender" send "$run/pf" sender@sender.test perm@dane.test

# wait_log REGEX - bounded wait for a maillog line
wait_log() {
    local i
    for i in $(seq 150); do
        grep -Eq -- "$1" "$run/pf/maillog" && return 0
        sleep 0.1
    done
    return 1
}
wait_log 'to=<ok@dane.test>, relay=dane, .*status=sent' \
    && pass "exit 0: sent" || fail "exit 0 not logged as sent"
wait_log 'to=<tmp@dane.test>, relay=dane, .*dsn=4\.7\.5, status=deferred \(TLSA lookup error for _25\._tcp\.mx\.dane\.test: SERVFAIL ?\)' \
    && pass "exit 75: deferred with the agent's reason and DSN code" || fail "exit 75 not logged as deferred with reason"
wait_log 'to=<perm@dane.test>, relay=dane, .*dsn=5\.7\.1, status=bounced \(no usable TLSA records' \
    && pass "exit 69: bounced with the agent's reason" || fail "exit 69 not logged as bounced with reason"
bash "$sender" queue "$run/pf" | grep -q 'TLSA lookup error for _25._tcp.mx.dane.test: SERVFAIL' \
    && pass "queue listing shows the deferral reason" || fail "queue listing lacks the reason"
if bounce=$(bash "$sender" find "$run/pf" --subject "Undelivered Mail Returned to Sender" --wait 15); then
    grep -q 'no usable TLSA records and level dane-only' "$bounce" \
        && pass "bounce DSN carries the agent's text" || fail "bounce lacks the agent's text"
else
    fail "no bounce in the sender.test maildir"
fi
grep -qx 'nobody|deliver|-c|'"$run"'/policy.yaml|-f|sender@sender.test|-n|dane.test|--|ok@dane.test|' "$run/calls" \
    && pass "agent ran as nobody with deliver -c POLICY -f SENDER -n NEXTHOP -- RCPT" \
    || fail "agent argv: $(cat "$run/calls")"

pid=$(bash "$sender" pid "$run/pf")
bash "$sender" stop "$run/pf"
kill -0 "$pid" 2>/dev/null && fail "master $pid still running" || pass "sender stopped"
if [ $fails -ne 0 ]; then echo "$fails check(s) failed" >&2; exit 1; fi
echo "all sender pipe checks passed"
