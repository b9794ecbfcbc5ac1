#!/usr/bin/env bash
# tests/testbed/dns/start.sh [-c CERTDIR] [RUNDIR] - start the signed-zone DNS
# testbed: nsd (authoritative, 127.0.53.1:53) and unbound (validating
# recursive resolver with a stub-zone for test., 127.0.53.2:53).
#
# Every run: stops a testbed still running in RUNDIR (by PID), builds the
# zones of README.md, signs them with fresh ldns keys, writes
#   RUNDIR/trust-anchors.key   the DS of test. (the only trust anchor)
#   RUNDIR/policy.yaml         dns.upstreams 127.0.53.2 + that trust anchor
#   RUNDIR/env                 shell assignments (DNS_TESTBED_POLICY, ...)
# starts both servers with private config, pid and log files under RUNDIR,
# and waits (bounded) until unbound returns a validated answer.
#
# CERTDIR is the output of tests/certs/mkcerts.sh (server/<profile>/...); the
# TLSA records are computed from it with the openssl CLI. Without -c,
# RUNDIR/certs is (re)generated with mkcerts.sh. RUNDIR defaults to
# $DANE_TESTBED_DIR/dns, else <repo>/.testbed/dns.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)

certs=
if [ "${1:-}" = -c ]; then
    certs=${2:?start.sh: -c needs a directory}
    shift 2
fi
run=${1:-${DANE_TESTBED_DIR:-$repo/.testbed}/dns}

die() { echo "dns testbed: $*" >&2; exit 1; }

for tool in nsd unbound ldns-keygen ldns-signzone ldns-key2ds openssl dig ss; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
        die "$tool not found (Debian packages nsd unbound ldnsutils openssl bind9-dnsutils)"
done
PATH=$PATH:/usr/sbin

NSD_ADDR=127.0.53.1
UNBOUND_ADDR=127.0.53.2

"$here/stop.sh" "$run"
# The addresses are fixed: wait (TESTBED_WAIT seconds, default 600) while
# another run's testbed holds them, then give up naming the address.
waited=0
for addr in $NSD_ADDR $UNBOUND_ADDR; do
    while ss -Hlun 'sport = :53' 2>/dev/null | grep -q "$addr:53"; do
        [ "$waited" -lt "${TESTBED_WAIT:-600}" ] ||
            die "$addr:53 already answers: another testbed is running (stop it with its stop.sh RUNDIR)"
        sleep 1; waited=$((waited + 1))
    done
done
mkdir -p "$run"
run=$(cd "$run" && pwd)
rm -rf "$run/zones" "$run/keys"
mkdir -p "$run/zones" "$run/keys"

if [ -z "$certs" ]; then
    [ -x "$repo/tests/certs/mkcerts.sh" ] ||
        die "no -c CERTDIR given and tests/certs/mkcerts.sh is missing"
    certs=$run/certs
    "$repo/tests/certs/mkcerts.sh" "$certs" >/dev/null
fi
[ -d "$certs/server" ] || die "$certs/server: not a mkcerts.sh output directory"
certs=$(cd "$certs" && pwd)

# --- TLSA data (openssl CLI) -------------------------------------------------
# spki_sha256 PEM - TLSA x 1 1 data: SHA-256 of the DER SubjectPublicKeyInfo
spki_sha256() {
    openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
        openssl dgst -sha256 -r | cut -d' ' -f1
}
# cert_sha256 PEM - TLSA x 0 1 data: SHA-256 of the DER certificate
cert_sha256() {
    openssl x509 -in "$1" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1
}
# issuer_pem PROFILE - the leaf's issuer as sent (last of chain.pem), else ca.pem
issuer_pem() {
    local d=$certs/server/$1 out=$run/keys/$1-issuer.pem
    awk '/-----BEGIN CERTIFICATE-----/{n++; buf=""} {buf=buf $0 "\n"}
         /-----END CERTIFICATE-----/{last=buf} END{if (n > 1) printf "%s", last}' \
        "$d/chain.pem" > "$out"
    [ -s "$out" ] || cp "$d/ca.pem" "$out"
    echo "$out"
}
leaf_tlsa() { spki_sha256 "$certs/server/$1/cert.pem"; }
# cert_full PEM - TLSA x 0 0 data: the whole DER certificate in hex
cert_full() { openssl x509 -in "$1" -outform DER | od -An -v -tx1 | tr -d ' \n'; }

for p in ecdsa rsa wrongname expired selfsigned; do
    [ -s "$certs/server/$p/cert.pem" ] || die "$certs/server/$p/cert.pem missing"
done
EC311=$(leaf_tlsa ecdsa)
EC201=$(cert_sha256 "$(issuer_pem ecdsa)")
RSA311=$(leaf_tlsa rsa)
EC111=$EC311
EC001=$EC201

# Postfix profiles (tests/testbed/README.md): host <profile>.dane.test at
# 127.0.25.N with TLSA 3 1 1 of the certificate(s) that profile may serve.
profile_hosts() {
    local entry name addr cert
    for entry in ecdsa:10:ecdsa rsa:11:rsa tls12-ecdhe:12:ecdsa,rsa \
                 tls12-dhe:13:ecdsa,rsa static-rsa:14:rsa no-starttls:15:ecdsa \
                 anon:16:ecdsa wrongname:17:wrongname expired:18:expired \
                 selfsigned:19:selfsigned; do
        IFS=: read -r name addr cert <<<"$entry"
        echo "$name A 127.0.25.$addr"
        for c in ${cert//,/ }; do
            echo "_25._tcp.$name TLSA 3 1 1 $(leaf_tlsa "$c")"
        done
    done
}

# --- zone contents ------------------------------------------------------------
soa() {
    printf '$ORIGIN %s.\n$TTL 300\n@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n@ NS ns.test.\n' "$1"
}

zone_dane() {
    cat <<Z
@ MX 10 mx
mx A 127.0.25.10
_25._tcp.mx TLSA 3 1 1 $EC311
_25._tcp.mx TLSA 2 0 1 $EC201
ta A 127.0.25.10
_25._tcp.ta TLSA 2 0 1 $EC201
unusable A 127.0.25.10
_25._tcp.unusable TLSA 1 1 1 $EC111
_25._tcp.unusable TLSA 0 0 1 $EC001
mismatch A 127.0.25.10
_25._tcp.mismatch TLSA 3 1 1 $RSA311
notlsa A 127.0.25.10
sub A 127.0.25.10
_587._tcp.sub TLSA 3 1 1 $EC311
big A 127.0.25.10
wrongname-ta A 127.0.25.17
_25._tcp.wrongname-ta TLSA 2 0 1 $EC201
expired-ta A 127.0.25.18
_25._tcp.expired-ta TLSA 2 0 1 $EC201
_mta-sts TXT "v=STSv1; id=20261205T000000;"
_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@dane.test"
_smtp._tls.mismatch TXT "v=TLSRPTv1; rua=https://tlsrpt.dane.test/tlsrpt,mailto:tlsrpt@mismatch.dane.test"
_smtp._tls.ta TXT "v=TLSRPTv1; rua=ftp://tlsrpt.dane.test/"
_smtp._tls.no-starttls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@no-starttls.dane.test"
_smtp._tls.wrongname-ta TXT "v=TLSRPTv1; rua=mailto:tlsrpt@wrongname-ta.dane.test"
tlsrpt A 127.0.27.14
Z
    # an RRset larger than a UDP answer (EDNS 1232): truncated, then TCP
    for p in ecdsa rsa wrongname expired selfsigned; do
        echo "_25._tcp.big TLSA 3 0 0 $(cert_full "$certs/server/$p/cert.pem")"
    done
    profile_hosts
}
zone_unsigned() {
    cat <<Z
@ MX 10 mx
mx A 127.0.25.10
_25._tcp.mx TLSA 3 1 1 $EC311
insecuremx MX 10 mx.dane.test.
_mta-sts TXT "v=STSv1; id=unsigned1;"
Z
}
zone_simple_mx() {      # dsmismatch, expired: a complete DANE setup that fails validation
    cat <<Z
@ MX 10 mx
mx A 127.0.25.10
_25._tcp.mx TLSA 3 1 1 $EC311
Z
}
zone_nodata() {         # nsec, nsec3: the TLSA name exists, without TLSA
    cat <<Z
@ MX 10 mx
mx A 127.0.25.10
_25._tcp.mx TXT "no TLSA here"
Z
}
zone_badsig() {
    cat <<Z
@ MX 10 mx
@ MX 20 mx2
mx A 127.0.25.10
_25._tcp.mx TLSA 3 1 1 $EC311
mx2 A 127.0.25.10
_25._tcp.mx2 TLSA 3 1 1 $EC311
_mta-sts TXT "v=STSv1; id=badsig1;"
_smtp._tls.mx TXT "v=TLSRPTv1; rua=mailto:tlsrpt@badsig.test"
Z
}
zone_cname() {
    cat <<Z
@ MX 10 mx
mx CNAME mx.dane.test.
orig MX 10 mx-orig
mx-orig CNAME mx.nsec.test.
_25._tcp.mx-orig TLSA 3 1 1 $EC311
two MX 10 mx-two
mx-two CNAME mid
mid CNAME mx.nsec.test.
_25._tcp.mid TLSA 3 1 1 $RSA311
_25._tcp.mx-two TLSA 3 1 1 $EC311
insecure MX 10 mx-insecure
mx-insecure CNAME mx.unsigned.test.
_25._tcp.mx-insecure TLSA 3 1 1 $EC311
Z
}
zone_nullmx() { echo '@ MX 0 .'; }
zone_nomx() {
    cat <<Z
@ A 127.0.25.10
_25._tcp TLSA 3 1 1 $EC311
Z
}
zone_multi() {
    cat <<Z
@ MX 10 mx1
@ MX 10 mx2
@ MX 20 mx3
@ MX 30 mx.unsigned.test.
mx1 A 127.0.25.10
_25._tcp.mx1 TLSA 3 1 1 $EC311
mx2 A 127.0.25.11
_25._tcp.mx2 TLSA 3 1 1 $RSA311
mx3 A 127.0.25.10
Z
}
zone_failover() {      # MX 10 no STARTTLS, MX 20 DANE mismatch, MX 30 good
    cat <<Z
@ MX 10 mx1
@ MX 20 mx2
@ MX 30 mx3
mx1 A 127.0.25.15
_25._tcp.mx1 TLSA 3 1 1 $EC311
mx2 A 127.0.25.10
_25._tcp.mx2 TLSA 3 1 1 $RSA311
mx3 A 127.0.25.11
_25._tcp.mx3 TLSA 3 1 1 $RSA311
_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@failover.test"
Z
}
zone_addrunsigned() { echo '@ MX 10 mx.unsigned.test.'; }

# MTA-STS domains (tests/integration/mta_sts.sh; policies served by
# tests/testbed/https/start.sh at 127.0.27.10). Unsigned, so DANE never
# governs their own hosts; the usual MX is notlsa.dane.test (127.0.25.10,
# certificate *.dane.test, no TLSA): only MTA-STS can authenticate it.
# sts_domain ID [MX...] - MX records (default notlsa.dane.test.), the
# _mta-sts TXT record with that id, the policy host mta-sts at 127.0.27.10
sts_domain() {
    local id=$1 pref=10 mx
    shift
    for mx in "${@:-notlsa.dane.test.}"; do
        echo "@ MX $pref $mx"; pref=$((pref + 10))
    done
    echo "_mta-sts TXT \"v=STSv1; id=$id\""
    echo "mta-sts A 127.0.27.10"
}
zone_sts_enforce() {    # a TXT record of another kind is discarded (RFC 8461 §3.1)
    sts_domain enforce1
    echo '_mta-sts TXT "not an MTA-STS record"'
}
zone_sts_mismatch() { sts_domain mismatch1; }
zone_sts_badcert() {    # the wrongname, expired and selfsigned Postfix profiles
    sts_domain badcert1 mx1 mx2 mx3
    printf 'mx1 A 127.0.25.17\nmx2 A 127.0.25.18\nmx3 A 127.0.25.19\n'
}
zone_sts_testing() { sts_domain testing1; }
zone_sts_none() { sts_domain none1; }
zone_sts_404() { sts_domain notfound1; }
zone_sts_redirect() { sts_domain redirect1; }
zone_sts_html() { sts_domain html1; }
zone_sts_big() { sts_domain big1; }
zone_sts_badtls() { sts_domain badtls1; }
zone_sts_badname() { sts_domain badname1; }
zone_sts_twotxt() {     # two STSv1 records: no policy announced (§3.1)
    sts_domain twotxt1
    echo '_mta-sts TXT "v=STSv1; id=twotxt2"'
}
zone_sts_badtxt() {     # one STSv1 record, malformed (id not 1-32 letters or digits)
    printf '@ MX 10 notlsa.dane.test.\n_mta-sts TXT "v=STSv1; id=bad-id!"\nmta-sts A 127.0.27.10\n'
}
zone_sts_dane() {       # signed: mx has usable TLSA, notlsa.dane.test has none
    sts_domain dane1 mx notlsa.dane.test.
    echo "mx A 127.0.25.10"
    echo "_25._tcp.mx TLSA 3 1 1 $EC311"
}
zone_sts_shared_a() { sts_domain shareda1; }
zone_sts_shared_b() { echo '@ MX 10 notlsa.dane.test.'; }   # no MTA-STS
zone_sts_cache() {      # the TXT id is changed during the test: TTL 1 s
    sts_domain cache1 | sed 's/^_mta-sts TXT/_mta-sts 1 TXT/'
}

# child zones: name, contents function, signing mode
#   nsec | nsec3 | unsigned (no DS) | dsmismatch (wrong DS) | expired | badsig
#   | lame (delegated to a server that does not answer)
CHILDREN="dane:zone_dane:nsec unsigned:zone_unsigned:unsigned
dsmismatch:zone_simple_mx:dsmismatch expired:zone_simple_mx:expired
nsec:zone_nodata:nsec nsec3:zone_nodata:nsec3 badsig:zone_badsig:badsig
cname:zone_cname:nsec nullmx:zone_nullmx:nsec nomx:zone_nomx:nsec
multi:zone_multi:nsec addrunsigned:zone_addrunsigned:nsec lame::lame
failover:zone_failover:nsec
sts-enforce:zone_sts_enforce:unsigned sts-mismatch:zone_sts_mismatch:unsigned
sts-badcert:zone_sts_badcert:unsigned sts-testing:zone_sts_testing:unsigned
sts-none:zone_sts_none:unsigned sts-404:zone_sts_404:unsigned
sts-redirect:zone_sts_redirect:unsigned sts-html:zone_sts_html:unsigned
sts-big:zone_sts_big:unsigned sts-badtls:zone_sts_badtls:unsigned
sts-badname:zone_sts_badname:unsigned sts-twotxt:zone_sts_twotxt:unsigned
sts-badtxt:zone_sts_badtxt:unsigned sts-dane:zone_sts_dane:nsec
sts-shared-a:zone_sts_shared_a:unsigned sts-shared-b:zone_sts_shared_b:unsigned
sts-cache:zone_sts_cache:unsigned"

# --- signing -----------------------------------------------------------------
# keygen ZONE - fresh ECDSAP256SHA256 key (KSK flag; also signs the zone)
keygen() {
    (cd "$run/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$1")
}
# sign ZONE MODE - sign zones/ZONE into zones/ZONE.signed, print the DS
sign() {
    local zone=$1 mode=$2 base file=$run/zones/$1 args
    base=$(keygen "$zone")
    # inception a day back: a validator must never see a signature from the future
    args=(-i "$(date -u -d '1 day ago' +%Y%m%d)")
    case $mode in
        nsec3) args+=(-n) ;;
        expired) args=(-i 20200101 -e 20200201) ;;
    esac
    ldns-signzone "${args[@]}" -f "$file.signed" "$file" "$run/keys/$base" >/dev/null
    [ "$mode" = badsig ] && corrupt_rrsigs "$file.signed"
    ldns-key2ds -n -2 "$run/keys/$base.key"
}
# corrupt_rrsigs FILE - flip one base64 character of each RRSIG over TLSA at
# _25._tcp.mx. and over TXT at _mta-sts. (only those RRsets fail validation)
corrupt_rrsigs() {
    awk 'BEGIN{OFS="\t"} $4 == "RRSIG" && (($1 ~ /^_25\._tcp\.mx\./ && $5 == "TLSA") ||
                                          ($1 ~ /^_mta-sts\./ && $5 == "TXT")) {
            s = $NF; c = substr(s, 10, 1); r = (c == "A") ? "B" : "A"
            $NF = substr(s, 1, 9) r substr(s, 11)
         } {print}' "$1" > "$1.tmp"
    mv "$1.tmp" "$1"
}

tld=$run/zones/test
{
    soa test
    echo "ns A $NSD_ADDR"
} > "$tld"
nsd_zones=
for child in $CHILDREN; do
    IFS=: read -r name body mode <<<"$child"
    if [ "$mode" = lame ]; then
        printf '%s NS ns.%s\nns.%s A 127.0.53.9\n' "$name" "$name" "$name" >> "$tld"
        continue
    fi
    { soa "$name.test"; "$body"; } > "$run/zones/$name.test"
    echo "$name NS ns.test." >> "$tld"
    zonefile=$name.test
    case $mode in
        unsigned) ;;
        dsmismatch)
            sign "$name.test" nsec >/dev/null
            zonefile=$name.test.signed
            # a DS whose digest is not that of the zone's key: bogus (RFC 4035 §5.2)
            echo "$name DS 12345 13 2 $(printf %064d 0 | tr 0 a)" >> "$tld" ;;
        *)
            sign "$name.test" "$mode" | awk '{$1=""; print "'"$name"'" $0}' >> "$tld"
            zonefile=$name.test.signed ;;
    esac
    nsd_zones+="zone:
    name: \"$name.test\"
    zonefile: \"$run/zones/$zonefile\"
"
done
ds=$(sign test nsec)
echo "$ds" > "$run/trust-anchors.key"

# --- a private root ------------------------------------------------------------
# getdns chases the chain from the root (". DNSKEY", "test. DS") even with
# test. as its only trust anchor; without a root unbound would try the real
# root servers (unreachable here) and answer SERVFAIL only after a while. An
# unsigned root zone on nsd, given to unbound as its root hints, answers at once.
cat > "$run/zones/root" <<Z
\$ORIGIN .
\$TTL 300
@ SOA a.root. hostmaster.test. 1 3600 600 86400 300
@ NS a.root.
a.root. A $NSD_ADDR
test. NS ns.test.
ns.test. A $NSD_ADDR
Z
printf '. 3600000 NS a.root.\na.root. 3600000 A %s\n' "$NSD_ADDR" > "$run/root.hints"

# --- servers -------------------------------------------------------------------
cat > "$run/nsd.conf" <<C
server:
    ip-address: $NSD_ADDR@53
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$run/zones"
    database: ""
    zonelistfile: "$run/zone.list"
    xfrdfile: "$run/xfrd.state"
    xfrdir: "$run"
    pidfile: "$run/nsd.pid"
    logfile: "$run/nsd.log"
    server-count: 1
    verbosity: 1
remote-control:
    control-enable: no
zone:
    name: "."
    zonefile: "$run/zones/root"
zone:
    name: "test"
    zonefile: "$run/zones/test.signed"
$nsd_zones
C
cat > "$run/unbound.conf" <<C
server:
    interface: $UNBOUND_ADDR@53
    port: 53
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    username: ""
    chroot: ""
    directory: "$run"
    pidfile: "$run/unbound.pid"
    logfile: "$run/unbound.log"
    use-syslog: no
    num-threads: 1
    so-reuseport: no
    module-config: "validator iterator"
    trust-anchor-file: "$run/trust-anchors.key"
    val-log-level: 2
    # answers above this are truncated over UDP: the client must retry over TCP
    max-udp-size: 1232
    # test. is an RFC 6761 special-use name that unbound answers locally by default
    local-zone: "test." nodefault
    root-hints: "$run/root.hints"
    verbosity: 1
remote-control:
    control-enable: no
stub-zone:
    name: "test."
    stub-addr: $NSD_ADDR
C
nsd-checkconf "$run/nsd.conf" || die "nsd-checkconf failed"
unbound-checkconf "$run/unbound.conf" >/dev/null || die "unbound-checkconf failed"
# start_servers - nsd, then unbound. Another run may take the fixed addresses
# between the check above and our bind: then stop what started, wait and try
# again (within TESTBED_WAIT); any other failure ends the start.
start_servers() {
    local waited=0
    while :; do
        : > "$run/nsd.log"; : > "$run/unbound.log"
        if nsd -c "$run/nsd.conf" 2>>"$run/nsd.log"; then
            unbound -c "$run/unbound.conf" 2>>"$run/unbound.log" && return 0
        fi
        "$here/stop.sh" "$run" >/dev/null 2>&1 || true
        grep -q "Address already in use" "$run/nsd.log" "$run/unbound.log" ||
            die "nsd or unbound did not start (see $run/nsd.log, $run/unbound.log)"
        [ "$waited" -lt "${TESTBED_WAIT:-600}" ] ||
            die "the testbed addresses stay in use by another run"
        sleep 2; waited=$((waited + 2))
    done
}
start_servers

# --- policy for dane-agent -----------------------------------------------------
cat > "$run/policy.yaml" <<P
# written by tests/testbed/dns/start.sh
dns:
  resolution: stub
  upstreams: ["$UNBOUND_ADDR"]
  trust_anchors: $run/trust-anchors.key
  timeout: 5s
defaults:
  level: dane
P
cat > "$run/env" <<E
DNS_TESTBED_DIR=$run
DNS_TESTBED_POLICY=$run/policy.yaml
DNS_TESTBED_TRUST_ANCHORS=$run/trust-anchors.key
DNS_TESTBED_NSD=$NSD_ADDR
DNS_TESTBED_RESOLVER=$UNBOUND_ADDR
DNS_TESTBED_CERTS=$certs
E

# --- ready: unbound answers dane.test MX validated (AD) --------------------
for _ in $(seq 100); do
    if dig +time=1 +tries=1 +dnssec @"$UNBOUND_ADDR" dane.test MX 2>/dev/null |
            grep -q 'flags:.* ad'; then
        echo "dns testbed: ready in $run (policy $run/policy.yaml)"
        exit 0
    fi
    sleep 0.1
done
"$here/stop.sh" "$run"
die "unbound did not validate dane.test MX within 10 s (see $run/*.log)"
