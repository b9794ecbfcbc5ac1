#!/usr/bin/env bash
# tests/testbed/https/start.sh RUNDIR [CERTDIR] - start the HTTPS testbed: one
# private nginx (Debian's nginx-light) serving MTA-STS policy files and their
# failures on 127.0.27.10-.12 and .14 port 443 (tests/testbed/README.md), for
# tests/unit/test_https.c. Prints nothing on success.
#
# Everything lives in RUNDIR (nginx.conf, nginx.pid, error.log, access.log,
# tmp/) but the files served: the workers run as nobody, who may not be able
# to reach RUNDIR (a build tree under a private directory), so they go into
# a directory of their own under /tmp, named in RUNDIR/www.path and removed
# by stop.sh. The system's nginx is never touched: nginx
# runs with -p RUNDIR -c RUNDIR/nginx.conf -e RUNDIR/error.log. An instance
# still running in RUNDIR is stopped first (stop.sh, by its PID). CERTDIR
# defaults to RUNDIR/certs, made by tests/certs/mkcerts.sh when it holds no
# server/ tree yet; the trust anchor of the good servers is
# CERTDIR/server/ecdsa/ca.pem. Must run as root (port 443); the workers run
# as nobody.
#
#   127.0.27.10  HTTP/2 (ALPN) or 1.1; SNI mta-sts.dane.test: certificate ecdsa
#                (names *.dane.test), paths:
#                  /.well-known/mta-sts.txt  200 text/plain; charset=utf-8, a policy
#                  /empty        200 text/plain, no body
#                  /upper        200 "TEXT/Plain; charset=US-ASCII"
#                  /plainish     200 text/plainish
#                  /html         200 text/html
#                  /missing      404
#                  /redirect     301 to the policy
#                  /exact        200 text/plain, 65536 bytes (Content-Length)
#                  /big          200 text/plain, 70000 bytes (Content-Length)
#                  /big-chunked  200 text/plain, 70000 bytes, no Content-Length
#                  /slow         200 text/plain, 32 KiB at 1 KiB/s
#                  /stall        no answer for 30 s
#                  /slow-404     404, one line, then nothing for 30 s
#                  /slow-html    200 text/html, one line, then nothing for 30 s
#                  /tlsrpt       POST (up to 1 MiB): one JSON line per request
#                                in RUNDIR/posts.log with uri, type and body
#                                (bytes below 0x20 as \u00XX, others raw), 200
#                                "accepted" (RFC 8460 §3 report uploads). The
#                                log is opened by the master: a body file
#                                would need a RUNDIR the nobody worker can reach
#               any other or no SNI: certificate wrongname (mx.wrong.example)
#   127.0.27.14  HTTP/1.1 only, certificate ecdsa, the same paths
#   127.0.27.11  certificate expired (names *.dane.test), the same paths
#   127.0.27.12  certificate selfsigned (names *.dane.test), the same paths
#
# The MTA-STS test domains (tests/integration/mta_sts.sh; zones zone_sts_* in
# tests/testbed/dns/start.sh, every mta-sts.<domain> at 127.0.27.10) on
# 127.0.27.10 by SNI, certificate mtasts unless said otherwise; each serves
# /.well-known/mta-sts.txt from WWW/sts/mta-sts.<domain>.txt (WWW is the
# directory named in RUNDIR/www.path; a test may rewrite these files, nginx
# reads them on every request). "mismatching" is an enforce policy whose only
# mx is mx.elsewhere.example: applied, it would defer every delivery.
#   sts-enforce   enforce, mx mx.elsewhere.example and *.dane.test
#   sts-mismatch, sts-dane, sts-shared-a, sts-twotxt, sts-badtxt  mismatching
#   sts-badcert   enforce, mx *.sts-badcert.test
#   sts-testing   testing, mx mx.elsewhere.example
#   sts-none      none, mx mx.elsewhere.example
#   sts-cache     enforce, mx *.dane.test (rewritten by the test)
#   sts-404       no file: 404
#   sts-redirect  301 to /policy.txt, which serves a mismatching policy
#   sts-html      a mismatching policy as text/html
#   sts-big       a mismatching policy padded to 70000 bytes, text/plain
#   sts-badtls    a mismatching policy, certificate selfsigned (untrusted)
#   sts-badname   no server of its own: the default one (certificate
#                 wrongname), whose policy (mx mx.dane.test) would mismatch
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run=${1:?usage: start.sh RUNDIR [CERTDIR]}
mkdir -p "$run"
run=$(cd "$run" && pwd)
certs=${2:-$run/certs}
ECHO_MODULE=/usr/lib/nginx/modules/ngx_http_echo_module.so

die() { echo "${0##*/}: $*" >&2; exit 1; }

# write_www - the files served: a policy, bodies at and over 64 KiB
write_www() {
    mkdir -p "$run/tmp"
    www=$(mktemp -d /tmp/dane-https-www.XXXXXX)
    echo "$www" > "$run/www.path"
    printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.dane.test\r\nmax_age: 86400\r\n' \
        > "$www/mta-sts.txt"
    head -c 65536 /dev/zero | tr '\0' 'a' > "$www/exact.txt"
    head -c 70000 /dev/zero | tr '\0' 'b' > "$www/big.txt"
    head -c 32768 /dev/zero | tr '\0' 's' > "$www/slow.txt"
    write_sts_www
    chmod 755 "$www" "$www/sts"
    chmod 644 "$www"/*.txt "$www/sts"/*
}

# sts_policy MODE MX... - an MTA-STS policy body (CRLF lines)
sts_policy() {
    local mode=$1 mx
    shift
    printf 'version: STSv1\r\nmode: %s\r\n' "$mode"
    for mx in "$@"; do printf 'mx: %s\r\n' "$mx"; done
    printf 'max_age: 86400\r\n'
}

# write_sts_www - WWW/sts/mta-sts.<domain>.txt for the MTA-STS test domains
write_sts_www() {
    local d=$www/sts elsewhere=mx.elsewhere.example name
    mkdir -p "$d"
    sts_policy enforce "$elsewhere" '*.dane.test' > "$d/mta-sts.sts-enforce.test.txt"
    for name in sts-mismatch sts-dane sts-shared-a sts-twotxt sts-badtxt sts-redirect \
                sts-html sts-badtls; do
        sts_policy enforce "$elsewhere" > "$d/mta-sts.$name.test.txt"
    done
    sts_policy enforce '*.sts-badcert.test' > "$d/mta-sts.sts-badcert.test.txt"
    sts_policy testing "$elsewhere" > "$d/mta-sts.sts-testing.test.txt"
    sts_policy none "$elsewhere" > "$d/mta-sts.sts-none.test.txt"
    sts_policy enforce '*.dane.test' > "$d/mta-sts.sts-cache.test.txt"
    {
        sts_policy enforce "$elsewhere"
        for _ in $(seq 1000); do printf 'x-padding: %060d\r\n' 0; done
    } > "$d/mta-sts.sts-big.test.txt"
    truncate -s 70000 "$d/mta-sts.sts-big.test.txt"
}

# sts_server SERVER_NAMES PROFILE LOCATION - a server block on 127.0.27.10
# for MTA-STS test domains, serving WWW/sts
sts_server() {
    cat <<CONF
    server {
        listen 127.0.27.10:443 ssl http2;
        server_name $1;
        ssl_certificate $certs/server/$2/chain.pem;
        ssl_certificate_key $certs/server/$2/key.pem;
        root $www/sts;
        default_type text/plain;
        charset utf-8;
        $3
        location / { return 404; }
    }
CONF
}

# sts_servers - every MTA-STS test domain's policy host (see the table above)
sts_servers() {
    local names= d policy='location = /.well-known/mta-sts.txt { try_files /$host.txt =404; }'
    for d in sts-enforce sts-mismatch sts-badcert sts-testing sts-none sts-404 sts-big \
             sts-twotxt sts-badtxt sts-dane sts-shared-a sts-cache; do
        names+=" mta-sts.$d.test"
    done
    sts_server "${names# }" mtasts "$policy"
    sts_server mta-sts.sts-redirect.test mtasts \
        'location = /.well-known/mta-sts.txt { return 301 https://mta-sts.sts-redirect.test/policy.txt; }
        location = /policy.txt { try_files /mta-sts.sts-redirect.test.txt =404; }'
    sts_server mta-sts.sts-html.test mtasts \
        'location = /.well-known/mta-sts.txt { types { } default_type text/html; try_files /$host.txt =404; }'
    sts_server mta-sts.sts-badtls.test selfsigned "$policy"
}

# locations - the paths every server serves (see the table above)
locations() {
    cat <<CONF
        root $www;
        default_type text/plain;
        location = /.well-known/mta-sts.txt { charset utf-8; try_files /mta-sts.txt =500; }
        location = /empty { return 200 ""; }
        location = /upper { default_type "TEXT/Plain; charset=US-ASCII"; return 200 "x"; }
        location = /plainish { default_type text/plainish; return 200 "x"; }
        location = /html { default_type text/html; return 200 "<p>x</p>"; }
        location = /missing { return 404; }
        location = /redirect { return 301 https://mta-sts.dane.test/.well-known/mta-sts.txt; }
        location = /exact { try_files /exact.txt =500; }
        location = /big { try_files /big.txt =500; }
        location = /big-chunked { echo_duplicate 70000 "c"; }
        location = /slow { limit_rate 1k; try_files /slow.txt =500; }
        location = /stall { echo_sleep 30; echo "late"; }
        location = /slow-404 { echo_status 404; echo "gone"; echo_flush; echo_sleep 30; }
        location = /slow-html { default_type text/html; echo "<p>"; echo_flush; echo_sleep 30; }
        location = /tlsrpt {
            client_body_buffer_size 1m; client_max_body_size 1m;
            echo_read_request_body; access_log $run/posts.log posts; echo "accepted";
        }
        location / { return 404; }
CONF
}

# server ADDR PROFILE [SERVER_NAME] - one TLS server block; HTTP/2 offered
# (ALPN) on 127.0.27.10, HTTP/1.1 only elsewhere
server() {
    local name=${3:-_} default= h2=
    [ "$name" = _ ] && default=" default_server"
    [ "$1" = 127.0.27.10 ] && h2=" http2"
    cat <<CONF
    server {
        listen $1:443 ssl$h2$default;
        server_name $name;
        ssl_certificate $certs/server/$2/chain.pem;
        ssl_certificate_key $certs/server/$2/key.pem;
$(locations)
    }
CONF
}

# write_config - nginx.conf: one master, one worker, everything in RUNDIR
write_config() {
    cat > "$run/nginx.conf" <<CONF
# generated by tests/testbed/https/start.sh: private test instance, loopback only
load_module $ECHO_MODULE;
daemon on;
pid $run/nginx.pid;
error_log $run/error.log info;
worker_processes 1;
user nobody nogroup;
events { worker_connections 64; }
http {
    access_log $run/access.log;
    log_format posts escape=json '{"uri":"\$uri","type":"\$content_type","body":"\$request_body"}';
    client_body_temp_path $run/tmp/body;
    proxy_temp_path $run/tmp/proxy;
    fastcgi_temp_path $run/tmp/fastcgi;
    uwsgi_temp_path $run/tmp/uwsgi;
    scgi_temp_path $run/tmp/scgi;
    types { text/plain txt; }
    ssl_protocols TLSv1.2 TLSv1.3;
    server_tokens off;
$(server 127.0.27.10 wrongname)
$(server 127.0.27.10 ecdsa mta-sts.dane.test)
$(server 127.0.27.14 ecdsa mta-sts.dane.test)
$(server 127.0.27.11 expired)
$(server 127.0.27.12 selfsigned)
$(sts_servers)
}
CONF
}

# check_free - nothing else listens on the testbed's addresses
check_free() {
    local busy
    busy=$(ss -Hltn | awk '{print $4}' | grep -E '^127\.0\.27\.1[0-24]:443$' || true)
    [ -z "$busy" ] || die "already in use: $busy"
}

# start_nginx - the daemon, holding none of the descriptors this script got
# (a test runner's pipes would otherwise stay open for as long as it runs)
start_nginx() {
    (
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] && eval "exec $fd>&-"
        done
        exec nginx -p "$run" -c "$run/nginx.conf" -e "$run/error.log" </dev/null >/dev/null 2>&1
    )
}

[ "$(id -u)" = 0 ] || die "must run as root (port 443; the workers drop to nobody)"
command -v nginx >/dev/null || die "no nginx: install Debian's nginx-light (.ci/packages.sh)"
[ -f "$ECHO_MODULE" ] || die "no $ECHO_MODULE: install Debian's nginx-light"
bash "$here/stop.sh" "$run"
if [ ! -f "$certs/server/ecdsa/chain.pem" ] || [ ! -f "$certs/server/mtasts/chain.pem" ]; then
    bash "$here/../../certs/mkcerts.sh" "$certs" >/dev/null || die "mkcerts.sh failed"
fi
write_www
write_config
check_free
: > "$run/error.log"
# nginx binds every listener before it forks the master, which writes the pid
start_nginx || { cat "$run/error.log" >&2; die "nginx did not start"; }
for _ in $(seq 100); do
    [ -s "$run/nginx.pid" ] && exit 0
    sleep 0.1
done
die "nginx wrote no pid file (see $run/error.log)"
