#!/usr/bin/env bash
# oversize.sh - input larger than the agent's bounds from a hostile server
# or a hostile queue: a reply line over max_reply_line_length, a reply with
# more than max_reply_lines lines, a certificate chain longer than
# DANE_MAX_CHAIN (16) certificates (wolfSSL stops at 9 already), a
# certificate over DANE_MAX_CERT (64 KiB), a message over max_message_size (bounce 5.3.4, exit 69, no
# connection at all) and a message over the server's SIZE (bounce 5.3.4
# before MAIL). Each case checks the outcome and that nothing was sent.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/security/lib.bash"
sec_init oversize
certs=$TB_RUN/certs

policy=$(sec_policy oversize <<Y
defaults:
  level: encrypt
  delivery_timeout: 30s
  max_message_size: 4K
Y
)

# 1. a 5000-byte EHLO reply line (limit: 2048 with CRLF)
sec_peer 1 long-reply
tb_deliver "$policy" "$PEER_NEXTHOP" oversize-line rcpt@dane.test
expect_rc 75 "5000-byte reply line: deferred"
expect_peer_lacks '^STARTTLS' "5000-byte reply line: session ended at EHLO"
expect_nothing_sent "5000-byte reply line: nothing sent"

# 2. a 1000-line EHLO reply (limit: 100 lines)
sec_peer 2 many-lines
tb_deliver "$policy" "$PEER_NEXTHOP" oversize-lines rcpt@dane.test
expect_rc 75 "1000-line reply: deferred"
expect_peer_lacks '^STARTTLS' "1000-line reply: session ended at EHLO"
expect_nothing_sent "1000-line reply: nothing sent"

# 3. a chain of 18 certificates (leaf, its CA, 16 more)
{
    cat "$certs/certs/ec_leaf.pem" "$certs/certs/ec_int.pem"
    ls "$certs/certs/"*.pem | grep -Ev '/(ec_leaf|ec_int)\.pem$' | head -16 | xargs cat
} > "$TB_RUN/long-chain.pem"
n=$(grep -c 'BEGIN CERTIFICATE' "$TB_RUN/long-chain.pem")
[ "$n" -eq 18 ] || { echo "FATAL: long chain has $n certificates"; exit 1; }
sec_peer 3 ok --cert "$TB_RUN/long-chain.pem" --key "$certs/keys/ec_leaf.key"
tb_deliver "$policy" "$PEER_NEXTHOP" oversize-chain rcpt@dane.test
expect_rc 75 "18-certificate chain: deferred"
tb_log "18-certificate chain: $(tail -1 <<<"$TB_ERR")"
expect_nothing_sent "18-certificate chain: nothing sent"

# the effective limit: Debian's wolfSSL (MAX_CHAIN_DEPTH 9) fails the
# handshake on a chain of more than 9 certificates, before DANE_MAX_CHAIN
# (16) is reached; 9 certificates are delivered, so case 3 failed for its
# length
chain_of() {
    { cat "$certs/certs/ec_leaf.pem" "$certs/certs/ec_int.pem"
      ls "$certs/certs/"*.pem | grep -Ev '/(ec_leaf|ec_int)\.pem$' | head -$(($1 - 2)) | xargs cat
    } > "$TB_RUN/chain-$1.pem"
}
chain_of 9
sec_peer 4 ok --cert "$TB_RUN/chain-9.pem" --key "$certs/keys/ec_leaf.key"
tb_deliver "$policy" "$PEER_NEXTHOP" oversize-chain-9 rcpt@dane.test
expect_rc 0 "9-certificate chain: delivered"
chain_of 10
sec_peer 8 ok --cert "$TB_RUN/chain-10.pem" --key "$certs/keys/ec_leaf.key"
tb_deliver "$policy" "$PEER_NEXTHOP" oversize-chain-10 rcpt@dane.test
expect_rc 75 "10-certificate chain: deferred"
expect_nothing_sent "10-certificate chain: nothing sent"

# 5. a certificate of more than 64 KiB (3000 subjectAltNames)
python3 - "$TB_RUN/huge.cnf" <<'PY'
import sys
names = ",".join("DNS:host-%05d.padding.dane.test" % i for i in range(3000))
open(sys.argv[1], "w").write(
    "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = ext\n"
    "[dn]\nCN = mx.dane.test\n[ext]\nsubjectAltName = DNS:mx.dane.test," + names + "\n")
PY
openssl req -x509 -new -key "$certs/keys/ec_leaf.key" -config "$TB_RUN/huge.cnf" \
    -days 2 -out "$TB_RUN/huge.pem" 2>/dev/null
size=$(openssl x509 -in "$TB_RUN/huge.pem" -outform DER | wc -c)
[ "$size" -gt 65536 ] || { echo "FATAL: huge certificate has only $size bytes"; exit 1; }
sec_peer 5 ok --cert "$TB_RUN/huge.pem" --key "$certs/keys/ec_leaf.key"
tb_deliver "$policy" "$PEER_NEXTHOP" oversize-cert rcpt@dane.test
expect_rc 75 "$size-byte certificate: deferred"
tb_log "$size-byte certificate: $(tail -1 <<<"$TB_ERR")"
expect_nothing_sent "$size-byte certificate: nothing sent"

# 6. a message over max_message_size (4K): bounce before any connection
sec_peer 6 ok
{ printf 'Subject: too big\n\n'; for i in $(seq 100); do printf '%079d\n' "$i"; done; } > "$TB_RUN/big.msg"
sec_deliver_file "$policy" "$PEER_NEXTHOP" "$TB_RUN/big.msg"
expect_rc 69 "message over max_message_size: bounced"
expect_err "5.3.4 message too big" "message over max_message_size: 5.3.4"
if [ -e "$PEER_DIR/peer-cred" ] || [ -e "$PEER_DIR/commands" ]; then
    tb_fail "message over max_message_size: the agent connected" "$(sec_context)"
else
    tb_pass "message over max_message_size: no connection"
fi

# 7. a message over the server's SIZE 10 (RFC 1870): bounce before MAIL
sec_peer 7 size-limit
{ printf 'Subject: over SIZE\n\n'; printf 'more than ten bytes\n'; } > "$TB_RUN/size.msg"
sec_deliver_file "$policy" "$PEER_NEXTHOP" "$TB_RUN/size.msg"
expect_rc 69 "message over the server's SIZE: bounced"
expect_err "5.3.4" "message over the server's SIZE: 5.3.4"
expect_err "exceeds size limit 10" "message over the server's SIZE: names the limit"
expect_nothing_sent "message over the server's SIZE: no MAIL, no DATA"

tb_done
