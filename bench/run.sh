#!/usr/bin/env bash
# bench/run.sh - dane-agent side by side with Postfix on the local testbed;
# prints figures only (bench/README.md explains every row).
#
#   bash bench/run.sh            (as root: Postfix instances and port 53)
#
# 1. builds dane-agent and bench_micro (RelWithDebInfo, hardened: the normal
#    build) in $BENCH_BUILD (default <repo>/build-bench);
# 2. re-runs itself in a private network namespace (unshare -n) whose own
#    loopback has the route option quickack (no delayed ACKs, on both sides
#    alike; BENCH_QUICKACK=0 leaves it out) and starts the DNS and SMTP
#    testbeds there, in a scratch directory (one cert dir for both): other
#    testbeds on the host neither block nor reach this run's addresses;
# 3. probe: `dane-agent probe` (and --dns-only) vs `posttls-finger -c -l
#    dane` on dane.test (MX mx.dane.test, TLSA 3 1 1 + 2 0 1), interleaved,
#    $BENCH_RUNS (default 25) measured runs each after a warm-up; both
#    dane-agent commands also with the DNS answer cache (dns.cache), warmed
#    by their warm-up run;
# 4. delivery: $BENCH_MESSAGES (default 200) messages to bob@dane.test at
#    concurrency 1 and 4, without and with a TLS session cache; dane-agent
#    also with the DNS cache (filled by one unmeasured delivery first):
#    `dane-agent deliver` processes run by measure.py (as pipe(8) would) vs
#    a private sending Postfix whose smtp(8) does DANE
#    (smtp_dns_support_level=dnssec, smtp_tls_security_level=dane,
#    connection cache off, default_destination_concurrency_limit=C,
#    smtp_tls_session_cache_database empty or btree); a row with failed
#    deliveries is printed as such (FAILED lines) and the bench goes on;
# 4b. issue 19: $BENCH_SERVE_MESSAGES (default 1000; 0: skip) messages at
#    concurrency 1, 4 and 16 through a sending Postfix: smtp(8), and lmtp(8)
#    to `dane-agent serve` (started and stopped here by PID, 2C workers),
#    each without and with outbound connection reuse; BENCH_ONLY=serve runs
#    these alone;
# 5. one large message: $BENCH_LARGE_MB (default 600; 0: skip) MB generated
#    on the fly and streamed into one `dane-agent deliver` under GNU time,
#    over TLS to peer.py --discard-data (which keeps a byte count and a
#    SHA-256, not the data) on 127.0.26.99:2799: the agent's max RSS;
#    BENCH_ONLY=large runs this row alone (no DNS or Postfix testbed);
# 6. bench_micro (dane_verify, policy_lookup);
# 7. stops every server it started, by PID, and prints the table (also
#    written to $BENCH_OUT when set).
#
# Postfix resolves through /etc/resolv.conf: posttls-finger and the sending
# instance run inside `unshare -m` with a private resolv.conf (nameserver
# 127.0.53.2, options trust-ad) bind-mounted over it; the real file is never
# touched. dane-agent reads the testbed policy's dns.upstreams (127.0.53.2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-$root/build-bench}
runs=${BENCH_RUNS:-25}
messages=${BENCH_MESSAGES:-200}
serve_messages=${BENCH_SERVE_MESSAGES:-1000}
measure=(python3 "$root/bench/measure.py")
agent=$build/dane-agent

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (private Postfix instances, port 53)"
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || die "ip not found (Debian package iproute2)"
# The whole bench runs in a network namespace of its own: its loopback is
# not the host's (the host's network settings are never touched), and
# every client and server of the run uses it alike. Route option quickack
# (ip-route(8)) turns off delayed ACKs on that loopback for both sides:
# bench/README.md ("The delayed-ACK stall") shows the stall it removes.
if [ -z "${BENCH_NETNS:-}" ]; then
    exec unshare -n env BENCH_NETNS=1 bash "$0" "$@"
fi
PATH=$PATH:/usr/sbin
ip link set lo up
if [ "${BENCH_QUICKACK:-1}" = 1 ]; then
    ip route change local 127.0.0.0/8 dev lo table local proto kernel scope host \
        src 127.0.0.1 quickack 1
    ip route change local 127.0.0.1 dev lo table local proto kernel scope host \
        src 127.0.0.1 quickack 1
fi
for tool in cmake nsd unbound postfix posttls-finger unshare python3 ss; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
        die "$tool not found (packages: .ci/packages.sh)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) not found (Debian package time)"

echo "== building dane-agent and bench_micro in $build (RelWithDebInfo, hardened)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDANE_SANITIZE=OFF \
    -DDANE_BENCH=ON >/dev/null
cmake --build "$build" -j2 --target dane-agent bench_micro >/dev/null

run=$(mktemp -d /tmp/dane-agent-bench.XXXXXX)
chmod 755 "$run"    # the agent drops to nobody: it reads the policy here
sender=$run/sender
cleanup() {
    [ -d "$sender/etc" ] && bash -c ". '$root/tests/testbed/smtp/lib.sh'; pf_stop '$sender'" || true
    bash "$root/tests/testbed/smtp/stop.sh" "$run/smtp" >/dev/null 2>&1 || true
    bash "$root/tests/testbed/dns/stop.sh" "$run/dns" >/dev/null 2>&1 || true
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "== kept $run"; else rm -rf "$run"; fi
}
trap cleanup EXIT

# large_message - one message of BENCH_LARGE_MB MB into one deliver process
# (measure.py large: generated and streamed, never stored; max RSS by GNU
# time), level encrypt to peer.py on 127.0.26.99:2799, which discards the
# data but keeps its byte count and SHA-256 for measure.py to check; the
# spool file goes to the scratch directory
large_message() {
    local mb=${BENCH_LARGE_MB:-600} dir=$run/large pid
    [ "$mb" -gt 0 ] || return 0
    mkdir -p "$dir"
    cat > "$run/policy-large.yaml" <<Y
spool_dir: $run
dns:
  upstreams: ["127.0.53.9"]
defaults:
  level: encrypt
  data_timeout: 300s
  delivery_timeout: 900s
Y
    python3 "$root/tests/testbed/peer.py" --addr 127.0.26.99 --port 2799 --scenario ok \
        --dir "$dir" --discard-data --size-limit 0 > "$dir/peer.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.1; done
    [ -s "$dir/ready" ] || die "peer.py did not start: $(cat "$dir/peer.log")"
    echo "== one message of $mb MB, streamed to peer.py over TLS"
    if "${measure[@]}" large --mb "$mb" --name "dane-agent deliver, one message" \
        --out "$run/large.json" --summary "$dir/data-summary" --rss-with /usr/bin/time -- \
        "$agent" deliver -c "$run/policy-large.yaml" -f bench@sender.test \
        -n "[127.0.26.99]:2799" -- bob@peer.test; then
        results+=("$run/large.json")
    else
        echo "== large message: failed (see above)"
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# print_table - the heading line and the Markdown tables of results[]
print_table() {
    echo
    {
        echo "dane-agent $(git -C "$root" describe --always --dirty 2>/dev/null), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
        echo
        "${measure[@]}" table "${results[@]}"
    } | tee "${BENCH_OUT:-/dev/null}"
}

if [ "${BENCH_ONLY:-}" = large ]; then
    results=()
    large_message
    [ "${#results[@]}" -gt 0 ] || die "the large message row failed"
    print_table
    exit 0
fi

# check_ours - the fixed addresses must still be served by the servers this
# run started (a server that died would leave a figure measured against
# nothing; the namespace keeps everyone else's servers out)
check_ours() {
    local nsd unbound master
    nsd=$(head -n1 "$run/dns/nsd.pid") unbound=$(head -n1 "$run/dns/unbound.pid")
    master=$(bash "$root/tests/testbed/smtp/postfix.sh" pid "$run/smtp") ||
        die "the SMTP testbed of this run is down"
    ss -Hltnp 'sport = :53' | grep '127.0.53.1:53 ' | grep -q "pid=$nsd," &&
        ss -Hltnp 'sport = :53' | grep '127.0.53.2:53 ' | grep -q "pid=$unbound," &&
        ss -Hltnp 'sport = :25' | grep '127.0.25.10:25 ' | grep -q "pid=$master," ||
        die "127.0.53.1/.2 or 127.0.25.10 is not served by this run's servers: another testbed interfered"
}

# in_ns CMD... - run CMD with the testbed resolver as /etc/resolv.conf
in_ns() {
    unshare -m --propagation private sh -c \
        'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$run/resolv.conf" "$@"
}

# sender_start CONCURRENCY CACHE [ROUTE] - a private sending Postfix,
# smtp(8) with DANE, with (on) or without (off) its TLS session cache;
# messages whose Subject starts "bench" wait in the hold queue. ROUTE (the
# issue 19 rows, all with max_use = 100000 so that no delivering process
# exits during a row and takes its CPU figures with it): smtp-off, smtp(8)
# without connection reuse; smtp-on, with it (on-demand and per-destination
# connection caching, TLS connections reused through tlsproxy(8)); lmtp:PATH,
# lmtp(8) to `dane-agent serve` on that socket with the README's lines
# (lmtp(8)'s own connection caching at its defaults).
sender_start() {
    local c=$1 cache=$2 route=${3:-} scache='' transport=smtp ondemand=no dests=''
    [ "$cache" = on ] && scache="btree:$sender/data/smtp_scache"
    case $route in
    smtp-on) ondemand=yes dests=dane.test ;;
    lmtp:*) transport="dane-lmtp:unix:${route#lmtp:}" ;;
    esac
    mkdir -p "$sender"
    (
        . "$root/tests/testbed/smtp/lib.sh"
        pf_layout "$sender"
        {
            pf_main_cf "$sender" client.bench.test
            cat <<CF
# bench: deliveries by Postfix's own smtp(8) with DANE (TLS_README)
default_transport = $transport
relay_transport = $transport
smtp_dns_support_level = dnssec
smtp_tls_security_level = dane
smtp_tls_loglevel = 1
smtp_connection_cache_on_demand = $ondemand
smtp_connection_cache_destinations = $dests
default_destination_concurrency_limit = $c
header_checks = regexp:$sender/etc/hold.regexp
smtp_tls_session_cache_database = $scache
delay_warning_time = 0
CF
            [ "$route" = smtp-on ] && echo "smtp_tls_connection_reuse = yes"
            [ -z "$route" ] || echo "max_use = 100000"
        } > "$sender/etc/main.cf"
        echo '/^Subject: bench/ HOLD bench: released all at once' > "$sender/etc/hold.regexp"
        {
            pf_master_base
            echo "smtp      unix  -       -       n       -       -       smtp"
            echo "tlsproxy  unix  -       -       n       -       0       tlsproxy"
            echo "dane-lmtp unix  -       -       n       -       -       lmtp"
            # issue 19 rows: 1000 messages come in through one SMTP session
            # (sendmail's process per message took ~0.1 s each under load)
            [ -z "$route" ] || echo "127.0.0.1:2525 inet n - n - 1 smtpd"
        } > "$sender/etc/master.cf"
        pf_start "$sender" >/dev/null
    )
}

# sender_stop NAME - stop the sending instance, keep its maillog as NAME
sender_stop() {
    bash -c ". '$root/tests/testbed/smtp/lib.sh'; pf_stop '$sender'"
    cp "$sender/maillog" "$run/$1"
    rm -rf "$sender"
}

# start_testbed - the DNS and SMTP testbeds on this namespace's loopback
start_testbed() {
    bash "$root/tests/certs/mkcerts.sh" "$run/certs" >/dev/null
    echo "== starting the testbed in $run (private network namespace, quickack ${BENCH_QUICKACK:-1})"
    bash "$root/tests/testbed/dns/start.sh" -c "$run/certs" "$run/dns" >/dev/null ||
        die "the DNS testbed did not start"
    bash "$root/tests/testbed/smtp/start.sh" -c "$run/certs" "$run/smtp" >/dev/null ||
        die "the SMTP testbed did not start"
    check_ours
}

start_testbed
policy=$run/dns/policy.yaml
printf 'nameserver 127.0.53.2\noptions trust-ad\n' > "$run/resolv.conf"
mkdir -p "$run/ptf"     # posttls-finger's MAIL_CONFIG: no /etc/postfix/main.cf
printf 'compatibility_level = 3.6\ninet_protocols = ipv4\n' > "$run/ptf/main.cf"

# with_dns_cache IN OUT - IN with "  cache: $run/dnscache" inserted in its
# dns: section after the "  timeout:" line (the layout start.sh writes)
with_dns_cache() {
    awk -v line="  cache: $run/dnscache" '
        /^[^ #]/ { section = $0 }
        section == "dns:" && /^  cache:/ { bad = 1 }
        { print }
        section == "dns:" && /^  timeout:/ { print line; n++ }
        END { exit !(n == 1 && !bad) }' "$1" > "$2" ||
        die "unexpected testbed policy layout: want one '  timeout:' line and no '  cache:' in the dns: section of $1"
}

# The DNS answer cache shared between processes (not the TLS session
# cache's directory); the agent runs as nobody, the directory is that user's.
mkdir -m 700 "$run/dnscache"
chown nobody: "$run/dnscache"
with_dns_cache "$policy" "$run/policy-dnscache.yaml"
# A measured DNS-cache run counts only if every answer came from the cache:
# no answer line with a lookup time ("MX dane.test: secure, 12 ms"). The
# warm-up run of each fills the cache (the first one does; it is checked
# like the runs without cache).
warm='(?sm)\A(?!.*^ *(?:MX|A|AAAA|TLSA) [^\n]*, \d+ ms$)(?=.*cached \(TTL)'

# probe_rows - the probe rows, interleaved
probe_rows() {
    echo "== probe: $runs runs each, interleaved"
    in_ns env MAIL_CONFIG="$run/ptf" "${measure[@]}" repeat --runs "$runs" --out "$run/probe.json" \
        --rss-with /usr/bin/time \
        --cmd "dane-agent probe" 'verification: Verified' "$agent probe -c $policy dane.test" \
        --cmd "dane-agent probe --dns-only" 'effective level dane' \
              "$agent probe --dns-only -c $policy dane.test" \
        --cmd "dane-agent probe, DNS cache" "$warm.*verification: Verified" \
              "$agent probe -c $run/policy-dnscache.yaml dane.test" \
        --cmd "dane-agent probe --dns-only, DNS cache" "$warm.*effective level dane" \
              "$agent probe --dns-only -c $run/policy-dnscache.yaml dane.test" \
        --warmup-expect "dane-agent probe, DNS cache" 'verification: Verified' \
        --warmup-expect "dane-agent probe --dns-only, DNS cache" 'effective level dane' \
        --cmd "posttls-finger -c -l dane" 'Verified TLS connection established' \
              "posttls-finger -c -l dane dane.test"
    check_ours
    results+=("$run/probe.json")
}

# The same policy with the TLS session cache shared between processes; the
# agent runs as nobody, the cache directory is that user's.
mkdir -m 700 "$run/cache"
chown nobody: "$run/cache"
cp "$policy" "$run/policy-cache.yaml"
grep -q '^defaults:$' "$run/policy-cache.yaml" && [ "$(tail -n1 "$run/policy-cache.yaml" | cut -c1-2)" = "  " ] ||
    die "unexpected testbed policy layout: $policy"
echo "  session_cache: $run/cache" >> "$run/policy-cache.yaml"
# both caches: the DNS-cache policy with the same session_cache line
cp "$run/policy-dnscache.yaml" "$run/policy-dnscache-cache.yaml"
echo "  session_cache: $run/cache" >> "$run/policy-dnscache-cache.yaml"

# deliver_agent C CACHE(off|on) DNSCACHE(off|on) - BENCH_MESSAGES deliver
# processes, C at a time; with the DNS cache, one unmeasured delivery first
# fills it (its TTLs, 300 s in the testbed, outlast the batch)
deliver_agent() {
    local c=$1 cache=$2 dns=$3 pol=$policy name="dane-agent deliver" tag=$1-$2
    case $dns-$cache in
    on-off) pol=$run/policy-dnscache.yaml name="$name, DNS cache" ;;
    on-on) pol=$run/policy-dnscache-cache.yaml name="$name, DNS cache + session cache" ;;
    off-on) pol=$run/policy-cache.yaml name="$name, session cache" ;;
    esac
    [ "$dns" = on ] && tag=$tag-dns
    local report=$run/report-$tag.jsonl
    echo "== $name: $messages messages at concurrency $c"
    if [ "$dns" = on ]; then
        : > "$run/fill-$tag.jsonl"
        "${measure[@]}" parallel --messages 1 --concurrency 1 --cache "$cache" \
            --name "DNS cache fill" --out "$run/fill-$tag.json" --report "$run/fill-$tag.jsonl" -- \
            "$agent" deliver -c "$pol" --report "$run/fill-$tag.jsonl" \
            -f bench@sender.test -n dane.test -- bob@dane.test >/dev/null ||
            die "$name: the delivery filling the DNS cache failed (see $run/fill-$tag.jsonl)"
        [ -n "$(ls -A "$run/dnscache")" ] || die "$name: the DNS cache is empty after a delivery"
    fi
    : > "$report"
    "${measure[@]}" parallel --messages "$messages" --concurrency "$c" --cache "$cache" \
        --dns-cache "$dns" --name "$name" --out "$run/agent-$tag.json" --report "$report" -- \
        "$agent" deliver -c "$pol" --report "$report" \
        -f bench@sender.test -n dane.test -- bob@dane.test ||
        echo "== $name: failed deliveries (the table says which)"
    if [ -s "$run/agent-$tag.json" ]; then results+=("$run/agent-$tag.json"); fi
}

# deliver_postfix C CACHE(off|on) - the same messages through smtp(8)
deliver_postfix() {
    local c=$1 cache=$2 name="postfix smtp(8)"
    [ "$cache" = on ] && name="$name, session cache"
    echo "== $name: $messages messages at concurrency $c"
    in_ns bash -c "$(declare -f sender_start); root='$root' sender='$sender' sender_start $c $cache"
    "${measure[@]}" submit --messages "$messages" --name "postfix-$c-$cache" -- \
        sendmail -C "$sender/etc" -f bench@sender.test -- bob@dane.test
    # wait (bounded) until cleanup has put all of them on hold
    for _ in $(seq 300); do
        [ "$(find "$sender/queue/hold" -type f | wc -l)" = "$messages" ] && break
        sleep 0.1
    done
    "${measure[@]}" queue --messages "$messages" --concurrency "$c" --cache "$cache" \
        --name "$name" --out "$run/postfix-$c-$cache.json" \
        --queue "$sender/queue" --maillog "$sender/maillog" \
        --master-pidfile "$sender/queue/pid/master.pid" \
        --release "sh -c 'postsuper -c $sender/etc -H ALL 2>/dev/null && postqueue -c $sender/etc -f'" ||
        echo "== $name: failed deliveries (the table says which)"
    sender_stop "maillog-postfix-$c-$cache"
    if [ -s "$run/postfix-$c-$cache.json" ]; then results+=("$run/postfix-$c-$cache.json"); fi
}

# deliver_rows - dane-agent deliver processes against smtp(8)
deliver_rows() {
    local cache c
    for cache in off on; do
        for c in 1 4; do
            deliver_agent "$c" "$cache" off
            deliver_agent "$c" "$cache" on
            deliver_postfix "$c" "$cache"
            check_ours
        done
    done
}

# serve_start WORKERS REUSE(on|off) - `dane-agent serve` on
# $run/lmtp/serve.sock with the testbed policy (no caches), as root (it
# drops to nobody), logging to $run/serve.log; sets serve_pid once its
# workers are up. --connections is large so that no worker exits during a
# row; outbound connection reuse at serve's defaults (300 s, 100 messages)
# or off (--reuse-time-limit 0).
serve_start() {
    local sock=$run/lmtp/serve.sock ropt=()
    [ "$2" = on ] || ropt=(--reuse-time-limit 0)
    [ -d "$run/lmtp" ] || mkdir -m 755 "$run/lmtp"
    rm -f "$sock"
    "$agent" serve -c "$policy" --listen "unix:$sock" --workers "$1" \
        --connections 1000000 "${ropt[@]}" --log-stderr > "$run/serve.log" 2>&1 &
    serve_pid=$!
    for _ in $(seq 100); do
        [ -S "$sock" ] && [ "$(pgrep -c -P "$serve_pid")" = "$1" ] && return 0
        sleep 0.1
    done
    die "dane-agent serve did not start: $(cat "$run/serve.log")"
}

# serve_stop - SIGTERM to the supervisor by its PID (it stops its workers)
serve_stop() {
    kill "$serve_pid"
    wait "$serve_pid" || die "dane-agent serve exited $? on SIGTERM"
}

# deliver_qmgr ROUTE C - BENCH_SERVE_MESSAGES messages released at once from
# the hold queue of a sending Postfix: ROUTE smtp-off / smtp-on (smtp(8)
# without / with connection reuse) or serve-off / serve-on (lmtp(8) to
# dane-agent serve without / with its outbound connection reuse, 2C
# workers: C for C concurrent LMTP sessions and as many again for sessions
# parked in lmtp(8)'s connection cache)
deliver_qmgr() {
    local route=$1 c=$2 reuse=off name tag sent='postfix/smtp\[\d+\]: .*status=sent'
    local tls=$sender/maillog who=(--programs 'smtp,tlsmgr,tlsproxy') per=(--tls-per-message)
    case $route in
    smtp-off) name="postfix smtp(8)" ;;
    smtp-on) name="postfix smtp(8), connection reuse" reuse=on per=() ;;
    serve-off) name="postfix lmtp(8) to dane-agent serve" tls=$run/serve.log ;;
    serve-on) name="postfix lmtp(8) to dane-agent serve, connection reuse" reuse=on
        tls=$run/serve.log per=() ;;
    esac
    tag=q-$route-$c
    echo "== $name: $serve_messages messages at concurrency $c"
    if [ "${route%-*}" = serve ]; then
        serve_start $((2 * c)) "$reuse"
        who=(--serve-pid "$serve_pid")
        sent='postfix/lmtp\[\d+\]: .*relay=[^,]*serve\.sock.*status=sent'
        route=lmtp:$run/lmtp/serve.sock
    fi
    in_ns bash -c "$(declare -f sender_start); root='$root' sender='$sender' sender_start $c off '$route'"
    "${measure[@]}" submit --smtp 127.0.0.1:2525 --messages "$serve_messages" --name "$tag"
    for _ in $(seq 600); do
        [ "$(find "$sender/queue/hold" -type f | wc -l)" = "$serve_messages" ] && break
        sleep 0.1
    done
    "${measure[@]}" qmgr --messages "$serve_messages" --concurrency "$c" --reuse "$reuse" \
        --name "$name" --out "$run/$tag.json" --queue "$sender/queue" \
        --maillog "$sender/maillog" --master-pidfile "$sender/queue/pid/master.pid" \
        --release "sh -c 'postsuper -c $sender/etc -H ALL 2>/dev/null && postqueue -c $sender/etc -f'" \
        --sent "$sent" --tls-log "$tls" "${per[@]}" "${who[@]}" \
        --mailbox "$run/smtp/mail" --tag "$tag" ||
        echo "== $name: failed deliveries (the table says which)"
    sender_stop "maillog-$tag"
    if [ "${route%%:*}" = lmtp ]; then serve_stop; cp "$run/serve.log" "$run/$tag-serve.log"; fi
    if [ -s "$run/$tag.json" ]; then results+=("$run/$tag.json"); fi
}

# serve_rows - the issue 19 rows: the same sending Postfix, smtp(8) direct
# and lmtp(8) to dane-agent serve, each without and with outbound
# connection reuse, interleaved
serve_rows() {
    local c route
    [ "$serve_messages" -gt 0 ] || return 0
    for c in 1 4 16; do
        for route in smtp-off serve-off smtp-on serve-on; do
            deliver_qmgr "$route" "$c"
            check_ours
        done
    done
}

results=()
if [ "${BENCH_ONLY:-}" != serve ]; then
    probe_rows
    deliver_rows
fi
serve_rows
if [ "${BENCH_ONLY:-}" != serve ]; then
    large_message
    echo "== bench_micro"
    "$build/bench/bench_micro" "$run/certs" | "${measure[@]}" micro --out "$run/micro.json"
    results+=("$run/micro.json")
fi
print_table
