#!/usr/bin/env bash
# serve_lmtp.sh - `dane-agent serve` (issue 19) as a queue manager's LMTP
# peer: started as root on a unix socket in the run dir, it drops to the
# policy's user and keeps its workers; deliveries go through the real DNS
# testbed to the real receiving Postfix. Checked:
#   - an LMTP client (a short python one, no pipelining) gets one reply per
#     recipient after the remote outcome: 250 for the accepted one (the
#     message arrives once, Verified), 550 5.1.1 for the server's 550, 450
#     4.2.0 for its 450, 451 4.4.1 for a destination that is down;
#   - a private sending Postfix whose default transport is lmtp(8) to the
#     socket (the README's main.cf lines) logs the same outcomes per
#     recipient: sent, bounced with the server's text, deferred;
#   - through lmtp(8) too: the receiving Postfix's 554 after the final dot
#     (its end-of-data restriction on a marker sender) is bounced with the
#     server's text; a worker killed (SIGKILL) while it waits for the
#     server's reply to RCPT leaves the message deferred in the sending
#     Postfix, and `postqueue -f` delivers it exactly once;
#   - SIGHUP while a worker waits for the server's (late) reply to the final
#     dot: that recipient gets its real 250, then 421 4.3.2 ends the
#     session; a transaction after the reload sees the new policy (a
#     max_message_size for dane.test: 552 5.3.4); the workers are replaced;
#     a broken policy, or one naming another user, is refused in one log
#     line and deliveries go on under the policy in force;
#   - a client that stays silent gets 421 4.4.2 after --idle-timeout;
#   - a loopback inet listener serves too, and its worker stops when its
#     supervisor is killed (SIGKILL); any other address is refused
#     (exit 71), so is a unix socket another process serves, and a missing
#     --listen is a usage error (64);
#   - a worker killed while it waits for the remote reply to the final dot
#     (the scripted peer never answers it) answers nothing: the client sees
#     the connection end without a reply; the supervisor replaces it;
#   - two transactions over one LMTP connection: the second goes over the
#     connection the worker kept (conn_use=2), each message arrives once,
#     and the receiving Postfix logs one connection with several MAIL,
#     RSET and a QUIT once it was idle;
#   - SIGTERM while a delivery is under way: its recipient gets its real
#     250, then the supervisor and every worker exit, status 0.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/integration/lib/testbed.sh"
sender=$TB_SRC/tests/testbed/smtp/sender.sh
tb_init serve-lmtp
tb_start_dns
tb_start_smtp

policy=$(tb_policy serve <<'Y'
defaults:
  level: dane
  connect_timeout: 5s
  delivery_timeout: 60s
destinations:
  "[127.0.26.40]": { level: may }
  "[127.0.26.42]": { level: may }
Y
)
for f in "$policy" "$TB_RUN/dns/trust-anchors.key"; do
    su -s /bin/sh nobody -c "test -r '$f'" || { echo "FATAL: $f not readable by nobody" >&2; exit 1; }
done
mkdir -m 755 "$TB_RUN/lmtp"
sock=$TB_RUN/lmtp/serve.sock
"$DANE_AGENT" serve -c "$policy" --listen "unix:$sock" --workers 2 --connections 20 \
    --idle-timeout 4 --log-stderr > "$TB_RUN/serve.log" 2>&1 &
serve_pid=$!
tb_on_exit "kill $serve_pid"
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "FATAL: serve did not listen: $(cat "$TB_RUN/serve.log")" >&2; exit 1; }

# workers - the supervisor's children, one PID a line
workers() { pgrep -P "$serve_pid" || true; }
# wait_workers N - bounded wait until the supervisor has N children
wait_workers() {
    for _ in $(seq 50); do [ "$(workers | wc -l)" = "$1" ] && return 0; sleep 0.1; done
    return 1
}
# replaced PID... - the supervisor has two children, none of them one of
# PID... (a worker not yet reaped is still its child)
replaced() {
    [ "$(workers | wc -l)" = 2 ] || return 1
    for v in "$@"; do workers | grep -qx "$v" && return 1; done
    return 0
}
# wait_replaced PID... - bounded wait until replaced PID...
wait_replaced() {
    for _ in $(seq 50); do replaced "$@" && return 0; sleep 0.1; done
    return 1
}

echo "== started as root: two workers, running as nobody"
wait_workers 2 && tb_pass "two workers" || tb_fail "workers: $(workers | tr '\n' ' ')"
users=$(ps -o user= -p "$serve_pid,$(workers | paste -sd,)" | sort -u | tr -d ' ')
[ "$users" = nobody ] && tb_pass "supervisor and workers run as nobody" \
    || tb_fail "users: $users"

# lmtp SUBJECT RCPT... - one transaction over the socket; TB_OUT gets the
# replies to DATA's end, one a line: RCPT<tab>REPLY
lmtp() {
    local subject=$1
    shift
    tb_message "$subject" > "$TB_RUN/msg"
    TB_RC=0
    TB_OUT=$(timeout 90 python3 - "$sock" "$TB_RUN/msg" "$@" 2>&1 <<'PY'
import socket, sys
sock, msg, rcpts = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
f = s.makefile("rwb")
def reply():
    lines = []
    while True:
        l = f.readline().decode().rstrip("\r\n")
        lines.append(l)
        if len(l) < 4 or l[3] != "-":
            return lines[-1]
def cmd(c, want):
    f.write(c.encode() + b"\r\n"); f.flush()
    r = reply()
    if not r.startswith(want):
        sys.exit("%s: %s" % (c, r))
reply()
cmd("LHLO client.test", "250")
cmd("MAIL FROM:<sender@sender.test>", "250")
for r in rcpts:
    cmd("RCPT TO:<%s>" % r, "250")
cmd("DATA", "354")
body = open(msg, "rb").read().replace(b"\n", b"\r\n").replace(b"\r\n.", b"\r\n..")
f.write(body + b".\r\n"); f.flush()
for r in rcpts:   # RFC 2033 §4.2: one reply per recipient, in RCPT order
    print("%s\t%s" % (r, reply()))
cmd("QUIT", "221")
PY
) || TB_RC=$?
}
# expect_reply RCPT ERE LABEL - RCPT's reply to the end of data
expect_reply() {
    local got
    got=$(awk -F'\t' -v r="$1" '$1 == r { print $2 }' <<<"$TB_OUT")
    if [ "$TB_RC" = 0 ] && grep -qE -- "$2" <<<"$got"; then tb_pass "$3"
    else tb_fail "$3: /$got/ does not match /$2/" "$TB_OUT"; fi
}

echo "== LMTP client: one reply per recipient, each after its remote outcome"
lmtp "serve direct mixed" ok@dane.test reject@dane.test defer@dane.test 'down@[127.0.26.40]'
expect_reply ok@dane.test '^250 2\.0\.0 Ok: delivered to dane\.test$' "accepted: 250 2.0.0"
expect_reply reject@dane.test '^550 5\.1\.1 host mx\.dane\.test\[127\.0\.25\.10\] said: 550 5\.1\.1 .*recipient rejected' \
    "the server's 550: 550 5.1.1 with its text"
expect_reply defer@dane.test '^450 4\.2\.0 host mx\.dane\.test\[127\.0\.25\.10\] said: 450 4\.2\.0 ' \
    "the server's 450: 450 4.2.0 with its text"
expect_reply 'down@[127.0.26.40]' '^451 4\.4\.1 connect to 127\.0\.26\.40\[127\.0\.26\.40\]:25: Connection refused' \
    "a destination that is down: 451 4.4.1"
n=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "serve direct mixed" \
    --wait 10 2>/dev/null | wc -l)
[ "$n" = 1 ] && tb_pass "one copy arrived" || tb_fail "copies: $n"
grep -q 'Verified TLS connection established to mx\.dane\.test\[127\.0\.25\.10\]' "$TB_RUN/serve.log" \
    && tb_pass "serve's log: Verified TLS to mx.dane.test" \
    || tb_fail "no Verified TLS line" "$(cat "$TB_RUN/serve.log")"

echo "== Postfix lmtp(8) hands mail to serve"
tb_on_exit "bash '$sender' stop '$TB_RUN/sender'"
DANE_LMTP="unix:$sock" bash "$sender" start "$TB_RUN/sender" "$DANE_AGENT" "$policy"
maillog=$TB_RUN/sender/maillog
# submit RCPTS SUBJECT - through the sending instance's sendmail
submit() {
    printf 'From: sender@sender.test\nTo: %s\nSubject: %s\nMessage-ID: <%s.%s@sender.test>\n\nbody of %s\n' \
        "${1// /, }" "$2" "$(echo "$2" | tr -c 'A-Za-z0-9\n' -)" "$$" "$2" |
        bash "$sender" send "$TB_RUN/sender" sender@sender.test $1
}
# wait_log ERE LABEL - bounded wait for a line in the sender's log
wait_log() {
    for _ in $(seq 300); do
        if grep -Eq -- "$1" "$maillog"; then tb_pass "$2"; return 0; fi
        sleep 0.1
    done
    tb_fail "$2: no log line /$1/" "$(grep -E 'lmtp|status=' "$maillog" | tail -n 20)"
}
submit ok@dane.test "lmtp verified"
submit "ok2@dane.test reject@dane.test defer@dane.test down@[127.0.26.40] x@mismatch.dane.test" "lmtp mixed"
relay='relay=[^,]*serve\.sock[^,]*'
wait_log "to=<ok@dane\.test>, $relay, .*dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: delivered to dane\.test\)" \
    "lmtp(8): ok@ sent on serve's 250"
expect_delivered "lmtp verified" ok@dane.test "ok@'s message in the receiving maildir"
if received=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "lmtp verified" --wait 5) \
        && grep -q 'using TLSv1\.[23] with cipher' $received; then
    tb_pass "receiver's Received: header shows TLS"
else
    tb_fail "no TLS in the receiver's Received: header"
fi
wait_log "to=<ok2@dane\.test>, $relay, .*status=sent \(250 2\.0\.0 " "lmtp(8), mixed: ok2@ sent"
wait_log "to=<reject@dane\.test>, $relay, .*dsn=5\.1\.1, status=bounced \(host [^ ]* said: 550 5\.1\.1 host mx\.dane\.test\[127\.0\.25\.10\] said: 550 5\.1\.1 " \
    "lmtp(8), mixed: reject@ bounced 5.1.1 with the server's reply"
wait_log "to=<defer@dane\.test>, $relay, .*dsn=4\.2\.0, status=deferred \(host [^ ]* said: 450 4\.2\.0 " \
    "lmtp(8), mixed: defer@ deferred 4.2.0"
wait_log "to=<down@\[127\.0\.26\.40\]>, $relay, .*dsn=4\.4\.1, status=deferred \(host [^ ]* said: 451 4\.4\.1 connect to 127\.0\.26\.40" \
    "lmtp(8), mixed: the destination that is down deferred 4.4.1"
wait_log "to=<x@mismatch\.dane\.test>, $relay, .*dsn=4\.7\.5, status=deferred \(host [^ ]* said: 451 4\.7\.5 TLS authentication failed for mismatch\.dane\.test" \
    "lmtp(8), mixed: a DANE failure deferred 4.7.5"
n=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "lmtp mixed" \
    --wait 5 2>/dev/null | wc -l)
[ "$n" = 1 ] && tb_pass "mixed: one copy arrived (ok2@)" || tb_fail "mixed: copies: $n"

echo "== lmtp(8): the real server's 554 after the final dot is a bounce"
printf 'From: reject-after-dot@sender.test\nTo: eod@dane.test\nSubject: lmtp eod 554\n\nbody\n' |
    bash "$sender" send "$TB_RUN/sender" reject-after-dot@sender.test eod@dane.test
wait_log "to=<eod@dane\.test>, $relay, .*dsn=5\.7\.1, status=bounced \(host [^ ]* said: 554 5\.7\.1 host mx\.dane\.test\[127\.0\.25\.10\] said: 554 5\.7\.1 .*testbed: message rejected after the final dot" \
    "lmtp(8): the server's 554 after the dot bounced 5.7.1 with its text"

echo "== lmtp(8): a worker killed mid-transaction; the message stays queued, then arrives once"
rlog=$TB_RUN/smtp/maillog
submit slow-rcpt@dane.test "lmtp worker killed"
# the receiving server holds its RCPT reply 3 s: kill while the worker waits
# (the receiver logs nothing before that reply on a reused connection, so
# count from the moment the sending queue manager hands the message over)
for _ in $(seq 100); do
    qid=$(grep -o '[0-9A-F]*: message-id=<lmtp-worker-killed\.' "$maillog" | cut -d: -f1)
    [ -n "$qid" ] && grep -q "$qid: from=.*(queue active)" "$maillog" && break
    sleep 0.1
done
sleep 1.5
victims=$(workers)
kill -KILL $victims
wait_log "to=<slow-rcpt@dane\.test>, $relay, .*status=deferred" "lmtp(8): the killed worker's message deferred"
bash "$sender" queue "$TB_RUN/sender" | grep -q 'slow-rcpt@dane\.test' \
    && tb_pass "the message is still in the sending Postfix's queue" \
    || tb_fail "not queued" "$(bash "$sender" queue "$TB_RUN/sender")"
n=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "lmtp worker killed" \
    2>/dev/null | wc -l || true)
[ "$n" = 0 ] && tb_pass "nothing arrived from the killed attempt" || tb_fail "copies before the retry: $n"
wait_workers 2 || tb_fail "workers not replaced: $(workers | tr '\n' ' ')"
bash "$sender" flush "$TB_RUN/sender"
wait_log "to=<slow-rcpt@dane\.test>, $relay, .*status=sent \(250 2\.0\.0 " "after postqueue -f: sent"
sleep 1
n=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "lmtp worker killed" \
    --wait 5 2>/dev/null | wc -l)
[ "$n" = 1 ] && tb_pass "delivered exactly once" || tb_fail "copies of the retried message: $n"
bash "$sender" stop "$TB_RUN/sender"

# lmtpc SENDER MESSAGE MODE RCPT... - one transaction; one line per
# recipient, RCPT<tab>REPLY, then with MODE idle the next line the service
# sends unasked ("AFTER<tab>LINE" or "AFTER<tab>EOF"), with MODE quit QUIT
cat > "$TB_RUN/lmtpc.py" <<'PY'
import socket, sys
sock, sender, msg, mode, rcpts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
s.settimeout(40)
f = s.makefile("rwb")
def reply():
    while True:
        l = f.readline().decode().rstrip("\r\n")
        if len(l) < 4 or l[3] != "-":
            return l
def cmd(c, want):
    f.write(c.encode() + b"\r\n"); f.flush()
    r = reply()
    if not r.startswith(want):
        sys.exit("%s: %s" % (c, r))
reply()
cmd("LHLO client.test", "250")
cmd("MAIL FROM:<%s>" % sender, "250")
for r in rcpts:
    cmd("RCPT TO:<%s>" % r, "250")
cmd("DATA", "354")
body = open(msg, "rb").read().replace(b"\n", b"\r\n").replace(b"\r\n.", b"\r\n..")
f.write(body + b".\r\n"); f.flush()
for r in rcpts:
    print("%s\t%s" % (r, reply()), flush=True)
if mode == "idle":
    l = f.readline()
    print("AFTER\t%s" % ("EOF" if l == b"" else l.decode().rstrip("\r\n")))
else:
    cmd("QUIT", "221")
PY
# lmtpc_out FILE RCPT - RCPT's reply in FILE
lmtpc_out() { awk -F'\t' -v r="$2" '$1 == r { print $2 }' "$1"; }
# wait_serve_log ERE - bounded wait for a line in serve's log
wait_serve_log() {
    for _ in $(seq 100); do grep -Eq -- "$1" "$TB_RUN/serve.log" && return 0; sleep 0.1; done
    return 1
}
TB_BODY=$(for i in $(seq 40); do echo "line $i: this message is larger than the 1500 octets the reloaded policy allows for dane.test"; done)$'\n'
tb_message "serve hup slow" > "$TB_RUN/big1"
tb_message "serve hup after" > "$TB_RUN/big2"
TB_BODY=
tb_message "serve hup small" > "$TB_RUN/small"
hup_policy=$(tb_policy serve-hup <<'Y'
defaults:
  level: dane
  connect_timeout: 5s
  delivery_timeout: 60s
destinations:
  "[127.0.26.40]": { level: may }
  "[127.0.26.42]": { level: may }
  dane.test: { max_message_size: 1500 }
Y
)
other_user=$(tb_policy serve-user <<'Y'
defaults:
  user: daemon
Y
)
cp "$policy" "$TB_RUN/serve-orig.yaml"

echo "== SIGHUP during a transaction: its real outcome, then the new policy"
old=$(workers)
timeout 60 python3 "$TB_RUN/lmtpc.py" "$sock" slow-dot@sender.test "$TB_RUN/big1" idle ok@dane.test \
    > "$TB_RUN/hup1.out" 2>&1 &
c1=$!
# the receiving server holds its reply to the final dot 3 s (slow-dot@)
for _ in $(seq 200); do grep -q 'message-id=<serve-hup-slow' "$rlog" && break; sleep 0.05; done
cp "$hup_policy" "$policy"
kill -HUP "$serve_pid"
wait_serve_log 'serve: SIGHUP: policy reloaded from' && tb_pass "log: policy reloaded" \
    || tb_fail "no reload line" "$(cat "$TB_RUN/serve.log")"
[ ! -s "$TB_RUN/hup1.out" ] && tb_pass "reloaded while the delivery was still under way" \
    || tb_fail "answered before the reload" "$(cat "$TB_RUN/hup1.out")"
timeout 60 python3 "$TB_RUN/lmtpc.py" "$sock" sender@sender.test "$TB_RUN/big2" quit ok@dane.test \
    > "$TB_RUN/hup2.out" 2>&1 || true
grep -qE '^552 5\.3\.4 message too big' <<<"$(lmtpc_out "$TB_RUN/hup2.out" ok@dane.test)" \
    && tb_pass "a transaction after the reload: the new policy's max_message_size (552 5.3.4)" \
    || tb_fail "after the reload" "$(cat "$TB_RUN/hup2.out")"
wait "$c1" || true
[ "$(lmtpc_out "$TB_RUN/hup1.out" ok@dane.test)" = "250 2.0.0 Ok: delivered to dane.test" ] \
    && tb_pass "the transaction under way got its real 250 after SIGHUP" \
    || tb_fail "transaction under way" "$(cat "$TB_RUN/hup1.out")"
grep -qE '^AFTER	421 4\.3\.2 .*shutting down' "$TB_RUN/hup1.out" \
    && tb_pass "then 421 4.3.2 ended its session" || tb_fail "no 421 after it" "$(cat "$TB_RUN/hup1.out")"
n=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "serve hup slow" \
    --wait 5 2>/dev/null | wc -l)
[ "$n" = 1 ] && tb_pass "its message arrived once" || tb_fail "copies: $n"
wait_replaced $old && tb_pass "workers $(echo $old) replaced by $(workers | tr '\n' ' ')" \
    || tb_fail "workers after SIGHUP: $(workers | tr '\n' ' ') (were $(echo $old))"

echo "== SIGHUP with a broken policy, or one naming another user: refused, serving on"
old=$(workers)
echo 'defaults: [broken' > "$policy"
kill -HUP "$serve_pid"
wait_serve_log "serve: SIGHUP: policy not reloaded, the running one stays in force: .*serve\.yaml" \
    && tb_pass "log: broken policy not reloaded" || tb_fail "no refusal line" "$(cat "$TB_RUN/serve.log")"
cp "$other_user" "$policy"
kill -HUP "$serve_pid"
wait_serve_log 'policy not reloaded.*names user daemon instead of nobody \(restart to change user\)' \
    && tb_pass "log: another user refused (restart to change user)" \
    || tb_fail "no user refusal line" "$(cat "$TB_RUN/serve.log")"
lmtp "serve hup small" ok@dane.test
expect_reply ok@dane.test '^250 2\.0\.0 Ok: delivered to dane\.test$' "still serving: 250"
timeout 60 python3 "$TB_RUN/lmtpc.py" "$sock" sender@sender.test "$TB_RUN/big2" quit ok@dane.test \
    > "$TB_RUN/hup3.out" 2>&1 || true
grep -qE '^552 5\.3\.4 ' <<<"$(lmtpc_out "$TB_RUN/hup3.out" ok@dane.test)" \
    && tb_pass "the policy in force is still the reloaded one (552 5.3.4)" \
    || tb_fail "policy in force" "$(cat "$TB_RUN/hup3.out")"
[ "$(workers | sort)" = "$(sort <<<"$old")" ] && tb_pass "workers not replaced" \
    || tb_fail "workers changed: $(echo $old) -> $(workers | tr '\n' ' ')"
cp "$TB_RUN/serve-orig.yaml" "$policy"

echo "== a silent client gets 421 4.4.2 after the idle timeout"
t0=$SECONDS
got=$(timeout 20 python3 - "$sock" <<'PY' 2>&1 || true
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rb")
f.readline()                                    # the greeting
print(f.readline().decode().rstrip("\r\n"))     # nothing sent: the timeout
print("EOF" if f.readline() == b"" else "more")
PY
)
if grep -q '^421 4\.4\.2 .*timeout' <<<"$got" && grep -qx EOF <<<"$got" \
        && [ $((SECONDS - t0)) -ge 3 ]; then
    tb_pass "421 4.4.2, then the connection closed ($((SECONDS - t0)) s)"
else
    tb_fail "idle client: /$got/"
fi

echo "== inet: loopback served, other addresses refused"
"$DANE_AGENT" serve -c "$policy" --listen inet:127.0.26.41:2741 --workers 1 \
    > "$TB_RUN/serve-inet.log" 2>&1 &
inet_pid=$!
tb_on_exit "kill $inet_pid"
got=$(timeout 20 python3 - <<'PY' 2>&1 || true
import socket, time
for _ in range(50):
    try:
        s = socket.create_connection(("127.0.26.41", 2741)); break
    except OSError:
        time.sleep(0.1)
f = s.makefile("rwb")
print(f.readline().decode().split(" ")[0])
f.write(b"LHLO client.test\r\nQUIT\r\n"); f.flush()
print(" ".join(l.decode()[:3] for l in f.readlines()))
PY
)
[ "$(head -n 1 <<<"$got")" = 220 ] && grep -q '250 221' <<<"$got" \
    && tb_pass "inet:127.0.26.41:2741: 220, LHLO 250, QUIT 221" || tb_fail "inet listener: /$got/"
inet_worker=$(pgrep -P "$inet_pid" || true)
kill -KILL "$inet_pid"
wait "$inet_pid" || true
for _ in $(seq 50); do kill -0 $inet_worker 2>/dev/null || break; sleep 0.1; done
[ -n "$inet_worker" ] && ! kill -0 $inet_worker 2>/dev/null \
    && tb_pass "its supervisor killed (SIGKILL), its worker $inet_worker stopped too" \
    || tb_fail "worker /$inet_worker/ of the killed supervisor still runs"
rc=0; err=$("$DANE_AGENT" serve -c "$policy" --listen inet:192.0.2.1:2741 2>&1) || rc=$?
[ "$rc" = 71 ] && grep -q 'refusing 192\.0\.2\.1: inet addresses must be loopback' <<<"$err" \
    && tb_pass "a non-loopback address is refused (exit 71)" || tb_fail "non-loopback: exit $rc: $err"
rc=0; err=$("$DANE_AGENT" serve -c "$policy" --listen "unix:$sock" 2>&1) || rc=$?
[ "$rc" = 71 ] && grep -q 'another process serves it' <<<"$err" && [ -S "$sock" ] \
    && tb_pass "a socket in use is not taken over (exit 71)" || tb_fail "socket in use: exit $rc: $err"
rc=0; err=$("$DANE_AGENT" serve -c "$policy" 2>&1) || rc=$?
[ "$rc" = 64 ] && grep -q -- '--listen' <<<"$err" && tb_pass "no --listen: usage error (exit 64)" \
    || tb_fail "no --listen: exit $rc: $err"

echo "== a kept connection carries the next message (connection reuse)"
# two transactions over one LMTP connection: one worker delivers both
# (the logs are read from here on: earlier sections reuse connections too)
slog_off=$(wc -c < "$TB_RUN/serve.log")
rlog_off=$(wc -c < "$TB_RUN/smtp/maillog")
tb_message "serve reuse one" > "$TB_RUN/msg-r1"
tb_message "serve reuse two" > "$TB_RUN/msg-r2"
TB_RC=0
TB_OUT=$(timeout 60 python3 - "$sock" "$TB_RUN/msg-r1" "$TB_RUN/msg-r2" 2>&1 <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(50)
f = s.makefile("rwb")
def reply():
    while True:
        l = f.readline().decode().rstrip("\r\n")
        if len(l) < 4 or l[3] != "-":
            return l
def cmd(c):
    f.write(c.encode() + b"\r\n"); f.flush()
    return reply()
reply()
cmd("LHLO client.test")
for m in sys.argv[2:]:
    cmd("MAIL FROM:<sender@sender.test>"); cmd("RCPT TO:<ok@dane.test>"); cmd("DATA")
    body = open(m, "rb").read().replace(b"\n", b"\r\n").replace(b"\r\n.", b"\r\n..")
    f.write(body + b".\r\n"); f.flush()
    print(reply())
cmd("QUIT")
PY
) || TB_RC=$?
[ "$TB_RC" = 0 ] && [ "$(grep -c '^250 2\.0\.0 ' <<<"$TB_OUT")" = 2 ] \
    && tb_pass "both messages: 250 2.0.0" || tb_fail "replies" "$TB_OUT"
tail -c +"$((slog_off + 1))" "$TB_RUN/serve.log" |
    grep -qE 'to=<ok@dane\.test>, relay=mx\.dane\.test\[127\.0\.25\.10\]:25, conn_use=[2-9][0-9]*, .*status=sent' \
    && tb_pass "the second went over the kept connection: conn_use=2 in its delivery line" \
    || tb_fail "no conn_use=N delivery line" "$(grep 'to=<ok@dane.test>' "$TB_RUN/serve.log")"
for s in one two; do
    n=$(bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" --subject "serve reuse $s" \
        --wait 10 2>/dev/null | wc -l)
    [ "$n" = 1 ] && tb_pass "message $s arrived once" || tb_fail "message $s: $n copies"
done
# the real server saw one connection carry both: RSET between them, and
# QUIT once the kept connection was idle 2 s (not its own 300 s timeout)
seen=
for _ in $(seq 100); do
    seen=$(tail -c +"$((rlog_off + 1))" "$TB_RUN/smtp/maillog" |
        grep -E 'disconnect from .* mail=([2-9]|[1-9][0-9]+) .*rset=[1-9][0-9]* .*quit=1' || true)
    [ -n "$seen" ] && break
    sleep 0.1
done
[ -n "$seen" ] && tb_pass "Postfix smtpd: one connection, several MAIL, RSET, QUIT after idle" \
    || tb_fail "no reused connection in the receiver's log" "$(grep 'disconnect from' "$TB_RUN/smtp/maillog")"

echo "== a worker that dies mid-transaction answers nothing, and is replaced"
# the scripted peer never answers the final dot: the worker waits on it
pdir=$TB_RUN/peer-no-dot-reply; mkdir -p "$pdir"
python3 "$TB_SRC/tests/testbed/peer.py" --addr 127.0.26.42 --port 25 \
    --scenario no-dot-reply --dir "$pdir" > "$pdir/log" 2>&1 &
tb_on_exit "kill $!"
for _ in $(seq 100); do [ -s "$pdir/ready" ] && break; sleep 0.1; done
[ -s "$pdir/ready" ] || { echo "FATAL: peer.py did not start: $(cat "$pdir/log")" >&2; exit 1; }
tb_message "serve worker dies" > "$TB_RUN/msg2"
timeout 30 python3 - "$sock" "$TB_RUN/msg2" > "$TB_RUN/dies.out" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(25)
f = s.makefile("rwb")
f.readline()
for c in [b"LHLO client.test", b"MAIL FROM:<sender@sender.test>",
          b"RCPT TO:<hang@[127.0.26.42]>", b"DATA"]:
    f.write(c + b"\r\n"); f.flush()
    while f.readline()[3:4] == b"-":
        pass
f.write(open(sys.argv[2], "rb").read().replace(b"\n", b"\r\n") + b".\r\n"); f.flush()
line = f.readline()
print("EOF" if line == b"" else line.decode().rstrip())
PY
client=$!
for _ in $(seq 100); do [ -e "$pdir/data" ] && break; sleep 0.1; done
victims=$(workers)
[ -e "$pdir/data" ] && kill -KILL $victims
wait "$client" || true
[ "$(cat "$TB_RUN/dies.out")" = EOF ] && tb_pass "the client got no reply, only the end of the connection" \
    || tb_fail "the client got: $(cat "$TB_RUN/dies.out")"
wait_replaced $victims && tb_pass "workers $(echo $victims) replaced by two others" \
    || tb_fail "workers after killing $(echo $victims): $(workers | tr '\n' ' ')"
for v in $victims; do
    grep -q "worker $v killed by signal 9" "$TB_RUN/serve.log" \
        || tb_fail "no log line for worker $v" "$(cat "$TB_RUN/serve.log")"
done
tb_pass "the supervisor logged each killed worker"

echo "== SIGTERM while a delivery is under way: its real reply, then all stop"
pids=$(workers)
tb_message "serve sigterm drain" > "$TB_RUN/drain"
off=$(wc -c < "$rlog")
timeout 60 python3 "$TB_RUN/lmtpc.py" "$sock" slow-dot@sender.test "$TB_RUN/drain" idle ok@dane.test \
    > "$TB_RUN/drain.out" 2>&1 &
c1=$!
# (a message this small reaches the server's log only after the dot: wait
# for its MAIL, then well into the server's 3 s before its reply)
for _ in $(seq 100); do tail -c +"$((off + 1))" "$rlog" | grep -q ': client=' && break; sleep 0.1; done
sleep 0.5
kill -TERM "$serve_pid"
[ ! -s "$TB_RUN/drain.out" ] && tb_pass "SIGTERM sent while the delivery was under way" \
    || tb_fail "answered before SIGTERM" "$(cat "$TB_RUN/drain.out")"
rc=0
for _ in $(seq 150); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
wait "$c1" || true
[ "$(lmtpc_out "$TB_RUN/drain.out" ok@dane.test)" = "250 2.0.0 Ok: delivered to dane.test" ] \
    && grep -qE '^AFTER	421 4\.3\.2 ' "$TB_RUN/drain.out" \
    && tb_pass "the delivery under way got its real 250, then 421 4.3.2" \
    || tb_fail "delivery under SIGTERM" "$(cat "$TB_RUN/drain.out")"
if kill -0 "$serve_pid" 2>/dev/null; then
    tb_fail "serve still runs 15 s after SIGTERM"
else
    wait "$serve_pid" || rc=$?
    [ "$rc" = 0 ] && tb_pass "serve exited 0" || tb_fail "serve exited $rc"
fi
left=
for p in $pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
[ -z "$left" ] && tb_pass "no worker left" || tb_fail "workers left:$left"
grep -q 'serve: stopped' "$TB_RUN/serve.log" && tb_pass "log: stopped" || tb_fail "no stop line"

tb_done
