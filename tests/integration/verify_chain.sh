#!/usr/bin/env bash
# tests/integration/verify_chain.sh - `dane-agent verify-chain` end to end:
# every case of the PKIX corpus (tests/certs/mkpkix.sh, made once per build
# directory) at level secure, DANE-TA paths as OpenSSL builds them, --json,
# and bad input (garbage PEM, 200 certificates, a 1 MiB certificate).
# Exit codes: 0 level satisfied, 1 not, 64 usage, 65 bad data, 66 no input.
# Offline: no network, no servers.
set -euo pipefail
: "${DANE_AGENT:?DANE_AGENT must name the dane-agent binary}"
src=${DANE_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DANE_TEST_BINDIR:-$(mktemp -d)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

corpus=$bin/tests/pkix
bash "$src/tests/certs/mkpkix.sh" "$corpus" >"$work/mkpkix.log" 2>&1 ||
  { cat "$work/mkpkix.log"; exit 1; }
at=1893456000   # PKIX_CORPUS_NOW, 2030-01-01T00:00:00Z
c=$corpus/certs

spki() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | od -An -v -tx1 | tr -d ' \n'; }
cert() { openssl x509 -in "$1" -outform DER | od -An -v -tx1 | tr -d ' \n'; }

fails=0
# check NAME WANT_STATUS FIRST_LINE_REGEX -- ARGS...: status and the first
# line of stdout (or of stderr when stdout is empty)
check() {
  local name=$1 want=$2 re=$3 status=0 first
  shift 4
  "$DANE_AGENT" verify-chain "$@" >"$work/out" 2>"$work/err" || status=$?
  first=$(head -n1 "$work/out")
  [ -n "$first" ] || first=$(head -n1 "$work/err")
  if [ "$status" = "$want" ] && grep -Eq -- "$re" <<<"$first"; then
    echo "ok   $name"
  else
    echo "FAIL $name: got status $status, want $want; first line: $first"
    sed 's/^/     /' "$work/out" "$work/err"
    fails=$((fails + 1))
  fi
}

# The corpus at level secure: "ok" cases are Verified (0); "fail" cases are
# Untrusted, or Trusted when only the name fails (1); a certificate wolfSSL
# cannot parse (unknown critical extension) is refused on input (65).
while IFS=$'\t' read -r name expect ref rule; do
  d=$corpus/$name
  case $expect:$name in
    ok:*) want=0 re='^Verified$' ;;
    fail:unknown_critical_extension_*) want=65 re='unrecognized critical extension' ;;
    fail:*) want=1 re='^(Untrusted|Trusted): ' ;;
  esac
  check "corpus $name ($rule)" "$want" "$re" -- --chain "$d/chain.pem" \
    --ca-file "$d/ca.pem" --name "$ref" --level secure --at "$at"
done <"$corpus/cases.tsv"

good=$corpus/good/chain.pem          # leaf, int (root not sent)
x=$corpus/cross_only_expired_path/chain.pem   # xleaf, xint, xcross (expired)
self=$corpus/self_signed_leaf_untrusted/chain.pem

# DANE-TA (RFC 7671 §5.2) as OpenSSL builds the path
check dane_ta_210_root_key_depth1 0 '^Verified$' -- --chain "$good" \
  --tlsa "2 1 0 $(spki "$c/root.pem")" --name mx.dane.test --at "$at"
grep -q '^matched: TLSA 2 1 0 at depth 1$' "$work/out" || { echo "FAIL 2 1 0 depth"; fails=$((fails + 1)); }
check dane_ta_200_root_not_sent_depth2 0 '^Verified$' -- --chain "$good" \
  --tlsa "2 0 0 $(cert "$c/root.pem")" --name mx.dane.test --at "$at"
grep -q '^  2 .*(not sent by the server)$' "$work/out" || { echo "FAIL 2 0 0 path"; fails=$((fails + 1)); }
check dane_ta_cross_not_walked 0 '^Verified$' -- --chain "$x" \
  --tlsa "2 0 0 $(cert "$c/xnew.pem")" --name mx.dane.test --at "$at"
grep -q '^matched: TLSA 2 0 0 at depth 2$' "$work/out" || { echo "FAIL cross depth"; fails=$((fails + 1)); }
check dane_ta_expired_cross_anchor_dates 1 '^Untrusted: trust anchor certificate has expired' -- \
  --chain "$x" --tlsa "2 0 1 $(openssl x509 -in "$c/xcross.pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)" \
  --name mx.dane.test --at "$at"
check dane_ta_key_signed_selfsigned_leaf 0 '^Verified$' -- --chain "$self" \
  --tlsa "2 1 0 $(spki "$c/selfsigned.pem")" --name mx.dane.test --at "$at"
check dane_ta_key_signed_selfsigned_leaf_name 1 '^Untrusted: leaf certificate matches none' -- \
  --chain "$self" --tlsa "2 1 0 $(spki "$c/selfsigned.pem")" --name mx.other.example --at "$at"
check dane_ta_full_cert_of_selfsigned_leaf_is_no_ta 1 '^Untrusted: DANE-TA record matches only the leaf' -- \
  --chain "$self" --tlsa "2 0 0 $(cert "$c/selfsigned.pem")" --name mx.dane.test --at "$at"
check dane_ee_leaf 0 '^Verified$' -- --chain "$good" --tlsa "3 1 0 $(spki "$c/leaf.pem")" --at "$at"

# Levels and statuses
check may_untrusted_satisfied 0 '^Untrusted$' -- --chain "$good" --level may --at "$at"
check may_trusted_with_ca 0 '^Trusted$' -- --chain "$good" --ca-file "$corpus/good/ca.pem" --level may --at "$at"
check verify_system_store 1 '^Untrusted: certificate chain does not lead to a CA of the system store$' -- \
  --chain "$good" --name mx.dane.test --level verify --at "$at"
check verify_injected_time 1 '^Untrusted: .*not yet valid$' -- --chain "$good" \
  --ca-file "$corpus/good/ca.pem" --name mx.dane.test --level verify --at 1262304000

# --json: one object, the path in depth order
check json_path 0 '^\{' -- --chain "$corpus/out_of_order/chain.pem" \
  --ca-file "$corpus/out_of_order/ca.pem" --name mx.dane.test --at "$at" --json
python3 - "$work/out" <<'EOF' || { echo "FAIL json fields"; fails=$((fails + 1)); }
import json, sys
o = json.load(open(sys.argv[1]))
assert o["verification"] == "Verified" and o["satisfied"] is True and o["reason"] is None, o
assert [p["depth"] for p in o["path"]] == [0, 1, 2, 3], o["path"]
assert "PKIX Sub" in o["path"][1]["subject"] and "PKIX Mid" in o["path"][2]["subject"], o["path"]
assert o["path"][3]["sent"] is False and o["chain_length"] == 3, o
EOF

# Bad input: a clear line on stderr, no crash
printf 'garbage\n' >"$work/garbage.pem"
for i in $(seq 200); do cat "$c/leaf.pem"; done >"$work/200.pem"
python3 - "$work/big.pem" <<'EOF'
import base64, sys
der = b"\x30\x83\x10\x00\x00" + b"\x00" * (1 << 20)
b = base64.b64encode(der).decode()
open(sys.argv[1], "w").write("-----BEGIN CERTIFICATE-----\n" +
    "\n".join(b[i:i + 64] for i in range(0, len(b), 64)) + "\n-----END CERTIFICATE-----\n")
EOF
check garbage_pem 65 'no PEM CERTIFICATE block found$' -- --chain "$work/garbage.pem" --name x.test
check chain_of_200 65 'longer than DANE_MAX_CHAIN$' -- --chain "$work/200.pem" --name x.test
check one_mib_certificate 65 'larger than DANE_MAX_CERT$' -- --chain "$work/big.pem" --name x.test
check missing_chain 66 'cannot open' -- --chain "$work/none.pem" --name x.test
check missing_ca_file 66 'CA file does not exist$' -- --chain "$good" --ca-file "$work/none.pem" --name x.test
printf 'no certificates\n' >"$work/empty-ca.pem"
check ca_file_without_certificate 65 'no PEM certificate' -- --chain "$good" --ca-file "$work/empty-ca.pem" --name x.test
check bad_tlsa 65 'bad --tlsa record' -- --chain "$good" --tlsa "2 1 0 zz"
check no_name_at_secure 64 'need --name' -- --chain "$good"
check bad_at 64 '--at wants seconds' -- --chain "$good" --name x.test --at 12x
check bad_level 64 'unknown level' -- --chain "$good" --level strict
check unknown_option 64 'unknown argument' -- --chain "$good" --frobnicate

if [ "$fails" -gt 0 ]; then
  echo "verify_chain: $fails failed"
  exit 1
fi
echo "verify_chain: all passed"
