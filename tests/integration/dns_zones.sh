#!/usr/bin/env bash
# dns_zones.sh - the RFC 7672 §2 decision for every zone of the DNS testbed,
# through `dane-agent probe --dns-only --json` against the real nsd + unbound
# testbed (tests/testbed/dns/README.md lists the zones and what they test).
set -euo pipefail
: "${DANE_AGENT:?}" "${DANE_TEST_SRCDIR:?}" "${DANE_TEST_BINDIR:?}"
# the agent drops to nobody, which must read the run dir: not below the
# build dir (a checkout may sit in a mode-0700 directory)
tmp=$(mktemp -d /tmp/dane-dns-zones.XXXXXX)
chmod 755 "$tmp"
run=$tmp/dns
trap '"$DANE_TEST_SRCDIR/tests/testbed/dns/stop.sh" "$run"; rm -rf "$tmp"' EXIT
"$DANE_TEST_SRCDIR/tests/testbed/dns/start.sh" "$run" >/dev/null
policy=$run/policy.yaml

# probe DEST [ARGS...] - the JSON object, with the exit code in "exit"
probe() {
    local dest=$1 rc=0 out
    shift
    out=$(timeout 60 "$DANE_AGENT" probe -c "$policy" "$@" --dns-only --json "$dest" \
          2>/dev/null) || rc=$?
    printf '{"exit": %d, "probe": %s}\n' "$rc" "${out:-null}"
}

# Expectations: DEST | exit | mx status | hosts as name=effective[@base][+trusted],
# in order ("*" for a host list whose order among equal preferences is random)
cases='
dane.test                 | 0  | secure          | mx.dane.test=dane@mx.dane.test
unsigned.test             | 0  | insecure        | mx.unsigned.test=may
insecuremx.unsigned.test  | 0  | insecure        | mx.dane.test=dane@mx.dane.test+trusted
dsmismatch.test           | 75 | bogus           |
expired.test              | 75 | bogus           |
nosuch.dane.test          | 69 | nxdomain-secure |
nosuch.nsec3.test         | 69 | nxdomain-secure |
nosuch.unsigned.test      | 69 | nxdomain-insecure |
nsec.test                 | 0  | secure          | mx.nsec.test=may
nsec3.test                | 0  | secure          | mx.nsec3.test=may
badsig.test               | 0  | secure          | mx.badsig.test=unreachable mx2.badsig.test=dane@mx2.badsig.test
cname.test                | 0  | secure          | mx.cname.test=dane@mx.dane.test
orig.cname.test           | 0  | secure          | mx-orig.cname.test=dane@mx-orig.cname.test
two.cname.test            | 0  | secure          | mx-two.cname.test=dane@mx-two.cname.test
insecure.cname.test       | 0  | secure          | mx-insecure.cname.test=may
nullmx.test               | 69 | secure          |
nomx.test                 | 0  | nodata-secure   | nomx.test=dane@nomx.test
multi.test                | 0  | secure          | * mx1.multi.test=dane@mx1.multi.test mx2.multi.test=dane@mx2.multi.test mx3.multi.test=may mx.unsigned.test=may
addrunsigned.test         | 0  | secure          | mx.unsigned.test=may
ta.dane.test              | 0  | nodata-secure   | ta.dane.test=dane@ta.dane.test
unusable.dane.test        | 0  | nodata-secure   | unusable.dane.test=encrypt@unusable.dane.test
mismatch.dane.test        | 0  | nodata-secure   | mismatch.dane.test=dane@mismatch.dane.test
notlsa.dane.test          | 0  | nodata-secure   | notlsa.dane.test=may
big.dane.test             | 0  | nodata-secure   | big.dane.test=dane@big.dane.test
[sub.dane.test]:587       | 0  | -               | sub.dane.test=dane@sub.dane.test
[sub.dane.test]           | 0  | -               | sub.dane.test=may
[mx.dane.test]            | 0  | -               | mx.dane.test=dane@mx.dane.test
[127.0.25.10]             | 0  | -               | 127.0.25.10=may
ecdsa.dane.test           | 0  | nodata-secure   | ecdsa.dane.test=dane@ecdsa.dane.test
rsa.dane.test             | 0  | nodata-secure   | rsa.dane.test=dane@rsa.dane.test
selfsigned.dane.test      | 0  | nodata-secure   | selfsigned.dane.test=dane@selfsigned.dane.test
'
fail=0
while IFS='|' read -r dest code mx hosts; do
    dest=$(echo $dest)
    [ -n "$dest" ] || continue
    got=$(probe "$dest")
    if ! python3 - "$dest" "$(echo $code)" "$(echo $mx)" "$hosts" "$got" <<'PY'
import json, sys
dest, code, mx, hosts, got = sys.argv[1:]
d = json.loads(got)
p = d["probe"]
errors = []
if d["exit"] != int(code):
    errors.append("exit %d, want %s" % (d["exit"], code))
if p is None:
    errors.append("no JSON output")
else:
    got_mx = p["mx"]["status"] if p["mx"] else "-"
    if got_mx != mx:
        errors.append("MX status %s, want %s" % (got_mx, mx))
    want = hosts.split()
    anyorder = want[:1] == ["*"]
    want = want[1:] if anyorder else want
    have = []
    for h in p["hosts"]:
        s = "%s=%s" % (h["name"], h["effective_level"])
        if h["tlsa_base_domain"]:
            s += "@" + h["tlsa_base_domain"]
        if h["trusted_only"]:
            s += "+trusted"
        have.append(s)
        if h["sni"] != h["tlsa_base_domain"]:
            errors.append("%s: SNI %s differs from the TLSA base domain" % (h["name"], h["sni"]))
        if not h["reason"] or not h["trail"]:
            errors.append("%s: no reason or trail" % h["name"])
    if (sorted(have) != sorted(want)) if anyorder else (have != want):
        errors.append("hosts %s, want %s" % (have, want))
    if not isinstance(p.get("lookup_ms"), int):
        errors.append("no lookup_ms")
    if not p.get("reason"):
        errors.append("no reason")
for e in errors:
    print("FAIL %s: %s" % (dest, e))
if not errors:
    print("ok   %-26s %s" % (dest, p["reason"]))
sys.exit(1 if errors else 0)
PY
    then
        fail=1
    fi
done <<<"$cases"

# the deciding DNS facts are in the JSON: statuses and records
got=$(probe badsig.test)
python3 - "$got" <<'PY' || fail=1
import json, sys
p = json.loads(sys.argv[1])["probe"]
h = p["hosts"][0]
assert h["tlsa_original"]["status"] == "bogus", h["tlsa_original"]
assert h["enhanced"] == "4.7.5" and "TLSA lookup error for _25._tcp.mx.badsig.test" in h["reason"], h["reason"]
assert h["a"]["records"] == ["127.0.25.10"], h["a"]
h = json.loads(sys.argv[1])["probe"]["hosts"][1]
assert h["dnssec"] == {"mx": "secure", "address": "secure", "tlsa": "secure"}, h["dnssec"]
assert h["tlsa_original"]["records"][0].startswith("3 1 1 "), h["tlsa_original"]
print("ok   badsig.test facts")
PY
got=$(probe two.cname.test)
python3 - "$got" <<'PY' || fail=1
import json, sys
h = json.loads(sys.argv[1])["probe"]["hosts"][0]
# RFC 7672 §2.2.3: expanded name, then original; the intermediate never
assert h["a"]["cname_chain"] == ["mid.cname.test", "mx.nsec.test"], h["a"]
assert h["tlsa_expanded"]["qname"] == "_25._tcp.mx.nsec.test", h["tlsa_expanded"]
assert h["tlsa_expanded"]["status"] == "nodata-secure", h["tlsa_expanded"]
assert h["tlsa_base_domain"] == "mx-two.cname.test"
print("ok   two.cname.test CNAME chain facts")
PY

got=$(probe big.dane.test)
python3 - "$got" <<'PY' || fail=1
import json, sys
h = json.loads(sys.argv[1])["probe"]["hosts"][0]
# 5 full certificates: ~3.2 KB, truncated over UDP (max-udp-size 1232), whole over TCP
t = h["tlsa_original"]
assert t["status"] == "secure" and t["records_seen"] == 5 and t["usable"] == 5, t
print("ok   big.dane.test: 5 TLSA records over TCP after truncation")
PY

# levels: dane-only defers where dane is opportunistic; other levels skip TLSA
check_level() {
    local dest=$1 level=$2 code=$3 eff=$4 got
    got=$(probe "$dest" --level "$level")
    python3 - "$dest" "$level" "$code" "$eff" "$got" <<'PY' || fail=1
import json, sys
dest, level, code, eff, got = sys.argv[1:]
d = json.loads(got)
effs = [h["effective_level"] for h in d["probe"]["hosts"]]
ok = d["exit"] == int(code) and effs == eff.split(",")
print("%s %s --level %s: exit %d, %s" % ("ok  " if ok else "FAIL", dest, level, d["exit"], effs))
sys.exit(0 if ok else 1)
PY
}
check_level dane.test dane-only 0 dane
check_level unsigned.test dane-only 75 defer
check_level unusable.dane.test dane-only 75 defer
check_level nsec3.test dane-only 75 defer
check_level dane.test may 0 may
check_level dane.test verify 0 verify
check_level unsigned.test encrypt 0 encrypt
check_level badsig.test dane-only 0 unreachable,dane

# insecure_mx_policy (RFC 7672 §2.2.1): secure TLSA reached via an insecure MX
for imx in may encrypt dane; do
    { sed -n '/^dns:/,/^defaults:/p' "$policy"; echo "  level: dane"; echo "  insecure_mx_policy: $imx"; } \
        > "$run/imx-$imx.yaml"
    got=$(timeout 60 "$DANE_AGENT" probe -c "$run/imx-$imx.yaml" --dns-only --json \
          insecuremx.unsigned.test 2>/dev/null || true)
    python3 - "$imx" "$got" <<'PY' || fail=1
import json, sys
imx, got = sys.argv[1], json.loads(sys.argv[2])
h = got["hosts"][0]
want = {"may": ("may", False), "encrypt": ("encrypt", False), "dane": ("dane", True)}[imx]
ok = got["insecure_mx_policy"] == imx and (h["effective_level"], h["trusted_only"]) == want
print("%s insecure_mx_policy %s: %s trusted_only=%s" % ("ok  " if ok else "FAIL", imx,
      h["effective_level"], h["trusted_only"]))
sys.exit(0 if ok else 1)
PY
done

exit $fail
