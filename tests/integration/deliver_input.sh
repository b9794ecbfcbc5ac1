#!/usr/bin/env bash
# deliver_input.sh - what `dane-agent deliver` takes from its caller, end to
# end against the scripted peer (tests/testbed/peer.py), each case asserting
# the exit status and what the server received:
# - envelope addresses bare or in one pair of angle brackets, "<>" and
#   pipe(8)'s MAILER-DAEMON reach the server as MAIL FROM:<...> and
#   RCPT TO:<...>; anything else is a usage error (64), nothing sent;
# - stdin that never reaches end of file defers 4.4.7 (75) within the
#   deadline, before any connection;
# - a FIFO without reader as --report fails at once (78, 4.3.5) naming the
#   path and the errno text; nothing sent;
# - a message above the 64 KiB memory threshold arrives byte for byte, also
#   at a second MX after the first took the whole body and refused the end
#   of data (the spool file is read again);
# - a 64 MB message is streamed in bounded memory (max RSS under 32 MB; not
#   checked in a sanitizer build);
# - spool_dir (top-level policy key) holds the spool; one that does not
#   exist defers 4.3.0 (75) naming it, nothing sent;
# - max_message_size bounces 5.3.4 (69) before any connection.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/security/lib.bash"
sec_init deliver-input dns

FAILOVER_PORT=2760
mkdir -m 755 "$TB_RUN/spool"
policy=$(sec_policy input <<Y
spool_dir: $TB_RUN/spool
defaults:
  level: may
  connect_timeout: 3s
  helo_timeout: 5s
  data_timeout: 10s
  delivery_timeout: 60s
destinations:
  "[127.0.26.41]:2741": { delivery_timeout: 3s }
  "[127.0.26.42]:2742": { max_message_size: 100K }
  "failover.test:$FAILOVER_PORT": { level: may }
Y
)

# deliver SENDER NEXTHOP FILE RCPT... - deliver FILE; TB_RC, TB_ERR, TB_OUT,
# TB_ELAPSED_MS (options before "--": TB_OPTS)
deliver() {
    local sender=$1 nexthop=$2 file=$3 t0=${EPOCHREALTIME/./}
    shift 3
    TB_RC=0
    timeout 120 "$DANE_AGENT" deliver -c "$policy" -f "$sender" -n "$nexthop" \
        --log-stderr --json "${TB_OPTS[@]}" -- "$@" \
        < "$file" > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
    TB_ELAPSED_MS=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
    TB_OUT=$(cat "$TB_RUN/out")
    TB_ERR=$(cat "$TB_RUN/err")
}

# expect_first_err_re ERE LABEL - the first stderr line that is not a log
# line (the one reason pipe(8) reports) matches ERE
expect_first_err_re() {
    local line
    line=$(grep -v '^dane-agent: ' <<<"$TB_ERR" | head -n1)
    if grep -qE -- "$1" <<<"$line"; then tb_pass "$2"
    else tb_fail "$2: reason line '$line' does not match /$1/" "$(sec_context)"; fi
}

# expect_elapsed_below MS LABEL
expect_elapsed_below() {
    if [ "$TB_ELAPSED_MS" -lt "$1" ]; then tb_pass "$2 (${TB_ELAPSED_MS} ms)"
    else tb_fail "$2: took ${TB_ELAPSED_MS} ms, want < $1" "$(sec_context)"; fi
}

tb_message "input" > "$TB_RUN/small"

echo "== envelope: '<>' sender, bracketed recipient"
sec_peer 40 ok
deliver '<>' "$PEER_NEXTHOP" "$TB_RUN/small" '<r1@peer.test>'
sec_peer_stop
expect_rc 0 "'-f <>' and '<r1@peer.test>' delivered"
expect_peer_has '^MAIL FROM:<> ' "the server got MAIL FROM:<>"
expect_peer_has '^RCPT TO:<r1@peer.test>$' "the server got RCPT TO:<r1@peer.test>"

echo "== envelope: bracketed sender, bare and bracketed recipients"
sec_peer 40 ok
deliver '<s@sender.test>' "$PEER_NEXTHOP" "$TB_RUN/small" 'r2@peer.test' '<r3@peer.test>'
sec_peer_stop
expect_rc 0 "'-f <s@sender.test>' delivered"
expect_peer_has '^MAIL FROM:<s@sender.test> ' "the server got MAIL FROM:<s@sender.test>"
expect_peer_has '^RCPT TO:<r2@peer.test>$' "bare recipient as RCPT TO:<r2@peer.test>"
expect_peer_has '^RCPT TO:<r3@peer.test>$' "bracketed recipient as RCPT TO:<r3@peer.test>"

echo "== envelope: pipe(8)'s MAILER-DAEMON is the null sender"
sec_peer 40 ok
deliver 'MAILER-DAEMON' "$PEER_NEXTHOP" "$TB_RUN/small" 'r4@peer.test'
sec_peer_stop
expect_rc 0 "'-f MAILER-DAEMON' delivered"
expect_peer_has '^MAIL FROM:<> ' "the server got MAIL FROM:<>"

echo "== envelope: usage errors exit 64, nothing sent"
for bad in '<<r@peer.test>>' '<r@peer.test' '<>' 'postmaster'; do
    sec_peer 40 ok
    deliver 's@sender.test' "$PEER_NEXTHOP" "$TB_RUN/small" "$bad"
    sec_peer_stop
    expect_rc 64 "recipient '$bad' is a usage error"
    expect_nothing_sent "recipient '$bad': nothing sent"
done
sec_peer 40 ok
deliver '<s@sender.test' "$PEER_NEXTHOP" "$TB_RUN/small" 'r@peer.test'
sec_peer_stop
expect_rc 64 "sender '<s@sender.test' is a usage error"
expect_nothing_sent "sender '<s@sender.test': nothing sent"

echo "== stdin that never ends: 4.4.7 within the deadline (3 s), no connection"
sec_peer 41 ok
mkfifo "$TB_RUN/stdin"
exec 3<>"$TB_RUN/stdin"     # a writer that never closes
printf 'Subject: never ends\n\npartial' >&3
TB_RC=0
t0=${EPOCHREALTIME/./}
timeout 30 "$DANE_AGENT" deliver -c "$policy" -f s@sender.test -n "$PEER_NEXTHOP" \
    -- r@peer.test < "$TB_RUN/stdin" 3>&- > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
TB_ELAPSED_MS=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
TB_ERR=$(cat "$TB_RUN/err") TB_OUT=
exec 3>&-
sec_peer_stop
expect_rc 75 "endless stdin deferred"
expect_first_err_re '^4\.4\.7 .*end of file' "reason 4.4.7 names the missing end of file"
expect_elapsed_below 6000 "stopped at the deadline, not by timeout(1)"
expect_nothing_sent "endless stdin: nothing sent"

echo "== --report is a FIFO without reader: 78, 4.3.5, path and errno, no hang"
sec_peer 40 ok
mkfifo "$TB_RUN/report.fifo"
TB_OPTS=(--report "$TB_RUN/report.fifo")
deliver 's@sender.test' "$PEER_NEXTHOP" "$TB_RUN/small" 'r@peer.test'
TB_OPTS=()
sec_peer_stop
expect_rc 78 "FIFO as --report refused"
expect_first_err_re "^4\.3\.5 cannot open report file: $TB_RUN/report.fifo: No such device or address" \
    "reason names the path and errno"
expect_elapsed_below 5000 "open(2) did not block"
expect_nothing_sent "FIFO as --report: nothing sent"

# message_file OUT WANT KIB - a message of about KIB KiB with LF line ends,
# 8-bit text and lines starting with a dot; WANT is what the server's DATA
# holds (CRLF, dot-stuffed, RFC 5321 §4.5.2)
message_file() {
    python3 - "$1" "$2" "$3" <<'PY'
import sys
out, want, kib = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = [b"From: <s@sender.test>", b"Subject: large", b""]
i = 0
while sum(len(l) + 1 for l in lines) < kib * 1024:
    lines.append(b".dot line %d" % i if i % 50 == 0 else
                 b"line %d: gr\xc3\xbc\xc3\x9fe, " % i + b"x" * 60)
    i += 1
open(out, "wb").write(b"".join(l + b"\n" for l in lines))
open(want, "wb").write(b"".join((b"." if l.startswith(b".") else b"") + l + b"\r\n"
                                for l in lines))
PY
}

echo "== a message above the memory threshold (300 KiB) arrives byte for byte"
message_file "$TB_RUN/large" "$TB_RUN/large.want" 300
sec_peer 40 ok
deliver 's@sender.test' "$PEER_NEXTHOP" "$TB_RUN/large" 'r@peer.test'
sec_peer_stop
expect_rc 0 "300 KiB message delivered"
expect_peer_has "^MAIL FROM:<s@sender.test> SIZE=$(stat -c %s "$TB_RUN/large") BODY=8BITMIME$" \
    "SIZE= is the spooled size, BODY=8BITMIME for the 8-bit octets"
expect_file_eq "$PEER_DIR/data" "$TB_RUN/large.want" "DATA is the message, CRLF and dot-stuffed"

echo "== failover: MX 10 takes the body and says 451, MX 20 gets it all again"
# failover.test: MX 10 mx1 (127.0.25.15), MX 20 mx2 (127.0.25.10); no TLSA
# at this port, so both are opportunistic
mx_peer() {     # mx_peer ADDR SCENARIO - one connection on ADDR:FAILOVER_PORT
    local dir=$TB_RUN/mx-$1-$2 pid
    mkdir -p "$dir"
    python3 "$SEC_PEER" --addr "$1" --port "$FAILOVER_PORT" --scenario "$2" \
        --dir "$dir" > "$dir/peer.log" 2>&1 &
    pid=$!
    tb_on_exit "kill $pid; wait $pid"
    for _ in $(seq 100); do [ -s "$dir/ready" ] && return 0; sleep 0.1; done
    echo "FATAL: peer.py on $1 did not start: $(cat "$dir/peer.log")" >&2
    exit 1
}
mx_peer 127.0.25.15 dot-4xx
mx_peer 127.0.25.10 ok
deliver 's@sender.test' "failover.test:$FAILOVER_PORT" "$TB_RUN/large" 'r@peer.test'
expect_rc 0 "delivered at the second MX"
expect_json 'len(r) == 2 and r[0]["result"] == "deferred" and r[1]["result"] == "sent"' \
    "two attempts: deferred at MX 10, sent at MX 20"
expect_file_eq "$TB_RUN/mx-127.0.25.15-dot-4xx/data" "$TB_RUN/large.want" \
    "MX 10 received the whole message"
expect_file_eq "$TB_RUN/mx-127.0.25.10-ok/data" "$TB_RUN/large.want" \
    "MX 20 received the whole message again from the spool"

echo "== 64 MB streamed in bounded memory (peer discards, keeps a digest)"
python3 - "$TB_RUN/huge" "$TB_RUN/huge.sum" <<'PY'
import hashlib, sys
line = b"The quick brown fox jumps over the lazy dog, 0123456789 \xc3\xa9\xc3\xa8.\r\n"
n = 64 * 1024 * 1024 // len(line)
h = hashlib.sha256()
with open(sys.argv[1], "wb") as f:
    f.write(b"Subject: huge\r\n\r\n"); h.update(b"Subject: huge\r\n\r\n")
    for _ in range(n):
        f.write(line); h.update(line)
size = 17 + n * len(line)
open(sys.argv[2], "w").write("bytes %d\nsha256 %s\n" % (size, h.hexdigest()))
PY
sec_peer 43 ok --discard-data --size-limit 0
TB_RC=0
/usr/bin/time -f %M -o "$TB_RUN/rss" "$DANE_AGENT" deliver -c "$policy" -f s@sender.test \
    -n "$PEER_NEXTHOP" -- r@peer.test < "$TB_RUN/huge" > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
TB_ERR=$(cat "$TB_RUN/err") TB_OUT=
sec_peer_stop
rm -f "$TB_RUN/huge"
expect_rc 0 "64 MB message delivered"
expect_file_eq "$PEER_DIR/data-summary" "$TB_RUN/huge.sum" "the server got every byte (count and SHA-256)"
rss=$(tail -n1 "$TB_RUN/rss")
# gcc links ASan dynamically, clang (the fuzz build) statically: look for it
if grep -aq __asan_init "$DANE_AGENT"; then
    echo "skip: max RSS $rss KiB not checked: ASan's shadow memory and quarantine"
elif [ "$rss" -lt 32768 ]; then tb_pass "max RSS $rss KiB < 32 MiB"
else tb_fail "max RSS $rss KiB, want < 32768" "$(sec_context)"; fi

echo "== spool_dir that does not exist: 4.3.0 naming it, exit 75, nothing sent"
good_policy=$policy
policy=$TB_RUN/nospool.yaml
sed "s|^spool_dir: .*|spool_dir: $TB_RUN/no-such-dir|" "$good_policy" > "$policy"
sec_peer 40 ok
deliver 's@sender.test' "$PEER_NEXTHOP" "$TB_RUN/large" 'r@peer.test'
sec_peer_stop
policy=$good_policy
expect_rc 75 "unusable spool directory deferred"
expect_first_err_re "^4\.3\.0 cannot make a temporary file in $TB_RUN/no-such-dir: No such file or directory" \
    "reason 4.3.0 names the directory and errno"
expect_nothing_sent "unusable spool directory: nothing sent"
[ -z "$(ls -A "$TB_RUN/spool")" ] && tb_pass "nothing left in spool_dir" ||
    tb_fail "files left in $TB_RUN/spool: $(ls -A "$TB_RUN/spool")"

echo "== max_message_size (100K): 5.3.4, exit 69, before any connection"
sec_peer 42 ok
deliver 's@sender.test' "$PEER_NEXTHOP" "$TB_RUN/large" 'r@peer.test'
sec_peer_stop
expect_rc 69 "larger than max_message_size bounced"
expect_first_err_re '^5\.3\.4 message too big' "reason 5.3.4"
expect_nothing_sent "too big: nothing sent"

tb_done
