#!/usr/bin/env bash
# dns_cache.sh - the DNS answer cache shared between dane-agent processes
# (policy dns.cache, agent/dns/dns_cache.h), end to end on the signed testbed:
# the second probe of a destination is answered from the cache (JSON
# cached:true on every answer, same decision) without loading libgetdns at
# all (LD_DEBUG=files shows the dlopen only on a miss); negative answers are
# kept, bogus ones never; a changed trust anchor file or an expired
# cache_max_ttl means asking again; an unsafe cache directory is not used
# (one warning, the lookup still works); a delivery served from the cache is
# still Verified.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/integration/lib/testbed.sh"
tb_init dns-cache
tb_start_dns
tb_start_smtp

# The agent, started as root, runs as the policy's user (nobody).
cache=$TB_RUN/dnscache
mkdir -m 700 "$cache"
[ "$(id -u)" -ne 0 ] || chown nobody: "$cache"
anchors=$TB_RUN/dns/trust-anchors.key

# cache_policy NAME CACHEDIR ANCHORS [MAXTTL] - the testbed's dns section
# with the cache (and another anchor file) in it
cache_policy() {
    local f=$TB_RUN/$1.yaml
    sed -e '/^defaults:/,$d' -e "s|^  trust_anchors: .*|  trust_anchors: $3|" \
        "$TB_RUN/dns/policy.yaml" > "$f"
    printf '  cache: %s\n' "$2" >> "$f"
    [ -z "${4:-}" ] || printf '  cache_max_ttl: %s\n' "$4" >> "$f"
    printf 'defaults:\n  level: dane\n  connect_timeout: 5s\n  delivery_timeout: 60s\n' >> "$f"
    chmod 644 "$f"
    "$DANE_AGENT" policy-check --syntax "$f" >/dev/null || { echo "FATAL: bad test policy $f" >&2; exit 1; }
    echo "$f"
}
policy=$(cache_policy cache "$cache" "$anchors")

# probe POLICY DEST - probe --dns-only --json with LD_DEBUG=files: TB_RC,
# TB_OUT (JSON), TB_ERR (stderr incl. the loader's lines)
probe() {
    TB_RC=0
    LD_DEBUG=files timeout 60 "$DANE_AGENT" probe --dns-only --json -c "$1" "$2" \
        > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
    TB_OUT=$(cat "$TB_RUN/out")
    TB_ERR=$(grep -v 'file=lib[^g]\|calling\|^ *[0-9]*:\s*$' "$TB_RUN/err" || true)
}
# every answer asked, as a Python list expression over last
answers='[a for a in [last["mx"]] + [h[k] for h in last["hosts"] for k in ("a","aaaa","tlsa_expanded","tlsa_original")] if a]'
getdns_loaded='file=libgetdns.so'

probe "$policy" dane.test
expect_rc 0 "first probe of dane.test"
expect_json "all(not a[\"cached\"] for a in $answers) and len($answers) == 4" \
    "first probe: MX, A, AAAA, TLSA asked, none from the cache"
expect_json "all(a[\"ttl\"] > 0 for a in $answers)" "first probe: every answer has a TTL"
expect_err "$getdns_loaded" "first probe loads libgetdns"
first=$TB_OUT
ls "$cache" | grep -Eq '^[0-9a-f]{64}$' && tb_pass "entries written" ||
    tb_fail "no entry in the cache directory" "$(ls -la "$cache")"

probe "$policy" dane.test
expect_rc 0 "second probe of dane.test"
expect_json "all(a[\"cached\"] for a in $answers) and len($answers) == 4" \
    "second probe: every answer from the cache"
expect_json "last[\"hosts\"][0][\"effective_level\"] == \"dane\" and last[\"hosts\"][0][\"dnssec\"][\"tlsa\"] == \"secure\" and len(last[\"hosts\"][0][\"tlsa_original\"][\"records\"]) == 2" \
    "second probe: same decision (dane, secure TLSA, 2 records)"
python3 - "$first" "$TB_OUT" <<'PY' && tb_pass "cached facts equal the asked ones" || tb_fail "cached facts differ"
import json, sys
def facts(t):
    r = json.loads(t.splitlines()[-1])
    strip = lambda a: a and {k: v for k, v in a.items() if k not in ("ms", "cached", "ttl")}
    return ([strip(r["mx"])] + [strip(h[k]) for h in r["hosts"] for k in ("a", "aaaa", "tlsa_expanded", "tlsa_original")]
            + [h["trail"] for h in r["hosts"]])
sys.exit(0 if facts(sys.argv[1]) == facts(sys.argv[2]) else 1)
PY
expect_no_err "$getdns_loaded" "second probe never loads libgetdns"

# RFC 2308: a validated negative answer is kept as well
probe "$policy" nosuch.dane.test
probe "$policy" nosuch.dane.test
expect_rc 69 "nosuch.dane.test bounces"
expect_json 'last["mx"]["status"] == "nxdomain-secure" and last["mx"]["cached"]' \
    "nxdomain-secure kept"

# a bogus answer is never kept: asked again, deferred again
probe "$policy" dsmismatch.test
probe "$policy" dsmismatch.test
expect_rc 75 "dsmismatch.test defers"
expect_json 'last["mx"]["status"] == "bogus" and not last["mx"]["cached"]' \
    "bogus not kept (asked again)"
expect_err "$getdns_loaded" "bogus: libgetdns loaded to ask again"

# another trust anchor file (same keys, one more comment line): other keys
cp "$anchors" "$TB_RUN/anchors2.key"
echo '; the same anchor, another file content' >> "$TB_RUN/anchors2.key"
chmod 644 "$TB_RUN/anchors2.key"
probe "$(cache_policy anchors2 "$cache" "$TB_RUN/anchors2.key")" dane.test
expect_rc 0 "probe with another trust anchor file"
expect_json "not any(a[\"cached\"] for a in $answers)" \
    "a changed trust anchor file starts from an empty cache"

# cache_max_ttl caps every entry
short=$(cache_policy short "$TB_RUN/dnscache-short" "$anchors" 1s)
mkdir -m 700 "$TB_RUN/dnscache-short"
[ "$(id -u)" -ne 0 ] || chown nobody: "$TB_RUN/dnscache-short"
# A second probe within the second would race the clock on a slow (sanitizer)
# build, so "kept" is read from the directory: one entry per answer at least.
probe "$short" dane.test
kept=$(ls "$TB_RUN/dnscache-short" | grep -Ec '^[0-9a-f]{64}$' || true)
[ "$kept" -ge 4 ] && tb_pass "cache_max_ttl 1s: $kept entries kept at first" ||
    tb_fail "cache_max_ttl 1s: only $kept entries kept" "$(ls -la "$TB_RUN/dnscache-short")"
sleep 2.1
probe "$short" dane.test
expect_rc 0 "probe after cache_max_ttl"
expect_json "not any(a[\"cached\"] for a in $answers)" "cache_max_ttl 1s: asked again after 2 s"

# an unsafe directory is not used: one warning, the lookup still works
unsafe=$TB_RUN/dnscache-unsafe
mkdir -m 777 "$unsafe"
[ "$(id -u)" -ne 0 ] || chown nobody: "$unsafe"
probe "$(cache_policy unsafe "$unsafe" "$anchors")" dane.test
expect_rc 0 "probe with an unsafe cache directory"
expect_err "warning: DNS cache $unsafe not used: DNS cache directory is writable by group or others" \
    "unsafe cache directory: warning"
[ -z "$(ls -A "$unsafe")" ] && tb_pass "nothing written to the unsafe directory" ||
    tb_fail "entries in the unsafe directory" "$(ls -la "$unsafe")"

# deliveries served from the cache are still DANE-verified
for n in 1 2; do
    TB_RC=0
    tb_message "dns-cache $n" | LD_DEBUG=files timeout 120 "$DANE_AGENT" deliver -c "$policy" \
        -f sender@sender.test -n dane.test --log-stderr --json -- bob@dane.test \
        > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
    TB_OUT=$(cat "$TB_RUN/out")
    TB_ERR=$(grep -v 'file=lib[^g]\|calling\|^ *[0-9]*:\s*$' "$TB_RUN/err" || true)
    expect_rc 0 "delivery $n with the DNS cache"
    expect_json 'last["verification"] == "Verified"' "delivery $n Verified"
    expect_no_err "$getdns_loaded" "delivery $n: DNS from the cache, no libgetdns"
    expect_delivered "dns-cache $n" bob@dane.test "delivery $n arrived"
done
tb_done
