#!/usr/bin/env bash
# dns_capability.sh - the resolver's start-up check says in one line why
# DNSSEC cannot work (stripping upstream, trust anchor that does not
# validate, no upstream) and probe/deliver defer (75) instead of treating
# every signed domain as bogus; lookup failures defer, bounded in time.
set -euo pipefail
: "${DANE_AGENT:?}" "${DANE_TEST_SRCDIR:?}" "${DANE_TEST_BINDIR:?}"
tb=$DANE_TEST_SRCDIR/tests/testbed/dns
# the agent drops to nobody, which must read the run dir: not below the
# build dir (a checkout may sit in a mode-0700 directory)
tmp=$(mktemp -d /tmp/dane-dns-capability.XXXXXX)
chmod 755 "$tmp"
run=$tmp/dns
trap '"$tb/stop.sh" "$run"; rm -rf "$tmp"' EXIT
"$tb/start.sh" "$run" >/dev/null
anchors=$run/trust-anchors.key

# policy NAME UPSTREAM ANCHORS TIMEOUT - write a policy, print its path
policy() {
    cat > "$run/$1.yaml" <<P
dns:
  upstreams: ["$2"]
  trust_anchors: $3
  timeout: $4
defaults:
  level: dane
P
    echo "$run/$1.yaml"
}

fail=0
# expect NAME POLICY DEST CODE TEXT MAXSECONDS - exit code, one stderr line
# containing TEXT, within MAXSECONDS
expect() {
    local name=$1 pol=$2 dest=$3 code=$4 text=$5 max=$6 rc=0 start end err
    start=$(date +%s)
    err=$(timeout 60 "$DANE_AGENT" probe -c "$pol" --dns-only "$dest" 2>&1 >/dev/null) || rc=$?
    end=$(date +%s)
    if [ "$rc" -ne "$code" ] || [[ "$err" != *"$text"* ]] \
        || [ $((end - start)) -gt "$max" ] || [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then
        echo "FAIL $name: exit $rc (want $code) after $((end - start)) s: $err"
        fail=1
    else
        echo "ok   $name: $err"
    fi
}

# a DNSSEC-stripping middlebox in front of the validating resolver
python3 "$tb/strip-proxy.py" 127.0.53.3 127.0.53.2 "$run/strip-proxy.pid" &
for _ in $(seq 50); do [ -s "$run/strip-proxy.pid" ] && break; sleep 0.1; done
expect stripping "$(policy strip 127.0.53.3 "$anchors" 2s)" dane.test 75 \
    "DNS upstream 127.0.53.3 strips DNSSEC records (no RRSIG with test. DNSKEY)" 10

# a trust anchor that is not the TLD's key
printf 'test. IN DS 12345 13 2 %s\n' "$(printf %064d 0 | tr 0 b)" > "$run/wrong.key"
expect wrong_anchor "$(policy wrong 127.0.53.2 "$run/wrong.key" 2s)" dane.test 75 \
    "trust anchor for test. cannot be validated: the test. DNSKEY RRset from upstream 127.0.53.2 is bogus" 10

# nothing listens on the upstream: timeout, bounded by the policy's timeout
expect no_upstream "$(policy dead 127.0.53.9 "$anchors" 1s)" dane.test 75 \
    "DNS upstream 127.0.53.9 failed for test. DNSKEY" 10

# an empty trust anchor file
: > "$run/empty.key"
expect empty_anchor "$(policy empty 127.0.53.2 "$run/empty.key" 1s)" dane.test 75 \
    "no DS or DNSKEY records in the trust anchor file" 5

# a delegation to a server that never answers: the MX lookup times out and
# the delivery defers (never an implicit MX, never a bounce)
expect mx_timeout "$(policy short 127.0.53.2 "$anchors" 1s)" lame.test 75 \
    "defer: MX lookup error for lame.test: no upstream answered in time" 10

# the working configuration passes the check
expect working "$run/policy.yaml" nosuch.dane.test 69 \
    "bounce: Host or domain name not found: nosuch.dane.test (nxdomain-secure)" 10

exit $fail
