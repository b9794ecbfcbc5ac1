#!/usr/bin/env bash
# qmail_remote.sh - `dane-agent qmail-remote HOST SENDER RECIPIENT...` as
# qmail-rspawn runs it (qmail-remote(8)): the message on stdin with LF line
# ends, the policy from DANE_AGENT_POLICY, the real DNS testbed and the real
# receiving Postfix (scripted peer only for a 554 after the final dot). The
# NUL-terminated report stream on stdout is decoded and checked for every
# outcome class; the exit status is always 0 (qmail-rspawn bounces
# otherwise).
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/integration/lib/testbed.sh"
tb_init qmail-remote
tb_start_dns
tb_start_smtp

policy=$(tb_policy qmail <<'Y'
defaults:
  level: dane
  connect_timeout: 5s
  delivery_timeout: 60s
destinations:
  "[127.0.26.32]:2732": { level: encrypt }
Y
)

dir=$TB_RUN/peer-dot-5xx; mkdir -p "$dir"
python3 "$TB_SRC/tests/testbed/peer.py" --addr 127.0.26.32 --port 2732 \
    --scenario dot-5xx --dir "$dir" > "$dir/log" 2>&1 &
tb_on_exit "kill $!"
for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.1; done
[ -s "$dir/ready" ] || { echo "FATAL: peer.py did not start: $(cat "$dir/log")" >&2; exit 1; }

# qr HOST SENDER SUBJECT RCPT... - run qmail-remote; TB_RC its exit status,
# TB_OUT the decoded reports, one a line: LETTER<tab>TEXT (newlines as "/",
# as qmail-rspawn shows them); a stream not ending in NUL is "BAD"
qr() {
    local host=$1 sender=$2 subject=$3
    shift 3
    TB_RC=0
    # from a file: the agent's own exit status, not a writer's SIGPIPE when
    # it reads nothing (bad arguments)
    tb_message "$subject" > "$TB_RUN/msg"
    DANE_AGENT_POLICY=${QR_POLICY:-$policy} timeout 120 "$DANE_AGENT" qmail-remote \
        "$host" "$sender" "$@" < "$TB_RUN/msg" > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
    TB_ERR=$(cat "$TB_RUN/err")
    TB_OUT=$(python3 - "$TB_RUN/out" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
if not data.endswith(b"\0"):
    print("BAD\t" + repr(data)); sys.exit()
for rep in data[:-1].split(b"\0"):
    t = rep[1:].decode("utf-8", "replace").rstrip("\n").replace("\n", "/")
    print(chr(rep[0]) + "\t" + t)
PY
)
}
# expect_reports ERE LABEL - the decoded reports, joined by "|", match ERE
expect_reports() {
    local joined
    joined=$(tr '\n' '|' <<<"$TB_OUT")
    if [ "$TB_RC" = 0 ] && grep -qE -- "$1" <<<"$joined"; then tb_pass "$2"
    else tb_fail "$2: exit $TB_RC, reports /$joined/ do not match /$1/" "$(tb_context)"; fi
}
# count_delivered SUBJECT - how many copies arrived
count_delivered() {
    bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "$1" \
        --wait 10 2>/dev/null | wc -l
}

echo "== sent: r then K, the message arrives once, Verified"
qr dane.test sender@sender.test "qmail verified" ok@dane.test
expect_reports '^r	\|K	dane-agent: dane\.test accepted message\.\|$' "r, K"
n=$(count_delivered "qmail verified")
[ "$n" = 1 ] && tb_pass "one copy in the maildir" || tb_fail "copies in the maildir: $n"

echo "== deferred: DANE failure, s then Z, nothing delivered"
qr mismatch.dane.test sender@sender.test "qmail dane failure" x@mismatch.dane.test
expect_reports '^s	4\.7\.5 [^|]*TLS authentication failed for mismatch\.dane\.test\[127\.0\.25\.10\][^|]*\|Z	4\.7\.5 ' \
    "s with 4.7.5 and the agent's reason, Z"
expect_not_delivered "qmail dane failure" "nothing reached the receiver"

echo "== bounced: every recipient 550: h then D"
qr dane.test sender@sender.test "qmail bounce" reject@dane.test
expect_reports '^h	5\.1\.1 host mx\.dane\.test\[127\.0\.25\.10\] said: 550 5\.1\.1 [^|]*testbed: recipient rejected[^|]*\|D	5\.1\.1 ' \
    "h with the server's 550, D"
expect_not_delivered "qmail bounce" "nothing delivered"

echo "== mixed recipients: 250, 550, 450 -> r, h, s, then K"
qr dane.test sender@sender.test "qmail mixed" ok2@dane.test reject@dane.test defer@dane.test
expect_reports '^r	\|h	5\.1\.1 [^|]*550 5\.1\.1[^|]*\|s	4\.2\.0 [^|]*450 4\.2\.0 [^|]*\|K	' "r, h (550), s (450), K"
n=$(count_delivered "qmail mixed")
[ "$n" = 1 ] && tb_pass "the accepted recipient's copy arrived once" || tb_fail "copies: $n"

echo "== 554 after the final dot: no r for anyone, h then D"
qr "[127.0.26.32]:2732" sender@sender.test "qmail dot 554" a@peer.test b@peer.test
expect_reports '^h	5\.7\.1 [^|]*554[^|]*\|h	5\.7\.1 [^|]*\|D	5\.7\.1 ' "h, h, D"
grep -q '^r' <<<"$TB_OUT" && tb_fail "an r report after a 554 to the dot" || tb_pass "no r report"

echo "== null sender: \"\" is MAIL FROM:<>"
qr dane.test "" "qmail null sender" ok3@dane.test
expect_reports '^r	\|K	' "r, K"
if f=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "qmail null sender" --wait 10) \
        && grep -q '^Return-Path: <>' $f; then
    tb_pass "Return-Path: <> in the maildir"
else
    tb_fail "no Return-Path: <> for the null sender"
fi

echo "== bad policy: deferred (s, Z with 4.3.5), exit 0, nothing sent"
QR_POLICY=$TB_RUN/missing.yaml qr dane.test sender@sender.test "qmail bad policy" ok4@dane.test
expect_reports '^s	4\.3\.5 invalid policy[^|]*\|Z	4\.3\.5 invalid policy' "s, Z: 4.3.5 invalid policy"
expect_not_delivered "qmail bad policy" "nothing delivered"

echo "== bad arguments: Z alone (qmail defers every recipient), exit 0"
qr dane.test sender@sender.test "qmail no rcpt"
expect_reports '^Z	4\.3\.5 dane-agent qmail-remote invoked improperly' "Z, invoked improperly"

tb_done
