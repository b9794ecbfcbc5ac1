#!/usr/bin/env bash
# tests/testbed/smtp/sender.sh - a private SENDING Postfix instance whose queue
# manager hands every message to dane-agent through pipe(8), with the master.cf
# line of the README (only the agent and policy paths substituted).
#
#   sender.sh start RUNDIR AGENT POLICY   lay out RUNDIR, start (no listener)
#   sender.sh stop RUNDIR                 stop the master by its PID
#   sender.sh pid RUNDIR                  print the master's PID (exit 1: down)
#   sender.sh send RUNDIR SENDER RCPT...  submit stdin with this instance's
#                                         sendmail (-C RUNDIR/etc)
#   sender.sh flush RUNDIR                retry deferred mail now (postqueue -f)
#   sender.sh queue RUNDIR                the queue listing (postqueue -p)
#   sender.sh find RUNDIR ...             as postfix.sh find, in RUNDIR/mail
#
# Routing: every domain goes to transport "dane" (default_transport), except
# sender.test, delivered by virtual(8) into RUNDIR/mail/inbox/ so that bounces
# and delay notices to a sender@sender.test can be inspected.
# Environment: DANE_RCPT_LIMIT (default 1) sets
# dane_destination_recipient_limit; DANE_AGENT_OPTS adds options after
# "-c POLICY" (e.g. "--report /tmp/r.jsonl --log-stderr"); DANE_TRANSPORT
# adds transport(5) lines (e.g. "peer.test dane:[127.0.26.31]:2731", one per
# line) so that a domain is handed over with an explicit next-hop; transport
# "dane-requiretls" is the same pipe(8) line with --requiretls, the README's
# way to send chosen mail with REQUIRETLS (e.g. "rt@dane.test
# dane-requiretls:dane.test"). The agent runs as
# user nobody: AGENT, POLICY and anything they read or write must be
# accessible to it. DANE_LMTP (e.g. "unix:/run/x/serve.sock") instead routes
# every domain through Postfix's lmtp(8) (service dane-lmtp) to a running
# `dane-agent serve`, as the README's master.cf and main.cf lines do (AGENT and POLICY are then only written into
# the unused pipe(8) lines). Logs: RUNDIR/maillog.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

write_config() {
    local run=$1 agent=$2 policy=$3 opts=${DANE_AGENT_OPTS:-}
    {
        pf_main_cf "$run" client.sender.test
        cat <<CF
# sending side: everything through dane-agent, bounces to sender.test kept
default_transport = ${DANE_LMTP:+dane-lmtp:}${DANE_LMTP:-dane}
relay_transport = ${DANE_LMTP:+dane-lmtp:}${DANE_LMTP:-dane}
dane_destination_recipient_limit = ${DANE_RCPT_LIMIT:-1}
dane-requiretls_destination_recipient_limit = 1
virtual_mailbox_domains = sender.test
virtual_mailbox_maps = static:inbox/
virtual_mailbox_base = $run/mail
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
delay_warning_time = 0
transport_maps = texthash:$run/etc/transport
CF
    } > "$run/etc/main.cf"
    printf '%s\n' "${DANE_TRANSPORT:-}" > "$run/etc/transport"
    {
        pf_master_base
        echo "virtual   unix  -       n       n       -       -       virtual"
        # the README's LMTP client for dane-agent serve
        echo "dane-lmtp unix - - n - - lmtp"
        # The README's line, verbatim but for the two paths, the user (the
        # testbed's agent runs as nobody, not the package's dane-agent) and options.
        echo "dane unix - n n - - pipe"
        echo "  flags=Rq user=${user:-nobody} null_sender= argv=$agent deliver -c $policy ${opts:+$opts }-f \${sender} -n \${nexthop} -- \${recipient}"
        echo "dane-requiretls unix - n n - - pipe"
        echo "  flags=Rq user=${user:-nobody} null_sender= argv=$agent deliver -c $policy ${opts:+$opts }--requiretls -f \${sender} -n \${nexthop} -- \${recipient}"
    } > "$run/etc/master.cf"
}

cmd=${1:-}; run=${2:-}
[ -n "$cmd" ] && [ -n "$run" ] || pf_die "usage: sender.sh start|stop|pid|send|flush|queue|find RUNDIR ..."
case $cmd in
    start)
        pf_require_root
        agent=${3:?usage: sender.sh start RUNDIR AGENT POLICY}
        policy=${4:?usage: sender.sh start RUNDIR AGENT POLICY}
        [ -x "$agent" ] || pf_die "agent $agent is not executable"
        mkdir -p "$run"; run=$(cd "$run" && pwd)
        pf_layout "$run"
        mkdir -p "$run/mail"; chown 65534:65534 "$run/mail"
        write_config "$run" "$agent" "$policy"
        pf_start "$run"
        ;;
    stop) run=$(cd "$run" 2>/dev/null && pwd) || exit 0; pf_stop "$run" ;;
    pid) pf_master_pid "$(cd "$run" && pwd)" ;;
    send)
        shift 2
        [ $# -ge 2 ] || pf_die "usage: sender.sh send RUNDIR SENDER RCPT..."
        from=$1; shift
        exec sendmail -C "$run/etc" -f "$from" -- "$@"
        ;;
    flush) exec postqueue -c "$run/etc" -f ;;
    queue) exec postqueue -c "$run/etc" -p ;;
    find) shift 2; exec python3 "$here/findmsg.py" "$run/mail" "$@" ;;
    *) pf_die "unknown command $cmd" ;;
esac
