#!/usr/bin/env bash
# tests/certs/mkpkix.sh OUTDIR - the PKIX corpus: one directory per case with
# chain.pem (what a server sends, leaf first unless the case says otherwise),
# ca.pem (the trust anchors) and a line in OUTDIR/cases.tsv:
#
#   CASE <TAB> EXPECT <TAB> NAME <TAB> RULE
#
# EXPECT is "ok" (a valid path exists and the leaf matches NAME) or "fail";
# RULE names the rule that decides (RFC 5280 §6 / §4.2, CA/Browser Forum
# Baseline Requirements, RFC 6125 for names). Check the cases at
# PKIX_CORPUS_NOW (2030-01-01T00:00:00Z, 1893456000).
#
# openssl CLI only, like mkcerts.sh: dates fixed (valid 2020-2099, expired
# 2001-2002, not yet valid 2090-2095), keys new on every run (ECDSA P-256
# unless a case says RSA), SHA-256 unless a case says otherwise. The output
# replaces OUTDIR as a whole, and only when OUTDIR/cases.tsv is missing or
# older than this script: the unit and integration tests both call it, under
# a lock (OUTDIR.lock), and the corpus is made once per build directory.
set -euo pipefail
out=${1:?usage: mkpkix.sh OUTDIR}
out=$(mkdir -p "$(dirname "$out")" && cd "$(dirname "$out")" && pwd)/$(basename "$out")
if [ -z "${MKPKIX_LOCKED:-}" ]; then
  MKPKIX_LOCKED=1 exec flock "$out.lock" bash "$0" "$out"
fi
[ "$out/cases.tsv" -nt "$0" ] && exit 0
work=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/c" "$work/k" "$work/ca" "$work/cases"

VALID=(20200101000000Z 20991231235959Z)
EXPIRED=(20010101000000Z 20020101000000Z)
FUTURE=(20900101000000Z 20950101000000Z)
SAN="subjectAltName = DNS:mx.dane.test"
CA="basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign"
LEAF="basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth"

cat >"$work/ca/ca.cnf" <<'EOF'
[ ca ]
default_ca = d
[ d ]
dir = .
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
default_md = sha256
policy = any
preserve = yes
email_in_dn = no
copy_extensions = none
unique_subject = no
[ any ]
commonName = optional
organizationName = optional
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
EOF

# key NAME TYPE - TYPE: ec, rsa1024, rsa2048
key() {
  [ -f "$work/k/$1.key" ] && return 0
  case $2 in
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/k/$1.key" ;;
    rsa*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa}" \
            -out "$work/k/$1.key" 2>/dev/null ;;
  esac
}

# issue NAME ISSUER|self CN EXTENSIONS [START END [KEYTYPE [MD [KEYNAME]]]]
issue() {
  local name=$1 issuer=$2 cn=$3 exts=$4 start=${5:-${VALID[0]}} end=${6:-${VALID[1]}}
  local ktype=${7:-ec} md=${8:-sha256} kname=${9:-$1}
  key "$kname" "$ktype"
  printf '[ x ]\n%s\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n' \
    "$exts" >"$work/ca/ext.cnf"
  (
    cd "$work/ca"
    rm -rf new index.txt serial; mkdir new; : >index.txt
    openssl rand -hex 16 >serial
    openssl req -new -config ca.cnf -key "../k/$kname.key" -subj "/O=DANE PKIX Test/CN=$cn" -out req.csr
    if [ "$issuer" = self ]; then
      signer=(-selfsign -keyfile "../k/$kname.key")
    else
      signer=(-cert "../c/$issuer.pem" -keyfile "../k/$issuer.key")
    fi
    openssl ca -batch -config ca.cnf "${signer[@]}" -in req.csr -out "../c/$name.pem" -md "$md" \
      -startdate "$start" -enddate "$end" -extfile ext.cnf -extensions x -notext \
      2>ca.log || { cat ca.log >&2; exit 1; }
  )
  [ "$kname" = "$name" ] || cp "$work/k/$kname.key" "$work/k/$name.key"
}

# case NAME EXPECT REFNAME RULE CA-CERTS -- CHAIN-CERTS
case_() {
  local name=$1 expect=$2 ref=$3 rule=$4 d=$work/cases/$1; shift 4
  mkdir -p "$d"; : >"$d/ca.pem"; : >"$d/chain.pem"
  while [ "$1" != -- ]; do cat "$work/c/$1.pem" >>"$d/ca.pem"; shift; done
  shift
  for c in "$@"; do cat "$work/c/$c.pem" >>"$d/chain.pem"; done
  printf '%s\t%s\t%s\t%s\n' "$name" "$expect" "$ref" "$rule" >>"$work/cases.tsv"
}

# The base hierarchy: root < int < leaf
issue root self "PKIX Root" "$CA"
issue int root "PKIX Intermediate" "$CA"
issue leaf int mx.dane.test "$LEAF
$SAN"
case_ good ok mx.dane.test "RFC 5280 §6.1: valid path" root -- leaf int
issue other_root self "PKIX Unrelated Root" "$CA"
case_ untrusted_root fail mx.dane.test "RFC 5280 §6.1: no path to a trust anchor" other_root -- leaf int
case_ wrong_name fail other.dane.test "RFC 6125 §6.4: no presented name matches" root -- leaf int

# Name constraints, RFC 5280 §4.2.1.10, §6.1.3 (b), (c)
issue nc_root_perm self "PKIX Root permits dane.test" "$CA
nameConstraints = critical,permitted;DNS:dane.test"
issue nc_root_perm_int nc_root_perm "PKIX Intermediate" "$CA"
issue nc_root_perm_leaf nc_root_perm_int mx.dane.test "$LEAF
$SAN"
case_ nc_root_permitted_inside ok mx.dane.test "RFC 5280 §4.2.1.10: inside the permitted subtree" nc_root_perm -- nc_root_perm_leaf nc_root_perm_int
issue nc_root_other self "PKIX Root permits example.org" "$CA
nameConstraints = critical,permitted;DNS:example.org"
issue nc_root_other_int nc_root_other "PKIX Intermediate" "$CA"
issue nc_root_other_leaf nc_root_other_int mx.dane.test "$LEAF
$SAN"
case_ nc_root_permitted_outside fail mx.dane.test "RFC 5280 §4.2.1.10: outside the root's permitted subtree" nc_root_other -- nc_root_other_leaf nc_root_other_int
issue nc_root_excl self "PKIX Root excludes dane.test" "$CA
nameConstraints = critical,excluded;DNS:dane.test"
issue nc_root_excl_int nc_root_excl "PKIX Intermediate" "$CA"
issue nc_root_excl_leaf nc_root_excl_int mx.dane.test "$LEAF
$SAN"
case_ nc_root_excluded fail mx.dane.test "RFC 5280 §4.2.1.10: inside the root's excluded subtree" nc_root_excl -- nc_root_excl_leaf nc_root_excl_int
issue nc_int_perm root "PKIX Intermediate permits dane.test" "$CA
nameConstraints = critical,permitted;DNS:dane.test"
issue nc_int_perm_leaf nc_int_perm mx.dane.test "$LEAF
$SAN"
case_ nc_int_permitted_inside ok mx.dane.test "RFC 5280 §6.1.3 (b): inside the permitted subtree" root -- nc_int_perm_leaf nc_int_perm
issue nc_int_other root "PKIX Intermediate permits example.org" "$CA
nameConstraints = critical,permitted;DNS:example.org"
issue nc_int_other_leaf nc_int_other mx.dane.test "$LEAF
$SAN"
case_ nc_int_permitted_outside fail mx.dane.test "RFC 5280 §6.1.3 (b): outside the permitted subtree" root -- nc_int_other_leaf nc_int_other
issue nc_int_excl root "PKIX Intermediate excludes dane.test" "$CA
nameConstraints = critical,excluded;DNS:dane.test"
issue nc_int_excl_leaf nc_int_excl mx.dane.test "$LEAF
$SAN"
case_ nc_int_excluded fail mx.dane.test "RFC 5280 §6.1.3 (c): inside the excluded subtree" root -- nc_int_excl_leaf nc_int_excl
issue nc_int_excl_other root "PKIX Intermediate excludes example.org" "$CA
nameConstraints = critical,excluded;DNS:example.org"
issue nc_int_excl_other_leaf nc_int_excl_other mx.dane.test "$LEAF
$SAN"
case_ nc_int_excluded_elsewhere ok mx.dane.test "RFC 5280 §6.1.3 (c): outside the excluded subtree" root -- nc_int_excl_other_leaf nc_int_excl_other

# Extended key usage, RFC 5280 §4.2.1.12, CA/B BR §7.1.2.7.10
LEAFNOEKU="basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature"
issue eku_any int mx.dane.test "$LEAFNOEKU
extendedKeyUsage = anyExtendedKeyUsage
$SAN"
case_ eku_any_only fail mx.dane.test "CA/B BR 7.1.2.7.10: anyExtendedKeyUsage MUST NOT be present; no serverAuth" root -- eku_any int
issue eku_client int mx.dane.test "$LEAFNOEKU
extendedKeyUsage = clientAuth
$SAN"
case_ eku_client_only fail mx.dane.test "RFC 5280 §4.2.1.12: clientAuth only, not for a server" root -- eku_client int
issue eku_none int mx.dane.test "$LEAFNOEKU
$SAN"
case_ eku_absent ok mx.dane.test "RFC 5280 §4.2.1.12: no EKU, no restriction" root -- eku_none int
issue eku_both int mx.dane.test "$LEAFNOEKU
extendedKeyUsage = serverAuth,clientAuth
$SAN"
case_ eku_server_and_client ok mx.dane.test "RFC 5280 §4.2.1.12: serverAuth present" root -- eku_both int
issue int_eku_client root "PKIX Intermediate clientAuth only" "$CA
extendedKeyUsage = clientAuth"
issue int_eku_client_leaf int_eku_client mx.dane.test "$LEAF
$SAN"
case_ eku_intermediate_client_only fail mx.dane.test "CA/B BR 7.1.2.2.5: a CA restricted to clientAuth cannot vouch for a server" root -- int_eku_client_leaf int_eku_client

# CA constraints, RFC 5280 §6.1.4 (k), (l), (m), (n)
issue int_nobc root "PKIX Intermediate no basicConstraints" "keyUsage = critical,keyCertSign,cRLSign"
issue int_nobc_leaf int_nobc mx.dane.test "$LEAF
$SAN"
case_ int_no_basic_constraints fail mx.dane.test "RFC 5280 §6.1.4 (k): issuer without basicConstraints" root -- int_nobc_leaf int_nobc
issue int_cafalse root "PKIX Intermediate CA FALSE" "basicConstraints = critical,CA:FALSE
keyUsage = critical,keyCertSign,cRLSign"
issue int_cafalse_leaf int_cafalse mx.dane.test "$LEAF
$SAN"
case_ int_ca_false fail mx.dane.test "RFC 5280 §6.1.4 (k): issuer with CA:FALSE" root -- int_cafalse_leaf int_cafalse
issue int_pl0 root "PKIX Intermediate pathlen 0" "basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign"
issue sub_pl int_pl0 "PKIX Sub under pathlen 0" "$CA"
issue sub_pl_leaf sub_pl mx.dane.test "$LEAF
$SAN"
case_ pathlen_exceeded fail mx.dane.test "RFC 5280 §6.1.4 (m): pathLenConstraint 0 with a CA below" root -- sub_pl_leaf sub_pl int_pl0
issue int_pl0_leaf int_pl0 mx.dane.test "$LEAF
$SAN"
case_ pathlen_respected ok mx.dane.test "RFC 5280 §6.1.4 (m): pathLenConstraint 0, leaf directly below" root -- int_pl0_leaf int_pl0
issue int_noks root "PKIX Intermediate no keyCertSign" "basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,cRLSign"
issue int_noks_leaf int_noks mx.dane.test "$LEAF
$SAN"
case_ int_ku_without_keycertsign fail mx.dane.test "RFC 5280 §6.1.4 (n): keyUsage without keyCertSign" root -- int_noks_leaf int_noks

# Validity, RFC 5280 §6.1.3 (a)(2); the root's dates as every client checks them
issue leaf_exp int mx.dane.test "$LEAF
$SAN" "${EXPIRED[@]}"
case_ leaf_expired fail mx.dane.test "RFC 5280 §6.1.3 (a)(2): leaf expired" root -- leaf_exp int
issue leaf_fut int mx.dane.test "$LEAF
$SAN" "${FUTURE[@]}"
case_ leaf_not_yet_valid fail mx.dane.test "RFC 5280 §6.1.3 (a)(2): leaf not yet valid" root -- leaf_fut int
issue int_exp root "PKIX Intermediate expired" "$CA" "${EXPIRED[@]}"
issue int_exp_leaf int_exp mx.dane.test "$LEAF
$SAN"
case_ int_expired fail mx.dane.test "RFC 5280 §6.1.3 (a)(2): intermediate expired" root -- int_exp_leaf int_exp
issue int_fut root "PKIX Intermediate future" "$CA" "${FUTURE[@]}"
issue int_fut_leaf int_fut mx.dane.test "$LEAF
$SAN"
case_ int_not_yet_valid fail mx.dane.test "RFC 5280 §6.1.3 (a)(2): intermediate not yet valid" root -- int_fut_leaf int_fut
issue root_exp self "PKIX Root expired" "$CA" "${EXPIRED[@]}"
issue root_exp_int root_exp "PKIX Intermediate" "$CA"
issue root_exp_leaf root_exp_int mx.dane.test "$LEAF
$SAN"
case_ root_expired fail mx.dane.test "CA/B, RFC 5280 §6.1.1 (d) as clients apply it: trust anchor expired" root_exp -- root_exp_leaf root_exp_int
issue root_fut self "PKIX Root future" "$CA" "${FUTURE[@]}"
issue root_fut_int root_fut "PKIX Intermediate" "$CA"
issue root_fut_leaf root_fut_int mx.dane.test "$LEAF
$SAN"
case_ root_not_yet_valid fail mx.dane.test "CA/B, RFC 5280 §6.1.1 (d) as clients apply it: trust anchor not yet valid" root_fut -- root_fut_leaf root_fut_int

# Cross-signed root: new root N (self-signed, valid) and N cross-signed by
# old root O (expired). Sent: leaf, int, cross. RFC 4158 §2.3: any valid path.
issue xold self "PKIX Old Root" "$CA"
issue xnew self "PKIX New Root" "$CA" "" "" ec sha256 xnewkey
issue xcross xold "PKIX New Root" "$CA" "${EXPIRED[@]}" ec sha256 xnewkey
issue xint xnew "PKIX Intermediate under New Root" "$CA"
issue xleaf xint mx.dane.test "$LEAF
$SAN"
case_ cross_expired_path_and_valid_path ok mx.dane.test "RFC 4158 §2.3: the valid path through the new root is found" xold xnew -- xleaf xint xcross
case_ cross_only_expired_path fail mx.dane.test "RFC 5280 §6.1.3 (a)(2): the only path crosses an expired certificate" xold -- xleaf xint xcross

# Unknown critical extension, RFC 5280 §4.2
issue crit_leaf int mx.dane.test "$LEAF
$SAN
1.3.6.1.4.1.55555.1 = critical,ASN1:UTF8String:unknown"
case_ unknown_critical_extension_leaf fail mx.dane.test "RFC 5280 §4.2: unrecognized critical extension" root -- crit_leaf int
issue crit_int root "PKIX Intermediate unknown critical" "$CA
1.3.6.1.4.1.55555.1 = critical,ASN1:UTF8String:unknown"
issue crit_int_leaf crit_int mx.dane.test "$LEAF
$SAN"
case_ unknown_critical_extension_intermediate fail mx.dane.test "RFC 5280 §4.2: unrecognized critical extension" root -- crit_int_leaf crit_int
issue noncrit_leaf int mx.dane.test "$LEAF
$SAN
1.3.6.1.4.1.55555.1 = ASN1:UTF8String:unknown"
case_ unknown_noncritical_extension ok mx.dane.test "RFC 5280 §4.2: unrecognized non-critical extension is ignored" root -- noncrit_leaf int

# Weak signatures and keys, CA/B BR 7.1.3.2, 6.1.5
issue rsa_root self "PKIX Root RSA" "$CA" "" "" rsa2048
issue rsa_int rsa_root "PKIX Intermediate RSA" "$CA" "" "" rsa2048
issue sha1_leaf rsa_int mx.dane.test "$LEAF
$SAN" "" "" rsa2048 sha1
case_ sha1_signature fail mx.dane.test "CA/B BR 7.1.3.2: SHA-1 signatures are forbidden" rsa_root -- sha1_leaf rsa_int
issue md5_leaf rsa_int mx.dane.test "$LEAF
$SAN" "" "" rsa2048 md5
case_ md5_signature fail mx.dane.test "CA/B BR 7.1.3.2: MD5 signatures are forbidden" rsa_root -- md5_leaf rsa_int
issue sha1_int rsa_root "PKIX Intermediate SHA-1" "$CA" "" "" rsa2048 sha1
issue sha1_int_leaf sha1_int mx.dane.test "$LEAF
$SAN" "" "" rsa2048
case_ sha1_signature_intermediate fail mx.dane.test "CA/B BR 7.1.3.2: SHA-1 signatures are forbidden" rsa_root -- sha1_int_leaf sha1_int
issue rsa_leaf rsa_int mx.dane.test "$LEAF
$SAN" "" "" rsa2048
case_ rsa2048_sha256 ok mx.dane.test "CA/B BR 6.1.5: RSA 2048, SHA-256" rsa_root -- rsa_leaf rsa_int
issue rsa1024_leaf rsa_int mx.dane.test "$LEAF
$SAN" "" "" rsa1024
case_ rsa1024_leaf fail mx.dane.test "CA/B BR 6.1.5: RSA modulus under 2048 bits" rsa_root -- rsa1024_leaf rsa_int
issue rsa1024_int rsa_root "PKIX Intermediate RSA 1024" "$CA" "" "" rsa1024
issue rsa1024_int_leaf rsa1024_int mx.dane.test "$LEAF
$SAN"
case_ rsa1024_intermediate fail mx.dane.test "CA/B BR 6.1.5: RSA modulus under 2048 bits" rsa_root -- rsa1024_int_leaf rsa1024_int

# Names, RFC 6125 §6.4 (and RFC 7672 §3.2.2 for SMTP)
issue wild_leaf int "wildcard" "$LEAF
subjectAltName = DNS:*.dane.test"
case_ wildcard_san ok mx.dane.test "RFC 6125 §6.4.3: *.dane.test matches one label" root -- wild_leaf int
case_ wildcard_san_two_labels fail a.mx.dane.test "RFC 6125 §6.4.3: a wildcard matches exactly one label" root -- wild_leaf int
issue ip_leaf int "192.0.2.1" "$LEAF
subjectAltName = IP:192.0.2.1"
case_ ip_san_only fail mx.dane.test "RFC 6125 §6.4.4: an IP SAN is no DNS-ID, and the CN is not used when SANs exist" root -- ip_leaf int
issue ipdns_leaf int "mixed" "$LEAF
subjectAltName = IP:192.0.2.1,DNS:mx.dane.test"
case_ ip_and_dns_san ok mx.dane.test "RFC 6125 §6.4.4: the DNS-ID matches" root -- ipdns_leaf int
issue cn_leaf int mx.dane.test "$LEAF"
case_ cn_only ok mx.dane.test "RFC 6125 §6.4.4: no SAN, the CN is used (as Postfix)" root -- cn_leaf int

# Chain shape, RFC 8446 §4.4.2: arbitrary order and extra certificates
issue mid root "PKIX Mid" "$CA"
issue sub mid "PKIX Sub" "$CA"
issue leaf3 sub mx.dane.test "$LEAF
$SAN"
case_ out_of_order ok mx.dane.test "RFC 8446 §4.4.2: certificates in any order" root -- leaf3 mid sub
case_ extra_unrelated ok mx.dane.test "RFC 8446 §4.4.2: an unrelated certificate is ignored" root -- leaf other_root int
case_ missing_intermediate fail mx.dane.test "RFC 5280 §6.1: the issuer of the leaf is missing" root -- leaf
prev=root; long=()
for i in 01 02 03 04 05 06 07 08 09 10 11; do
  issue "long$i" "$prev" "PKIX Long $i" "$CA"; prev=long$i; long=("long$i" "${long[@]}")
done
issue long_leaf "$prev" mx.dane.test "$LEAF
$SAN"
case_ long_chain_12 ok mx.dane.test "RFC 5280 §6.1: 11 intermediates, no length limit" root -- long_leaf "${long[@]}"
issue selfsigned self mx.dane.test "$LEAF
$SAN"
case_ self_signed_leaf_untrusted fail mx.dane.test "RFC 5280 §6.1: a self-signed leaf not among the anchors" root -- selfsigned

mv "$work/cases" "$work/out"
mkdir -p "$work/out/certs"
cp "$work/c"/*.pem "$work/out/certs/"
cp "$work/cases.tsv" "$work/out/cases.tsv"
rm -rf "$out"
mv "$work/out" "$out"
echo "mkpkix: wrote $(wc -l <"$out/cases.tsv") cases to $out"
