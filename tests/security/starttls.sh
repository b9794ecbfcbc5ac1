#!/usr/bin/env bash
# starttls.sh - attacks on STARTTLS (RFC 3207) against a scripted server:
# the client never pipelines a command behind STARTTLS, plaintext injected
# after "220 Ready to start TLS" aborts the session, a server that does not
# offer STARTTLS (stripped by a middlebox) or refuses it gets no mail
# command in cleartext when TLS is required, and a server offering only
# suites without forward secrecy gets nothing either. Each case checks the
# exit status and what the peer received.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/security/lib.bash"
sec_init starttls dns

policy=$(tb_policy starttls <<Y
defaults:
  level: encrypt
  delivery_timeout: 30s
destinations:
  "[127.0.26.6]:2706": { level: may }
  "[127.0.26.7]:2707": { level: may }
  no-starttls.dane.test: { level: dane }
Y
)

# 1. PIPELINING offered: STARTTLS goes alone, nothing before the ClientHello
sec_peer 1 ok
tb_deliver "$policy" "$PEER_NEXTHOP" starttls-ok rcpt@dane.test
expect_rc 0 "pipelining server: delivered over TLS"
expect_peer_has '^TLS TLSv1\.[23] ' "pipelining server: TLS was established"
if [ -e "$PEER_DIR/pre-tls" ]; then
    tb_fail "client sent bytes between STARTTLS and its ClientHello" "$(od -c "$PEER_DIR/pre-tls" | head)"
else
    tb_pass "nothing sent between STARTTLS and the ClientHello"
fi
if awk '/^STARTTLS$/ {s=1; next} s && !/^TLS / {bad=1} s {exit} END {exit !bad}' "$PEER_DIR/commands"; then
    tb_fail "a command followed STARTTLS before TLS" "$(sec_context)"
else
    tb_pass "the line after STARTTLS is the TLS handshake"
fi
if awk '/^TLS /{t=1} /^(MAIL|RCPT|DATA)/ && !t {bad=1} END{exit !bad}' "$PEER_DIR/commands"; then
    tb_fail "a mail command preceded TLS" "$(sec_context)"
else
    tb_pass "every mail command came after TLS"
fi

# 2. plaintext injected after "220 Ready to start TLS": abort, no TLS, no mail
sec_peer 2 inject
tb_deliver "$policy" "$PEER_NEXTHOP" starttls-inject rcpt@dane.test
expect_rc 75 "injection: deferred"
expect_err "4.7." "injection: a 4.7.x reason"
expect_peer_lacks '^TLS TLS' "injection: no TLS session was established"
expect_peer_lacks '250 injected' "injection: the injected reply was not echoed"
expect_nothing_sent "injection: no mail transaction"

# 3. no STARTTLS offered (stripped) while TLS is required: defer, no MAIL
sec_peer 3 no-starttls
tb_deliver "$policy" "$PEER_NEXTHOP" starttls-missing rcpt@dane.test
expect_rc 75 "no STARTTLS at encrypt: deferred"
expect_err "4.7.4 TLS is required, but was not offered" "no STARTTLS at encrypt: 4.7.4 reason"
expect_peer_lacks '^STARTTLS' "no STARTTLS at encrypt: none attempted"
expect_nothing_sent "no STARTTLS at encrypt: no mail in cleartext"

# 4. STARTTLS refused (454) while TLS is required
sec_peer 4 starttls-454
tb_deliver "$policy" "$PEER_NEXTHOP" starttls-454 rcpt@dane.test
expect_rc 75 "STARTTLS 454 at encrypt: deferred"
expect_nothing_sent "STARTTLS 454 at encrypt: no mail in cleartext"

# 5. only suites without forward secrecy (static RSA key exchange)
sec_peer 5 ok --key-type rsa --tls-max 1.2 --ciphers AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA256
tb_deliver "$policy" "$PEER_NEXTHOP" starttls-nonfs rcpt@dane.test
expect_rc 75 "non-forward-secret server at encrypt: deferred"
expect_err "4.7." "non-forward-secret server: a 4.7.x reason"
expect_peer_lacks '^TLS TLS' "non-forward-secret server: no TLS session"
expect_nothing_sent "non-forward-secret server: nothing sent"

# 6. level may: injection still never yields TLS-less mail on that session;
# a second connection in cleartext is Postfix's opportunistic behaviour, but
# the injected session itself must carry no mail command
sec_peer 6 inject
tb_deliver "$policy" "$PEER_NEXTHOP" starttls-inject-may rcpt@dane.test
expect_peer_lacks '250 injected' "injection at may: the injected reply was not used"
if awk '/^STARTTLS$/{s=1} s && /^(MAIL|RCPT|DATA)/{bad=1} END{exit !bad}' "$PEER_DIR/commands"; then
    tb_fail "injection at may: mail sent on the injected session" "$(sec_context)"
else
    tb_pass "injection at may: no mail on the injected session"
fi

# 7. level may, no STARTTLS: cleartext is what may means (control case: the
# peer does record cleartext mail, so the checks above can fail)
sec_peer 7 no-starttls
tb_deliver "$policy" "$PEER_NEXTHOP" starttls-may-cleartext rcpt@dane.test
expect_rc 0 "no STARTTLS at may: delivered in cleartext"
expect_peer_has '^MAIL FROM:<sender@sender.test>' "no STARTTLS at may: the peer recorded the transaction"

# 8. DANE: the MX host has a secure TLSA RRset but its server (Postfix
# profile no-starttls, tests/testbed/README.md) does not offer STARTTLS, as
# after a STARTTLS-stripping middlebox: defer, never cleartext
tb_start_smtp
tb_deliver "$policy" no-starttls.dane.test starttls-dane-stripped rcpt@dane.test
expect_rc 75 "secure TLSA, no STARTTLS: deferred"
expect_json 'last["effective_level"] == "dane" and last["tls"] is None' \
    "secure TLSA, no STARTTLS: level dane enforced, no TLS"
expect_err "4.7.4" "secure TLSA, no STARTTLS: 4.7.4"
expect_not_delivered starttls-dane-stripped "secure TLSA, no STARTTLS: nothing delivered"

tb_done
