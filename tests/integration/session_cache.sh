#!/usr/bin/env bash
# session_cache.sh - the TLS session cache shared between dane-agent
# processes (policy key session_cache, agent/tls/session_cache.h), end to end
# through the real DNS testbed and the receiving Postfix (mx.dane.test,
# DANE-EE, TLS 1.3): the second delivery to the same destination resumes
# (JSON resumed:true, still Verified with its TLSA match: the restored chain
# is checked again; the log line says "established" as Postfix's does); a
# changed policy entry means another key and a full handshake; a failed
# verification never stores a session; an unsafe cache directory is not
# used (a warning, never a failed delivery); a corrupt entry costs only the
# resumption. The key's binding to the TLSA RRset is proved in
# tests/unit/test_session_cache.c (the testbed's zones are fixed).
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/integration/lib/testbed.sh"
tb_init session-cache
tb_start_dns
tb_start_smtp
certs=$TB_RUN/certs/server

# The agent, started as root, runs as the policy's user (nobody): the cache
# belongs to that user.
cache=$TB_RUN/cache
mkdir -m 700 "$cache"
[ "$(id -u)" -ne 0 ] || chown nobody: "$cache"

cert_fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
good_pin=$(cert_fp "$certs/ecdsa/cert.pem")
bad_pin=$(cert_fp "$certs/rsa/cert.pem")

policy=$(tb_policy cache <<Y
defaults:
  level: dane
  session_cache: $cache
  connect_timeout: 5s
  helo_timeout: 10s
  delivery_timeout: 60s
destinations:
  "[127.0.25.10]:25": { level: fingerprint, match: ["sha256:$good_pin"] }
Y
)
# the same, but dane.test gets an entry of its own: another policy identity
policy_entry=$(tb_policy cache-entry <<Y
defaults:
  level: dane
  session_cache: $cache
  connect_timeout: 5s
  helo_timeout: 10s
  delivery_timeout: 60s
destinations:
  dane.test: { level: dane }
Y
)
# a pin that cannot match: verification fails at the same server
policy_bad=$(tb_policy cache-bad <<Y
defaults:
  level: dane
  session_cache: $cache
  connect_timeout: 5s
  helo_timeout: 10s
  delivery_timeout: 60s
destinations:
  "[127.0.25.10]:25": { level: fingerprint, match: ["sha256:$bad_pin"] }
Y
)

entries() { find "$cache" -maxdepth 1 -type f | wc -l; }
expect_entries() {
    local n
    n=$(entries)
    if [ "$n" = "$1" ]; then tb_pass "$2 ($n entries)"
    else tb_fail "$2: $n cache entries, want $1" "$(ls -la "$cache")"; fi
}

echo "== first delivery: full handshake, session stored"
tb_deliver "$policy" dane.test "cache first" rcpt@dane.test
expect_rc 0 "first delivery sent"
expect_json 'last["tls"]["resumed"] is False and last["verification"] == "Verified"' \
    "JSON: full handshake, Verified"
expect_entries 1 "one entry stored"
f=$(find "$cache" -maxdepth 1 -type f | head -1)
if [ -n "$f" ] && [ "$(stat -c '%a %U' "$f")" = "600 $(stat -c %U "$cache")" ]; then
    tb_pass "entry is mode 600, owned by the agent's user"
else
    tb_fail "entry mode/owner: $(stat -c '%a %U' "$f" 2>/dev/null)"
fi

echo "== second delivery: resumed, verified again"
tb_deliver "$policy" dane.test "cache second" rcpt@dane.test
expect_rc 0 "second delivery sent"
expect_delivered "cache second" "second message delivered"
expect_json 'last["tls"]["resumed"] is True' "JSON: resumed true"
expect_json 'last["verification"] == "Verified" and last["tlsa_match"] == {"usage": 3, "selector": 1, "mtype": 1, "depth": 0}' \
    "JSON: the restored chain matched the TLSA RRset again"
expect_err_re '^dane-agent: Verified TLS connection established to mx\.dane\.test\[127\.0\.25\.10\]:25: TLSv1\.3 with cipher ' \
    "log line says established for a resumed session"
expect_entries 1 "still one entry for the destination"

echo "== another policy entry for the destination: full handshake"
tb_deliver "$policy_entry" dane.test "cache entry changed" rcpt@dane.test
expect_rc 0 "sent under the changed policy"
expect_json 'last["tls"]["resumed"] is False and last["verification"] == "Verified"' \
    "JSON: a changed policy entry gives a full handshake"
expect_entries 2 "a second entry under the new key"
tb_deliver "$policy_entry" dane.test "cache entry changed again" rcpt@dane.test
expect_json 'last["tls"]["resumed"] is True' "JSON: the new key resumes in turn"

echo "== failed verification never stores"
before=$(entries)
tb_deliver "$policy_bad" "[127.0.25.10]:25" "cache bad pin" rcpt@dane.test
expect_rc 75 "wrong pin defers"
expect_json 'last["tls"]["resumed"] is False and last["result"] == "deferred"' \
    "JSON: full handshake, deferred"
expect_entries "$before" "no entry after the failed verification"
expect_not_delivered "cache bad pin" "nothing delivered"
# control: the right pin at the same server stores, then resumes
tb_deliver "$policy" "[127.0.25.10]:25" "cache good pin" rcpt@dane.test
expect_rc 0 "right pin sent"
expect_entries $((before + 1)) "the verified session is stored"
tb_deliver "$policy" "[127.0.25.10]:25" "cache good pin again" rcpt@dane.test
expect_json 'last["tls"]["resumed"] is True and last["verification"] == "Verified"' \
    "JSON: the pinned destination resumes, pin checked again"
# a failed verification after a resumption keeps nothing of it either
tb_deliver "$policy_bad" "[127.0.25.10]:25" "cache bad pin again" rcpt@dane.test
expect_rc 75 "wrong pin still defers with a cached session for another key"
expect_entries $((before + 1)) "still no entry for the failing key"

echo "== corrupt entry: a full handshake, then resumption again"
for e in "$cache"/*; do printf 'garbage' > "$e"; done
tb_deliver "$policy" dane.test "cache corrupt" rcpt@dane.test
expect_rc 0 "sent despite a corrupt entry"
expect_json 'last["tls"]["resumed"] is False' "JSON: corrupt entry, full handshake"
tb_deliver "$policy" dane.test "cache after corrupt" rcpt@dane.test
expect_json 'last["tls"]["resumed"] is True' "JSON: the entry was replaced"

echo "== unsafe directory: not used, delivery goes on"
chmod 777 "$cache"
tb_deliver "$policy" dane.test "cache unsafe" rcpt@dane.test
expect_rc 0 "sent with an unsafe cache directory"
expect_err "not used: session cache directory is writable by group or others" \
    "warning names the unsafe directory"
expect_json 'last["tls"]["resumed"] is False' "JSON: no resumption from an unsafe directory"
chmod 700 "$cache"

echo "== probe neither reads nor writes the cache"
snap=$TB_RUN/snapshot
rm -rf "$snap"; cp -a "$cache" "$snap"
TB_RC=0
timeout 60 "$DANE_AGENT" probe -c "$policy" dane.test > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
TB_OUT=$(cat "$TB_RUN/out"); TB_ERR=$(cat "$TB_RUN/err")
expect_rc 0 "probe done"
if diff -r "$snap" "$cache" > /dev/null; then tb_pass "cache unchanged by probe"
else tb_fail "probe changed the cache" "$(tb_context)"; fi

tb_done
