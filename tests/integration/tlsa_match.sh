#!/usr/bin/env bash
# tests/integration/tlsa_match.sh - `dane-agent tlsa-match` end to end: output
# lines, exit codes (0 match, 1 no match, 64 usage, 65 bad data, 66 no input)
# and --json, over chains generated now by tests/certs/mkcerts.sh (openssl).
# Offline: no network, no servers.
set -euo pipefail
: "${DANE_AGENT:?DANE_AGENT must name the dane-agent binary}"
src=${DANE_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bash "$src/tests/certs/mkcerts.sh" "$work/pki" >"$work/mkcerts.log" 2>&1 ||
  { cat "$work/mkcerts.log"; exit 1; }
c=$work/pki/certs
ecdsa=$work/pki/server/ecdsa/chain.pem   # ec_leaf, ec_int
rsa=$work/pki/server/rsa/chain.pem       # rsa_leaf, rsa_int

# digest FILE.der|spki sha256|sha512 - lower-case hex
digest() { openssl dgst "-$2" -r "$1" | cut -d' ' -f1; }
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }

ee_spki256=$(digest "$c/ec_leaf.spki" sha256)
ee_cert512=$(digest "$c/ec_leaf.der" sha512)
ee_spki_full=$(hexof "$c/ec_leaf.spki")
ta_int256=$(digest "$c/ec_int.der" sha256)
ta_root_full=$(hexof "$c/ec_root.der")
ta_root256=$(digest "$c/ec_root.der" sha256)
rsa_ta_spki256=$(digest "$c/rsa_int.spki" sha256)
wrong256=$(printf '%064d' 0)
wrong512=$(printf '%0128d' 0)

fails=0
# check NAME WANT_STATUS WANT_STDOUT_REGEX WANT_STDERR_REGEX -- ARGS...
#   the regexes are anchored (grep -Ex) and empty means "must be empty"
check() {
  local name=$1 want=$2 out_re=$3 err_re=$4 status=0 out err
  shift 5
  "$DANE_AGENT" tlsa-match "$@" >"$work/out" 2>"$work/err" || status=$?
  out=$(cat "$work/out"); err=$(cat "$work/err")
  local ok=1
  [ "$status" = "$want" ] || ok=0
  if [ -n "$out_re" ]; then
    [ "$(wc -l <"$work/out")" = 1 ] && grep -Eqx -- "$out_re" "$work/out" || ok=0
  else
    [ -z "$out" ] || ok=0
  fi
  if [ -n "$err_re" ]; then
    [ "$(wc -l <"$work/err")" = 1 ] && grep -Eqx -- "$err_re" "$work/err" || ok=0
  else
    [ -z "$err" ] || ok=0
  fi
  if [ $ok = 1 ]; then
    echo "ok   $name"
  else
    echo "FAIL $name: got status $status, want $want"
    echo "     stdout: $out"
    echo "     stderr: $err"
    fails=$((fails + 1))
  fi
}

N=(--name mx.dane.test)

# RFC 7672 §3.1.1: DANE-EE matches the leaf; no name or date checks
check rfc7672_s3_1_1_ee_spki_sha256 0 'match usage=3 selector=1 mtype=1 depth=0' '' -- \
  --chain "$ecdsa" --tlsa "3 1 1 $ee_spki256"
check rfc7672_s3_1_1_ee_cert_sha512 0 'match usage=3 selector=0 mtype=2 depth=0' '' -- \
  --chain "$ecdsa" --tlsa "3 0 2 $ee_cert512"
check rfc7672_s3_1_1_ee_spki_full 0 'match usage=3 selector=1 mtype=0 depth=0' '' -- \
  --chain "$ecdsa" --tlsa "3 1 0 $ee_spki_full"
check rfc7672_s3_1_1_ee_ignores_names 0 'match usage=3 selector=1 mtype=1 depth=0' '' -- \
  --chain "$ecdsa" --tlsa "3 1 1 $ee_spki256" --name not.the.name
cat "$c/ec_leaf_expired.pem" "$c/ec_int.pem" >"$work/expired.pem"
check rfc7672_s3_1_1_ee_ignores_dates 0 'match usage=3 selector=1 mtype=1 depth=0' '' -- \
  --chain "$work/expired.pem" --tlsa "3 1 1 $(digest "$c/ec_leaf_expired.spki" sha256)"
check rfc6698_s2_2_whitespace_in_hex 0 'match usage=3 selector=1 mtype=1 depth=0' '' -- \
  --chain "$ecdsa" --tlsa "3 1 1 ${ee_spki256:0:32} ${ee_spki256:32}"

# RFC 7671 §5.2: DANE-TA in the chain or a full TA the server did not send
check rfc7671_s5_2_ta_intermediate_cert_sha256 0 'match usage=2 selector=0 mtype=1 depth=1' '' -- \
  --chain "$ecdsa" --tlsa "2 0 1 $ta_int256" "${N[@]}"
check rfc7671_s5_2_ta_rsa_spki_sha256 0 'match usage=2 selector=1 mtype=1 depth=1' '' -- \
  --chain "$rsa" --tlsa "2 1 1 $rsa_ta_spki256" "${N[@]}"
check rfc7671_s5_2_2_ta_full_root_not_sent 0 'match usage=2 selector=0 mtype=0 depth=2' '' -- \
  --chain "$ecdsa" --tlsa "2 0 0 $ta_root_full" "${N[@]}"
check rfc7671_s5_2_ta_digest_not_sent_no_match 1 'no match: .+' '' -- \
  --chain "$ecdsa" --tlsa "2 0 1 $ta_root256" "${N[@]}"
check rfc7672_s3_2_2_ta_wrong_name 1 'no match: .*name.*' '' -- \
  --chain "$ecdsa" --tlsa "2 0 1 $ta_int256" --name mx.other.test
check rfc7672_s3_2_2_ta_second_name_matches 0 'match usage=2 selector=0 mtype=1 depth=1' '' -- \
  --chain "$ecdsa" --tlsa "2 0 1 $ta_int256" --name mx.other.test --name MX.DANE.TEST.
check dane_lowest_depth_reported 0 'match usage=3 selector=1 mtype=1 depth=0' '' -- \
  --chain "$ecdsa" --tlsa "2 0 1 $ta_int256" --tlsa "3 1 1 $ee_spki256" "${N[@]}"

# no match, no usable records (RFC 7672 §3.1.3), digest agility (RFC 7671 §9)
check rfc6698_s2_1_wrong_digest_no_match 1 'no match: .+' '' -- \
  --chain "$ecdsa" --tlsa "3 1 1 $wrong256"
check rfc7672_s3_1_3_pkix_unusable 1 'no match: no usable TLSA records' '' -- \
  --chain "$ecdsa" --tlsa "1 1 1 $ee_spki256" --tlsa "0 0 1 $ta_int256"
check rfc7672_s3_1_3_bad_digest_length_unusable 1 'no match: no usable TLSA records' '' -- \
  --chain "$ecdsa" --tlsa "3 1 1 ${ee_spki256:0:62}" --tlsa "3 1 9 $ee_spki256"
check rfc7671_s9_stronger_digest_wins 1 'no match: .+' '' -- \
  --chain "$ecdsa" --tlsa "3 1 1 $ee_spki256" --tlsa "3 1 2 $wrong512"
check rfc7671_s9_configured_order 0 'match usage=3 selector=1 mtype=1 depth=0' '' -- \
  --chain "$ecdsa" --tlsa "3 1 1 $ee_spki256" --tlsa "3 1 2 $wrong512" \
  --dane-digests sha256,sha512

# bad data: 65; no input: 66; usage: 64 (one line on stderr, nothing on stdout)
printf 'not a certificate\n' >"$work/garbage.pem"
check malformed_pem_no_block 65 '' '.*garbage.pem: .+' -- \
  --chain "$work/garbage.pem" --tlsa "3 1 1 $ee_spki256"
sed '2s/^..../@@@@/' "$c/ec_leaf.pem" >"$work/badb64.pem"
check malformed_pem_base64 65 '' '.*badb64.pem: .+' -- \
  --chain "$work/badb64.pem" --tlsa "3 1 1 $ee_spki256"
{ echo '-----BEGIN CERTIFICATE-----'; head -c 150 "$c/ec_leaf.der" | base64
  echo '-----END CERTIFICATE-----'; } >"$work/truncated.pem"
check truncated_der 65 '' '.*truncated.pem: .+' -- \
  --chain "$work/truncated.pem" --tlsa "3 1 1 $ee_spki256"
head -c $((3 * 1024 * 1024)) /dev/zero | tr '\0' 'A' >"$work/huge.pem"
check oversized_chain_file 65 '' '.*huge.pem: chain file larger than .*' -- \
  --chain "$work/huge.pem" --tlsa "3 1 1 $ee_spki256"
check bad_hex 65 '' '.*bad --tlsa record.*invalid character in hex data' -- \
  --chain "$ecdsa" --tlsa "3 1 1 ${ee_spki256:0:62}ZZ"
check odd_hex 65 '' '.*odd number of hex digits' -- \
  --chain "$ecdsa" --tlsa "3 1 1 ${ee_spki256:0:63}"
check field_out_of_range 65 '' '.*field value out of range 0-255' -- \
  --chain "$ecdsa" --tlsa "3 1 256 $ee_spki256"
check missing_file 66 '' '.*cannot open .*: No such file or directory' -- \
  --chain "$work/absent.pem" --tlsa "3 1 1 $ee_spki256"
check usage_no_arguments 64 '' '.*--chain is required.*' --
check usage_no_tlsa 64 '' '.*at least one --tlsa record is required.*' -- --chain "$ecdsa"
check usage_unknown_option 64 '' '.*unknown argument: --frobnicate.*' -- \
  --chain "$ecdsa" --tlsa "3 1 1 $ee_spki256" --frobnicate
check usage_missing_value 64 '' '.*option needs a value: --name.*' -- \
  --chain "$ecdsa" --tlsa "3 1 1 $ee_spki256" --name
check usage_bad_digest_order 64 '' '.*unknown digest name.*' -- \
  --chain "$ecdsa" --tlsa "3 1 1 $ee_spki256" --dane-digests md5

# --json: one object per run, whatever the verdict
json_check() {
  local name=$1 want=$2 py=$3 status=0
  shift 3
  "$DANE_AGENT" tlsa-match --json "$@" >"$work/out" 2>"$work/err" || status=$?
  if [ "$status" = "$want" ] && python3 -c "import json,sys
o = json.load(open(sys.argv[1]))
assert $py, o" "$work/out" 2>"$work/py"; then
    echo "ok   $name"
  else
    echo "FAIL $name: status $status (want $want): $(cat "$work/out" "$work/err" "$work/py")"
    fails=$((fails + 1))
  fi
}
json_check json_ee_match 0 \
  "o['match'] is True and (o['usage'], o['selector'], o['mtype'], o['depth']) == (3, 1, 1, 0) \
   and o['reason'] is None and o['usable'] == ['3 1 1 ${ee_spki256^^}'] and o['unusable'] == [] \
   and o['chain_length'] == 2" \
  --chain "$ecdsa" --tlsa "3 1 1 $ee_spki256"
json_check json_ta_match 0 \
  "o['match'] is True and o['usage'] == 2 and o['depth'] == 1 and o['names'] == ['mx.dane.test'] \
   and o['names_checked'] is True" \
  --chain "$ecdsa" --tlsa "2 0 1 $ta_int256" "${N[@]}"
json_check json_no_match 1 \
  "o['match'] is False and o['usage'] is None and o['depth'] is None and o['reason'] \
   and len(o['usable']) == 1" \
  --chain "$ecdsa" --tlsa "3 1 1 $wrong256"
json_check json_no_usable 1 \
  "o['match'] is False and o['reason'] == 'no usable TLSA records' and o['usable'] == [] \
   and [u['reason'] for u in o['unusable']] == ['PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP']" \
  --chain "$ecdsa" --tlsa "1 1 1 $ee_spki256"
json_check json_agility_reason 0 \
  "o['match'] is True and o['mtype'] == 2 and len(o['unusable']) == 1 \
   and 'stronger digest' in o['unusable'][0]['reason']" \
  --chain "$ecdsa" --tlsa "3 0 1 $wrong256" --tlsa "3 0 2 $ee_cert512"

if [ $fails -ne 0 ]; then
  echo "tlsa_match: $fails check(s) failed"
  exit 1
fi
echo "tlsa_match: all checks passed"
