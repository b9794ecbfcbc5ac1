# tests/security/lib.bash - shared by tests/security/*.sh (not a test itself:
# ctest runs only *.sh). Builds on tests/integration/lib/testbed.sh (run dir,
# DNS testbed for the agent's resolver check, policies, tb_deliver, expect_*)
# and adds the scripted peer (tests/testbed/peer.py --record-all):
#
#   sec_init NAME [dns]       tb_init; with "dns" also the DNS testbed (for
#                             host names and probe). deliver to an [address]
#                             next-hop uses no DNS at all.
#   sec_policy NAME <<YAML    tb_policy; without the DNS testbed the dns:
#                             section names an upstream where nothing
#                             listens (never the system's resolver)
#   sec_peer N SCENARIO [OPTS]  peer.py on 127.0.26.N, port 2700+N, serving
#                             one connection; PEER_DIR holds what it saw
#                             (commands, data, data-raw, sni, peer-cred,
#                             pre-tls); stopped by PID on exit
#   sec_deliver_file POLICY NEXTHOP FILE [RCPT]  deliver FILE as the message
#   expect_peer_has ERE LABEL / expect_peer_lacks ERE LABEL  over commands
#   expect_nothing_sent LABEL no MAIL, RCPT or DATA reached the peer, no data
#   expect_file_eq FILE WANTFILE LABEL   byte for byte
#
# A nonexistent PEER_DIR/commands means the peer saw no command at all.

. "${DANE_TEST_SRCDIR:?}/tests/integration/lib/testbed.sh"
SEC_PEER=$DANE_TEST_SRCDIR/tests/testbed/peer.py
SEC_NPEER=0

sec_init() {
    tb_init "sec-$1"
    if [ "${2:-}" = dns ]; then tb_start_dns; else tb_certs; fi
}

sec_policy() {
    if [ -n "$TB_DNS_UP" ]; then
        tb_policy "$1"
    else
        { printf 'dns:\n  upstreams: ["127.0.53.9"]\n  timeout: 1s\n'; cat; } | tb_policy "$1"
    fi
}

# sec_peer N SCENARIO [peer.py options] - start, wait until listening
sec_peer() {
    local n=$1 scenario=$2 pid i
    shift 2
    SEC_NPEER=$((SEC_NPEER + 1))
    PEER_DIR=$TB_RUN/peer-$SEC_NPEER-$scenario
    PEER_NEXTHOP="[127.0.26.$n]:$((2700 + n))"
    mkdir -p "$PEER_DIR"
    python3 "$SEC_PEER" --addr "127.0.26.$n" --port $((2700 + n)) \
        --scenario "$scenario" --dir "$PEER_DIR" --record-all "$@" \
        > "$PEER_DIR/peer.log" 2>&1 &
    pid=$!
    PEER_PID=$pid
    tb_on_exit "kill $pid; wait $pid"
    for i in $(seq 100); do
        [ -s "$PEER_DIR/ready" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "FATAL: peer.py $scenario did not start:" >&2
    cat "$PEER_DIR/peer.log" >&2
    exit 1
}

# sec_peer_stop - stop the last peer (it may have exited by itself)
sec_peer_stop() {
    kill "$PEER_PID" 2>/dev/null || true
    wait "$PEER_PID" 2>/dev/null || true
}

# sec_deliver_file POLICY NEXTHOP FILE [RCPT] - like tb_deliver, message FILE
sec_deliver_file() {
    local policy=$1 nexthop=$2 file=$3 rcpt=${4:-rcpt@dane.test}
    TB_RC=0
    local t0=${EPOCHREALTIME/./}
    timeout 120 "$DANE_AGENT" deliver -c "$policy" -f sender@sender.test \
        -n "$nexthop" --log-stderr --json "${TB_OPTS[@]}" -- "$rcpt" \
        < "$file" > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
    TB_ELAPSED_MS=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
    TB_OUT=$(cat "$TB_RUN/out")
    TB_ERR=$(cat "$TB_RUN/err")
}

# sec_context - the agent's output and what the peer recorded
sec_context() {
    tb_context
    printf '\n--- peer commands\n'
    head -c 3000 "$PEER_DIR/commands" 2>/dev/null || echo "(none)"
}

expect_peer_has() {
    if grep -qE -- "$1" "$PEER_DIR/commands" 2>/dev/null; then tb_pass "$2"
    else tb_fail "$2: peer saw no /$1/" "$(sec_context)"; fi
}
expect_peer_lacks() {
    if grep -qE -- "$1" "$PEER_DIR/commands" 2>/dev/null; then
        tb_fail "$2: peer saw /$1/" "$(sec_context)"
    else tb_pass "$2"; fi
}

# expect_nothing_sent LABEL - no mail transaction began, no content arrived
expect_nothing_sent() {
    if grep -qiE '^(MAIL|RCPT|DATA|BDAT)' "$PEER_DIR/commands" 2>/dev/null \
        || [ -e "$PEER_DIR/data" ] || [ -e "$PEER_DIR/data-raw" ]; then
        tb_fail "$1: a mail transaction reached the peer" "$(sec_context)"
    else
        tb_pass "$1"
    fi
}

# expect_file_eq FILE WANT LABEL - identical bytes
expect_file_eq() {
    if [ -f "$1" ] && cmp -s "$1" "$2"; then tb_pass "$3"
    else
        tb_fail "$3: $1 differs from $2" "$(
            printf 'got:  '; od -c "$1" 2>/dev/null | head -20
            printf 'want: '; od -c "$2" | head -20)"
    fi
}
