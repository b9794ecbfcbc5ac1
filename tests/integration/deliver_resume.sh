#!/usr/bin/env bash
# deliver_resume.sh - `deliver` with the policy's session_cache against the
# real Postfix testbed (OpenSSL smtpd, TLS 1.3 and TLS 1.2 tickets): one
# process per message, as under pipe(8), so every resumption crosses
# processes through the cache directory. A resumed or resumable session must
# never cost a delivery: every message is sent, every session Verified (a
# resumed session is verified again from the restored chain), and a session
# whose verification failed is never stored.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/integration/lib/testbed.sh"
tb_init deliver-resume
tb_start_dns
tb_start_smtp
certs=$TB_RUN/certs/server

# deliver runs as nobody when started as root (privdrop): the cache
# directory must be that user's, mode 0700
cache=$TB_RUN/sessions
mkdir -m 700 "$cache"
chown nobody "$cache"
fp=$(openssl x509 -in "$certs/ecdsa/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)
policy=$(tb_policy resume <<Y
defaults:
  level: dane
  session_cache: $cache
destinations:
  "[127.0.25.11]": { level: fingerprint, match: ["sha256:$fp"] }
Y
)

for host in mx.dane.test tls12-ecdhe.dane.test; do
    echo "== $host: six messages, one process each"
    resumed=0
    for i in 1 2 3 4 5 6; do
        tb_deliver "$policy" "[$host]" "resume $host $i" rcpt@dane.test
        expect_rc 0 "$host message $i sent"
        expect_json 'last["verification"] == "Verified" and last["tlsa_match"] is not None' \
            "$host message $i: Verified with a TLSA match"
        python3 -c 'import json,sys; sys.exit(0 if json.loads(open(sys.argv[1]).readline())["tls"]["resumed"] else 1)' \
            "$TB_RUN/out" 2>/dev/null && resumed=$((resumed + 1))
    done
    [ "$resumed" -gt 0 ] && tb_pass "$host: $resumed of 6 sessions resumed" \
        || tb_fail "$host: no session was resumed (the cache is not used)"
done

echo "== a session that failed verification is never stored"
before=$(find "$cache" -type f | wc -l)
for i in 1 2; do
    tb_deliver "$policy" "[127.0.25.11]" "resume wrong pin $i" rcpt@dane.test
    expect_rc 75 "wrong pin $i deferred"
    expect_json 'not last["tls"]["resumed"]' "wrong pin $i: full handshake"
done
after=$(find "$cache" -type f | wc -l)
[ "$after" = "$before" ] && tb_pass "no cache entry for the failed host" \
    || tb_fail "cache grew from $before to $after entries after failed verifications"

tb_done
