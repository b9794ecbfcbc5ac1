#!/usr/bin/env bash
# exim_pipe.sh - the real dane-agent behind a real Exim 4.96 (issue 20): Debian's
# exim4-base and exim4-daemon-light, downloaded by .ci/packages.sh (never
# installed: they conflict with postfix), are unpacked with dpkg -x into the
# run directory; that exim runs with a private configuration (-C), a private
# spool and no daemon, as root, and includes docs/exim/dane-agent-router.conf
# and docs/exim/dane-agent-transport.conf unchanged, i.e. exactly what
# docs/queue-managers.md shows. Its pipe transport runs the agent as nobody,
# which delivers through the DNS testbed to the receiving Postfix testbed.
# Asserted from Exim's side (main log, queue, the bounces it sends) and the
# receiver's (maildir, the agent's --report):
#   - a message to a DANE domain arrives once, Verified, over TLS, dot lines and
#     a "From " line intact;
#   - no "Tainted" refusal anywhere (the bug of issue 20);
#   - a DANE authentication failure stays in Exim's queue, the agent's reason
#     in the main log's "transport output" line;
#   - a 550 recipient and a null MX bounce, the agent's text in the DSN;
#   - the null sender goes out as MAIL FROM:<>;
#   - two recipients (one with upper case) each arrive once, case preserved;
#   - an address with white space is refused by the router, never run.
# Exim needs its compiled-in user Debian-exim: nss_wrapper supplies it from a
# passwd file in the run directory, so the machine's /etc/passwd is untouched.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/integration/lib/testbed.sh"

# --- the Exim packages (before any server is started) -----------------------
# .ci/packages.sh puts them in EXIM_DEBS_DIR; apt's cache is the fallback.
# Missing packages are a failure, never a skip.
EXIM_DEBS_DIR=${EXIM_DEBS_DIR:-/var/cache/dane-agent-ci/exim}
find_deb() {
    local d f
    for d in "$EXIM_DEBS_DIR" /var/cache/apt/archives; do
        f=$(ls "$d"/"$1"_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
        [ -n "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}
for p in exim4-base exim4-daemon-light; do
    find_deb "$p" >/dev/null || {
        echo "FAIL: no $p .deb in $EXIM_DEBS_DIR or /var/cache/apt/archives (.ci/packages.sh downloads it)"
        exit 1
    }
done
nss_wrapper=$(dpkg -L libnss-wrapper 2>/dev/null | grep -m 1 '/libnss_wrapper\.so$' || true)
[ -n "$nss_wrapper" ] || { echo "FAIL: libnss_wrapper.so not found (Debian package libnss-wrapper, .ci/packages.sh)"; exit 1; }

tb_init exim-pipe
ex=$TB_RUN/exim
mkdir -m 700 "$ex"
# unpacked in a directory only root can enter, the set-uid bit removed, then opened
for p in exim4-base exim4-daemon-light; do dpkg -x "$(find_deb "$p")" "$ex/root"; done
exim_bin=$ex/root/usr/sbin/exim4
chmod u-s,g-s "$exim_bin"
chmod 755 "$ex"
missing=$(ldd "$exim_bin" | grep 'not found' || true)
[ -z "$missing" ] || { echo "FAIL: exim's libraries missing (.ci/packages.sh installs them): $missing"; exit 1; }

# Debian-exim for exim alone: a free uid/gid in nss_wrapper's files
exim_uid=
for u in $(seq 64900 64999); do
    if ! getent passwd "$u" >/dev/null && ! getent group "$u" >/dev/null; then exim_uid=$u; break; fi
done
[ -n "$exim_uid" ] || { echo "FATAL: no free uid for Debian-exim" >&2; exit 1; }
mkdir -p "$ex/nss"
{ grep -v '^Debian-exim:' /etc/passwd; echo "Debian-exim:x:$exim_uid:$exim_uid:Exim (test):/nonexistent:/usr/sbin/nologin"; } > "$ex/nss/passwd"
{ grep -v '^Debian-exim:' /etc/group; echo "Debian-exim:x:$exim_uid:"; } > "$ex/nss/group"
chmod 644 "$ex/nss/passwd" "$ex/nss/group"

tb_start_dns
tb_start_smtp

# what nobody (the transport's user) and Debian-exim (exim re-executed to send a
# bounce reads the configuration) must read lives in the run directory: the
# agent, the policy, the report, and the three files of docs/exim, copied
# unchanged
install -m 755 "$DANE_AGENT" "$TB_RUN/dane-agent"
policy=$(tb_policy exim <<'Y'
defaults:
  level: dane
  connect_timeout: 5s
  delivery_timeout: 60s
Y
)
report=$TB_RUN/report.jsonl
: > "$report"; chmod 666 "$report"
for f in dane-agent-router.conf dane-agent-transport.conf dane-agent-addresses; do
    install -m 644 "$TB_SRC/docs/exim/$f" "$ex/$f"
done
mkdir -p "$ex/spool" "$ex/log" "$ex/mail"
chown "$exim_uid:$exim_uid" "$ex/spool" "$ex/log"
chown 65534:65534 "$ex/mail"

# The test's own part of the configuration: paths (the macros the docs files
# use), a private spool and log, everything queued on arrival (root runs the
# deliveries: exim gives up root for -C when it re-executes itself, as its spec
# says), local mail (the bounces) into one mbox, Debian's default retry rule.
cat > "$ex/exim.conf" <<CONF
DANE_AGENT_BIN = $TB_RUN/dane-agent
DANE_AGENT_POLICY = $policy
DANE_AGENT_OPTIONS = --report $report
DANE_AGENT_ADDRESSES = $ex/dane-agent-addresses
DANE_AGENT_USER = nobody

exim_path = $exim_bin
spool_directory = $ex/spool
log_file_path = $ex/log/%slog
primary_hostname = exim.test
qualify_domain = exim.test
domainlist local_domains = exim.test
queue_only
keep_environment = LD_PRELOAD : NSS_WRAPPER_PASSWD : NSS_WRAPPER_GROUP

begin routers
.include $ex/dane-agent-router.conf

local_mbox:
  driver = accept
  domains = +local_domains
  transport = local_mbox

begin transports
.include $ex/dane-agent-transport.conf

local_mbox:
  driver = appendfile
  file = $ex/mail/mbox
  user = nobody

begin retry
*  *  F,2h,15m; G,16h,1h,1.5; F,4d,6h
CONF
chmod 644 "$ex/exim.conf"

# exim ARGS... - the unpacked exim with this configuration (bounded)
exim() {
    LD_PRELOAD=$nss_wrapper NSS_WRAPPER_PASSWD=$ex/nss/passwd NSS_WRAPPER_GROUP=$ex/nss/group \
        timeout 120 "$exim_bin" -C "$ex/exim.conf" "$@"
}
# anything still running from the unpacked binary is ours: stop it by PID
stop_exims() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/exe" 2>/dev/null)" = "$exim_bin" ] && kill "${p#/proc/}" 2>/dev/null || true
    done
}
tb_on_exit stop_exims

mainlog=$ex/log/mainlog
paniclog=$ex/log/paniclog
mbox=$ex/mail/mbox
exim -bV | grep -q '^Exim version 4\.' || { echo "FATAL: the unpacked exim does not run" >&2; exim -bV >&2 || true; exit 1; }
tb_log "$(exim -bV | head -n 1)"

echo "== the docs show the files the test includes, verbatim"
if python3 - "$TB_SRC" <<'PY'
import sys, pathlib
src = pathlib.Path(sys.argv[1])
doc = (src / "docs/queue-managers.md").read_text()
bad = [f for f in ("dane-agent-router.conf", "dane-agent-transport.conf", "dane-agent-addresses")
       if (src / "docs/exim" / f).read_text().strip("\n") not in doc]
sys.exit("not verbatim in docs/queue-managers.md: " + ", ".join(bad) if bad else 0)
PY
then tb_pass "docs/queue-managers.md shows docs/exim/* verbatim"
else tb_fail "docs/queue-managers.md and docs/exim/ differ"; fi

# submit SENDER SUBJECT RCPT... - one message into Exim's queue (-odq)
submit() {
    local sender=$1 subject=$2
    shift 2
    printf 'From: <sender@exim.test>\nTo: <rcpt@dane.test>\nSubject: %s\nMessage-ID: <%s.%s@exim.test>\n\nThis is %s.\nFrom the start of a line.\n.\n..\n.dot\nend\n' \
        "$subject" "$(echo "$subject" | tr -c 'A-Za-z0-9\n' -)" "$$" "$subject" |
        exim -odq -oi -f "$sender" -- "$@"
}
submit sender@exim.test "exim verified" ok@dane.test
submit sender@exim.test "exim two recipients" ok1@dane.test Ok2@dane.test
submit "" "exim null sender" null@dane.test
submit sender@exim.test "exim dane failure" x@mismatch.dane.test
submit sender@exim.test "exim bounce" reject@dane.test
submit sender@exim.test "exim null mx" y@nullmx.test
submit sender@exim.test "exim white space" '"sp ace"@dane.test'
# one queue run delivers, defers and fails; the bounces it generates are queued
# (queue_only) and a second run delivers them into the mbox
exim -qff
exim -qff
tb_log "exim main log:"; sed 's/^/    /' "$mainlog"

# log_has ERE LABEL / log_lacks ERE LABEL - Exim's main log
log_has() {
    if grep -Eq -- "$1" "$mainlog"; then tb_pass "$2"
    else tb_fail "$2: no /$1/ in the main log (printed above)"; fi
}
# copies SUBJECT RCPT - how many copies the receiving testbed holds (RCPT "": all)
copies() {
    { bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "$1" ${2:+--to "$2"} --wait 10 2>/dev/null || true; } | wc -l
}
# report PYEXPR LABEL - PYEXPR true over r, the agent's --report records
report() {
    if python3 - "$1" "$report" <<'PY'
import json, sys
expr, path = sys.argv[1], sys.argv[2]
r = [json.loads(l) for l in open(path) if l.strip()]
def rcpt(a):
    return [x for x in r if any(y["address"] == a for y in x.get("recipients", []))]
sys.exit(0 if eval(expr, {"r": r, "rcpt": rcpt, "any": any, "all": all, "len": len}) else 1)
PY
    then tb_pass "$2"
    else tb_fail "$2" "$(cat "$report")"; fi
}

echo "== no tainted-data refusal (issue 20)"
if grep -qi 'tainted' "$mainlog" "$paniclog" 2>/dev/null; then
    tb_fail "Exim refused tainted data" "$(grep -i tainted "$mainlog" "$paniclog")"
else
    tb_pass "no 'Tainted' in Exim's logs"
fi
# exim re-executed to send a bounce runs the -C configuration as Debian-exim
# (its spec: "exim user lost privilege for using -C option"); nothing else
other_panic=$(grep -v 'exim user lost privilege for using -C option' "$paniclog" 2>/dev/null || true)
[ -z "$other_panic" ] && tb_pass "panic log: nothing but the documented -C privilege note" \
    || tb_fail "panic log" "$other_panic"

echo "== a Verified delivery: once, over TLS, intact"
log_has '=> ok <ok@dane\.test> R=dane_agent T=dane_agent' "main log: ok@dane.test delivered by the dane_agent transport"
n=$(copies "exim verified" ok@dane.test)
[ "$n" = 1 ] && tb_pass "the receiver holds exactly one copy" || tb_fail "the receiver holds $n copies of 'exim verified'"
report 'any(x["verification"] == "Verified" and x["result"] == "sent" for x in rcpt("ok@dane.test"))' \
    "the agent (run by Exim as nobody) reports Verified, sent"
if received=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "exim verified" --wait 5); then
    grep -q 'using TLSv1\.[23] with cipher' $received && tb_pass "receiver's Received: header shows TLS" \
        || tb_fail "no TLS in the receiver's Received: header" "$(head -n 20 $received)"
    grep -q '^Return-Path: <sender@exim\.test>$' $received && tb_pass "receiver's Return-Path: the envelope sender" \
        || tb_fail "wrong envelope sender at the receiver" "$(head -n 20 $received)"
    # the body as submitted: no mbox "From " line or escaping, dot lines unstuffed
    if python3 - $received <<'PY'
import sys, email
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
body = m.get_payload()
want = "This is exim verified.\nFrom the start of a line.\n.\n..\n.dot\nend\n"
sys.exit(0 if body.replace("\r\n", "\n") == want else "body: %r" % body)
PY
    then tb_pass "body intact: a 'From ' line, '.', '..', '.dot'"
    else tb_fail "body changed on the way" "$(cat $received)"; fi
else
    tb_fail "'exim verified' not in the receiver's maildir"
fi
if exim -bp | grep -q 'ok@dane\.test'; then tb_fail "ok@dane.test still queued" "$(exim -bp)"
else tb_pass "delivered message left Exim's queue"; fi

echo "== deferred: still queued, the agent's reason in the main log"
log_has '<x@mismatch\.dane\.test>: dane_agent transport output: 4\.7\.5 TLS authentication failed for mismatch\.dane\.test\[127\.0\.25\.10\]' \
    "main log: 'transport output' line with the agent's 4.7.5 reason"
log_has '== x@mismatch\.dane\.test R=dane_agent T=dane_agent defer \(0\): Child process of dane_agent transport returned 75' \
    "main log: deferred (exit 75 is in temp_errors)"
queue=$(exim -bp)
if grep -q 'x@mismatch\.dane\.test' <<<"$queue"; then tb_pass "exim -bp: the message is still queued"
else tb_fail "deferred message not in the queue" "$queue"; fi
# measured on 4.96 (and stated in the docs): the message log has only the status
qid=$(exim -bpr | awk '/^ *[0-9]+[smhd] / {id=$3} /x@mismatch\.dane\.test/ {print id; exit}')
if [ -n "$qid" ] && msglog=$(exim -Mvl "$qid") && grep -q 'returned 75' <<<"$msglog" \
        && ! grep -q 'TLS authentication failed' <<<"$msglog"; then
    tb_pass "exim -Mvl shows the exit status only, not the reason (as documented)"
else
    tb_fail "exim -Mvl differs from the docs" "${msglog:-no queue id}"
fi
expect_not_delivered "exim dane failure" "nothing reached the receiver"

echo "== bounced: the agent's text in Exim's DSN"
log_has '\*\* reject@dane\.test R=dane_agent T=dane_agent: Child process of dane_agent transport returned 69' \
    "main log: reject@dane.test failed (exit 69)"
log_has '<reject@dane\.test>: dane_agent transport output: 5\.1\.1 host mx\.dane\.test\[127\.0\.25\.10\] said: 550 5\.1\.1' \
    "main log: the agent's 5.1.1 line"
log_has '\*\* y@nullmx\.test R=dane_agent T=dane_agent: Child process of dane_agent transport returned 69' \
    "main log: null MX failed (exit 69)"
# dsn_has TEXT LABEL - a bounce to sender@exim.test in the mbox contains TEXT
dsn_has() {
    if python3 - "$mbox" "$1" <<'PY'
import mailbox, sys
want = sys.argv[2]
for m in mailbox.mbox(sys.argv[1]):
    if m["Subject"] == "Mail delivery failed: returning message to sender" and want in m.as_string():
        sys.exit(0)
sys.exit(1)
PY
    then tb_pass "$2"
    else tb_fail "$2: no bounce with '$1'" "$(cat "$mbox" 2>/dev/null | head -n 80)"; fi
}
dsn_has "Recipient address rejected: testbed: recipient rejected" "DSN for reject@ carries the server's 550 text, via the agent"
dsn_has "5.1.10 Domain nullmx.test does not accept mail (null MX" "DSN for the null MX carries the agent's 5.1.10 line"
dsn_has "dane-agent cannot take this address" "DSN for the white-space address carries the router's message"
expect_not_delivered "exim bounce" "reject@: nothing stored"
report 'not rcpt("sp ace@dane.test") and not rcpt("\"sp ace\"@dane.test")' "the white-space address never reached the agent"

echo "== the null sender: MAIL FROM:<>"
log_has '=> null <null@dane\.test> R=dane_agent T=dane_agent' "main log: null@dane.test delivered"
report 'any(x["result"] == "sent" for x in rcpt("null@dane.test"))' "the agent reports null@dane.test sent"
if f=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "exim null sender" --wait 5) \
        && grep -q '^Return-Path: <>$' $f; then
    tb_pass "receiver's Return-Path: <> (MAIL FROM:<>)"
else
    tb_fail "the null-sender message did not arrive with Return-Path: <>" "$(cat ${f:-/dev/null} 2>/dev/null | head -n 20)"
fi

echo "== two recipients: one run each, each stored once, case kept"
log_has '=> ok1 <ok1@dane\.test> R=dane_agent T=dane_agent' "main log: ok1@ delivered"
log_has '=> Ok2 <Ok2@dane\.test> R=dane_agent T=dane_agent' "main log: Ok2@ delivered"
n1=$(copies "exim two recipients" ok1@dane.test)
[ "$n1" = 1 ] && tb_pass "ok1@: one copy" || tb_fail "ok1@: $n1 copies"
n2=$(copies "exim two recipients" "")
[ "$n2" = 2 ] && tb_pass "two copies in all" || tb_fail "$n2 copies of 'exim two recipients'"
report 'len(rcpt("Ok2@dane.test")) == 1 and len(rcpt("ok1@dane.test")) == 1' \
    "one agent run per recipient (batch_max 1), local part case kept (Ok2)"

tb_done
