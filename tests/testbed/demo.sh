#!/usr/bin/env bash
# tests/testbed/demo.sh - the README's first command: dane-agent's main job on
# the built-in local testbed.
#
# Builds dane-agent into build/, starts the testbed in a scratch directory
# (nsd + validating unbound serving the DNSSEC-signed `test.` zones on
# 127.0.53.1/.2, a private Postfix smtpd with STARTTLS on 127.0.25.10-.19,
# fresh keys and certificates), delivers one message to dane.test with
# `dane-agent deliver`, shows the Verified TLS line, the delivery line, the
# JSON record and the maildir file where the message landed, then stops every
# server it started, by PID; the scratch directory is removed unless
# DANE_DEMO_KEEP=1. Needs root (Postfix) and the packages .ci/run
# installs (it installs them itself when they are missing). Exits non-zero unless the delivery was Verified and the message
# arrived.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build
run=$(mktemp -d /tmp/dane-agent-demo.XXXXXX)
chmod 755 "$run"

cleanup() {
    bash "$root/tests/testbed/smtp/stop.sh" "$run/smtp" >/dev/null 2>&1 || true
    bash "$root/tests/testbed/dns/stop.sh" "$run/dns" >/dev/null 2>&1 || true
    if [ "${DANE_DEMO_KEEP:-0}" = 1 ]; then
        echo "== kept $run (DANE_DEMO_KEEP=1; servers stopped)"
    else
        rm -rf "$run"
    fi
}
trap cleanup EXIT

# A fresh machine: install the packages first (as .ci/run does).
for tool in cmake pkg-config nsd unbound ldns-signzone postconf openssl python3; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
        echo "== $tool is missing: installing the Debian packages (.ci/packages.sh)"
        bash "$root/.ci/packages.sh"
        break
    fi
done
[ -f /usr/include/criterion/criterion.h ] || bash "$root/.ci/packages.sh"

echo "== building dane-agent in $build"
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j2 >/dev/null

echo "== starting the testbed in $run (signed zones, resolver, Postfix smtpd)"
bash "$root/tests/certs/mkcerts.sh" "$run/certs" >/dev/null
bash "$root/tests/testbed/dns/start.sh" -c "$run/certs" "$run/dns" >/dev/null
bash "$root/tests/testbed/smtp/start.sh" -c "$run/certs" "$run/smtp" >/dev/null

id="demo-$$-$(date +%s)@sender.test"
echo "== dane-agent deliver -c $run/dns/policy.yaml -f alice@sender.test -n dane.test -- bob@dane.test"
printf 'From: alice@sender.test\nTo: bob@dane.test\nSubject: dane-agent demo\nMessage-ID: <%s>\n\nDelivered over DANE-authenticated TLS.\n' "$id" |
    "$build/dane-agent" deliver -c "$run/dns/policy.yaml" -f alice@sender.test \
        -n dane.test --log-stderr --report "$run/report.jsonl" -- bob@dane.test
echo "== exit status 0 (sent); JSON record:"
cat "$run/report.jsonl"
grep -q '"verification":"Verified"' "$run/report.jsonl"

echo "== the message in the testbed's maildir:"
file=$(bash "$root/tests/testbed/smtp/postfix.sh" find "$run/smtp" --message-id "<$id>" --wait 10)
echo "$file"
sed -n '/^Received:/,/^[^[:space:]R]/p' "$file" | head -n 6
echo "== stopping the testbed"
