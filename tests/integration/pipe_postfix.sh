#!/usr/bin/env bash
# pipe_postfix.sh - the real dane-agent as a Postfix pipe(8) transport
# (issue 7): a private sending Postfix (tests/testbed/smtp/sender.sh, the
# README's master.cf line, agent as user nobody, recipient limit 1) hands
# mail to dane-agent, which delivers through the DNS testbed to the receiving
# Postfix testbed. Asserted from the sender's side (its log, queue listing,
# bounce) and the receiver's (the maildir):
#   - a message to a DANE domain arrives, Verified;
#   - a DANE authentication failure stays deferred in the sending queue with
#     dane-agent's reason and DSN code in the log and the queue listing;
#   - a permanent failure (550 recipient, null MX) bounces with dane-agent's
#     text in the DSN;
#   - REQUIRETLS (RFC 8689) through the README's second transport: the
#     testbed's Postfix does not offer it, so the message bounces 5.7.30
#     without reaching it; a domain without DANE or MTA-STS bounces too;
#   - against the scripted peer (tests/testbed/peer.py): a 554 greeting
#     leaves the message deferred in the queue (dsn=4.7.1, as Postfix's own
#     smtp_skip_5xx_greeting), a 554 after the end of data bounces it.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/integration/lib/testbed.sh"
sender=$TB_SRC/tests/testbed/smtp/sender.sh
tb_init pipe-postfix
tb_start_dns
tb_start_smtp
tb_on_exit "bash '$sender' stop '$TB_RUN/sender'"

# pipe(8) runs the agent as nobody: binary, policy, trust anchor and report
# file must be reachable by nobody (the build tree may not be)
install -m 755 "$DANE_AGENT" "$TB_RUN/dane-agent"
policy=$(tb_policy pipe <<'Y'
defaults:
  level: dane
  connect_timeout: 5s
  delivery_timeout: 60s
destinations:
  "[127.0.26.31]:2731": { level: encrypt }
  "[127.0.26.32]:2732": { level: encrypt }
Y
)
report=$TB_RUN/report.jsonl
: > "$report"; chmod 666 "$report"
for f in "$TB_RUN/dane-agent" "$policy" "$TB_RUN/dns/trust-anchors.key" "$report"; do
    su -s /bin/sh nobody -c "test -r '$f'" || { echo "FATAL: $f not readable by nobody" >&2; exit 1; }
done

# scripted peers for the two faults a real server is not configured to make
peer_dirs=()
for spec in "31 554-greeting" "32 dot-5xx"; do
    set -- $spec
    dir=$TB_RUN/peer-$2; mkdir -p "$dir"; peer_dirs+=("$dir")
    python3 "$TB_SRC/tests/testbed/peer.py" --addr "127.0.26.$1" --port "27$1" \
        --scenario "$2" --dir "$dir" --connections 3 > "$dir/log" 2>&1 &
    tb_on_exit "kill $!"
done
for dir in "${peer_dirs[@]}"; do
    for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.1; done
    [ -s "$dir/ready" ] || { echo "FATAL: peer.py did not start: $(cat "$dir/log")" >&2; exit 1; }
done

DANE_AGENT_OPTS="--report $report" DANE_TRANSPORT=$'greet554.test dane:[127.0.26.31]:2731\ndot554.test dane:[127.0.26.32]:2732\nrt@dane.test dane-requiretls:dane.test\nrt@notlsa.dane.test dane-requiretls:notlsa.dane.test' \
    bash "$sender" start "$TB_RUN/sender" "$TB_RUN/dane-agent" "$policy"
maillog=$TB_RUN/sender/maillog

# submit RCPT SUBJECT - through the sending instance's sendmail
submit() {
    printf 'From: sender@sender.test\nTo: %s\nSubject: %s\nMessage-ID: <%s.%s@sender.test>\n\nbody of %s\n' \
        "${1// /, }" "$2" "$(echo "$2" | tr -c 'A-Za-z0-9\n' -)" "$$" "$2" |
        bash "$sender" send "${SENDER_RUN:-$TB_RUN/sender}" sender@sender.test $1
}
# wait_log ERE LABEL - bounded wait for a line in the sender's log
wait_log() {
    local i
    for i in $(seq 300); do
        if grep -Eq -- "$1" "$maillog"; then tb_pass "$2"; return 0; fi
        sleep 0.1
    done
    tb_fail "$2: no log line /$1/" "$(grep -E 'dane|pipe' "$maillog" | tail -n 20)"
}

submit ok@dane.test "pipe verified"
submit "ok3@dane.test defer@dane.test" "pipe two at limit 1"
submit x@mismatch.dane.test "pipe dane failure"
submit reject@dane.test "pipe bounce"
submit y@nullmx.test "pipe null mx"
submit g@greet554.test "pipe 554 greeting"
submit d@dot554.test "pipe 554 after dot"
submit rt@dane.test "pipe requiretls dane"
submit rt@notlsa.dane.test "pipe requiretls nodane"

echo "== sent: the message arrives, Verified"
wait_log 'to=<ok@dane\.test>, relay=dane, .*dsn=2\.0\.0, status=sent' "sender log: ok@dane.test sent by dane-agent"
expect_delivered "pipe verified" ok@dane.test "message in the receiving testbed's maildir"
if python3 - "$report" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok = [a for a in r if a["recipients"] and a["recipients"][0]["address"] == "ok@dane.test"]
assert ok and ok[-1]["verification"] == "Verified" and ok[-1]["result"] == "sent", ok
PY
then tb_pass "report (written by the agent as nobody): Verified, sent"
else tb_fail "report lacks a Verified record for ok@dane.test" "$(cat "$report")"; fi
if received=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "pipe verified" --wait 5) \
        && grep -q 'using TLSv1\.[23] with cipher' $received; then
    tb_pass "receiver's Received: header shows TLS"
else
    tb_fail "no TLS in the receiver's Received: header"
fi

echo "== DANE failure: deferred in the sending queue with dane-agent's reason"
wait_log 'to=<x@mismatch\.dane\.test>, relay=dane, .*dsn=4\.7\.5, status=deferred \(TLS authentication failed for mismatch\.dane\.test\[127\.0\.25\.10\]' \
    "sender log: deferred, dsn=4.7.5, the agent's reason"
queue=$(bash "$sender" queue "$TB_RUN/sender")
if grep -q 'TLS authentication failed for mismatch.dane.test' <<<"$queue" \
        && grep -q 'x@mismatch.dane.test' <<<"$queue"; then
    tb_pass "queue listing: message still queued with the agent's reason"
else
    tb_fail "queue listing lacks the deferred message or reason" "$queue"
fi
expect_not_delivered "pipe dane failure" "DANE failure: nothing reached the receiver"

echo "== permanent failures bounce with dane-agent's text in the DSN"
wait_log 'to=<reject@dane\.test>, relay=dane, .*dsn=5\.1\.1, status=bounced \(host mx\.dane\.test\[127\.0\.25\.10\] said: 550 5\.1\.1' \
    "sender log: reject@ bounced, dsn=5.1.1, the server's reply"
wait_log 'to=<y@nullmx\.test>, relay=dane, .*dsn=5\.1\.10, status=bounced \(Domain nullmx\.test does not accept mail' \
    "sender log: null MX bounced, dsn=5.1.10"
# bounce_dsn TEXT LABEL - a bounce to sender@sender.test contains TEXT
bounce_dsn() {
    local f
    for f in $(bash "$sender" find "$TB_RUN/sender" --subject "Undelivered Mail Returned to Sender" --wait 15 || true); do
        if grep -qF -- "$1" "$f"; then tb_pass "$2"; return 0; fi
    done
    tb_fail "$2: no bounce containing '$1'"
}
bounce_dsn "Recipient address rejected: testbed: recipient rejected" "DSN for reject@ carries the server's 550 text"
bounce_dsn "Status: 5.1.1" "DSN for reject@ has Status: 5.1.1"
bounce_dsn "does not accept mail (null MX" "DSN for the null MX carries the agent's text"
bounce_dsn "Status: 5.1.10" "DSN for the null MX has Status: 5.1.10"

echo "== REQUIRETLS: the testbed's Postfix does not offer it: bounced 5.7.30, nothing sent"
wait_log 'to=<rt@dane\.test>, relay=dane-requiretls, .*dsn=5\.7\.30, status=bounced \(REQUIRETLS support required: no server of dane\.test could carry the message \(REQUIRETLS is required, but REQUIRETLS not offered by host mx\.dane\.test\[127\.0\.25\.10\]' \
    "sender log: rt@dane.test bounced with dsn=5.7.30, the agent's reason"
expect_not_delivered "pipe requiretls dane" "REQUIRETLS: nothing reached the receiver"
wait_log 'to=<rt@notlsa\.dane\.test>, relay=dane-requiretls, .*dsn=5\.7\.30, status=bounced \(REQUIRETLS support required: .*not authenticated by DANE or MTA-STS' \
    "sender log: a domain without DANE or MTA-STS bounces 5.7.30 unsent"
expect_not_delivered "pipe requiretls nodane" "REQUIRETLS: nothing reached the domain without DANE"
bounce_dsn "Status: 5.7.30" "DSN for rt@dane.test has Status: 5.7.30"
if python3 - "$report" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rt = [a for a in r if a["recipients"] and a["recipients"][0]["address"] == "rt@dane.test"]
assert rt and all(a["requiretls"] for a in rt), rt
s = [a for a in rt if a["address"]]
assert s and s[0]["verification"] == "Verified" and s[0]["authenticated_by"] == "dane", s
assert s[0]["sending_ip"] == "127.0.0.1" and s[0]["result"] == "deferred", s
assert rt[-1]["result"] == "bounced" and rt[-1]["recipients"][0]["enhanced"] == "5.7.30", rt[-1]
PY
then tb_pass "report: requiretls, Verified via DANE, the 5.7.30 bounce record"
else tb_fail "report lacks the REQUIRETLS records" "$(grep rt@ "$report")"; fi

echo "== a 554 greeting defers (the queue keeps it), a 554 after the dot bounces"
wait_log 'to=<g@greet554\.test>, relay=dane, .*dsn=4\.7\.1, status=deferred \(host 127\.0\.26\.31\[127\.0\.26\.31\] refused to talk to me: 554 5\.7\.1' \
    "sender log: 554 greeting deferred with dsn=4.7.1"
queue=$(bash "$sender" queue "$TB_RUN/sender")
grep -q 'g@greet554.test' <<<"$queue" && tb_pass "queue listing: the 554-greeting message is still queued" \
    || tb_fail "the 554-greeting message left the queue" "$queue"
wait_log 'to=<d@dot554\.test>, relay=dane, .*dsn=5\.7\.1, status=bounced \(host 127\.0\.26\.32\[127\.0\.26\.32\] said: 554 5\.7\.1' \
    "sender log: 554 after the dot bounced with dsn=5.7.1"
bounce_dsn "<d@dot554.test>: host 127.0.26.32[127.0.26.32] said: 554 5.7.1 Error: rejected" "DSN for d@dot554.test carries the server's 554 text"
bounce_dsn "Final-Recipient: rfc822; d@dot554.test" "DSN for d@dot554.test is a delivery report"
if grep -q 'greet554' <<<"$(grep -l 'Undelivered Mail' -r "$TB_RUN/sender/mail" 2>/dev/null | xargs -r cat)"; then
    tb_fail "a bounce was sent for the 554-greeting message"
else
    tb_pass "no bounce for the 554-greeting message"
fi

echo "== recipient limit 1 (the README's setting): each recipient its own result"
wait_log 'to=<ok3@dane\.test>, relay=dane, .*status=sent' "limit 1: ok3@ sent"
wait_log 'to=<defer@dane\.test>, relay=dane, .*dsn=4\.2\.0, status=deferred' "limit 1: defer@ deferred with 4.2.0"

echo "== recipient limit 2, mixed results: one status for both (docs/queue-managers.md)"
bash "$sender" stop "$TB_RUN/sender"
tb_on_exit "bash '$sender' stop '$TB_RUN/sender2'"
DANE_RCPT_LIMIT=2 DANE_AGENT_OPTS="--report $report" \
    bash "$sender" start "$TB_RUN/sender2" "$TB_RUN/dane-agent" "$policy"
maillog=$TB_RUN/sender2/maillog
SENDER_RUN=$TB_RUN/sender2 submit "ok4@dane.test defer@dane.test" "pipe two at limit 2"
wait_log 'to=<ok4@dane\.test>, relay=dane, .*dsn=4\.2\.0, status=deferred' \
    "limit 2: the accepted recipient is deferred with the pending one's reason"
wait_log 'to=<defer@dane\.test>, relay=dane, .*dsn=4\.2\.0, status=deferred' "limit 2: defer@ deferred"
if grep -q 'status=sent' "$maillog"; then
    tb_fail "limit 2: a recipient reported sent" "$(grep status= "$maillog")"
else
    tb_pass "limit 2: nothing reported sent (defer@ was not delivered)"
fi
n=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "pipe two at limit 2" \
    --to ok4@dane.test --wait 5 | wc -l)
[ "$n" = 1 ] && tb_pass "limit 2: ok4@ received the message once (a retry would duplicate it, as documented)" \
    || tb_fail "limit 2: ok4@ has $n copies"

tb_done
