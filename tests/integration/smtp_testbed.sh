#!/usr/bin/env bash
# smtp_testbed.sh - the private Postfix testbed: every TLS profile on
# 127.0.25.10-.19 behaves as its name says (checked with openssl s_client and a
# python smtplib client), nothing listens on a wildcard address, mail for the
# test domains lands in a maildir, and stop leaves nothing running.
set -euo pipefail
src=${DANE_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tb=$src/tests/testbed/smtp/postfix.sh
run=$(mktemp -d /tmp/smtp_testbed.XXXXXX)
had_main_cf=no; [ -e /etc/postfix/main.cf ] && had_main_cf=yes
cleanup() { bash "$tb" stop "$run" || true; rm -rf "$run"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

bash "$tb" start "$run"
ca() { echo "$run/certs/server/$1/ca.pem"; }

# tls ADDR ARGS... - one STARTTLS handshake, openssl's report on stdout
tls() {
    local addr=$1; shift
    timeout 10 openssl s_client -starttls smtp -connect "$addr:25" "$@" </dev/null 2>&1 || true
}
# expect_re WHAT TEXT REGEX / expect_no_re WHAT TEXT REGEX
expect_re() { if grep -Eq -- "$3" <<<"$2"; then pass "$1"; else fail "$1: no /$3/ in: $(grep -E '^(New|Verif)' <<<"$2" | tr '\n' ' ')"; fi; }
expect_no_re() { if grep -Eq -- "$3" <<<"$2"; then fail "$1: unexpected /$3/"; else pass "$1"; fi; }
HANDSHAKE_FAILED='^New, \(NONE\), Cipher is \(NONE\)'

# --- only our addresses, port 25, no wildcard
listening=$(bash "$tb" listeners "$run" | sort)
want=$(for i in $(seq 10 19); do echo "127.0.25.$i:25"; done | sort)
[ "$listening" = "$want" ] && pass "listeners are exactly 127.0.25.10-.19:25" \
    || fail "listeners: $(echo $listening)"

# --- ecdsa: TLS 1.3, ECDSA leaf + intermediate, verifies against the root
out=$(tls 127.0.25.10 -CAfile "$(ca ecdsa)" -verify_hostname mx.dane.test -showcerts)
expect_re "ecdsa: TLS 1.3" "$out" '^New, TLSv1\.3, Cipher is TLS_'
expect_re "ecdsa: ECDSA signature" "$out" '^Peer signature type: ECDSA'
expect_re "ecdsa: verifies as mx.dane.test" "$out" '^Verification: OK'
[ "$(grep -c 'BEGIN CERTIFICATE' <<<"$out")" = 2 ] && pass "ecdsa: leaf + intermediate sent" \
    || fail "ecdsa: chain is not leaf + intermediate"

# --- rsa: RSA key, forward-secret TLS 1.3
out=$(tls 127.0.25.11 -CAfile "$(ca rsa)" -verify_hostname mx.dane.test)
expect_re "rsa: TLS 1.3" "$out" '^New, TLSv1\.3, '
expect_re "rsa: RSA-PSS signature" "$out" '^Peer signature type: RSA-PSS'
expect_re "rsa: verifies" "$out" '^Verification: OK'

# --- tls12-ecdhe: TLS 1.2 ECDHE only
out=$(tls 127.0.25.12)
expect_re "tls12-ecdhe: ECDHE at TLS 1.2" "$out" '^New, TLSv1\.2, Cipher is ECDHE-ECDSA-AES(128|256)-GCM-SHA(256|384)'
expect_re "tls12-ecdhe: refuses TLS 1.3" "$(tls 127.0.25.12 -tls1_3)" "$HANDSHAKE_FAILED"
expect_re "tls12-ecdhe: refuses DHE" "$(tls 127.0.25.12 -tls1_2 -cipher kDHE)" "$HANDSHAKE_FAILED"

# --- tls12-dhe: TLS 1.2 DHE only
out=$(tls 127.0.25.13)
expect_re "tls12-dhe: DHE at TLS 1.2" "$out" '^New, TLSv1\.2, Cipher is DHE-RSA-AES(128|256)-GCM-SHA(256|384)'
expect_re "tls12-dhe: 2048-bit group" "$out" '^Server Temp Key: DH, 2048 bits'
expect_re "tls12-dhe: refuses ECDHE" "$(tls 127.0.25.13 -tls1_2 -cipher kECDHE)" "$HANDSHAKE_FAILED"
expect_re "tls12-dhe: refuses TLS 1.3" "$(tls 127.0.25.13 -tls1_3)" "$HANDSHAKE_FAILED"

# --- static-rsa: only RSA key exchange (no forward secrecy), TLS 1.2
out=$(tls 127.0.25.14 -tls1_2 -cipher AES128-GCM-SHA256)
expect_re "static-rsa: AES128-GCM-SHA256" "$out" '^New, TLSv1\.2, Cipher is AES128-GCM-SHA256'
expect_no_re "static-rsa: no ephemeral key" "$out" '^Server Temp Key'
expect_re "static-rsa: refuses every forward-secret suite" \
    "$(tls 127.0.25.14 -tls1_2 -cipher 'kECDHE:kDHE:aNULL:@SECLEVEL=0')" "$HANDSHAKE_FAILED"
expect_re "static-rsa: refuses TLS 1.3" "$(tls 127.0.25.14 -tls1_3)" "$HANDSHAKE_FAILED"

# --- anon: anonymous suites only
out=$(tls 127.0.25.16 -cipher 'aNULL:@SECLEVEL=0')
expect_re "anon: anonymous suite" "$out" '^New, TLSv1\.2, Cipher is A(EC)?DH-'
expect_re "anon: no certificate" "$out" '^no peer certificate available'
expect_re "anon: refuses authenticated suites" "$(tls 127.0.25.16)" "$HANDSHAKE_FAILED"

# --- wrongname, expired, selfsigned: the handshake completes, verification fails
out=$(tls 127.0.25.17 -CAfile "$(ca wrongname)" -verify_hostname mx.dane.test)
expect_re "wrongname: chain trusted" "$out" 'depth=0 CN = mx\.wrong\.example'
expect_re "wrongname: name mismatch" "$out" '^Verification error: hostname mismatch'
out=$(tls 127.0.25.18 -CAfile "$(ca expired)" -verify_hostname mx.dane.test)
expect_re "expired: TLS 1.3" "$out" '^New, TLSv1\.3, '
expect_re "expired: certificate has expired" "$out" '^Verification error: certificate has expired'
out=$(tls 127.0.25.19 -CAfile "$(ca ecdsa)" -verify_hostname mx.dane.test)
expect_re "selfsigned: self-signed" "$out" '^Verification error: self-signed certificate'
out=$(tls 127.0.25.19 -CAfile "$(ca selfsigned)" -verify_hostname mx.dane.test)
expect_re "selfsigned: verifies against itself" "$out" '^Verification: OK'

# --- SMTP: STARTTLS offered or not, delivery into the maildir, refusals
msgid="testbed.$$.$(date +%s)@client.test"
if python3 - "$msgid" <<'PY'
import smtplib, ssl, sys
msgid = sys.argv[1]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    return cond
good = True
with smtplib.SMTP("127.0.25.15", 25, timeout=10) as s:
    s.ehlo("client.test")
    good &= check(not s.has_extn("starttls"), "no-starttls: EHLO offers no STARTTLS")
    good &= check(s.docmd("STARTTLS")[0] >= 500, "no-starttls: STARTTLS refused")
with smtplib.SMTP("127.0.25.10", 25, timeout=10) as s:
    s.ehlo("client.test")
    good &= check(s.has_extn("starttls"), "ecdsa: EHLO offers STARTTLS")
    s.starttls(context=ctx)
    s.ehlo("client.test")
    msg = ("From: <sender@client.test>\r\nTo: <alice@dane.test>\r\n"
           "Subject: testbed delivery\r\nMessage-ID: <%s>\r\n\r\nhello\r\n" % msgid)
    refused = s.sendmail("sender@client.test",
                         ["alice@dane.test", "reject@dane.test", "defer@dane.test"], msg)
    good &= check(refused.get("reject@dane.test", (0,))[0] == 550, "reject@ refused with 550")
    good &= check(refused.get("defer@dane.test", (0,))[0] == 450, "defer@ refused with 450")
    good &= check("alice@dane.test" not in refused, "alice@dane.test accepted")
    s.mail("sender@client.test")
    code, text = s.rcpt("bob@elsewhere.org")
    good &= check(code == 554 and b"Relay access denied" in text, "no relay: %d %r" % (code, text))
sys.exit(0 if good else 1)
PY
then pass "smtplib checks"; else fail "smtplib checks"; fi

if path=$(bash "$tb" find "$run" --message-id "$msgid" --to alice@dane.test --wait 10); then
    pass "message delivered to $path"
    [[ $path == "$run/mail/inbox/new/"* ]] && pass "in the inbox maildir" || fail "wrong maildir: $path"
    grep -Eq 'using TLSv1\.3 with cipher' "$path" && pass "Received: header records TLS 1.3" \
        || fail "no TLS details in the Received: header"
    [ "$(bash "$tb" find "$run" --message-id "$msgid" | wc -l)" = 1 ] && pass "exactly one copy (refused recipients got none)" \
        || fail "not exactly one copy"
else
    fail "message $msgid not found in $run/mail"
fi
bash "$tb" find "$run" --subject "no such subject" >/dev/null && fail "find matched nothing" || pass "find: absent subject not found"

# --- stop: the master and its children are gone, nothing listens
pid=$(bash "$tb" pid "$run")
bash "$tb" stop "$run"
kill -0 "$pid" 2>/dev/null && fail "master $pid still running" || pass "master stopped"
if ss -Hltn | grep -q '127\.0\.25\.'; then fail "still listening after stop"; else pass "no listener after stop"; fi
[ -e /etc/postfix/main.cf ] && [ $had_main_cf = no ] && fail "/etc/postfix/main.cf was created"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed" >&2; exit 1; fi
echo "all smtp testbed checks passed"
