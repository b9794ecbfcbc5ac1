#!/usr/bin/env bash
# tests/data/demo/mkdemo.sh - how the shipped demo chain was made (run once;
# the PEMs are committed, the private keys are thrown away).
#
# ECDSA P-256: root "Demo Root" > intermediate "Demo Intermediate" (CA,
# pathlen:0) > leaf mx.example.test (SAN DNS:mx.example.test), all valid from
# 2020-01-01 to 2099-12-31 so that the demo never rots.
# Writes root.pem, intermediate.pem, leaf.pem and chain.pem (leaf then
# intermediate, as a server sends it) beside this script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir new
cat >ca.cnf <<'CNF'
[ ca ]
default_ca = d
[ d ]
database = index.txt
new_certs_dir = new
serial = serial
default_md = sha256
policy = p
copy_extensions = none
unique_subject = no
[ p ]
commonName = supplied
organizationName = optional
[ root ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ int ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:mx.example.test
CNF

# issue NAME ISSUER|self SUBJECT SECTION
issue() {
  local name=$1 issuer=$2 subj=$3 section=$4 signer
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key"
  openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
  : >index.txt
  openssl rand -hex 16 >serial
  if [ "$issuer" = self ]; then
    signer=(-selfsign -keyfile "$name.key")
  else
    signer=(-cert "$issuer.pem" -keyfile "$issuer.key")
  fi
  openssl ca -batch -config ca.cnf "${signer[@]}" -in "$name.csr" -out "$name.pem" \
    -startdate 20200101000000Z -enddate 20991231235959Z -extfile ca.cnf \
    -extensions "$section" -notext 2>ca.log || { cat ca.log >&2; exit 1; }
}

issue root self "/O=dane-agent demo/CN=Demo Root" root
issue intermediate root "/O=dane-agent demo/CN=Demo Intermediate" int
issue leaf intermediate "/O=dane-agent demo/CN=mx.example.test" leaf
cp root.pem intermediate.pem leaf.pem "$here/"
cat leaf.pem intermediate.pem >"$here/chain.pem"
