#!/usr/bin/env bash
# tlsrpt.sh - `dane-agent tlsrpt` end to end (RFC 8460): real deliveries on
# the DNS and SMTP testbeds write JSON records (--report), then tlsrpt reads
# them (a rotated gzip file, a directory, a cut-short line), looks up each
# next-hop domain's _smtp._tls TXT record on the DNS testbed and sends the
# day's reports: mailto: through a fake sendmail (records its argv and the
# message), https: by POST to the HTTPS testbed's /tlsrpt (posts.log). Every
# report must pass the RFC 8460 §4.4 JSON schema (tests/data/tlsrpt-schema.json,
# python3-jsonschema), its counts must equal the sessions that happened, the
# messages and posts must decode (gzip JSON), a failed target must be retried
# on the next run without resending the rest, and a run after that sends
# nothing. Real failures are reported with their §4.3 result types: no
# STARTTLS, an MX failover, a bogus TLSA RRset, a DANE-TA name mismatch.
# Last, a mailto: report goes through real Postfix: the sending instance's
# sendmail (tests/testbed/smtp/sender.sh), pipe(8) to dane-agent, the
# receiving testbed's mailbox, where it is decoded.
#
# Zones (tests/testbed/dns/README.md): dane.test rua mailto:tlsrpt@dane.test;
# mismatch.dane.test rua https://tlsrpt.dane.test/tlsrpt and
# mailto:tlsrpt@mismatch.dane.test; ta.dane.test an invalid record;
# no-starttls.dane.test, wrongname-ta.dane.test, failover.test and
# mx.badsig.test each a mailto: rua.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/integration/lib/testbed.sh"
tb_init tlsrpt
tb_start_dns
tb_start_smtp
tb_start_https

# The agent, started as root, runs as the policy's user (nobody): it owns
# what tlsrpt reads and writes here, as the package's user would.
records=$TB_RUN/records state=$TB_RUN/state mails=$TB_RUN/mails
mkdir -p "$records" "$state" "$mails"
chmod 700 "$state"
[ "$(id -u)" -ne 0 ] || chown nobody: "$records" "$state" "$mails"
chmod 777 "$records" "$mails"
cat > "$TB_RUN/sendmail" <<SH
#!/bin/bash
# fake sendmail: argv one per line in N.argv, the message in N.msg
n=\$(date +%s%N)
printf '%s\n' "\$@" > "$mails/\$n.argv"
cat > "$mails/\$n.msg"
SH
chmod 755 "$TB_RUN/sendmail"
printf '#!/bin/sh\ncat >/dev/null\nexit 75\n' > "$TB_RUN/sendmail-fails"
chmod 755 "$TB_RUN/sendmail-fails"

# tlsrpt_policy NAME SENDMAIL [STATE] - a policy with a tlsrpt section
tlsrpt_policy() {
    tb_policy "$1" <<Y
defaults:
  level: dane
  delivery_timeout: 60s
destinations:
  tlsrpt.dane.test: { ca_file: "$TB_CA_ECDSA" }
tlsrpt:
  organization_name: "dane-agent test"
  contact_info: tlsrpt-contact@sender.test
  submitter: mta.sender.test
  sender: tlsrpt-noreply@sender.test
  sendmail: $2
  state_dir: ${3:-$state}
Y
}
policy=$(tlsrpt_policy tlsrpt "$TB_RUN/sendmail")
failing=$(tlsrpt_policy tlsrpt-failing "$TB_RUN/sendmail-fails")

echo "== deliveries: 3 Verified (2 dane.test, 1 ta.dane.test), 2 TLSA mismatches"
TB_OPTS=(--report "$records/deliveries.json")
tb_deliver "$policy" dane.test "tlsrpt one" rcpt@dane.test
expect_rc 0 "dane.test sent"
tb_deliver "$policy" mismatch.dane.test "tlsrpt mismatch one" rcpt@dane.test
expect_rc 75 "mismatch.dane.test deferred"
# yesterday's file rotated and compressed, as logrotate leaves it
gzip -c "$records/deliveries.json" > "$records/deliveries.json.1.gz"
: > "$records/deliveries.json"
tb_deliver "$policy" dane.test "tlsrpt two" rcpt@dane.test
expect_rc 0 "dane.test sent again"
tb_deliver "$policy" mismatch.dane.test "tlsrpt mismatch two" rcpt@dane.test
expect_rc 75 "mismatch.dane.test deferred again"
tb_deliver "$policy" ta.dane.test "tlsrpt ta" rcpt@dane.test
expect_rc 0 "ta.dane.test sent"
TB_OPTS=()
printf '{"time": "2026-' >> "$records/deliveries.json"     # a record cut short
day=$(date -u +%F)

# run_tlsrpt POLICY ARGS... - dane-agent tlsrpt (after the command in
# tlsrpt_wrap, if any); TB_RC, TB_OUT, TB_ERR
tlsrpt_wrap=()
run_tlsrpt() {
    local p=$1
    shift
    TB_RC=0
    timeout 60 "${tlsrpt_wrap[@]}" "$DANE_AGENT" tlsrpt -c "$p" ${day:+--day "$day"} "$@" "$records" \
        > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
    TB_OUT=$(cat "$TB_RUN/out")
    TB_ERR=$(cat "$TB_RUN/err")
}
posts() { [ -f "$TB_RUN/https/posts.log" ] && wc -l < "$TB_RUN/https/posts.log" || echo 0; }
nmails() { find "$mails" -name '*.msg' | wc -l; }

# The RFC 8460 §4.4 JSON schema every report (printed, mailed, posted) must
# pass, checked with python3-jsonschema (validate.py FILE: errors, exit 1)
schema=$DANE_TEST_SRCDIR/tests/data/tlsrpt-schema.json
cat > "$TB_RUN/validate.py" <<PY
import json, sys
import jsonschema
v = jsonschema.Draft7Validator(json.load(open("$schema")),
                               format_checker=jsonschema.FormatChecker())
def validate(path):
    errors = ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
              for e in v.iter_errors(json.load(open(path)))]
    assert not errors, "schema: " + "; ".join(errors)
if __name__ == "__main__":
    validate(sys.argv[1])
PY

# check_report JSONFILE DOMAIN OK FAILED LABEL - the report passes the
# schema and its counts are the sessions that happened
check_report() {
    local msg
    if msg=$(PYTHONPATH=$TB_RUN python3 - "$@" <<'PY' 2>&1
import json, sys
from validate import validate
path, domain, ok, failed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
validate(path)
r = json.load(open(path))
assert r["organization-name"] == "dane-agent test", r["organization-name"]
assert r["contact-info"] == "tlsrpt-contact@sender.test"
assert r["report-id"].endswith("." + domain + "@mta.sender.test"), r["report-id"]
assert r["date-range"]["end-datetime"].endswith("T23:59:59Z")
assert len(r["policies"]) == 1, r["policies"]
p = r["policies"][0]
assert p["policy"]["policy-type"] == "tlsa" and p["policy"]["policy-domain"] == domain, p
assert all(s.startswith(("3 1 1 ", "2 0 1 ")) for s in p["policy"]["policy-string"]), p
s = p["summary"]
assert (s["total-successful-session-count"], s["total-failure-session-count"]) == (ok, failed), s
rows = p.get("failure-details", [])
assert sum(d["failed-session-count"] for d in rows) == failed, rows
assert all(d["result-type"] == "validation-failure" and d["receiving-ip"] == "127.0.25.10"
           and d["receiving-mx-hostname"] == "mismatch.dane.test" for d in rows), rows
PY
    ); then tb_pass "$5 (schema valid)"
    else tb_fail "$5: $msg" "$(cat "$1")"; fi
}

echo "== --dry-run: the reports and their targets on stdout, nothing sent"
run_tlsrpt "$policy" --dry-run
expect_rc 0 "dry run"
expect_err_re 'warning: .*/deliveries\.json: 1 malformed line\(s\) skipped, the first \(line 4\): record line is cut short' \
    "the cut-short line: one warning"
expect_err_re '_smtp\._tls\.ta\.dane\.test TXT: .*no report for ta\.dane\.test' "ta.dane.test: invalid record, warned"
python3 - "$TB_RUN/out" "$TB_RUN" <<'PY'
import sys
blocks = [b for b in open(sys.argv[1]).read().split("\n\n") if b.strip()]
for b in blocks:
    lines = b.split("\n")
    domain = lines[1].split(": ", 1)[1]
    open(f"{sys.argv[2]}/dry-{domain}.json", "w").write(lines[-1])
    open(f"{sys.argv[2]}/dry-{domain}.rua", "w").write("\n".join(l for l in lines if l.startswith("rua: ")))
PY
check_report "$TB_RUN/dry-dane.test.json" dane.test 2 0 "dry run: dane.test 2 successful sessions"
check_report "$TB_RUN/dry-mismatch.dane.test.json" mismatch.dane.test 0 2 "dry run: mismatch.dane.test 2 failed sessions"
if [ "$(cat "$TB_RUN/dry-mismatch.dane.test.rua")" = "$(printf 'rua: https://tlsrpt.dane.test/tlsrpt\nrua: mailto:tlsrpt@mismatch.dane.test')" ] &&
   [ ! -e "$TB_RUN/dry-ta.dane.test.json" ] && [ "$(grep -c '^report-id: ' "$TB_RUN/out")" = 2 ]; then
    tb_pass "dry run: two reports, the rua targets in record order, none for ta.dane.test"
else tb_fail "dry run output" "$TB_OUT"; fi
if [ "$(posts)" = 0 ] && [ "$(nmails)" = 0 ] && [ -z "$(ls -A "$state")" ]; then
    tb_pass "dry run: nothing posted, mailed or recorded"
else tb_fail "dry run sent something" "$(ls -l "$state" "$mails")"; fi

echo "== a failing sendmail: the https target is sent, the mailto targets fail"
run_tlsrpt "$failing"
expect_rc 75 "some target failed: exit 75"
expect_err_re 'warning: [0-9-]+\.dane\.test@mta\.sender\.test to mailto:tlsrpt@dane\.test: .*tried again on the next run' \
    "the failed mailto target: a warning"
[ "$(posts)" = 1 ] && tb_pass "one POST" || tb_fail "posts: $(posts), want 1"

echo "== the next run sends what failed, only that"
run_tlsrpt "$policy"
expect_rc 0 "every target sent: exit 0"
[ "$(posts)" = 1 ] && tb_pass "the https report not posted again" || tb_fail "posts: $(posts), want 1"
[ "$(nmails)" = 2 ] && tb_pass "two messages to sendmail" || tb_fail "messages: $(nmails), want 2"

echo "== the messages and the POST decode to the reports"
python3 - "$TB_RUN" "$mails" <<'PY' > "$TB_RUN/decoded" 2>&1 || true
import email, glob, gzip, json, sys
run, mails = sys.argv[1], sys.argv[2]
for m in sorted(glob.glob(mails + "/*.msg")):
    argv = open(m[:-4] + ".argv").read().split("\n")[:-1]
    msg = email.message_from_binary_file(open(m, "rb"))
    rcpt = argv[-1]
    assert argv[:4] == ["-oi", "-f", "tlsrpt-noreply@sender.test", "--"], argv
    assert msg["To"].strip("<>") == rcpt and msg.get_content_type() == "multipart/report", msg["To"]
    assert msg.get_param("report-type") == "tlsrpt" and msg["TLS-Report-Submitter"] == "mta.sender.test"
    part = [p for p in msg.walk() if p.get_content_type() == "application/tlsrpt+gzip"][0]
    report = json.loads(gzip.decompress(part.get_payload(decode=True)))
    domain = msg["TLS-Report-Domain"]
    assert rcpt == {"dane.test": "tlsrpt@dane.test",
                    "mismatch.dane.test": "tlsrpt@mismatch.dane.test"}[domain], (rcpt, domain)
    json.dump(report, open(f"{run}/mail-{domain}.json", "w"))
posts = [json.loads(l) for l in open(run + "/https/posts.log", encoding="latin-1")]
assert len(posts) == 1 and posts[0]["uri"] == "/tlsrpt", posts
assert posts[0]["type"] == "application/tlsrpt+gzip", posts[0]["type"]
body = gzip.decompress(posts[0]["body"].encode("latin-1"))
json.dump(json.loads(body), open(run + "/post-mismatch.dane.test.json", "w"))
print("decoded")
PY
if grep -qx decoded "$TB_RUN/decoded"; then tb_pass "messages (multipart/report, gzip) and the POST decode"
else tb_fail "decoding" "$(cat "$TB_RUN/decoded")"; fi
check_report "$TB_RUN/mail-dane.test.json" dane.test 2 0 "mailed dane.test report: 2 successful"
check_report "$TB_RUN/mail-mismatch.dane.test.json" mismatch.dane.test 0 2 "mailed mismatch.dane.test report: 2 failed"
check_report "$TB_RUN/post-mismatch.dane.test.json" mismatch.dane.test 0 2 "posted mismatch.dane.test report: 2 failed"

echo "== a run after that sends nothing"
run_tlsrpt "$policy"
expect_rc 0 "third run"
if [ "$(posts)" = 1 ] && [ "$(nmails)" = 2 ]; then tb_pass "nothing sent again"
else tb_fail "sent again: posts $(posts), messages $(nmails)"; fi

echo "== no --day: yesterday, then the 3 days before it (what failed is retried)"
old_day=$(date -u -d '2 days ago' +%F)
python3 - "$records" "$old_day" <<'PY'
import json, sys
records, old_day = sys.argv[1], sys.argv[2]
for line in open(records + "/deliveries.json"):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r["destination"] == "mismatch.dane.test":
        r["time"] = old_day + "T12:00:00Z"
        open(records + "/old.json", "w").write(json.dumps(r) + "\n")
        break
PY
saved_day=$day day=
run_tlsrpt "$policy"
day=$saved_day
expect_rc 0 "default days"
if [ "$(posts)" = 2 ] && [ "$(nmails)" = 3 ]; then tb_pass "the day before yesterday: its report posted and mailed"
else tb_fail "default days: posts $(posts), messages $(nmails), want 2 and 3" "$TB_ERR"; fi
python3 - "$TB_RUN" <<'PY' > "$TB_RUN/decoded" 2>&1 || true
import gzip, json, sys
run = sys.argv[1]
posts = [json.loads(l) for l in open(run + "/https/posts.log", encoding="latin-1")]
report = json.loads(gzip.decompress(posts[-1]["body"].encode("latin-1")))
json.dump(report, open(run + "/post-old.json", "w"))
print(report["date-range"]["start-datetime"])
PY
if grep -qx "${old_day}T00:00:00Z" "$TB_RUN/decoded"; then tb_pass "its date-range starts on $old_day"
else tb_fail "old report date-range" "$(cat "$TB_RUN/decoded")"; fi
check_report "$TB_RUN/post-old.json" mismatch.dane.test 0 1 "the old day's report: its 1 failed session"
day= run_tlsrpt "$policy"
expect_rc 0 "default days again"
if [ "$(posts)" = 2 ] && [ "$(nmails)" = 3 ]; then tb_pass "default days again: nothing sent"
else tb_fail "default days again: posts $(posts), messages $(nmails)"; fi

echo "== more outcomes: no STARTTLS, MX failover, a bogus TLSA RRset, a wrong name"
more=$TB_RUN/records-more
mkdir -p "$more"
chmod 777 "$more"
TB_OPTS=(--report "$more/deliveries.json")
tb_deliver "$policy" no-starttls.dane.test "tlsrpt no starttls one" rcpt@dane.test
expect_rc 75 "no-starttls.dane.test deferred"
tb_deliver "$policy" no-starttls.dane.test "tlsrpt no starttls two" rcpt@dane.test
expect_rc 75 "no-starttls.dane.test deferred again"
tb_deliver "$policy" failover.test "tlsrpt failover" rcpt@dane.test
expect_rc 0 "failover.test sent by its third MX"
tb_deliver "$policy" "[mx.badsig.test]" "tlsrpt badsig" rcpt@dane.test
expect_rc 75 "[mx.badsig.test] deferred"
tb_deliver "$policy" wrongname-ta.dane.test "tlsrpt wrong name" rcpt@dane.test
expect_rc 75 "wrongname-ta.dane.test deferred"
TB_OPTS=()
saved_records=$records records=$more
run_tlsrpt "$policy"
records=$saved_records
expect_rc 0 "their reports sent"
[ "$(nmails)" = 7 ] && tb_pass "four more messages, one per domain" || tb_fail "messages: $(nmails), want 7" "$TB_ERR"
# every message's report passes the schema; the new ones hold, per policy
# (TLSA RRset), the sessions above: (successful, failed, [(result-type,
# receiving-mx-hostname, receiving-ip, failed-session-count)])
python3 - "$TB_RUN" "$mails" <<'PY' > "$TB_RUN/decoded" 2>&1 || true
import email, glob, gzip, json, sys
sys.path.insert(0, sys.argv[1])
from validate import validate
EE, TA = "3 1 1", "2 0 1"       # the TLSA RRsets: mx1's ecdsa leaf, mx2's and mx3's rsa leaf
want = {
    "no-starttls.dane.test": [(EE, 0, 2, [("starttls-not-supported", "no-starttls.dane.test", "127.0.25.15", 2)])],
    "failover.test": [(EE, 0, 1, [("starttls-not-supported", "mx1.failover.test", "127.0.25.15", 1)]),
                      (EE, 1, 1, [("validation-failure", "mx2.failover.test", "127.0.25.10", 1)])],
    "mx.badsig.test": [(None, 0, 1, [("dnssec-invalid", None, None, 1)])],
    "wrongname-ta.dane.test": [(TA, 0, 1, [("certificate-host-mismatch", "wrongname-ta.dane.test", "127.0.25.17", 1)])],
}
seen = set()
for m in sorted(glob.glob(sys.argv[2] + "/*.msg")):
    msg = email.message_from_binary_file(open(m, "rb"))
    part = [p for p in msg.walk() if p.get_content_type() == "application/tlsrpt+gzip"][0]
    path = m[:-4] + ".json"
    open(path, "wb").write(gzip.decompress(part.get_payload(decode=True)))
    validate(path)
    domain = msg["TLS-Report-Domain"]
    if domain not in want:
        continue
    rua = "tlsrpt@" + ("badsig.test" if domain == "mx.badsig.test" else domain)
    assert open(m[:-4] + ".argv").read().split("\n")[-2] == rua, (domain, rua)
    got = []
    for p in json.load(open(path))["policies"]:
        assert p["policy"]["policy-type"] == "tlsa" and p["policy"]["policy-domain"] == domain, p
        strings = p["policy"].get("policy-string")
        s = p["summary"]
        rows = [(d["result-type"], d.get("receiving-mx-hostname"), d.get("receiving-ip"),
                 d["failed-session-count"]) for d in p.get("failure-details", [])]
        assert all(d.get("sending-mta-ip") == "127.0.0.1" for d in p.get("failure-details", [])
                   if "receiving-ip" in d), p
        assert strings is None or len(strings) == 1, p
        got.append((strings[0][:5] if strings else None, s["total-successful-session-count"],
                    s["total-failure-session-count"], rows))
    assert sorted(got, key=str) == sorted(want[domain], key=str), (domain, got)
    strings = {json.dumps(p["policy"].get("policy-string")) for p in json.load(open(path))["policies"]}
    assert len(strings) == len(want[domain]), ("one policy per TLSA RRset", strings)
    seen.add(domain)
assert seen == set(want), seen
print("checked")
PY
if grep -qx checked "$TB_RUN/decoded"; then
    tb_pass "all 7 mailed reports pass the schema; starttls-not-supported 2, failover (1 successful, starttls-not-supported 1, validation-failure 1), dnssec-invalid 1, certificate-host-mismatch 1"
else tb_fail "the reports of the other outcomes" "$(cat "$TB_RUN/decoded")"; fi

echo "== a mailto: report through real Postfix: sendmail, pipe(8) to dane-agent, the receiving Postfix"
# The private sending instance (tests/testbed/smtp/sender.sh) hands every
# message to dane-agent by pipe(8). Postfix's sendmail accepts a private
# config directory (-C) from a user other than root (tlsrpt runs as nobody)
# only when the default main.cf lists it in alternate_config_directories:
# that main.cf is mounted over /etc/postfix in a private mount namespace
# (unshare -m) for the tlsrpt run only; the machine's /etc is never written.
sender=$TB_SRC/tests/testbed/smtp/sender.sh
tb_on_exit "bash '$sender' stop '$TB_RUN/sender'"
install -m 755 "$DANE_AGENT" "$TB_RUN/dane-agent"
bash "$sender" start "$TB_RUN/sender" "$TB_RUN/dane-agent" "$policy"
etc_postfix=$TB_RUN/etc-postfix
mkdir -p "$etc_postfix"
cp -a /etc/postfix/. "$etc_postfix/"
printf 'compatibility_level = 3.6\nalternate_config_directories = %s\n' "$TB_RUN/sender/etc" > "$etc_postfix/main.cf"
printf '#!/bin/sh\nexec /usr/sbin/sendmail -C %s "$@"\n' "$TB_RUN/sender/etc" > "$TB_RUN/sendmail-postfix"
chmod 755 "$TB_RUN/sendmail-postfix"
pf_records=$TB_RUN/records-postfix pf_state=$TB_RUN/state-postfix
mkdir -p "$pf_records" "$pf_state"
chmod 777 "$pf_records"
chmod 700 "$pf_state"
[ "$(id -u)" -ne 0 ] || chown nobody: "$pf_state"
pf_policy=$(tlsrpt_policy tlsrpt-postfix "$TB_RUN/sendmail-postfix" "$pf_state")
TB_OPTS=(--report "$pf_records/deliveries.json")
tb_deliver "$policy" dane.test "tlsrpt through postfix" rcpt@dane.test
expect_rc 0 "dane.test sent"
TB_OPTS=()
saved_records=$records records=$pf_records
tlsrpt_wrap=(unshare -m --propagation private sh -c 'mount --bind "$0" /etc/postfix && exec "$@"' "$etc_postfix")
run_tlsrpt "$pf_policy"
tlsrpt_wrap=() records=$saved_records
expect_rc 0 "report handed to Postfix's sendmail"
for _ in $(seq 300); do
    grep -Eq 'to=<tlsrpt@dane\.test>, relay=dane, .*status=sent' "$TB_RUN/sender/maillog" && break
    sleep 0.1
done
if grep -Eq 'postfix/pickup.*uid=65534 from=<tlsrpt-noreply@sender\.test>' "$TB_RUN/sender/maillog" &&
   grep -Eq 'to=<tlsrpt@dane\.test>, relay=dane, .*dsn=2\.0\.0, status=sent' "$TB_RUN/sender/maillog"; then
    tb_pass "sending Postfix: picked up from nobody, sent by dane-agent"
else tb_fail "sending Postfix log" "$(tail -n 20 "$TB_RUN/sender/maillog")"; fi
python3 - "$TB_RUN" <<'PY' > "$TB_RUN/decoded" 2>&1 || true
import email, glob, gzip, json, sys, time
run = sys.argv[1]
for _ in range(100):
    found = [m for m in glob.glob(run + "/smtp/mail/*/new/*")
             if "tlsrpt@dane.test" in open(m, "rb").read(4096).decode("latin-1")]
    if found:
        break
    time.sleep(0.1)
assert len(found) == 1, found
msg = email.message_from_binary_file(open(found[0], "rb"))
assert msg["Delivered-To"] == "tlsrpt@dane.test" and msg["TLS-Report-Domain"] == "dane.test", msg["Delivered-To"]
assert msg.get_content_type() == "multipart/report" and msg.get_param("report-type") == "tlsrpt"
assert "using TLSv1." in msg["Received"], msg["Received"]
part = [p for p in msg.walk() if p.get_content_type() == "application/tlsrpt+gzip"][0]
open(run + "/postfix-dane.test.json", "wb").write(gzip.decompress(part.get_payload(decode=True)))
print("decoded")
PY
if grep -qx decoded "$TB_RUN/decoded"; then tb_pass "the receiving Postfix's mailbox: the report arrived over TLS and decodes"
else tb_fail "the report in the receiving mailbox" "$(cat "$TB_RUN/decoded")"; fi
check_report "$TB_RUN/postfix-dane.test.json" dane.test 1 0 "the report delivered by Postfix: 1 successful session"

echo "== usage"
TB_RC=0; "$DANE_AGENT" tlsrpt -c "$policy" --day 2026-02-30 "$records" 2>"$TB_RUN/err" || TB_RC=$?
TB_ERR=$(cat "$TB_RUN/err")
expect_rc 64 "a day that does not exist"
TB_RC=0; "$DANE_AGENT" tlsrpt -c "$policy" --dry-run "$TB_RUN/nosuch" 2>"$TB_RUN/err" || TB_RC=$?
TB_ERR=$(cat "$TB_RUN/err")
expect_rc 66 "no RECORDS readable"
expect_err "warning: $TB_RUN/nosuch: No such file or directory" "the missing path: a warning"
TB_RC=0; "$DANE_AGENT" tlsrpt -c "$TB_RUN/dns/policy.yaml" "$records" 2>"$TB_RUN/err" || TB_RC=$?
TB_ERR=$(cat "$TB_RUN/err")
expect_rc 78 "a policy without a tlsrpt section"
expect_err "no tlsrpt section" "its reason"
tb_done
