#!/usr/bin/env bash
# tests/testbed/smtp/postfix.sh - the receiving SMTP testbed: ONE private Postfix
# instance with one smtpd listener per TLS profile on 127.0.25.10-.19 (address
# plan: tests/testbed/README.md), accepting mail for the test domains into
# maildirs. Nothing is relayed anywhere.
#
#   postfix.sh start RUNDIR [CERTDIR]   lay out RUNDIR, start; CERTDIR defaults to
#                                       RUNDIR/certs, made by tests/certs/mkcerts.sh
#                                       when it holds no server/ tree yet
#   postfix.sh stop RUNDIR              stop the master by its PID (no-op if down)
#   postfix.sh pid RUNDIR               print the master's PID (exit 1 if down)
#   postfix.sh listeners RUNDIR         print the instance's listening sockets
#   postfix.sh find RUNDIR (--message-id ID | --subject TEXT) [--to RCPT] [--wait SECONDS]
#                                       print the maildir file(s) of a message
#
# Mail: any recipient in a test domain (*.test, *.example, *.invalid,
# example.com/.net/.org; RFC 2606, RFC 6761) is accepted and delivered by
# virtual(8) to the one maildir RUNDIR/mail/inbox/ (files owned by 65534; each
# copy names its recipient in a Delivered-To: header; a regexp map may not
# substitute into a mailbox path, hence no maildir per domain).
# Special local parts for failure tests: reject@<domain> is refused with
# "550 5.1.1", defer@<domain> with "450 4.2.0"; slow-rcpt@<domain> is answered
# 3 s late (RCPT). Special senders: reject-after-dot@<domain> is refused with
# "554 5.7.1" after the final dot; slow-dot@<domain> gets its reply to the
# final dot 3 s late (the message is then accepted). Other domains: "554 5.7.1
# Relay access denied". Logs: RUNDIR/maillog (syslog_name postfix-testbed/<profile>).
# The delivered message carries a Received: header with the TLS details.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# profile  address      certificate profile  protocols       cipher list (smtpd_tls_ciphers=high)
profiles() {
    cat <<'TAB'
ecdsa       127.0.25.10 ecdsa      >=TLSv1.2 -
rsa         127.0.25.11 rsa        >=TLSv1.2 -
tls12-ecdhe 127.0.25.12 ecdsa      TLSv1.2   ECDHE+AESGCM
tls12-dhe   127.0.25.13 rsa        TLSv1.2   kDHE+aRSA+AESGCM
static-rsa  127.0.25.14 rsa        TLSv1.2   AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA:AES128-SHA
no-starttls 127.0.25.15 -          -         -
anon        127.0.25.16 -          TLSv1.2   aNULL:!eNULL:@SECLEVEL=0
wrongname   127.0.25.17 wrongname  >=TLSv1.2 -
expired     127.0.25.18 expired    >=TLSv1.2 -
selfsigned  127.0.25.19 selfsigned >=TLSv1.2 -
TAB
}

# protocols_value SPEC - Postfix protocol syntax for "TLSv1.2" (only) or ">=TLSv1.2"
protocols_value() {
    case $1 in
        TLSv1.2)   echo '>=TLSv1.2,<=TLSv1.2' ;;
        *)         echo "$1" ;;
    esac
}

# smtpd_listener NAME ADDR CERTPROFILE PROTOCOLS CIPHERS CERTDIR
smtpd_listener() {
    local name=$1 addr=$2 cert=$3 protos=$4 ciphers=$5 certs=$6
    echo "$addr:25 inet n - n - - smtpd"
    echo "  -o syslog_name=postfix-testbed/$name"
    echo "  -o { smtpd_banner = \$myhostname ESMTP testbed $name }"
    if [ "$name" = no-starttls ]; then
        echo "  -o smtpd_tls_security_level=none"
        return
    fi
    echo "  -o smtpd_tls_security_level=may"
    echo "  -o smtpd_tls_protocols=$(protocols_value "$protos")"
    if [ "$cert" = - ]; then
        # anonymous suites only: no certificate at all
        echo "  -o smtpd_tls_chain_files="
        echo "  -o smtpd_tls_cert_file=none"
    else
        echo "  -o smtpd_tls_chain_files=$certs/server/$cert/key.pem,$certs/server/$cert/chain.pem"
    fi
    if [ "$ciphers" != - ]; then
        echo "  -o smtpd_tls_ciphers=high"
        echo "  -o tls_high_cipherlist=$ciphers"
    fi
}

write_config() {
    local run=$1 certs=$2
    {
        pf_main_cf "$run" testbed.test
        cat <<CF
# receiving side: test domains into maildirs, nothing relayed
virtual_mailbox_domains = regexp:$run/etc/domains
virtual_mailbox_maps = static:inbox/
virtual_mailbox_base = $run/mail
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
default_transport = error:5.7.1 the testbed relays nowhere
relay_transport = error:5.7.1 the testbed relays nowhere
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access regexp:$run/etc/recipient_access
smtpd_end_of_data_restrictions = check_sender_access regexp:$run/etc/eod_sender_access
smtpd_restriction_classes = testbed_slow
testbed_slow = sleep 3
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_tls_auth_only = no
CF
    } > "$run/etc/main.cf"
    cat > "$run/etc/domains" <<'MAP'
/(^|\.)(test|example|invalid)$/ OK
/^example\.(com|net|org)$/ OK
MAP
    cat > "$run/etc/recipient_access" <<'MAP'
/^reject@/ 550 5.1.1 testbed: recipient rejected
/^defer@/  450 4.2.0 testbed: recipient deferred
/^slow-rcpt@/ testbed_slow
MAP
    cat > "$run/etc/eod_sender_access" <<'MAP'
/^reject-after-dot@/ 554 5.7.1 testbed: message rejected after the final dot
/^slow-dot@/ testbed_slow
MAP
    {
        pf_master_base
        echo "virtual   unix  -       n       n       -       -       virtual"
        profiles | while read -r name addr cert protos ciphers; do
            smtpd_listener "$name" "$addr" "$cert" "$protos" "$ciphers" "$certs"
        done
    } > "$run/etc/master.cf"
}

ensure_certs() {
    local certs=$1
    [ -f "$certs/server/ecdsa/chain.pem" ] && return 0
    bash "$here/../../certs/mkcerts.sh" "$certs" >/dev/null || pf_die "mkcerts.sh failed"
}

# wait_listening RUNDIR - every profile's smtpd greets with 220 (bounded: 10 s)
wait_listening() {
    local addrs
    addrs=$(profiles | awk '{print $2}' | tr '\n' ' ')
    python3 - "$addrs" <<'PY' || pf_die "listeners did not come up (see $1/maillog)"
import socket, sys, time
addrs = sys.argv[1].split()
deadline = time.monotonic() + 10
while addrs and time.monotonic() < deadline:
    try:
        with socket.create_connection((addrs[0], 25), timeout=2) as s:
            if s.makefile("rb").readline().startswith(b"220 "):
                s.sendall(b"QUIT\r\n")
                addrs.pop(0)
                continue
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1 if addrs else 0)
PY
}

# check_free - no other process listens on a profile address already (another
# engineer's testbed, a leftover instance): say so instead of failing later
check_free() {
    local busy waited=0
    # fixed addresses: wait (TESTBED_WAIT seconds, default 600) for another run
    while busy=$(ss -Hltn | awk '{print $4}' | grep -E '^127\.0\.25\.1[0-9]:25$' || true)
          [ -n "$busy" ] && [ "$waited" -lt "${TESTBED_WAIT:-600}" ]; do
        sleep 1; waited=$((waited + 1))
    done
    [ -z "$busy" ] || pf_die "already in use: $(echo $busy) (another testbed running? stop it first)"
}

# listeners RUNDIR - "ADDR:PORT" of every listening TCP socket of the instance
listeners() {
    local pid
    pid=$(pf_master_pid "$1") || pf_die "not running in $1"
    ss -Hltnp | awk -v pid="pid=$pid," 'index($0, pid) {print $4}'
}

cmd=${1:-}; run=${2:-}
[ -n "$cmd" ] && [ -n "$run" ] || pf_die "usage: postfix.sh start|stop|pid|listeners|find RUNDIR ..."
case $cmd in
    start)
        pf_require_root
        mkdir -p "$run"; run=$(cd "$run" && pwd)
        certs=${3:-$run/certs}
        mkdir -p "$certs"; certs=$(cd "$certs" && pwd)
        check_free
        ensure_certs "$certs"
        chmod -R a+rX "$certs"
        pf_layout "$run"
        mkdir -p "$run/mail"; chown 65534:65534 "$run/mail"
        write_config "$run" "$certs"
        pf_start "$run"
        wait_listening "$run"
        bad=$(listeners "$run" | grep -v '^127\.0\.25\.[0-9]*:25$' || true)
        if [ -n "$bad" ]; then pf_stop "$run"; pf_die "unexpected listener(s): $bad"; fi
        ;;
    stop) run=$(cd "$run" 2>/dev/null && pwd) || exit 0; pf_stop "$run" ;;
    pid) pf_master_pid "$(cd "$run" && pwd)" ;;
    listeners) listeners "$(cd "$run" && pwd)" ;;
    find) shift 2; exec python3 "$here/findmsg.py" "$run/mail" "$@" ;;
    *) pf_die "unknown command $cmd" ;;
esac
