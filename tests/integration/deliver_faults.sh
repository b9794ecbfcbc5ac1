#!/usr/bin/env bash
# deliver_faults.sh - `dane-agent deliver` against the scripted SMTP peer
# (tests/testbed/peer.py on 127.0.26.x): faults a real server cannot
# produce. The next-hop is always an address literal at level encrypt or may
# (the peer has no DNSSEC). An address literal needs no DNS: the policy's
# upstream is an address where nothing answers, and delivery must not care.
# Every fault must end in a deferral (75) with a reason, never in 0, and
# within the deadline.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/integration/lib/testbed.sh"
tb_init deliver-faults

PEER_ADDR=127.0.26.7
port=2500

echo 'test. 3600 IN DS 12345 13 2 0000000000000000000000000000000000000000000000000000000000000000' \
    > "$TB_RUN/anchor.key"
policy=$(tb_policy faults <<Y
dns:
  upstreams: ["127.0.53.9"]
  trust_anchors: $TB_RUN/anchor.key
  timeout: 1s
defaults:
  level: encrypt
  connect_timeout: 2s
  helo_timeout: 2s
  starttls_timeout: 2s
  data_timeout: 2s
  delivery_timeout: 30s
destinations:
  "[127.0.26.7]:2590": { level: may }
  "[127.0.26.7]:2591": { level: encrypt, data_timeout: 60s, delivery_timeout: 3s }
  "[127.0.26.7]:2592": { level: encrypt, helo_timeout: 60s, delivery_timeout: 2s }
Y
)

# peer SCENARIO [PORT] [peer.py options] - start peer.py for one connection on
# a fresh directory; sets PEER_DIR, PEER_PID, PEER_PORT
peer() {
    local scenario=$1
    port=$((port + 1))
    PEER_PORT=${2:-$port}
    shift 2 || shift $#
    PEER_DIR=$TB_RUN/peer-$scenario-$PEER_PORT
    mkdir -p "$PEER_DIR"
    python3 "$TB_SRC/tests/testbed/peer.py" --addr "$PEER_ADDR" --port "$PEER_PORT" \
        --scenario "$scenario" --dir "$PEER_DIR" "$@" > "$PEER_DIR/log" 2>&1 &
    PEER_PID=$!
    tb_on_exit "kill $PEER_PID"
    for _ in $(seq 100); do
        [ -s "$PEER_DIR/ready" ] && return 0
        kill -0 "$PEER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "FATAL: peer.py $scenario did not start: $(cat "$PEER_DIR/log")" >&2
    exit 1
}
# peer_stop - the peer serves one connection; stop it if it still waits
peer_stop() { kill "$PEER_PID" 2>/dev/null || true; wait "$PEER_PID" 2>/dev/null || true; }
# peer_saw WORD - the peer logged a command starting with WORD
peer_saw() { grep -q "^$1" "$PEER_DIR/commands" 2>/dev/null; }

# expect_status_line ERE LABEL - the last stderr line, the one pipe(8) takes
# its DSN code from, matches ^ERE (its class agrees with the exit status)
expect_status_line() {
    local last
    last=$(tail -n 1 <<<"$TB_ERR")
    if grep -qE -- "^$1" <<<"$last"; then tb_pass "$2"
    else tb_fail "$2: last stderr line '$last' does not match /^$1/" "$(tb_context)"; fi
}

# deliver SUBJECT RCPT... - to the current peer
deliver() {
    local subject=$1
    shift
    tb_deliver "$policy" "[$PEER_ADDR]:$PEER_PORT" "$subject" "$@"
}

echo "== drop after the end of data: deferred, may be sent more than once"
peer drop-dot
deliver "drop dot" rcpt@peer.test
peer_stop
expect_rc 75 "drop after the dot deferred"
expect_err "message may be sent more than once" "stderr: may be sent more than once"
expect_json 'last["result"] == "deferred" and last["recipients"][0]["result"] == "deferred"' "JSON: deferred, never sent"
[ -s "$PEER_DIR/data" ] && tb_pass "the peer received the whole message" || tb_fail "peer got no data"

echo "== drop at every other stage: deferred, never sent"
for stage in greeting ehlo starttls handshake ehlo-tls mail rcpt data; do
    peer "drop-$stage"
    deliver "drop $stage" rcpt@peer.test
    peer_stop
    expect_rc 75 "drop-$stage deferred"
    expect_err_re '^4\.[0-9.]+ ' "drop-$stage: one reason line with a 4.x.x code"
done

echo "== no reply to the end of data (data_timeout 2s): deferred"
peer no-dot-reply
deliver "no dot reply" rcpt@peer.test
peer_stop
expect_rc 75 "no reply to the dot deferred"
expect_err "message may be sent more than once" "stderr: may be sent more than once"

echo "== 451 to the end of data: deferred with the server's reply"
peer dot-4xx
deliver "dot 4xx" rcpt@peer.test
peer_stop
expect_rc 75 "451 after the dot deferred"
expect_err_re '^4\.3\.0 .*451 4\.3\.0' "stderr: the server's 451 4.3.0"

echo "== plaintext injected after 220 STARTTLS: deferred, nothing sent"
peer inject
deliver "inject" rcpt@peer.test
peer_stop
expect_rc 75 "injection deferred"
expect_err "injection" "stderr names the injection"
peer_saw MAIL && tb_fail "a MAIL command reached the injecting peer" || tb_pass "no MAIL command sent"
[ -e "$PEER_DIR/data" ] && tb_fail "data reached the injecting peer" || tb_pass "no data sent"

echo "== garbage and oversized replies: deferred"
for scenario in garbage-greeting long-reply many-lines; do
    peer "$scenario"
    deliver "$scenario" rcpt@peer.test
    peer_stop
    expect_rc 75 "$scenario deferred"
done

echo "== 421 at the greeting and mid-session: deferred"
peer 421-greeting
deliver "421 greeting" rcpt@peer.test
peer_stop
expect_rc 75 "421 greeting deferred"
expect_err_re '^4\.3\.2 ' "421 greeting: 4.3.2"
peer 421-rcpt
deliver "421 rcpt" first@peer.test second@peer.test
peer_stop
expect_rc 75 "421 to the second RCPT deferred"
expect_json 'all(x["result"] == "deferred" for x in last["recipients"])' "JSON: both recipients deferred"
[ -e "$PEER_DIR/data" ] && tb_fail "data sent after a 421" || tb_pass "no data after 421"

echo "== 554 greeting: this server is skipped, the request deferred"
peer 554-greeting
deliver "554 greeting" rcpt@peer.test
peer_stop
expect_rc 75 "554 greeting deferred (as Postfix's smtp_skip_5xx_greeting)"
expect_status_line '4\.7\.1 .*refused to talk to me: 554 5\.7\.1' "554 greeting: the status line says 4.7.1"

echo "== 5xx to EHLO and HELO (level may): skipped, deferred with 4.X.X"
peer 554-ehlo-helo 2590
deliver "554 ehlo helo" rcpt@peer.test
peer_stop
expect_rc 75 "5xx EHLO and HELO deferred"
expect_status_line '4\.7\.1 ' "5xx HELO: the status line says 4.7.1"
peer_saw MAIL && tb_fail "MAIL sent after a 5xx HELO" || tb_pass "no MAIL after a 5xx HELO"

echo "== 554 to EHLO after STARTTLS: skipped like a 5xx greeting, deferred 4.7.1"
peer tls-ehlo-554
deliver "tls ehlo 554" rcpt@peer.test
peer_stop
expect_rc 75 "5xx EHLO after TLS deferred"
expect_status_line '4\.7\.1 .*refused to talk to me: 554 5\.7\.1' "EHLO after TLS: the status line says 4.7.1"

echo "== 554 to the end of data: bounced, 69 with 5.7.1"
peer dot-5xx
deliver "dot 5xx" rcpt@peer.test
peer_stop
expect_rc 69 "554 after the dot bounced"
expect_status_line '5\.7\.1 .*554 5\.7\.1' "554 after the dot: the status line says 5.7.1"

echo "== replies out of step (RFC 5321 §4.2, RFC 2920 §3): deferred 4.5.0, never sent"
# each of these peers answers the end of data with 554: a client that took
# the early reply as the answer would exit 0 (or 69)
for scenario in early-dot-reply surplus-ehlo data-250 rcpt-354 dot-354 dot-surplus quit-554; do
    peer "$scenario"
    deliver "$scenario" rcpt@peer.test
    peer_stop
    expect_rc 75 "$scenario: deferred"
    expect_status_line '4\.5\.0 protocol error: ' "$scenario: the status line says 4.5.0 protocol error"
    expect_json 'last["recipients"][0]["result"] == "deferred"' "$scenario: JSON recipient deferred"
    case $scenario in
        dot-354|dot-surplus|quit-554) [ -s "$PEER_DIR/data" ] && tb_pass "$scenario: the data was sent" \
                     || tb_fail "$scenario: no data reached the peer" ;;
        *) [ -e "$PEER_DIR/data" ] && tb_fail "$scenario: the end of data was sent after an early reply" \
               || tb_pass "$scenario: no end of data sent" ;;
    esac
done

echo "== 454 to STARTTLS: encrypt defers, may goes on in cleartext"
peer starttls-454
deliver "starttls 454" rcpt@peer.test
peer_stop
expect_rc 75 "454 to STARTTLS at encrypt deferred"
peer_saw MAIL && tb_fail "MAIL sent in cleartext at encrypt" || tb_pass "no cleartext MAIL at encrypt"
peer starttls-454 2590
deliver "starttls 454 may" rcpt@peer.test
peer_stop
expect_rc 0 "454 to STARTTLS at may: sent in cleartext"
peer_saw MAIL && tb_pass "MAIL sent in cleartext at may" || tb_fail "no MAIL at may"

echo "== 8-bit message, server without 8BITMIME (RFC 6152 §3): converted, or bounced 5.6.3"
# deliver_msg SUBJECT FILE RCPT - deliver FILE as the message to the current peer
deliver_msg() {
    TB_RC=0
    timeout 60 "$DANE_AGENT" deliver -c "$policy" -f sender@sender.test \
        -n "[$PEER_ADDR]:$PEER_PORT" -- "$3" < "$2" > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
    TB_OUT=$(cat "$TB_RUN/out"); TB_ERR=$(cat "$TB_RUN/err")
}
printf 'Subject: 8bit body\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\ncaf\xc3\xa9\n' \
    > "$TB_RUN/8bit-body.eml"
peer no-8bitmime
deliver_msg "8bit body" "$TB_RUN/8bit-body.eml" rcpt@peer.test
peer_stop
expect_rc 0 "8-bit text part to a server without 8BITMIME: sent"
if LC_ALL=C grep -q $'[\x80-\xff]' "$PEER_DIR/data"; then tb_fail "8-bit octets reached the server"
else tb_pass "the server received 7-bit data only"; fi
grep -q '^caf=C3=A9' "$PEER_DIR/data" && grep -q '^Content-Transfer-Encoding: quoted-printable' "$PEER_DIR/data" \
    && tb_pass "the text part arrived as quoted-printable" || tb_fail "no quoted-printable part" "$(cat "$PEER_DIR/data")"
peer_saw 'MAIL FROM:<sender@sender.test> SIZE=[0-9]*$' && tb_pass "MAIL without BODY=8BITMIME" \
    || tb_fail "MAIL line: $(grep ^MAIL "$PEER_DIR/commands")"
printf 'Subject: caf\xc3\xa9\n\nbody\n' > "$TB_RUN/8bit-header.eml"
peer no-8bitmime
deliver_msg "8bit header" "$TB_RUN/8bit-header.eml" rcpt@peer.test
peer_stop
expect_rc 69 "8-bit header to a server without 8BITMIME: bounced"
expect_status_line '5\.6\.3 .*does not offer 8BITMIME' "status line: 5.6.3 with the reason"
peer_saw MAIL && tb_fail "MAIL sent for an unconvertible message" || tb_pass "nothing sent"

echo "== per-recipient 4xx/5xx"
peer mixed-rcpt
deliver "mixed rcpt" ok@peer.test temp@peer.test perm@peer.test
peer_stop
expect_rc 75 "mixed recipients: deferred (one pending)"
expect_json '[(x["address"], x["result"]) for x in last["recipients"]] == [("ok@peer.test", "sent"), ("temp@peer.test", "deferred"), ("perm@peer.test", "bounced")]' \
    "JSON: sent / deferred / bounced per recipient"
expect_err_re '^4\.2\.0 ' "stderr: the deferred recipient's 4.2.0"
peer mixed-rcpt
deliver "perm only" perm@peer.test
peer_stop
expect_rc 69 "only recipient 550: bounced"
expect_err_re '^5\.1\.1 .*550 5\.1\.1' "stderr: 5.1.1 with the server's reply"
peer mixed-rcpt
deliver "temp and perm" temp@peer.test perm@peer.test
peer_stop
expect_rc 75 "450 + 550, none accepted: deferred"
expect_err_re '^4\.2\.0 ' "stderr: the 4.2.0 of the pending recipient, not the 5.1.1"

echo "== timeouts: a greeting dripping past helo_timeout"
peer drip
deliver "drip" rcpt@peer.test
peer_stop
expect_rc 75 "dripping greeting deferred"
expect_err "timed out" "stderr: timed out"
[ "$TB_ELAPSED_MS" -lt 15000 ] && tb_pass "gave up after ${TB_ELAPSED_MS} ms" || tb_fail "took ${TB_ELAPSED_MS} ms"

echo "== total delivery_timeout: never hangs, defers within the deadline"
peer no-dot-reply 2591
deliver "deadline dot" rcpt@peer.test
peer_stop
expect_rc 75 "delivery_timeout 3s while waiting for the dot reply: deferred"
expect_err_re '^4\.[0-9.]+ ' "deadline: a 4.x.x reason line"
[ "$TB_ELAPSED_MS" -lt 9000 ] && tb_pass "exited after ${TB_ELAPSED_MS} ms (deadline 3 s)" \
    || tb_fail "exited after ${TB_ELAPSED_MS} ms, deadline 3 s"
peer drip 2592
deliver "deadline drip" rcpt@peer.test
peer_stop
expect_rc 75 "delivery_timeout 2s during a dripping greeting: deferred"
[ "$TB_ELAPSED_MS" -lt 8000 ] && tb_pass "exited after ${TB_ELAPSED_MS} ms (deadline 2 s)" \
    || tb_fail "exited after ${TB_ELAPSED_MS} ms, deadline 2 s"

echo "== envelope with CR/LF, spaces or brackets: 64, no connection"
peer ok
for bad in $'a@peer.test\r\nRCPT TO:<x@peer.test>' 'a b@peer.test' $'a@peer.test\n' '<a@peer.test' 'a@peer.test>'; do
    deliver "bad rcpt" "$bad"
    expect_rc 64 "recipient $(printf %q "$bad") refused"
done
for bad in $'s@x.test\r\nRSET' 's @x.test'; do
    rc=0
    timeout 30 "$DANE_AGENT" deliver -c "$policy" -f "$bad" -n "[$PEER_ADDR]:$PEER_PORT" \
        -- ok@peer.test < <(tb_message "bad sender") >/dev/null 2>&1 || rc=$?
    [ "$rc" = 64 ] && tb_pass "sender $(printf %q "$bad") refused (exit 64)" \
        || tb_fail "sender $(printf %q "$bad"): exit $rc, want 64"
done
kill -0 "$PEER_PID" 2>/dev/null && [ ! -e "$PEER_DIR/commands" ] \
    && tb_pass "no connection reached the peer" || tb_fail "the peer saw a connection"
peer_stop

echo "== control: the peer's ok scenario is delivered (the test can see success)"
peer ok
deliver "control" rcpt@peer.test
peer_stop
expect_rc 0 "ok scenario sent"
expect_json 'last["verification"] == "Untrusted" and last["tls"]["version"]' "JSON: TLS, Untrusted at encrypt"

echo "== a host name needs DNS: with the upstream dead, deferred 4.4.3"
tb_deliver "$policy" "[mx.peer.test]:$PEER_PORT" "dead dns" rcpt@peer.test
expect_rc 75 "[mx.peer.test] with no DNS deferred"
expect_err_re '^4\.4\.3 .*127\.0\.53\.9' "stderr: 4.4.3 naming the dead upstream"

tb_done
