#!/usr/bin/env bash
# tests/testbed/tlsa-match-demo.sh - build dane-agent into build/ and show its DANE engine
# deciding offline, on the shipped chain tests/data/demo/chain.pem (ECDSA leaf
# mx.example.test + intermediate; root beside it), whether TLSA records
# authenticate the server for SMTP (RFC 7672):
#   1. DANE-EE  3 1 1: SHA-256 of the leaf's public key        -> match, depth 0
#   2. DANE-TA  2 0 1: SHA-256 of the intermediate certificate,
#      reference name mx.example.test                          -> match, depth 1
#   3. the same DANE-TA record for another name                 -> no match
# The README shows it next to the testbed delivery (tests/testbed/demo.sh).
# Works from any directory; exits non-zero if any outcome
# differs from the expected one.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build
chain=$root/tests/data/demo/chain.pem

# The records, as a zone would publish them under _25._tcp.mx.example.test.
# (derived once with: openssl x509 -in leaf.pem -noout -pubkey |
#  openssl pkey -pubin -outform DER | openssl dgst -sha256, and
#  openssl x509 -in intermediate.pem -outform DER | openssl dgst -sha256)
ee="3 1 1 43272DDEE7A03A97498FD345611C5554A488D49FCF822F74DB4CB40422328CCE"
ta="2 0 1 367F2EFE1B7797EA908370226FCC8D261800A33936BB9E0147E0416694CF2AC3"

echo "== building dane-agent in $build"
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j2 >/dev/null
agent=$build/dane-agent

failed=0
# demo WANT_STATUS ARGS... - run one tlsa-match, show it, compare the status
demo() {
  local want=$1 status=0
  shift
  echo
  local shown="" a
  for a in "$@"; do
    case $a in *" "*) shown+=" \"$a\"" ;; *) shown+=" $a" ;; esac
  done
  echo "\$ dane-agent tlsa-match$shown"
  "$agent" tlsa-match "$@" || status=$?
  echo "(exit $status)"
  [ "$status" = "$want" ] || { echo "demo: expected exit $want"; failed=1; }
}

demo 0 --chain "$chain" --tlsa "$ee"
demo 0 --chain "$chain" --tlsa "$ta" --name mx.example.test
demo 1 --chain "$chain" --tlsa "$ta" --name mx.elsewhere.test

echo
[ $failed = 0 ] && echo "demo: all outcomes as expected" || echo "demo: FAILED"
exit $failed
