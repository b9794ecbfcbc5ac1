# tests/integration/lib/testbed.sh - shared by the end-to-end tests of
# `dane-agent deliver`: the DNS and SMTP testbeds with one certificate
# directory, policy files, running the agent, and assertions.
#
#   . "$DANE_TEST_SRCDIR/tests/integration/lib/testbed.sh"
#   tb_init NAME              run dir /tmp/dane-e2e-NAME.XXXXXX (mode 755),
#                             trap EXIT: stop everything started, by PID
#   tb_certs                  mkcerts.sh into TB_RUN/certs (once)
#   tb_start_dns              DNS testbed in TB_RUN/dns with TB_RUN/certs
#   tb_start_smtp             receiving Postfix in TB_RUN/smtp, same certs
#   tb_start_https            nginx of tests/testbed/https in TB_RUN/https,
#                             same certs (MTA-STS policy hosts)
#   tb_policy NAME <<YAML     TB_RUN/NAME.yaml: the DNS testbed's dns: section
#                             followed by stdin (defaults:, destinations:)
#   tb_deliver POLICY NEXTHOP SUBJECT RCPT... [-- AGENT OPTIONS BEFORE "--"]
#                             runs deliver on a fresh message with that Subject
#                             (tb_message: TB_HEADERS, TB_BODY add raw lines);
#                             sets TB_RC, TB_ERR (stderr), TB_OUT (stdout),
#                             TB_ELAPSED_MS
#   expect_rc N LABEL         expect_err TEXT LABEL      expect_no_err TEXT LABEL
#   expect_err_re ERE LABEL   expect_no_err_re ERE LABEL
#   expect_json PYEXPR LABEL  (over r = list of JSON objects on stdout)
#   expect_delivered SUBJECT [RCPT] LABEL   expect_not_delivered SUBJECT LABEL
#   tb_done                   summary; exit 1 when any check failed
#
# The testbeds use fixed addresses (127.0.53.1/.2, 127.0.25.10-.19,
# 127.0.27.10-.14): ctest
# runs integration tests one at a time (RESOURCE_LOCK), but another
# engineer's testbed may be up; tb_start_* wait (bounded) until the
# addresses are free and never touch processes they did not start.
# Requires root (port 53, Postfix instances).

: "${DANE_AGENT:?DANE_AGENT must name the dane-agent binary}"
: "${DANE_TEST_SRCDIR:?}"
TB_SRC=$DANE_TEST_SRCDIR
TB_WAIT_S=${TB_WAIT_S:-600}     # longest wait for a busy testbed address
TB_FAILS=0
TB_CHECKS=0
TB_DNS_UP=
TB_SMTP_UP=
TB_HTTPS_UP=
TB_STOPS=()

tb_log() { echo "[$(date -u +%T)] $*"; }

# tb_cleanup - stop what this test started (by PID, via the testbeds' stop
# scripts), then remove the run dir unless TB_KEEP is set
tb_cleanup() {
    local rc=$? cmd
    for cmd in "${TB_STOPS[@]}"; do eval "$cmd" >/dev/null 2>&1 || true; done
    [ -n "$TB_SMTP_UP" ] && bash "$TB_SRC/tests/testbed/smtp/stop.sh" "$TB_RUN/smtp" || true
    [ -n "$TB_HTTPS_UP" ] && bash "$TB_SRC/tests/testbed/https/stop.sh" "$TB_RUN/https" || true
    [ -n "$TB_DNS_UP" ] && bash "$TB_SRC/tests/testbed/dns/stop.sh" "$TB_RUN/dns" || true
    if [ -n "${TB_KEEP:-}" ] || [ "$TB_FAILS" -ne 0 ]; then
        echo "run dir kept: $TB_RUN"
    else
        rm -rf "$TB_RUN"
    fi
    exit $rc
}

# tb_on_exit CMD - one more cleanup command (e.g. kill of a peer by PID)
tb_on_exit() { TB_STOPS+=("$1"); }

tb_init() {
    TB_RUN=$(mktemp -d "/tmp/dane-e2e-$1.XXXXXX")
    chmod 755 "$TB_RUN"
    trap tb_cleanup EXIT
    trap 'exit 130' INT TERM
}

tb_certs() {
    [ -f "$TB_RUN/certs/server/ecdsa/chain.pem" ] && return 0
    bash "$TB_SRC/tests/certs/mkcerts.sh" "$TB_RUN/certs" >/dev/null
    chmod -R a+rX "$TB_RUN/certs"
}

# tb_busy_dns / tb_busy_smtp / tb_busy_https - another process holds a testbed address
tb_busy_dns() { ss -Hlun 2>/dev/null | grep -Eq '127\.0\.53\.[12]:53 '; }
tb_busy_smtp() { ss -Hltn 2>/dev/null | grep -Eq '127\.0\.25\.1[0-9]:25 '; }
tb_busy_https() { ss -Hltn 2>/dev/null | grep -Eq '127\.0\.27\.1[0-4]:443 '; }

# tb_wait_free BUSYFN WHAT - bounded wait until BUSYFN is false
tb_wait_free() {
    local i said=
    for i in $(seq $((TB_WAIT_S * 2))); do
        "$1" || return 0
        [ -n "$said" ] || { tb_log "waiting for $2 (another testbed is running)"; said=1; }
        sleep 0.5
    done
    echo "FATAL: $2 still busy after ${TB_WAIT_S}s" >&2
    exit 1
}

# tb_start_with_retry BUSYFN WHAT CMD... - the start scripts refuse busy
# addresses; another run may grab them between our check and our start, so
# retry (after a random pause) until TB_WAIT_S has passed
tb_start_with_retry() {
    local busy=$1 what=$2 until=$((SECONDS + TB_WAIT_S))
    shift 2
    while [ $SECONDS -lt $until ]; do
        tb_wait_free "$busy" "$what"
        if "$@" > "$TB_RUN/start-$what.log" 2>&1; then return 0; fi
        "$busy" || { cat "$TB_RUN/start-$what.log" >&2; echo "FATAL: $what did not start" >&2; exit 1; }
        sleep $((1 + RANDOM % 3))
    done
    echo "FATAL: $what: addresses kept being taken for ${TB_WAIT_S}s" >&2
    exit 1
}

tb_start_dns() {
    tb_certs
    TB_DNS_UP=1
    tb_start_with_retry tb_busy_dns dns \
        bash "$TB_SRC/tests/testbed/dns/start.sh" -c "$TB_RUN/certs" "$TB_RUN/dns"
    chmod -R a+rX "$TB_RUN/dns/trust-anchors.key" "$TB_RUN/dns/policy.yaml"
    TB_CA_ECDSA=$TB_RUN/certs/server/ecdsa/ca.pem
}

tb_start_smtp() {
    tb_certs
    TB_SMTP_UP=1
    tb_start_with_retry tb_busy_smtp smtp \
        bash "$TB_SRC/tests/testbed/smtp/start.sh" -c "$TB_RUN/certs" "$TB_RUN/smtp"
}

tb_start_https() {
    tb_certs
    TB_HTTPS_UP=1
    tb_start_with_retry tb_busy_https https \
        bash "$TB_SRC/tests/testbed/https/start.sh" "$TB_RUN/https" "$TB_RUN/certs"
}

# tb_policy NAME - write TB_RUN/NAME.yaml (mode 644) and print its path
tb_policy() {
    local f=$TB_RUN/$1.yaml
    {
        if [ -f "$TB_RUN/dns/policy.yaml" ]; then
            sed '/^defaults:/,$d' "$TB_RUN/dns/policy.yaml"
        fi
        cat
    } > "$f"
    chmod 644 "$f"
    "$DANE_AGENT" policy-check --syntax "$f" >/dev/null || { echo "FATAL: bad test policy $f" >&2; exit 1; }
    echo "$f"
}

# tb_message SUBJECT - a small message with a unique Message-ID; TB_HEADERS
# (raw bytes, lines ending in LF) ends its header, TB_BODY (raw) its body
tb_message() {
    printf 'From: <sender@sender.test>\nTo: <rcpt@dane.test>\nSubject: %s\nMessage-ID: <%s.%s@sender.test>\nDate: %s\n%s\nThis is test %s.\n%s' \
        "$1" "$(echo "$1" | tr -c 'A-Za-z0-9\n' -)" "$$" "$(date -R)" "$TB_HEADERS" "$1" "$TB_BODY"
}
TB_HEADERS=
TB_BODY=

# tb_deliver POLICY NEXTHOP SUBJECT RCPT... - run deliver (bounded by timeout)
# Extra agent options: TB_OPTS (array), placed before "--".
tb_deliver() {
    local policy=$1 nexthop=$2 subject=$3
    shift 3
    TB_RC=0
    local t0=${EPOCHREALTIME/./}
    tb_message "$subject" | timeout 120 "$DANE_AGENT" deliver -c "$policy" \
        -f sender@sender.test -n "$nexthop" --log-stderr --json "${TB_OPTS[@]}" \
        -- "$@" > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
    TB_ELAPSED_MS=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
    TB_OUT=$(cat "$TB_RUN/out")
    TB_ERR=$(cat "$TB_RUN/err")
}
TB_OPTS=()

tb_pass() { TB_CHECKS=$((TB_CHECKS + 1)); echo "ok: $1"; }
tb_fail() {
    TB_CHECKS=$((TB_CHECKS + 1)); TB_FAILS=$((TB_FAILS + 1))
    echo "FAIL: $1"
    [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/    /'
}
# tb_context - what the last tb_deliver printed (for a failure)
tb_context() {
    printf 'exit %s\n--- stderr\n%s\n--- stdout\n%s' "$TB_RC" "$TB_ERR" "$TB_OUT" | head -c 6000
}

expect_rc() {
    if [ "$TB_RC" = "$1" ]; then tb_pass "$2 (exit $1)"
    else tb_fail "$2: exit $TB_RC, want $1" "$(tb_context)"; fi
}

# expect_err TEXT LABEL - TEXT (fixed string) in the last stderr
expect_err() {
    if grep -qF -- "$1" <<<"$TB_ERR"; then tb_pass "$2"
    else tb_fail "$2: stderr lacks '$1'" "$(tb_context)"; fi
}
expect_no_err() {
    if grep -qF -- "$1" <<<"$TB_ERR"; then tb_fail "$2: stderr has '$1'" "$(tb_context)"
    else tb_pass "$2"; fi
}
# expect_err_re ERE LABEL
expect_err_re() {
    if grep -qE -- "$1" <<<"$TB_ERR"; then tb_pass "$2"
    else tb_fail "$2: stderr does not match /$1/" "$(tb_context)"; fi
}
expect_no_err_re() {
    if grep -qE -- "$1" <<<"$TB_ERR"; then tb_fail "$2: stderr matches /$1/" "$(tb_context)"
    else tb_pass "$2"; fi
}

# expect_json PYEXPR LABEL - PYEXPR is true over r, the list of JSON objects
# the agent wrote to stdout (one per attempt); last = r[-1]
expect_json() {
    local msg
    if msg=$(python3 - "$1" "$TB_RUN/out" <<'PY' 2>&1
import json, sys
expr, path = sys.argv[1], sys.argv[2]
r = [json.loads(line) for line in open(path) if line.strip()]
if not r:
    sys.exit("no JSON record on stdout")
last = r[-1]
ok = eval(expr, {"r": r, "last": last, "any": any, "all": all, "len": len})
sys.exit(0 if ok else "false: " + expr)
PY
    ); then tb_pass "$2"
    else tb_fail "$2: $msg" "$(tb_context)"; fi
}

# expect_delivered SUBJECT [RCPT] LABEL - in the receiving testbed's maildir
expect_delivered() {
    local subject=$1 to= label
    if [ $# -eq 3 ]; then to=$2; label=$3; else label=$2; fi
    if bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" \
            --subject "$subject" ${to:+--to "$to"} --wait 10 >/dev/null; then
        tb_pass "$label"
    else
        tb_fail "$label: '$subject'${to:+ to $to} not in the maildir" "$(tb_context)"
    fi
}
# expect_not_delivered SUBJECT LABEL - nothing with that Subject arrived
# (waits a little: virtual(8) delivers after smtpd's reply)
expect_not_delivered() {
    if bash "$TB_SRC/tests/testbed/smtp/postfix.sh" find "$TB_RUN/smtp" \
            --subject "$1" --wait 1 >/dev/null; then
        tb_fail "$2: '$1' was delivered" "$(tb_context)"
    else
        tb_pass "$2"
    fi
}

tb_done() {
    echo "$TB_CHECKS checks, $TB_FAILS failed"
    [ "$TB_FAILS" -eq 0 ] || exit 1
    exit 0
}
