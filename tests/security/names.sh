#!/usr/bin/env bash
# names.sh - SNI and name confusion. The SNI the agent sends is the name it
# verifies against (policy servername), none for an address literal (RFC 6066
# §3); a certificate for another name fails verification and nothing is
# sent: a SAN for another name (a matching CN is ignored when a SAN exists,
# RFC 6125 §6.4.4), partial and non-leftmost wildcards (RFC 7672 §3.2.3,
# RFC 6125 §6.4.3), a certificate from another CA; at fingerprint level a
# certificate other than the pinned one fails.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/security/lib.bash"
sec_init names
certs=$TB_RUN/certs
ca=$certs/server/ecdsa/ca.pem

fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }

# peer_with N LEAF - peer.py serving certs/LEAF.pem + ec_int, key LEAF
peer_with() {
    cat "$certs/certs/$2.pem" "$certs/certs/ec_int.pem" > "$TB_RUN/$2.chain.pem"
    sec_peer "$1" ok --cert "$TB_RUN/$2.chain.pem" --key "$certs/keys/$2.key"
}

verify_entry='{ level: verify, servername: mx.dane.test, match: [mx.dane.test], ca_file: "'$ca'" }'
policy=$(sec_policy names <<Y
defaults:
  level: encrypt
  delivery_timeout: 30s
destinations:
  "[127.0.26.1]:2701": $verify_entry
  "[127.0.26.2]:2702": $verify_entry
  "[127.0.26.3]:2703": $verify_entry
  "[127.0.26.4]:2704": $verify_entry
  "[127.0.26.5]:2705": $verify_entry
  "[127.0.26.6]:2706": $verify_entry
  "[127.0.26.8]:2708": { level: fingerprint, match: ["sha256:$(fp "$certs/certs/ec_leaf.pem")"] }
  "[127.0.26.9]:2709": { level: fingerprint, match: ["sha256:$(fp "$certs/certs/ec_leaf.pem")"] }
Y
)

# sni_is WANT LABEL - the server name the peer received ("" = none sent)
sni_is() {
    if [ -f "$PEER_DIR/sni" ] && [ "$(cat "$PEER_DIR/sni")" = "$1" ]; then
        tb_pass "$2"
    else
        tb_fail "$2: SNI '$(cat "$PEER_DIR/sni" 2>/dev/null || echo '(no handshake)')', want '$1'" "$(sec_context)"
    fi
}

# refused LABEL [TEXT] - verification failure: 4.7.5 deferral (saying TEXT),
# nothing sent
refused() {
    expect_rc 75 "$1: deferred"
    expect_err "4.7.5" "$1: 4.7.5 reason"
    [ -z "${2:-}" ] || expect_err "$2" "$1: the reason says why"
    expect_nothing_sent "$1: nothing sent"
}
noname="server certificate name does not match"

# 1. the right name: Verified, SNI = the name verified
peer_with 1 ec_leaf
tb_deliver "$policy" "$PEER_NEXTHOP" names-good rcpt@dane.test
expect_rc 0 "verify, right name: delivered"
expect_json 'last["verification"] == "Verified" and last["sni"] == "mx.dane.test"' \
    "verify, right name: Verified, SNI reported"
sni_is mx.dane.test "verify: SNI sent is the expected name"

# 2. SAN for another name only
peer_with 2 ec_leaf_wrongname
tb_deliver "$policy" "$PEER_NEXTHOP" names-wrong rcpt@dane.test
refused "SAN mx.wrong.example" "$noname"
sni_is mx.dane.test "SAN mx.wrong.example: SNI was still the expected name"

# 3. CN matches, SAN names another host: the CN must be ignored
peer_with 3 ec_leaf_sanother
tb_deliver "$policy" "$PEER_NEXTHOP" names-cn rcpt@dane.test
refused "CN mx.dane.test with SAN other.dane.test" "$noname"

# 4. partial wildcard m*.dane.test
peer_with 4 ec_leaf_partial
tb_deliver "$policy" "$PEER_NEXTHOP" names-partial rcpt@dane.test
refused "partial wildcard m*.dane.test" "$noname"

# 5. non-leftmost wildcard mx.*.test
peer_with 5 ec_leaf_nonleft
tb_deliver "$policy" "$PEER_NEXTHOP" names-nonleft rcpt@dane.test
refused "non-leftmost wildcard mx.*.test" "$noname"

# 6. good names from an unrelated CA
sec_peer 6 ok --cert "$certs/certs/other_leaf.pem" --key "$certs/keys/other_leaf.key"
tb_deliver "$policy" "$PEER_NEXTHOP" names-otherca rcpt@dane.test
refused "right name, other CA"

# 7. address literal at encrypt: no SNI at all
sec_peer 7 ok
tb_deliver "$policy" "$PEER_NEXTHOP" names-literal rcpt@dane.test
expect_rc 0 "address literal at encrypt: delivered"
sni_is "" "address literal: no SNI sent"

# 8. fingerprint: the pinned certificate
peer_with 8 ec_leaf
tb_deliver "$policy" "$PEER_NEXTHOP" names-pin rcpt@dane.test
expect_rc 0 "fingerprint, pinned certificate: delivered"

# 9. fingerprint: another certificate with the same names
peer_with 9 ec_leaf_wild
tb_deliver "$policy" "$PEER_NEXTHOP" names-pin-other rcpt@dane.test
refused "fingerprint, other certificate with good names" "no pinned fingerprint matches"

tb_done
