#!/usr/bin/env bash
# deliver_dane.sh - `dane-agent deliver` end to end: the real DNS testbed
# (nsd + validating unbound, signed zones, tests/testbed/dns/README.md) and
# the real Postfix receiving profiles (tests/testbed/README.md). Each case
# checks the exit status, the one reason line on stderr, the JSON record and
# whether the message reached the receiving maildir: a DANE or DNSSEC
# failure must defer and never fall back to anything weaker, unless the
# message's header says TLS-Required: No (RFC 8689 §5) and the policy honours
# it (then opportunistic TLS, recorded as tls_required_no).
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/integration/lib/testbed.sh"
tb_init deliver-dane
tb_start_dns
tb_start_smtp
certs=$TB_RUN/certs/server

# sha256 fingerprint of a certificate, "AA:BB:..." (Postfix's notation)
cert_fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }

policy=$(tb_policy dane <<Y
defaults:
  level: dane
  connect_timeout: 5s
  helo_timeout: 10s
  delivery_timeout: 60s
destinations:
  unsigned.test: { level: dane-only }
  "[127.0.25.14]": { level: encrypt }
  "[127.0.25.15]": { level: may }
  "[127.0.25.16]": { level: encrypt }
  "[127.0.25.10]:25": { level: fingerprint, match: ["sha256:$(cert_fp "$certs/ecdsa/cert.pem")"] }
  "[127.0.25.11]:25": { level: fingerprint, match: ["sha256:$(cert_fp "$certs/ecdsa/cert.pem")"] }
  "[ecdsa.dane.test]": { level: verify, ca_file: "$certs/ecdsa/ca.pem", match: [hostname] }
  "[rsa.dane.test]": { level: verify, ca_file: "$certs/ecdsa/ca.pem", match: [hostname] }
  "[wrongname.dane.test]": { level: verify, ca_file: "$certs/wrongname/ca.pem", match: [hostname] }
  "[expired.dane.test]": { level: secure, ca_file: "$certs/expired/ca.pem" }
  "[tls12-dhe.dane.test]": { level: secure, ca_file: "$certs/rsa/ca.pem", match: [nexthop] }
Y
)
# a second policy: the static-RSA and anonymous servers at level may
may_policy=$(tb_policy may <<Y
defaults:
  level: may
Y
)

# not_sent_in_cleartext - no attempt in the JSON ended sent without TLS
no_cleartext='all(a["tls"] is None or a["tls"]["version"] for a in r) and not any(a["result"] == "sent" for a in r)'

echo "== Verified: DANE-EE through the secure MX"
tb_deliver "$policy" dane.test "dane verified" rcpt@dane.test
expect_rc 0 "dane.test sent"
expect_err_re '^dane-agent: Verified TLS connection established to mx\.dane\.test\[127\.0\.25\.10\]:25: TLSv1\.3 with cipher \S+ \([0-9]+/[0-9]+ bits\) key-exchange \S+ server-signature ECDSA \(P-256\) server-digest SHA256$' \
    "the Postfix-format Verified TLS line"
expect_err_re 'to=<rcpt@dane\.test>, relay=mx\.dane\.test\[127\.0\.25\.10\]:25, delay=[0-9.]+, delays=[0-9./]+, dsn=2\.0\.0, status=sent \(250 ' \
    "the Postfix-format delivery line"
expect_json 'len(r) == 1 and last["verification"] == "Verified" and last["result"] == "sent"' "JSON: one attempt, Verified, sent"
expect_json 'all(k in last for k in ("destination","mx","address","port","level","effective_level","dnssec","tlsa_base_domain","sni","tls","verification","tlsa_match","recipients","result","reason","timings"))' \
    "JSON: every field of the man page's record present"
expect_json 'last["dnssec"] == {"mx": "secure", "address": "secure", "tlsa": "secure"} and last["tlsa_base_domain"] == "mx.dane.test" and last["sni"] == "mx.dane.test" and last["effective_level"] == "dane"' \
    "JSON: DNSSEC statuses, TLSA base domain, SNI, effective level"
expect_json 'last["tlsa_match"] == {"usage": 3, "selector": 1, "mtype": 1, "depth": 0}' "JSON: matched 3 1 1 at depth 0"
expect_json 'last["policy_type"] == "tlsa" and last["policy_domain"] == "mx.dane.test" and any(x.startswith("3 1 1 ") for x in last["policy_string"]) and last["mx_host_pattern"] is None' \
    "JSON: RFC 8460 policy: tlsa, the TLSA base domain, the records"
expect_json 'all(k in last["tls"] for k in ("version","cipher","bits","key_exchange","server_signature","server_digest"))' "JSON: tls facts"
expect_json 'last["recipients"][0]["address"] == "rcpt@dane.test" and last["recipients"][0]["code"] == 250 and last["recipients"][0]["result"] == "sent"' \
    "JSON: per-recipient result"
expect_delivered "dane verified" rcpt@dane.test "message in the receiving maildir"

echo "== Verified: DANE-TA only (2 0 1 of the intermediate; name *.dane.test)"
tb_deliver "$policy" ta.dane.test "dane ta" rcpt@dane.test
expect_rc 0 "ta.dane.test sent"
expect_json 'last["verification"] == "Verified" and last["tlsa_match"]["usage"] == 2' "JSON: Verified by DANE-TA"
expect_delivered "dane ta" "DANE-TA message delivered"

echo "== secure TLSA that does not match: defer 4.7.5, nothing sent"
tb_deliver "$policy" mismatch.dane.test "dane mismatch" rcpt@dane.test
expect_rc 75 "mismatch deferred"
expect_err_re '^4\.7\.5 ' "stderr reason with 4.7.5"
expect_json "$no_cleartext" "JSON: no cleartext attempt"
expect_json 'last["rfc8460_result_type"] is not None' "JSON: RFC 8460 result type set"
expect_not_delivered "dane mismatch" "mismatch: nothing delivered"
expect_json 'len(r) == 1 and last["tls_required_no"] is False and last["verification"] == "Untrusted" and last["effective_level"] == "dane"' \
    "JSON: without TLS-Required: No, tls_required_no false, Untrusted at effective dane"

echo "== RFC 8689 §5 TLS-Required: No: the mismatching DANE host gets opportunistic TLS"
# agent/delivery/delivery.c tls_required_no(), relax_host(); the field is
# found by agent/smtp/header.c in the header as it is sent
tls_req_no='len(r) == 1 and last["result"] == "sent" and last["tls_required_no"] is True and last["verification"] == "Untrusted" and last["effective_level"] == "dane" and last["rfc8460_result_type"] == "validation-failure" and last["tls"]["version"]'
tls_req_kept='len(r) == 1 and last["result"] == "deferred" and last["tls_required_no"] is False and last["verification"] == "Untrusted" and last["effective_level"] == "dane"'
TB_HEADERS=$'TLS-Required: No\n'
tb_deliver "$policy" mismatch.dane.test "tlsreq mismatch" rcpt@dane.test
expect_rc 0 "TLS-Required: No, TLSA mismatch: sent"
expect_err_re '^dane-agent: Untrusted TLS connection established to mismatch\.dane\.test\[127\.0\.25\.10\]:25: TLSv1\.3 ' \
    "TLS-Required: No: the Untrusted TLS line (authentication failed, TLS kept)"
expect_err_re 'to=<rcpt@dane\.test>, relay=mismatch\.dane\.test\[127\.0\.25\.10\]:25, .*dsn=2\.0\.0, status=sent \(250 ' \
    "TLS-Required: No: the delivery line says sent"
expect_no_err_re '^[45]\.[0-9]+\.[0-9]+ ' "TLS-Required: No: no status line"
expect_json "$tls_req_no" "JSON: sent, tls_required_no true, Untrusted, effective dane, validation-failure, over TLS"
expect_delivered "tlsreq mismatch" "TLS-Required: No, TLSA mismatch: delivered"

echo "== TLS-Required: No not honoured: honor_tls_required_no false, dane-only, fingerprint"
noreq_policy=$(tb_policy noreq <<Y
defaults:
  level: dane
  honor_tls_required_no: false
Y
)
only_req_policy=$(tb_policy only-req <<Y
defaults:
  level: dane-only
  honor_tls_required_no: true
Y
)
tb_deliver "$noreq_policy" mismatch.dane.test "tlsreq not honoured" rcpt@dane.test
expect_rc 75 "honor_tls_required_no false: deferred"
expect_err_re '^4\.7\.5 TLS authentication failed for mismatch\.dane\.test\[127\.0\.25\.10\]' "honor_tls_required_no false: 4.7.5 authentication failed"
expect_json "$tls_req_kept" "honor_tls_required_no false: JSON deferred, tls_required_no false"
expect_not_delivered "tlsreq not honoured" "honor_tls_required_no false: nothing delivered"
tb_deliver "$only_req_policy" mismatch.dane.test "tlsreq dane-only" rcpt@dane.test
expect_rc 75 "dane-only: deferred despite TLS-Required: No"
expect_err_re '^4\.7\.5 TLS authentication failed for mismatch\.dane\.test\[127\.0\.25\.10\]' "dane-only: 4.7.5 authentication failed"
expect_json "$tls_req_kept and last[\"level\"] == \"dane-only\"" "dane-only: JSON deferred, tls_required_no false"
expect_not_delivered "tlsreq dane-only" "dane-only: nothing delivered"
tb_deliver "$policy" "[127.0.25.11]:25" "tlsreq fingerprint" rcpt@dane.test
expect_rc 75 "fingerprint, wrong pin: deferred despite TLS-Required: No"
expect_err_re '^4\.7\.5 ' "fingerprint: 4.7.5"
expect_json 'len(r) == 1 and last["result"] == "deferred" and last["tls_required_no"] is False and last["effective_level"] == "fingerprint"' \
    "fingerprint: JSON deferred, tls_required_no false"
expect_not_delivered "tlsreq fingerprint" "fingerprint: nothing delivered"

echo "== TLS-Required: No in other spellings, and where it is no header field"
TB_HEADERS=$'tls-required: no\n'
tb_deliver "$policy" mismatch.dane.test "tlsreq lower case" rcpt@dane.test
expect_rc 0 "tls-required: no (name and value in lower case): sent"
expect_json "$tls_req_no" "lower case: JSON tls_required_no true"
expect_delivered "tlsreq lower case" "lower case: delivered"
TB_HEADERS=$'TLS-Required:\n \t NO  \n'
tb_deliver "$policy" mismatch.dane.test "tlsreq folded" rcpt@dane.test
expect_rc 0 "TLS-Required folded, white space around NO: sent"
expect_json "$tls_req_no" "folded: JSON tls_required_no true"
expect_delivered "tlsreq folded" "folded: delivered"
TB_HEADERS=
TB_BODY=$'TLS-Required: No\n'
tb_deliver "$policy" mismatch.dane.test "tlsreq in body" rcpt@dane.test
TB_BODY=
expect_rc 75 "TLS-Required: No in the body only: deferred"
expect_err_re '^4\.7\.5 ' "in the body: 4.7.5"
expect_json "$tls_req_kept" "in the body: JSON deferred, tls_required_no false"
expect_not_delivered "tlsreq in body" "in the body: nothing delivered"
# a lone CR goes out as CRLF (agent/smtp/body.h): after the Date line it
# makes an empty line, so the field below it is in the body as sent
TB_HEADERS=$'\rTLS-Required: No\n'
tb_deliver "$policy" mismatch.dane.test "tlsreq after lone cr" rcpt@dane.test
TB_HEADERS=
expect_rc 75 "TLS-Required: No after a lone CR (in the body as sent): deferred"
expect_json "$tls_req_kept" "after a lone CR: JSON deferred, tls_required_no false"
expect_not_delivered "tlsreq after lone cr" "after a lone CR: nothing delivered"

echo "== TLS-Required: No changes nothing where DANE succeeds; without STARTTLS: cleartext"
TB_HEADERS=$'TLS-Required: No\n'
tb_deliver "$policy" dane.test "tlsreq verified" rcpt@dane.test
expect_rc 0 "TLS-Required: No, good DANE host: sent"
expect_err_re '^dane-agent: Verified TLS connection established to mx\.dane\.test\[127\.0\.25\.10\]:25: ' "good DANE host: the Verified TLS line"
expect_json 'len(r) == 1 and last["result"] == "sent" and last["verification"] == "Verified" and last["tls_required_no"] is False and last["effective_level"] == "dane" and last["rfc8460_result_type"] is None and last["tlsa_match"]["usage"] == 3' \
    "good DANE host: JSON Verified by DANE-EE, tls_required_no false"
expect_delivered "tlsreq verified" "good DANE host: delivered"
tb_deliver "$policy" static-rsa.dane.test "tlsreq static rsa" rcpt@dane.test
expect_rc 0 "TLS-Required: No, handshake impossible (static RSA only): sent in cleartext"
expect_json 'len(r) == 2 and r[0]["result"] == "deferred" and r[0]["tls_required_no"] is True and last["result"] == "sent" and not (last["tls"] or {}).get("version") and last["tls_required_no"] is True' \
    "static RSA: JSON a failed TLS attempt, then sent in cleartext (RFC 8689 §5)"
expect_delivered "tlsreq static rsa" "static RSA: delivered"
tb_deliver "$policy" no-starttls.dane.test "tlsreq no starttls" rcpt@dane.test
TB_HEADERS=
expect_rc 0 "TLS-Required: No, DANE host without STARTTLS: sent in cleartext"
expect_no_err "TLS connection established" "no STARTTLS: no TLS line"
expect_json 'len(r) == 1 and last["result"] == "sent" and last["tls_required_no"] is True and last["verification"] == "none" and not (last["tls"] or {}).get("version") and last["effective_level"] == "dane"' \
    "no STARTTLS: JSON sent without TLS, tls_required_no true"
expect_delivered "tlsreq no starttls" "no STARTTLS: delivered"

echo "== secure TLSA, usages 0/1 only (unusable): encrypt, Untrusted, sent"
tb_deliver "$policy" unusable.dane.test "dane unusable" rcpt@dane.test
expect_rc 0 "unusable.dane.test sent"
expect_json 'last["effective_level"] == "encrypt" and last["verification"] == "Untrusted"' "JSON: effective encrypt, Untrusted"
expect_json 'last["policy_type"] == "no-policy-found" and last["policy_domain"] == "unusable.dane.test" and last["policy_string"] == []' \
    "JSON: RFC 8460 policy: no usable TLSA is no-policy-found"
expect_delivered "dane unusable" "unusable-TLSA message delivered"

echo "== static-RSA-only server: never completes, never cleartext"
tb_deliver "$policy" static-rsa.dane.test "static rsa dane" rcpt@dane.test
expect_rc 75 "static-rsa at dane deferred"
expect_json "$no_cleartext and len(r) == 1" "JSON: one attempt, no cleartext retry at dane"
expect_not_delivered "static rsa dane" "static-rsa at dane: nothing delivered"
tb_deliver "$policy" "[127.0.25.14]" "static rsa encrypt" rcpt@dane.test
expect_rc 75 "static-rsa at encrypt deferred"
expect_json "$no_cleartext and len(r) == 1" "JSON: one attempt, no cleartext retry at encrypt"
expect_not_delivered "static rsa encrypt" "static-rsa at encrypt: nothing delivered"

echo "== no STARTTLS: dane defers (starttls-not-supported), may sends in cleartext"
tb_deliver "$policy" no-starttls.dane.test "no starttls dane" rcpt@dane.test
expect_rc 75 "no-starttls at dane deferred"
expect_err_re "^4\.7\.4 TLS is required, but was not offered by host no-starttls\.dane\.test" "stderr: 4.7.4 TLS required but not offered (Postfix's words)"
expect_json 'last["rfc8460_result_type"] == "starttls-not-supported"' "JSON: starttls-not-supported"
expect_not_delivered "no starttls dane" "no-starttls at dane: nothing delivered"
tb_deliver "$policy" "[127.0.25.15]" "no starttls may" rcpt@dane.test
expect_rc 0 "no-starttls at may sent"
expect_json 'last["tls"] is None or not last["tls"]["version"]' "JSON: sent without TLS"
expect_json 'last["verification"] == "none"' "JSON: verification none"
expect_no_err "TLS connection established" "no TLS line for a cleartext session"
expect_delivered "no starttls may" "cleartext message delivered at may"

echo "== anonymous-only server: never at dane/encrypt; at may Anonymous"
tb_deliver "$policy" anon.dane.test "anon dane" rcpt@dane.test
expect_rc 75 "anon at dane deferred"
expect_json "$no_cleartext" "JSON: no cleartext attempt at dane"
expect_not_delivered "anon dane" "anon at dane: nothing delivered"
tb_deliver "$policy" "[127.0.25.16]" "anon encrypt" rcpt@dane.test
expect_rc 75 "anon at encrypt deferred (no anonymous suites above may)"
expect_not_delivered "anon encrypt" "anon at encrypt: nothing delivered"
tb_deliver "$may_policy" "[127.0.25.16]" "anon may" rcpt@dane.test
expect_rc 0 "anon at may sent"
expect_json 'last["verification"] == "Anonymous" and last["tls"]["version"]' "JSON: Anonymous TLS at may"
expect_err "Anonymous TLS connection established" "Anonymous TLS line"
expect_delivered "anon may" "anonymous-TLS message delivered at may"

echo "== static-RSA at may: TLS fails, Postfix-style cleartext retry"
tb_deliver "$may_policy" "[127.0.25.14]" "static rsa may" rcpt@dane.test
expect_rc 0 "static-rsa at may sent"
expect_json 'len(r) == 2 and r[0]["result"] == "deferred" and r[1]["result"] == "sent" and not (r[1]["tls"] or {}).get("version")' \
    "JSON: failed TLS attempt, then cleartext"
expect_delivered "static rsa may" "static-rsa at may delivered in cleartext"

echo "== DNSSEC bogus: defer, never downgrade (the zones point at a working server)"
for dom in dsmismatch.test expired.test; do
    tb_deliver "$policy" "$dom" "bogus $dom" rcpt@dane.test
    expect_rc 75 "$dom deferred"
    expect_err_re '^4\.[0-9]\.[0-9]+ .*(bogus|DNSSEC|dnssec)' "$dom: stderr gives the DNSSEC reason"
    expect_not_delivered "bogus $dom" "$dom: nothing delivered"
    expect_json 'len(r) == 1 and last["result"] == "deferred" and last["mx"] is None and last["dnssec"]["mx"] == "bogus" and last["rfc8460_result_type"] == "dnssec-invalid"' \
        "$dom: JSON record without a server, dnssec-invalid"
    expect_err_re 'to=<rcpt@dane\.test>, relay=none, .*dsn=4\.4\.3, status=deferred' "$dom: Postfix-style relay=none line"
done
tb_deliver "$may_policy" dsmismatch.test "bogus at may" rcpt@dane.test
expect_rc 75 "dsmismatch.test at level may deferred too"
expect_not_delivered "bogus at may" "bogus at may: nothing delivered"

echo "== null MX and no such domain bounce"
tb_deliver "$policy" nullmx.test "null mx" rcpt@nullmx.test
expect_rc 69 "null MX bounced"
expect_err_re '^5\.1\.10 ' "null MX: 5.1.10"
expect_json 'last["result"] == "bounced" and last["recipients"][0]["enhanced"] == "5.1.10"' "null MX: JSON bounced 5.1.10"
tb_deliver "$policy" nosuch.dane.test "nxdomain" rcpt@nosuch.dane.test
expect_rc 69 "NXDOMAIN bounced"
expect_err_re '^5\.1\.2 ' "NXDOMAIN: 5.1.2"

echo "== bad RRSIG on a TLSA RRset: that host is unreachable"
tb_deliver "$policy" badsig.test "badsig failover" rcpt@dane.test
expect_rc 0 "badsig.test sent through mx2"
expect_json 'all(a["mx"] == "mx2.badsig.test" for a in r) and last["verification"] == "Verified"' \
    "JSON: mx.badsig.test never contacted, mx2 Verified"
expect_delivered "badsig failover" "badsig message delivered via mx2"
tb_deliver "$policy" "[mx.badsig.test]" "badsig only" rcpt@dane.test
expect_rc 75 "[mx.badsig.test] deferred"
expect_err_re '^4\.7\.5 .*TLSA' "stderr: TLSA lookup error, 4.7.5"
expect_json 'last["rfc8460_result_type"] == "dnssec-invalid"' "badsig only: JSON dnssec-invalid"
expect_not_delivered "badsig only" "badsig only: nothing delivered"

echo "== multi-MX failover: no STARTTLS, then a TLSA mismatch, then a good host"
tb_deliver "$policy" failover.test "failover" rcpt@dane.test
expect_rc 0 "failover.test sent by the third MX"
expect_json '[(a["mx"], a["result"]) for a in r] == [("mx1.failover.test", "deferred"), ("mx2.failover.test", "deferred"), ("mx3.failover.test", "sent")]' \
    "JSON: mx1 deferred, mx2 deferred, mx3 sent, in preference order"
expect_json 'r[0]["rfc8460_result_type"] == "starttls-not-supported" and r[1]["rfc8460_result_type"] is not None and last["verification"] == "Verified"' \
    "JSON: each failure typed, the last host Verified"
expect_delivered "failover" "failover message delivered once"

echo "== DANE-TA: the trust anchor matches, names and dates still count"
tb_deliver "$policy" wrongname-ta.dane.test "ta wrong name" rcpt@dane.test
expect_rc 75 "DANE-TA with a leaf of another name deferred"
expect_err_re '^4\.7\.5 ' "DANE-TA name failure: 4.7.5"
expect_json 'last["rfc8460_result_type"] == "certificate-host-mismatch"' "DANE-TA name failure: RFC 8460 certificate-host-mismatch (agent/delivery/verify.c)"
expect_not_delivered "ta wrong name" "DANE-TA name failure: nothing delivered"
tb_deliver "$policy" expired-ta.dane.test "ta expired" rcpt@dane.test
expect_rc 75 "DANE-TA with an expired leaf deferred"
expect_json 'last["rfc8460_result_type"] == "certificate-expired"' "DANE-TA expired leaf: RFC 8460 certificate-expired (agent/delivery/verify.c)"
expect_not_delivered "ta expired" "DANE-TA expired leaf: nothing delivered"

echo "== multi-MX: equal preferences (RSA and ECDSA hosts), both Verified"
tb_deliver "$policy" multi.test "multi" rcpt@dane.test
expect_rc 0 "multi.test sent"
expect_json 'last["mx"] in ("mx1.multi.test", "mx2.multi.test") and last["verification"] == "Verified"' "JSON: a preference-10 host, Verified"
expect_delivered "multi" "multi message delivered"

echo "== insecure MX, secure TLSA at the host: Trusted"
tb_deliver "$policy" insecuremx.unsigned.test "insecure mx" rcpt@dane.test
expect_rc 0 "insecuremx sent"
expect_json 'last["verification"] == "Trusted" and last["dnssec"]["mx"] == "insecure"' "JSON: Trusted, MX insecure"
expect_err "Trusted TLS connection established to mx.dane.test" "Trusted TLS line"
expect_delivered "insecure mx" "insecure-MX message delivered"

echo "== dane-only on an unsigned domain: defer"
tb_deliver "$policy" unsigned.test "dane only unsigned" rcpt@unsigned.test
expect_rc 75 "dane-only unsigned deferred"
expect_err_re '^4\.7\.5 ' "dane-only unsigned: 4.7.5"
expect_json 'last["rfc8460_result_type"] == "dane-required"' "dane-only unsigned: JSON dane-required"
expect_not_delivered "dane only unsigned" "dane-only: nothing delivered"

echo "== fingerprint"
tb_deliver "$policy" "[127.0.25.10]:25" "fingerprint right" rcpt@dane.test
expect_rc 0 "right pin sent"
expect_json 'last["verification"] == "Verified" and last["effective_level"] == "fingerprint"' "JSON: fingerprint Verified"
expect_delivered "fingerprint right" "right-pin message delivered"
tb_deliver "$policy" "[127.0.25.11]:25" "fingerprint wrong" rcpt@dane.test
expect_rc 75 "wrong pin deferred"
expect_err_re '^4\.7\.5 ' "wrong pin: 4.7.5"
expect_not_delivered "fingerprint wrong" "wrong pin: nothing delivered"

echo "== verify / secure with the testbed CA"
tb_deliver "$policy" "[ecdsa.dane.test]" "verify right" rcpt@dane.test
expect_rc 0 "verify right name and CA sent"
expect_json 'last["verification"] == "Verified" and last["effective_level"] == "verify"' "JSON: verify Verified"
expect_delivered "verify right" "verify message delivered"
tb_deliver "$policy" "[rsa.dane.test]" "verify wrong ca" rcpt@dane.test
expect_rc 75 "verify with another CA deferred"
expect_json 'last["rfc8460_result_type"] == "certificate-not-trusted"' "JSON: certificate-not-trusted"
expect_not_delivered "verify wrong ca" "wrong CA: nothing delivered"
tb_deliver "$policy" "[wrongname.dane.test]" "verify wrong name" rcpt@dane.test
expect_rc 75 "verify wrong name deferred"
expect_json 'last["rfc8460_result_type"] == "certificate-host-mismatch"' "JSON: certificate-host-mismatch"
expect_not_delivered "verify wrong name" "wrong name: nothing delivered"
tb_deliver "$policy" "[expired.dane.test]" "secure expired" rcpt@dane.test
expect_rc 75 "secure with an expired certificate deferred"
expect_json 'last["rfc8460_result_type"] == "certificate-expired"' "JSON: certificate-expired"
expect_not_delivered "secure expired" "expired: nothing delivered"
tb_deliver "$policy" "[tls12-dhe.dane.test]" "secure dhe" rcpt@dane.test
expect_rc 0 "secure, TLS 1.2 DHE, RSA chain sent"
expect_json 'last["verification"] == "Verified" and last["tls"]["version"] == "TLSv1.2" and "DHE" in (last["tls"]["key_exchange"] or "")' \
    "JSON: TLSv1.2 DHE Verified"
expect_delivered "secure dhe" "DHE message delivered"

echo "== per recipient: 550 bounces, 450 defers, mixed"
tb_deliver "$policy" dane.test "rcpt reject" reject@dane.test
expect_rc 69 "reject@ bounced"
expect_err_re '^5\.1\.1 ' "reject@: 5.1.1 on stderr"
tb_deliver "$policy" dane.test "rcpt defer" defer@dane.test
expect_rc 75 "defer@ deferred"
expect_err_re '^4\.2\.0 ' "defer@: 4.2.0 on stderr"
tb_deliver "$policy" dane.test "rcpt mixed" ok1@dane.test reject@dane.test defer@dane.test ok2@dane.test
expect_rc 75 "mixed request deferred (a recipient is still pending)"
expect_json 'len(r) == 1 and [(x["address"], x["result"], x["code"]) for x in last["recipients"]] == [("ok1@dane.test", "sent", 250), ("reject@dane.test", "bounced", 550), ("defer@dane.test", "deferred", 450), ("ok2@dane.test", "sent", 250)]' \
    "JSON: each recipient's own result"
expect_err_re 'to=<reject@dane\.test>.*dsn=5\.1\.1, status=bounced' "delivery line: reject@ bounced"
expect_err_re 'to=<defer@dane\.test>.*dsn=4\.2\.0, status=deferred' "delivery line: defer@ deferred"
expect_delivered "rcpt mixed" ok1@dane.test "mixed: ok1 delivered"
expect_delivered "rcpt mixed" ok2@dane.test "mixed: ok2 delivered"
if bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "rcpt mixed" --to defer@dane.test >/dev/null; then
    tb_fail "mixed: defer@ delivered"
else
    tb_pass "mixed: defer@ not delivered"
fi

echo "== DANE-EE ignores names and dates; every TLS profile Verified"
for host in rsa tls12-ecdhe tls12-dhe wrongname expired selfsigned; do
    tb_deliver "$policy" "$host.dane.test" "profile $host" rcpt@dane.test
    expect_rc 0 "$host.dane.test sent"
    expect_json 'last["verification"] == "Verified" and last["tlsa_match"]["usage"] == 3' "$host: Verified by DANE-EE"
    expect_delivered "profile $host" "$host: delivered"
done
tb_deliver "$policy" tls12-ecdhe.dane.test "tls12 check" rcpt@dane.test
expect_json 'last["tls"]["version"] == "TLSv1.2" and (last["tls"]["key_exchange"] or "").replace("ECDHE (", "").rstrip(")") in ("X25519", "P-256", "P-384")' \
    "tls12-ecdhe: TLSv1.2 with an ECDHE group"

echo "== a TLSA RRset too big for UDP (TCP after truncation)"
tb_deliver "$policy" big.dane.test "big tlsa" rcpt@dane.test
expect_rc 0 "big.dane.test sent"
expect_json 'last["verification"] == "Verified" and last["dnssec"]["tlsa"] == "secure"' "big.dane.test: Verified, TLSA secure"

echo "== CNAME to a secure host, implicit MX"
tb_deliver "$policy" cname.test "cname" rcpt@cname.test
expect_rc 0 "cname.test sent"
expect_json 'last["tlsa_base_domain"] == "mx.dane.test" and last["sni"] == "mx.dane.test" and last["verification"] == "Verified"' \
    "cname.test: TLSA base and SNI = the expanded name"
tb_deliver "$policy" nomx.test "implicit mx" rcpt@nomx.test
expect_rc 0 "nomx.test sent (implicit MX)"
expect_json 'last["mx"] == "nomx.test" and last["verification"] == "Verified"' "nomx.test: Verified"

echo "== secure domain without TLSA, unsigned host address: opportunistic TLS"
for dom in nsec.test nsec3.test addrunsigned.test; do
    tb_deliver "$policy" "$dom" "may $dom" rcpt@dane.test
    expect_rc 0 "$dom sent"
    expect_json 'last["effective_level"] == "may" and last["tls"]["version"] and last["verification"] in ("Untrusted", "Trusted")' \
        "$dom: effective may, TLS used, not Verified"
done

echo "== dane-only on a DANE domain: Verified; level none: cleartext"
only_policy=$(tb_policy only <<'Y'
defaults:
  level: dane-only
destinations:
  "[127.0.25.10]": { level: none }
Y
)
tb_deliver "$only_policy" dane.test "dane only ok" rcpt@dane.test
expect_rc 0 "dane-only dane.test sent"
expect_json 'last["verification"] == "Verified" and last["level"] == "dane-only"' "dane-only: Verified"
tb_deliver "$only_policy" "[127.0.25.10]" "level none" rcpt@dane.test
expect_rc 0 "level none sent"
expect_json 'last["tls"] is None or not last["tls"]["version"]' "level none: no STARTTLS although offered"
expect_delivered "level none" "level none: delivered"

echo "== message content: dot-stuffing, lone CR/LF, 8-bit, SMTPUTF8"
body=$TB_RUN/body.eml
printf 'From: <sender@sender.test>\nSubject: content check\nContent-Type: text/plain; charset=utf-8\n\nfirst\n.\n..two dots\n.leading dot\nlone CR\rin a line\n\r\n.\r\nsmuggle\r\n8-bit: gr\xc3\xbc\xc3\x9fe\nEND-MARKER\n' > "$body"
rc=0
"$DANE_AGENT" deliver -c "$policy" -f sender@sender.test -n dane.test -- rcpt@dane.test \
    < "$body" > /dev/null 2> "$TB_RUN/err" || rc=$?
TB_RC=$rc TB_ERR=$(cat "$TB_RUN/err") TB_OUT=
expect_rc 0 "content message sent"
if f=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "content check" --wait 10); then
    python3 - "$f" <<'PY' && tb_pass "body arrived whole: dot lines un-stuffed, nothing cut, 8-bit intact" \
        || tb_fail "body mangled" "$(cat -A "$f" | tail -n 15)"
import sys
data = open(sys.argv[1], "rb").read()
body = data.split(b"\n\n", 1)[1].replace(b"\r\n", b"\n")
lines = body.split(b"\n")
want = [b"first", b".", b"..two dots", b".leading dot"]
assert lines[:4] == want, lines[:4]
assert b"smuggle" in body and b"END-MARKER" in body, body
assert "grüße".encode() in body, body
PY
else
    tb_fail "content message not delivered"
fi
tb_deliver "$policy" dane.test "utf8 rcpt" "jörg@dane.test"
expect_rc 0 "SMTPUTF8 recipient sent"
# (findmsg.py --to cannot match a UTF-8 Delivered-To: header; grep it)
if f=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "utf8 rcpt" --wait 10) \
        && grep -q '^Delivered-To: jörg@dane.test' $f; then
    tb_pass "SMTPUTF8 recipient delivered"
else
    tb_fail "SMTPUTF8 recipient not delivered"
fi

echo "== limits and bad configuration"
small_policy=$(tb_policy small <<'Y'
defaults:
  level: dane
  max_message_size: 100
Y
)
tb_deliver "$small_policy" dane.test "too big for the policy limit, padded beyond one hundred octets of message" rcpt@dane.test
expect_rc 69 "message over max_message_size bounced"
expect_err_re '^5\.3\.4 ' "too big: 5.3.4"
expect_not_delivered "too big for the policy limit, padded beyond one hundred octets of message" "too big: nothing delivered"
TB_OPTS=(--report /nonexistent/dir/report.jsonl)
tb_deliver "$policy" dane.test "bad report path" rcpt@dane.test
TB_OPTS=()
expect_rc 78 "unwritable --report path: configuration error"
expect_not_delivered "bad report path" "bad report path: nothing delivered"
lame_policy=$(tb_policy lame <<'Y'
defaults:
  level: dane
  delivery_timeout: 2s
Y
)
tb_deliver "$lame_policy" lame.test "lame" rcpt@lame.test
expect_rc 75 "lame delegation deferred"
expect_err "lame.test: no upstream answered in time" "lame: the MX lookup timed out"
# the DNS lookups wait no longer than the delivery deadline (2 s), not the
# policy's 5 s DNS timeout nor the last-resort alarm 5 s after the deadline
[ "$TB_ELAPSED_MS" -lt 4000 ] && tb_pass "lame: gave up after ${TB_ELAPSED_MS} ms (deadline 2 s)" \
    || tb_fail "lame: took ${TB_ELAPSED_MS} ms (deadline 2 s)" "$(tb_context)"

echo "== --report FILE appends one JSON line per attempt"
report=$TB_RUN/report.jsonl
TB_OPTS=(--report "$report")
tb_deliver "$policy" dane.test "report 1" rcpt@dane.test
tb_deliver "$may_policy" "[127.0.25.14]" "report 2" rcpt@dane.test
TB_OPTS=()
if python3 - "$report" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert len(r) == 3, len(r)      # one, then a TLS attempt and a cleartext retry
assert r[0]["result"] == "sent" and r[0]["verification"] == "Verified"
assert [a["result"] for a in r[1:]] == ["deferred", "sent"]
PY
then tb_pass "report file: 3 lines for 3 attempts"; else tb_fail "report file content" "$(cat "$report")"; fi

tb_done
