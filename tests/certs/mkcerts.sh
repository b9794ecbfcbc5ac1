#!/usr/bin/env bash
# tests/certs/mkcerts.sh OUTDIR - generate every certificate the tests use.
#
# openssl CLI only. Validity dates are fixed and far from today so that tests
# never rot: valid 2020-01-01 .. 2099-12-31, expired 2001-01-01 .. 2002-01-01,
# not yet valid 2090-01-01 .. 2095-01-01. Keys are ECDSA P-256 except the rsa_*
# hierarchy (RSA 2048). Keys are new on every run; names and structure are not.
# The output replaces OUTDIR as a whole (built beside it, then renamed), so a
# rerun is idempotent and a reader never sees a half-written tree.
#
# Names: the test domain is dane.test. A good leaf has SAN DNS:mx.dane.test,
# DNS:*.dane.test and CN mx.dane.test (reference names mx.dane.test,
# any.dane.test match; a.b.dane.test and dane.test do not).
#
# Layout:
#   OUTDIR/certs/NAME.pem   certificate (PEM)      OUTDIR/certs/NAME.der  (DER)
#   OUTDIR/certs/NAME.spki  its SubjectPublicKeyInfo (DER)
#   OUTDIR/keys/NAME.key    private key (PEM, PKCS#8)
#   OUTDIR/server/PROFILE/{key.pem,cert.pem,chain.pem,ca.pem}
#       cert.pem leaf only; chain.pem leaf then intermediates (no root);
#       ca.pem the root (for selfsigned: the certificate itself)
#   Profiles: ecdsa      ECDSA leaf < ec_int < ec_root, SAN mx.dane.test *.dane.test
#             rsa        RSA 2048 leaf < rsa_int < rsa_root, same names
#             wrongname  ECDSA leaf < ec_int, SAN mx.wrong.example only
#             expired    ECDSA leaf < ec_int, names as ecdsa, valid 2001-2002
#             selfsigned self-signed ECDSA leaf, names as ecdsa
#             mtasts     ECDSA leaf < ec_int, SAN the MTA-STS policy hosts of
#                        tests/integration/mta_sts.sh (MTASTS_SAN below)
#
# Certificates (issuer in brackets; "good names" as above):
#   ec_root          self-signed CA, keyCertSign
#   ec_int [ec_root] CA pathlen:0          ec_leaf [ec_int] good names
#   ec_leaf1 [ec_root] good names (chain depth 1)
#   ec_mid [ec_root] CA; ec_sub [ec_mid] CA; ec_leaf3 [ec_sub] good names (depth 3)
#   ec_int_pl0 [ec_root] CA pathlen:0; ec_sub_pl [ec_int_pl0] CA;
#       ec_leaf_pl [ec_sub_pl]              (pathLen violated above ec_sub_pl)
#   ec_int_noca [ec_root] CA:FALSE; ec_leaf_noca [ec_int_noca]
#   ec_int_nobc [ec_root] no basicConstraints; ec_leaf_nobc [ec_int_nobc]
#   ec_int_noku [ec_root] CA, keyUsage digitalSignature only; ec_leaf_noku
#   ec_int_nokuext [ec_root] CA without keyUsage; ec_leaf_nokuext
#   ec_int_expired [ec_root] CA 2001-2002; ec_leaf_under_expired [ec_int_expired]
#   ec_int_future [ec_root] CA 2090-2095; ec_leaf_under_future [ec_int_future]
#   ec_leaf_expired [ec_int] 2001-2002; ec_leaf_future [ec_int] 2090-2095
#   ec_root_expired self-signed CA 2001-2002; ec_int_under_xroot [ec_root_expired]
#       CA; ec_leaf_under_xroot [ec_int_under_xroot]
#   ec_evil_int: same subject as ec_int, other key, signed by ec_root;
#       ec_leaf_forged [ec_evil_int] (presented with ec_int: bad signature)
#   ec_leaf_wild [ec_int] SAN *.dane.test only
#   ec_leaf_cnonly [ec_int] no SAN, CN mx.dane.test
#   ec_leaf_sanother [ec_int] SAN other.dane.test, CN mx.dane.test
#   ec_leaf_wrongname [ec_int] SAN mx.wrong.example, CN mx.wrong.example
#   ec_leaf_partial [ec_int] SAN m*.dane.test; ec_leaf_nonleft [ec_int] SAN mx.*.test
#   ec_int_nc [ec_root] CA permitting only example.org; ec_leaf_nc [ec_int_nc]
#   ec_leaf_client [ec_int] good names, EKU clientAuth only
#   ec_selfsigned    self-signed leaf (CA:FALSE) with good names
#   other_root       unrelated self-signed CA; other_leaf [other_root] good names
#   ec_root_cross [other_root]: ec_root's subject and key, cross-signed
#   noid_root, noid_int [noid_root], noid_leaf [noid_int]: no SKID/AKID at all
#   rsa_root, rsa_int [rsa_root], rsa_leaf [rsa_int] good names: RSA 2048
#   ec_leaf_mtasts [ec_int] SAN MTASTS_SAN, CN mta-sts.sts-enforce.test
set -euo pipefail
out=${1:?usage: mkcerts.sh OUTDIR}
out=$(mkdir -p "$(dirname "$out")" && cd "$(dirname "$out")" && pwd)/$(basename "$out")
work=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/certs" "$work/keys" "$work/ca" "$work/server"

VALID=(20200101000000Z 20991231235959Z)
EXPIRED=(20010101000000Z 20020101000000Z)
FUTURE=(20900101000000Z 20950101000000Z)
GOOD_SAN="DNS:mx.dane.test,DNS:*.dane.test"
# the policy hosts mta-sts.<domain> that tests/testbed/https/start.sh serves
# with this certificate (the domains of tests/testbed/dns/start.sh's zone_sts_*)
MTASTS_SAN=$(for d in sts-enforce sts-mismatch sts-badcert sts-testing sts-none \
                      sts-404 sts-redirect sts-html sts-big sts-twotxt sts-badtxt \
                      sts-dane sts-shared-a sts-cache; do
                 printf 'DNS:mta-sts.%s.test,' "$d"
             done | sed 's/,$//')

cat >"$work/ca/ca.cnf" <<'EOF'
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = .
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
default_md = sha256
policy = policy_any
preserve = yes
email_in_dn = no
copy_extensions = none
unique_subject = no
[ policy_any ]
commonName = optional
organizationName = optional
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
EOF

# ext SECTION [SAN] - write an extension section to $work/ca/ext.cnf
ext() {
  local kind=$1 san=${2:-}
  {
    echo "[ x ]"
    case $kind in
      ca)       echo "basicConstraints = critical,CA:TRUE"
                echo "keyUsage = critical,keyCertSign,cRLSign" ;;
      ca_pl0)   echo "basicConstraints = critical,CA:TRUE,pathlen:0"
                echo "keyUsage = critical,keyCertSign,cRLSign" ;;
      ca_noku)  echo "basicConstraints = critical,CA:TRUE"
                echo "keyUsage = critical,digitalSignature" ;;
      ca_nokuext) echo "basicConstraints = critical,CA:TRUE" ;;
      noca)     echo "basicConstraints = critical,CA:FALSE"
                echo "keyUsage = critical,keyCertSign,cRLSign" ;;
      nobc)     echo "keyUsage = critical,keyCertSign,cRLSign" ;;
      ca_nc)    echo "basicConstraints = critical,CA:TRUE"
                echo "keyUsage = critical,keyCertSign,cRLSign"
                echo "nameConstraints = critical,permitted;DNS:example.org" ;;
      leaf_client) echo "basicConstraints = critical,CA:FALSE"
                echo "keyUsage = critical,digitalSignature"
                echo "extendedKeyUsage = clientAuth" ;;
      leaf)     echo "basicConstraints = critical,CA:FALSE"
                echo "keyUsage = critical,digitalSignature,keyEncipherment"
                echo "extendedKeyUsage = serverAuth" ;;
      *) echo "mkcerts: unknown extension kind $kind" >&2; exit 1 ;;
    esac
    if [ "${NOID:-0}" = 1 ]; then
      echo "subjectKeyIdentifier = none"
      echo "authorityKeyIdentifier = none"
    else
      echo "subjectKeyIdentifier = hash"
      echo "authorityKeyIdentifier = keyid:always"
    fi
    [ -n "$san" ] && echo "subjectAltName = $san"
    true
  } >"$work/ca/ext.cnf"
}

# key NAME [rsa] - a new private key
key() {
  if [ "${2:-ec}" = rsa ]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/keys/$1.key" 2>/dev/null
  else
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/keys/$1.key"
  fi
}

# issue NAME ISSUER|self SUBJECT KIND START END [SAN] [KEYNAME] [rsa]
#   KEYNAME reuses an existing key (default: a new key NAME)
issue() {
  local name=$1 issuer=$2 subj=$3 kind=$4 start=$5 end=$6 san=${7:-} keyname=${8:-$1}
  [ -f "$work/keys/$keyname.key" ] || key "$keyname" "${9:-ec}"
  ext "$kind" "$san"
  (
    cd "$work/ca"
    rm -rf new index.txt index.txt.attr serial; mkdir new; : >index.txt
    openssl rand -hex 16 >serial
    openssl req -new -config ca.cnf -key "../keys/$keyname.key" -subj "$subj" -out req.csr
    if [ "$issuer" = self ]; then
      signer=(-selfsign -keyfile "../keys/$keyname.key")
    else
      signer=(-cert "../certs/$issuer.pem" -keyfile "../keys/$issuer.key")
    fi
    openssl ca -batch -config ca.cnf "${signer[@]}" -in req.csr -out "../certs/$name.pem" \
      -startdate "$start" -enddate "$end" -extfile ext.cnf -extensions x -notext \
      2>ca.log || { cat ca.log >&2; exit 1; }
  )
  openssl x509 -in "$work/certs/$name.pem" -outform DER -out "$work/certs/$name.der"
  openssl x509 -in "$work/certs/$name.pem" -noout -pubkey |
    openssl pkey -pubin -outform DER -out "$work/certs/$name.spki"
  [ "$keyname" = "$name" ] || cp "$work/keys/$keyname.key" "$work/keys/$name.key"
}

O="/O=DANE Agent Test"
# ECDSA hierarchy with SKID/AKID
issue ec_root self "$O/CN=DANE Test Root EC" ca "${VALID[@]}"
issue ec_int ec_root "$O/CN=DANE Test Intermediate EC" ca_pl0 "${VALID[@]}"
issue ec_leaf ec_int "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_leaf1 ec_root "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_mid ec_root "$O/CN=DANE Test Mid EC" ca "${VALID[@]}"
issue ec_sub ec_mid "$O/CN=DANE Test Sub EC" ca "${VALID[@]}"
issue ec_leaf3 ec_sub "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_int_pl0 ec_root "$O/CN=DANE Test Intermediate pathlen 0" ca_pl0 "${VALID[@]}"
issue ec_sub_pl ec_int_pl0 "$O/CN=DANE Test Sub under pathlen 0" ca "${VALID[@]}"
issue ec_leaf_pl ec_sub_pl "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_int_noca ec_root "$O/CN=DANE Test Intermediate CA FALSE" noca "${VALID[@]}"
issue ec_leaf_noca ec_int_noca "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_int_nobc ec_root "$O/CN=DANE Test Intermediate no basicConstraints" nobc "${VALID[@]}"
issue ec_leaf_nobc ec_int_nobc "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_int_noku ec_root "$O/CN=DANE Test Intermediate no keyCertSign" ca_noku "${VALID[@]}"
issue ec_leaf_noku ec_int_noku "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_int_nokuext ec_root "$O/CN=DANE Test Intermediate no keyUsage" ca_nokuext "${VALID[@]}"
issue ec_leaf_nokuext ec_int_nokuext "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_int_expired ec_root "$O/CN=DANE Test Intermediate expired" ca "${EXPIRED[@]}"
issue ec_leaf_under_expired ec_int_expired "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_int_future ec_root "$O/CN=DANE Test Intermediate future" ca "${FUTURE[@]}"
issue ec_leaf_under_future ec_int_future "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_leaf_expired ec_int "$O/CN=mx.dane.test" leaf "${EXPIRED[@]}" "$GOOD_SAN"
issue ec_leaf_future ec_int "$O/CN=mx.dane.test" leaf "${FUTURE[@]}" "$GOOD_SAN"
issue ec_root_expired self "$O/CN=DANE Test Root EC expired" ca "${EXPIRED[@]}"
issue ec_int_under_xroot ec_root_expired "$O/CN=DANE Test Intermediate under expired root" ca "${VALID[@]}"
issue ec_leaf_under_xroot ec_int_under_xroot "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_evil_int ec_root "$O/CN=DANE Test Intermediate EC" ca_pl0 "${VALID[@]}"
issue ec_leaf_forged ec_evil_int "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_leaf_wild ec_int "$O/CN=wildcard" leaf "${VALID[@]}" "DNS:*.dane.test"
issue ec_leaf_cnonly ec_int "$O/CN=mx.dane.test" leaf "${VALID[@]}"
issue ec_leaf_sanother ec_int "$O/CN=mx.dane.test" leaf "${VALID[@]}" "DNS:other.dane.test"
issue ec_leaf_wrongname ec_int "$O/CN=mx.wrong.example" leaf "${VALID[@]}" "DNS:mx.wrong.example"
issue ec_leaf_partial ec_int "$O/CN=partial" leaf "${VALID[@]}" "DNS:m*.dane.test"
issue ec_leaf_nonleft ec_int "$O/CN=nonleft" leaf "${VALID[@]}" "DNS:mx.*.test"
issue ec_int_nc ec_root "$O/CN=DANE Test Intermediate permits example.org" ca_nc "${VALID[@]}"
issue ec_leaf_nc ec_int_nc "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_leaf_client ec_int "$O/CN=mx.dane.test" leaf_client "${VALID[@]}" "$GOOD_SAN"
issue ec_selfsigned self "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue other_root self "$O/CN=Unrelated Root EC" ca "${VALID[@]}"
issue other_leaf other_root "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue ec_root_cross other_root "$O/CN=DANE Test Root EC" ca "${VALID[@]}" "" ec_root
NOID=1 issue noid_root self "$O/CN=DANE Test Root no key ids" ca "${VALID[@]}"
NOID=1 issue noid_int noid_root "$O/CN=DANE Test Intermediate no key ids" ca "${VALID[@]}"
NOID=1 issue noid_leaf noid_int "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN"
issue rsa_root self "$O/CN=DANE Test Root RSA" ca "${VALID[@]}" "" rsa_root rsa
issue rsa_int rsa_root "$O/CN=DANE Test Intermediate RSA" ca_pl0 "${VALID[@]}" "" rsa_int rsa
issue rsa_leaf rsa_int "$O/CN=mx.dane.test" leaf "${VALID[@]}" "$GOOD_SAN" rsa_leaf rsa
issue ec_leaf_mtasts ec_int "$O/CN=mta-sts.sts-enforce.test" leaf "${VALID[@]}" "$MTASTS_SAN"

# profile NAME LEAF ROOT INTERMEDIATE...
profile() {
  local name=$1 leaf=$2 root=$3 d=$work/server/$1; shift 3
  mkdir -p "$d"
  cp "$work/keys/$leaf.key" "$d/key.pem"
  cp "$work/certs/$leaf.pem" "$d/cert.pem"
  cat "$work/certs/$leaf.pem" >"$d/chain.pem"
  for c in "$@"; do cat "$work/certs/$c.pem" >>"$d/chain.pem"; done
  cp "$work/certs/$root.pem" "$d/ca.pem"
}
profile ecdsa ec_leaf ec_root ec_int
profile rsa rsa_leaf rsa_root rsa_int
profile wrongname ec_leaf_wrongname ec_root ec_int
profile expired ec_leaf_expired ec_root ec_int
profile selfsigned ec_selfsigned ec_selfsigned
profile mtasts ec_leaf_mtasts ec_root ec_int

rm -rf "$work/ca"
chmod 700 "$work/keys" && chmod 600 "$work/keys"/*.key
rm -rf "$out"
mv "$work" "$out"
trap - EXIT
echo "mkcerts: wrote $(ls "$out/certs" | grep -c '\.pem$') certificates and $(ls "$out/server" | wc -l) server profiles to $out"
