#!/usr/bin/env bash
# mta_sts.sh - MTA-STS (RFC 8461) end to end: the real DNS testbed (the
# unsigned sts-*.test zones and the signed sts-dane.test of
# tests/testbed/dns/start.sh, with _mta-sts TXT records), the real nginx of
# tests/testbed/https serving each domain's policy (or a failure) at
# https://mta-sts.<domain>/.well-known/mta-sts.txt on 127.0.27.10, and the
# real Postfix receivers. The usual MX is notlsa.dane.test (127.0.25.10,
# certificate *.dane.test from the testbed CA, no TLSA): DANE does not
# govern it, so only MTA-STS can demand its authentication.
#
# Checked per domain: deliver's exit status, stderr, JSON record (policy_type,
# policy_string, mx_host_pattern, effective_level) and the receiving
# maildir; probe --dns-only --json's "mta_sts" object. A policy that must not
# be in force is always a mismatching enforce policy where one is served, so
# applying it by mistake would defer. A message with TLS-Required: No
# (RFC 8689 §5) goes to the mismatching and the bad-certificate MX all the
# same, unless honor_tls_required_no is false. Last, the cache (§5.1): a policy
# fetched once is kept, a new TXT id fetches the new policy, and a failed
# fetch leaves the cached policy in force; then the proactive refresh (§3.3)
# of a short-lived policy under the same id, a failed refresh, and expiry.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/integration/lib/testbed.sh"
tb_init mta-sts
tb_start_dns
tb_start_smtp
tb_start_https
t_start=$SECONDS
ca=$TB_RUN/certs/server/ecdsa/ca.pem    # the testbed CA: SMTP hosts and policy hosts
www=$(head -n1 "$TB_RUN/https/www.path")  # the files nginx serves

# The agent, started as root, runs as the policy's user (nobody), which owns
# the cache directory (DNS answers and MTA-STS policies, dns.cache).
cache=$TB_RUN/cache
mkdir -m 700 "$cache"
[ "$(id -u)" -ne 0 ] || chown nobody: "$cache"

# Two policies: with the cache (deliveries, the cache cases), and without it
# (probes that must show a fresh fetch every time). tb_policy writes the DNS
# testbed's dns: section last before stdin, so an indented first line of
# stdin continues that section.
entry="defaults:
  level: dane
  ca_file: $ca
  connect_timeout: 5s
  delivery_timeout: 60s"
policy=$(printf '  cache: %s\n%s\n' "$cache" "$entry" | tb_policy sts)
nocache=$(printf '%s\n' "$entry" | tb_policy sts-nocache)
# and one that does not honour TLS-Required: No (RFC 8689 §5)
noreq=$(printf '%s\n  honor_tls_required_no: false\n' "$entry" | tb_policy sts-noreq)
grep -q "^  cache: $cache\$" "$policy" || { echo "FATAL: no dns.cache in $policy" >&2; exit 1; }

# probe POLICY DEST - probe --dns-only --json; TB_RC, TB_OUT, TB_ERR
probe() {
    TB_RC=0
    timeout 60 "$DANE_AGENT" probe -c "$1" --dns-only --json "$2" \
        > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
    TB_OUT=$(cat "$TB_RUN/out")
    TB_ERR=$(cat "$TB_RUN/err")
}
# sts_entry DOMAIN - the cache entry file holding DOMAIN's policy (magic
# DANEST01, agent/sts/sts_cache.h), if any
sts_entry() {
    local f
    for f in "$cache"/*; do
        if [ -f "$f" ] && [ "$(head -c 8 "$f")" = DANEST01 ] && grep -qaF "$1" "$f"; then
            echo "$f"
            return 0
        fi
    done
}

sent_verified_sts='len(r) == 1 and last["result"] == "sent" and last["verification"] == "Verified" and last["effective_level"] == "mta-sts" and last["authenticated_by"] == "mta-sts" and last["sending_ip"] == "127.0.0.1"'
never_sent='not any(a["result"] == "sent" for a in r) and all(a["tls"] is None or a["tls"]["version"] for a in r)'
no_policy_may='last["result"] == "sent" and last["policy_type"] == "no-policy-found" and last["mx_host_pattern"] is None and last["effective_level"] == "may"'

echo "== enforce, MX matches *.dane.test: PKIX to the MX name, Verified"
probe "$nocache" sts-enforce.test
expect_rc 0 "probe sts-enforce.test"
expect_json 'last["mta_sts"]["txt"] == "insecure" and last["mta_sts"]["id"] == "enforce1" and last["mta_sts"]["source"] == "fetched" and last["mta_sts"]["failure"] is None' \
    "probe: the one STSv1 TXT record (the other TXT discarded), policy fetched"
expect_json '"mode: enforce" in last["mta_sts"]["policy"] and "mx: *.dane.test" in last["mta_sts"]["policy"] and "mx: mx.elsewhere.example" in last["mta_sts"]["policy"]' \
    "probe: the policy lines"
expect_json 'len(last["hosts"]) == 1 and last["hosts"][0]["name"] == "notlsa.dane.test" and last["hosts"][0]["mta_sts"] == "enforced" and last["hosts"][0]["mx_host_pattern"] == "*.dane.test" and last["hosts"][0]["effective_level"] == "mta-sts" and last["hosts"][0]["sni"] == "notlsa.dane.test"' \
    "probe: notlsa.dane.test enforced by *.dane.test, effective mta-sts, SNI the MX name"
tb_deliver "$policy" sts-enforce.test "sts enforce" rcpt@sts-enforce.test
expect_rc 0 "sts-enforce.test sent"
expect_err_re '^dane-agent: Verified TLS connection established to notlsa\.dane\.test\[127\.0\.25\.10\]:25: TLSv1\.[23] ' \
    "the Verified TLS line"
expect_json "$sent_verified_sts" "JSON: one attempt, sent, Verified, effective mta-sts"
expect_err_re '^dane-agent: notlsa\.dane\.test\[127\.0\.25\.10\]:25: Verified via MTA-STS policy of sts-enforce\.test \(mx pattern \*\.dane\.test\)$' \
    "stderr: Verified via MTA-STS, the policy and the pattern matched"
expect_json 'last["policy_type"] == "sts" and last["policy_domain"] == "sts-enforce.test" and last["mx_host_pattern"] == "*.dane.test" and "mode: enforce" in last["policy_string"] and "mx: *.dane.test" in last["policy_string"]' \
    "JSON: RFC 8460 policy sts, the policy lines, the pattern matched"
expect_json 'last["tlsa_match"] is None and last["dnssec"]["mx"] == "insecure"' "JSON: no TLSA involved, MX insecure"
expect_delivered "sts enforce" rcpt@sts-enforce.test "sts-enforce: delivered"
f=$(sts_entry sts-enforce.test)
if [ -n "$f" ] && grep -qa 'enforce1' "$f" && grep -qa 'mx: \*\.dane\.test' "$f"; then
    tb_pass "cache: an entry with the domain, its TXT id and the policy text"
else
    tb_fail "cache: no MTA-STS entry for sts-enforce.test" "$(ls -la "$cache")"
fi

echo "== enforce, MX matches no pattern: defer 4.7.5, nothing sent"
probe "$nocache" sts-mismatch.test
expect_json 'last["mta_sts"]["source"] == "fetched" and last["mta_sts"]["id"] == "mismatch1" and last["mta_sts"]["policy"] == ["version: STSv1", "mode: enforce", "mx: mx.elsewhere.example", "max_age: 86400"]' \
    "probe: the mismatching policy fetched"
expect_json 'last["hosts"][0]["mta_sts"] == "mismatch" and last["hosts"][0]["mx_host_pattern"] is None and last["hosts"][0]["enhanced"] == "4.7.5" and last["result"] == "defer"' \
    "probe: notlsa.dane.test matches no pattern: 4.7.5, the destination defers"
tb_deliver "$policy" sts-mismatch.test "sts mismatch" rcpt@sts-mismatch.test
expect_rc 75 "sts-mismatch.test deferred"
expect_err_re '^4\.7\.5 ' "stderr: 4.7.5"
expect_err "notlsa.dane.test" "stderr names the MX host"
expect_json "$never_sent and all(a[\"address\"] is None for a in r)" "JSON: no connection made"
expect_json 'last["policy_type"] == "sts" and last["policy_domain"] == "sts-mismatch.test" and "mode: enforce" in last["policy_string"]' \
    "JSON: the plan's record names the MTA-STS policy (a failed session for TLSRPT)"
expect_not_delivered "sts mismatch" "sts-mismatch: nothing delivered"
expect_json 'len(r) == 1 and last["tls_required_no"] is False and last["rfc8460_result_type"] == "validation-failure"' \
    "JSON: tls_required_no false, validation-failure"

echo "== RFC 8689 §5: TLS-Required: No, the MX the enforce policy rules out is tried"
# agent/delivery/delivery.c relax_host(): a host skipped only for MTA-STS is
# tried with opportunistic TLS; its record says so and keeps the failure
TB_HEADERS=$'TLS-Required: No\n'
tb_deliver "$policy" sts-mismatch.test "sts mismatch tlsreq" rcpt@sts-mismatch.test
expect_rc 0 "sts-mismatch.test with TLS-Required: No: sent"
expect_err_re '^dane-agent: Trusted TLS connection established to notlsa\.dane\.test\[127\.0\.25\.10\]:25: TLSv1\.[23] ' \
    "the Trusted TLS line (opportunistic TLS; PKIX by the policy's ca_file, no name demanded)"
expect_err_re 'to=<rcpt@sts-mismatch\.test>, relay=notlsa\.dane\.test\[127\.0\.25\.10\]:25, .*dsn=2\.0\.0, status=sent \(250 ' \
    "the delivery line says sent"
expect_no_err_re '^[45]\.[0-9]+\.[0-9]+ ' "no status line"
expect_json 'len(r) == 1 and last["result"] == "sent" and last["tls_required_no"] is True and last["verification"] == "Trusted" and last["tls"]["version"]' \
    "JSON: one attempt, sent over TLS, tls_required_no true, Trusted (not Verified)"
expect_json 'last["effective_level"] == "defer" and last["policy_type"] == "sts" and last["mx_host_pattern"] is None and last["rfc8460_result_type"] == "validation-failure"' \
    "JSON: the policy's verdict kept: effective defer, sts, no pattern, validation-failure"
expect_delivered "sts mismatch tlsreq" rcpt@sts-mismatch.test "sts-mismatch with TLS-Required: No: delivered"
tb_deliver "$noreq" sts-mismatch.test "sts mismatch tlsreq off" rcpt@sts-mismatch.test
TB_HEADERS=
expect_rc 75 "honor_tls_required_no false: deferred"
expect_err_re '^4\.7\.5 .*notlsa\.dane\.test' "honor_tls_required_no false: 4.7.5 for the MX"
expect_json "$never_sent and len(r) == 1 and last[\"address\"] is None and last[\"tls_required_no\"] is False" \
    "honor_tls_required_no false: JSON no connection, tls_required_no false"
expect_not_delivered "sts mismatch tlsreq off" "honor_tls_required_no false: nothing delivered"

echo "== enforce, MX matches but its certificate is not valid for the name"
tb_deliver "$policy" sts-badcert.test "sts badcert" rcpt@sts-badcert.test
expect_rc 75 "sts-badcert.test deferred"
expect_err_re '^4\.7\.5 ' "stderr: 4.7.5"
expect_json '[a["mx"] for a in r] == ["mx1.sts-badcert.test", "mx2.sts-badcert.test", "mx3.sts-badcert.test"]' \
    "JSON: every MX tried once, in order"
expect_json "$never_sent" "JSON: never sent, never in cleartext"
expect_json 'all(a["effective_level"] == "mta-sts" and a["policy_type"] == "sts" and a["mx_host_pattern"] == "*.sts-badcert.test" for a in r)' \
    "JSON: each at effective level mta-sts under the policy"
expect_json 'all((a["rfc8460_result_type"] or "").startswith("certificate-") for a in r) and r[0]["rfc8460_result_type"] == "certificate-host-mismatch" and r[2]["rfc8460_result_type"] == "certificate-not-trusted"' \
    "JSON: wrong name (host mismatch), expired, self-signed (not trusted)"
expect_not_delivered "sts badcert" "sts-badcert: nothing delivered"
expect_json 'all(a["tls_required_no"] is False and a["verification"] != "Verified" for a in r)' \
    "JSON: tls_required_no false, never Verified"

echo "== TLS-Required: No: the first MX with a bad certificate takes the message"
TB_HEADERS=$'TLS-Required: No\n'
tb_deliver "$policy" sts-badcert.test "sts badcert tlsreq" rcpt@sts-badcert.test
TB_HEADERS=
expect_rc 0 "sts-badcert.test with TLS-Required: No: sent"
expect_err_re '^dane-agent: Trusted TLS connection established to mx1\.sts-badcert\.test\[127\.0\.25\.17\]:25: ' \
    "the Trusted TLS line for mx1 (its name is not in the certificate)"
expect_err_re 'to=<rcpt@sts-badcert\.test>, relay=mx1\.sts-badcert\.test\[127\.0\.25\.17\]:25, .*status=sent ' "the delivery line says sent"
expect_no_err_re '^[45]\.[0-9]+\.[0-9]+ ' "no status line"
expect_json 'len(r) == 1 and last["mx"] == "mx1.sts-badcert.test" and last["result"] == "sent" and last["tls_required_no"] is True and last["verification"] == "Trusted"' \
    "JSON: one attempt, mx1, sent, tls_required_no true, Trusted (not Verified)"
expect_json 'last["effective_level"] == "mta-sts" and last["mx_host_pattern"] == "*.sts-badcert.test" and last["rfc8460_result_type"] == "certificate-host-mismatch"' \
    "JSON: effective mta-sts, the pattern, the failure let through: certificate-host-mismatch"
expect_delivered "sts badcert tlsreq" rcpt@sts-badcert.test "sts-badcert with TLS-Required: No: delivered"

echo "== testing mode: a mismatching MX is still used"
probe "$nocache" sts-testing.test
expect_json 'last["mta_sts"]["source"] == "fetched" and "mode: testing" in last["mta_sts"]["policy"] and last["hosts"][0]["mta_sts"] == "testing" and last["hosts"][0]["effective_level"] == "may"' \
    "probe: testing, effective may"
tb_deliver "$policy" sts-testing.test "sts testing" rcpt@sts-testing.test
expect_rc 0 "sts-testing.test sent"
expect_json 'last["result"] == "sent" and last["effective_level"] == "may" and last["policy_type"] == "sts" and last["mx_host_pattern"] is None and "mode: testing" in last["policy_string"]' \
    "JSON: sent at may, reported under the testing policy, no pattern matched"
expect_delivered "sts testing" rcpt@sts-testing.test "sts-testing: delivered"

echo "== mode none: as without MTA-STS"
probe "$nocache" sts-none.test
expect_json 'last["mta_sts"]["source"] == "fetched" and "mode: none" in last["mta_sts"]["policy"] and last["hosts"][0]["mta_sts"] == "none" and last["hosts"][0]["effective_level"] == "may"' \
    "probe: policy none fetched, host unchanged (may)"
tb_deliver "$policy" sts-none.test "sts none" rcpt@sts-none.test
expect_rc 0 "sts-none.test sent"
expect_json "$no_policy_may" "JSON: no-policy-found, effective may"
expect_delivered "sts none" rcpt@sts-none.test "sts-none: delivered"

echo "== the policy cannot be fetched: no policy in force, delivery as without"
for c in sts-404:sts-policy-fetch-error sts-redirect:sts-policy-fetch-error \
         sts-html:sts-policy-fetch-error sts-big:sts-policy-fetch-error \
         sts-badtls:sts-webpki-invalid sts-badname:sts-webpki-invalid; do
    dom=${c%%:*}.test failure=${c#*:}
    probe "$nocache" "$dom"
    expect_rc 0 "probe $dom"
    expect_json "last[\"mta_sts\"][\"txt\"] == \"insecure\" and last[\"mta_sts\"][\"id\"] is not None and last[\"mta_sts\"][\"source\"] == \"none\" and last[\"mta_sts\"][\"failure\"] == \"$failure\" and last[\"mta_sts\"][\"policy\"] == []" \
        "probe $dom: TXT found, source none, failure $failure"
    expect_json 'last["hosts"][0]["mta_sts"] == "none" and last["hosts"][0]["effective_level"] == "may"' \
        "probe $dom: host unchanged (may)"
    tb_deliver "$policy" "$dom" "fetch failure $dom" "rcpt@$dom"
    expect_rc 0 "$dom sent"
    expect_json "$no_policy_may" "$dom: JSON no-policy-found, effective may"
    expect_delivered "fetch failure $dom" "rcpt@$dom" "$dom: delivered"
    [ -z "$(sts_entry "$dom")" ] && tb_pass "$dom: nothing cached" ||
        tb_fail "$dom: a policy was cached"
done

echo "== the TXT record announces no policy: two STSv1 records, a malformed one"
for dom in sts-twotxt.test sts-badtxt.test; do
    probe "$nocache" "$dom"
    expect_rc 0 "probe $dom"
    expect_json 'last["mta_sts"]["txt"] == "insecure" and last["mta_sts"]["id"] is None and last["mta_sts"]["source"] == "none" and last["mta_sts"]["failure"] is None and last["mta_sts"]["policy"] == [] and last["hosts"][0]["mta_sts"] == "none"' \
        "probe $dom: no policy announced, nothing fetched"
    tb_deliver "$policy" "$dom" "txt $dom" "rcpt@$dom"
    expect_rc 0 "$dom sent"
    expect_json "$no_policy_may" "$dom: JSON no-policy-found, effective may"
    expect_delivered "txt $dom" "rcpt@$dom" "$dom: delivered"
done
probe "$nocache" sts-twotxt.test
expect_json '"more than one" in last["mta_sts"]["note"]' "probe sts-twotxt.test: the note says why"

echo "== DANE and MTA-STS: DANE governs the host with usable TLSA (RFC 8461 §2)"
probe "$nocache" sts-dane.test
expect_json 'last["mx"]["status"] == "secure" and last["mta_sts"]["source"] == "fetched" and [(h["name"], h["mta_sts"], h["effective_level"]) for h in last["hosts"]] == [("mx.sts-dane.test", "dane", "dane"), ("notlsa.dane.test", "mismatch", "defer")]' \
    "probe: mx.sts-dane.test governed by DANE, notlsa.dane.test skipped by the mismatching policy"
tb_deliver "$policy" sts-dane.test "sts dane" rcpt@sts-dane.test
expect_rc 0 "sts-dane.test sent"
expect_json 'len(r) == 1 and last["mx"] == "mx.sts-dane.test" and last["result"] == "sent" and last["verification"] == "Verified" and last["effective_level"] == "dane" and last["tlsa_match"]["usage"] == 3' \
    "JSON: sent to mx.sts-dane.test, Verified by DANE-EE (its name is not in the certificate)"
expect_json 'last["policy_type"] == "tlsa" and last["mx_host_pattern"] is None and last["policy_domain"] == "mx.sts-dane.test"' \
    "JSON: RFC 8460 policy tlsa"
expect_delivered "sts dane" rcpt@sts-dane.test "sts-dane: delivered"

echo "== one MX set, two domains: a policy never applies to another domain"
tb_deliver "$policy" sts-shared-a.test "shared a" rcpt@sts-shared-a.test
expect_rc 75 "sts-shared-a.test (mismatching enforce) deferred"
expect_not_delivered "shared a" "sts-shared-a: nothing delivered"
probe "$policy" sts-shared-b.test
expect_json 'last["mta_sts"]["source"] == "none" and last["mta_sts"]["id"] is None and last["mta_sts"]["txt"] == "nxdomain-insecure" and last["hosts"][0]["mta_sts"] == "none"' \
    "probe sts-shared-b.test (the cache holds sts-shared-a's policy): no policy"
tb_deliver "$policy" sts-shared-b.test "shared b" rcpt@sts-shared-b.test
expect_rc 0 "sts-shared-b.test (no MTA-STS) sent through the same MX"
expect_json "$no_policy_may" "sts-shared-b: JSON no-policy-found, effective may"
expect_delivered "shared b" rcpt@sts-shared-b.test "sts-shared-b: delivered"

echo "== the cache (RFC 8461 §3.1, §5.1): kept per id, refreshed on a new id, kept when a fetch fails"
zone=$TB_RUN/dns/zones/sts-cache.test
served=$www/sts/mta-sts.sts-cache.test.txt
reloads=0
# set_cache_id ID - publish _mta-sts.sts-cache.test TXT "v=STSv1; id=ID":
# rewrite the unsigned zone, reload nsd (SIGHUP, by the PID its testbed
# wrote), wait until the resolver answers the new record (TTL 1 s), then
# past the TTL so that no cached answer is left anywhere
set_cache_id() {
    local i
    reloads=$((reloads + 1))
    sed -i -E "s/id=[A-Za-z0-9]+/id=$1/" "$zone"
    touch -d "@$(( $(date +%s) + reloads ))" "$zone"    # nsd reloads a newer mtime
    kill -HUP "$(head -n1 "$TB_RUN/dns/nsd.pid")"
    for i in $(seq 50); do
        if dig +short +time=1 +tries=1 @127.0.53.2 _mta-sts.sts-cache.test TXT | grep -q "id=$1\""; then
            sleep 1.1
            return 0
        fi
        sleep 0.2
    done
    echo "FATAL: the resolver does not answer id=$1 for _mta-sts.sts-cache.test" >&2
    exit 1
}
# serve MX [MAX_AGE] - the policy text served for sts-cache.test
serve() {
    printf 'version: STSv1\r\nmode: enforce\r\nmx: %s\r\nmax_age: %s\r\n' "$1" "${2:-86400}" \
        > "$served"
}

tb_deliver "$policy" sts-cache.test "cache 1" rcpt@sts-cache.test
expect_rc 0 "id cache1, policy *.dane.test: sent"
expect_json "$sent_verified_sts and last[\"mx_host_pattern\"] == \"*.dane.test\"" "cache 1: Verified under the policy"
expect_delivered "cache 1" rcpt@sts-cache.test "cache 1: delivered"
[ -n "$(sts_entry sts-cache.test)" ] && tb_pass "cache 1: the policy is cached" ||
    tb_fail "cache 1: no cache entry" "$(ls -la "$cache")"

serve mx.elsewhere.example
probe "$policy" sts-cache.test
expect_json 'last["mta_sts"]["source"] == "cached" and last["mta_sts"]["id"] == "cache1" and "mx: *.dane.test" in last["mta_sts"]["policy"]' \
    "probe: same id, the cached policy is used (not fetched again)"
tb_deliver "$policy" sts-cache.test "cache 2" rcpt@sts-cache.test
expect_rc 0 "same id, policy changed on the server: the cached policy still applies"
expect_json "$sent_verified_sts" "cache 2: Verified under the cached policy"
expect_delivered "cache 2" rcpt@sts-cache.test "cache 2: delivered"

set_cache_id cache2
tb_deliver "$policy" sts-cache.test "cache 3" rcpt@sts-cache.test
expect_rc 75 "new id cache2: the new (mismatching) policy is fetched and applies"
expect_err_re '^4\.7\.5 ' "cache 3: 4.7.5"
expect_not_delivered "cache 3" "cache 3: nothing delivered"
probe "$policy" sts-cache.test
expect_json 'last["mta_sts"]["source"] == "cached" and last["mta_sts"]["id"] == "cache2" and "mx: mx.elsewhere.example" in last["mta_sts"]["policy"]' \
    "probe: the new policy is the cached one now"

bash "$TB_SRC/tests/testbed/https/stop.sh" "$TB_RUN/https"    # (by its PID)
set_cache_id cache3
tb_deliver "$policy" sts-cache.test "cache 4" rcpt@sts-cache.test
expect_rc 75 "new id cache3, policy host stopped: the cached policy stays in force"
expect_err_re '^4\.7\.5 ' "cache 4: 4.7.5"
expect_not_delivered "cache 4" "cache 4: nothing delivered"
probe "$policy" sts-cache.test
expect_json 'last["mta_sts"]["source"] == "cached" and last["mta_sts"]["id"] == "cache3" and last["mta_sts"]["failure"] == "sts-policy-fetch-error" and "mx: mx.elsewhere.example" in last["mta_sts"]["policy"]' \
    "probe: fetch failed, the cached policy in force, failure reported"

echo "== proactive refresh (RFC 8461 §3.3): same id, fetched again half its max_age (10 s) after the fetch; a failed refresh keeps the policy and waits 5 min; expired, it is not applied"
tb_start_https      # stopped above: it serves a fresh copy of its files
served=$(head -n1 "$TB_RUN/https/www.path")/sts/mta-sts.sts-cache.test.txt
# wait_until T - sleep until the clock reads T (seconds since the epoch)
wait_until() { while [ "$(date +%s)" -lt "$1" ]; do sleep 0.2; done; }
# Times: t is read before a fetch, so the fetch time is t or t + 1; the
# refresh is due 5 s later, the policy expires 10 s later.
serve '*.dane.test' 10
set_cache_id refresh1
t=$(date +%s)
probe "$policy" sts-cache.test
expect_json 'last["mta_sts"]["source"] == "fetched" and last["mta_sts"]["id"] == "refresh1" and "max_age: 10" in last["mta_sts"]["policy"] and "mx: *.dane.test" in last["mta_sts"]["policy"]' \
    "refresh: the policy of id refresh1 fetched (max_age 10)"
serve mx.elsewhere.example 10
probe "$policy" sts-cache.test
expect_json 'last["mta_sts"]["source"] == "cached" and "mx: *.dane.test" in last["mta_sts"]["policy"]' \
    "refresh: not due yet: the cached policy, the server's new one not fetched"
wait_until $((t + 6))
t=$(date +%s)
probe "$policy" sts-cache.test
expect_json 'last["mta_sts"]["source"] == "fetched" and last["mta_sts"]["id"] == "refresh1" and "refreshed" in last["mta_sts"]["note"] and "mx: mx.elsewhere.example" in last["mta_sts"]["policy"]' \
    "refresh: due under the same id: fetched again, the server's new policy in force"
probe "$policy" sts-cache.test
expect_json 'last["mta_sts"]["source"] == "cached" and "mx: mx.elsewhere.example" in last["mta_sts"]["policy"]' \
    "refresh: the new fetch time is kept: not due again"
rm -f "$served"     # 404 from now on
wait_until $((t + 6))
tb_deliver "$policy" sts-cache.test "refresh fails" rcpt@sts-cache.test
expect_rc 75 "refresh fails (404): the cached (mismatching) policy stays in force"
expect_err_re '^dane-agent: warning: MTA-STS policy fetch from .* failed: .*stays in force' \
    "refresh fails: a warning for the log (RFC 8461 §3.3)"
expect_not_delivered "refresh fails" "refresh fails: nothing delivered"
probe "$policy" sts-cache.test
expect_json 'last["mta_sts"]["source"] == "cached" and last["mta_sts"]["failure"] is None and "failed less than 300s ago" in last["mta_sts"]["note"] and "mx: mx.elsewhere.example" in last["mta_sts"]["policy"]' \
    "refresh: not tried again within 5 minutes of the failure, the cached policy in force"
wait_until $((t + 11))
probe "$policy" sts-cache.test
expect_json 'last["mta_sts"]["source"] == "none" and last["mta_sts"]["failure"] == "sts-policy-fetch-error" and last["mta_sts"]["policy"] == [] and last["hosts"][0]["mta_sts"] == "none"' \
    "expired: the cached policy is not applied; the fetch fails (404): no policy"

elapsed=$((SECONDS - t_start))
tb_log "cases took ${elapsed}s after the testbeds started"
tb_done
