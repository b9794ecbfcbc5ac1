#!/usr/bin/env bash
# bounds.sh - every bound an administrator sets in the policy is honoured at
# its edge, over the network (peer.py) or DNS (the testbed's multi.test):
#
#   max_message_size       message read from stdin (4096 sent, 4097 bounced)
#   max_reply_line_length  one reply line (3000 bytes: refused by default
#                          2048, accepted at 4096)
#   max_reply_lines        lines per reply (150: refused by default 100,
#                          accepted at 200)
#   max_mx_hosts           MX hosts planned (multi.test has 4; 2 allowed)
#   delivery_timeout       total time of one delivery (a server that never
#                          answers the end of data, data_timeout 999s: the
#                          delivery defers after the 2 s total deadline)
#
# Fixed bounds (not policy keys, see oversize.sh): DANE_MAX_CHAIN (16) and
# DANE_MAX_CERT (64 KiB) in dane/dane.h, and wolfSSL's own, stricter, limits.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/security/lib.bash"
sec_init bounds dns

base='  level: encrypt
  delivery_timeout: 30s'
policy_default=$(tb_policy default <<Y
defaults:
$base
  max_message_size: 4K
Y
)
policy_raised=$(tb_policy raised <<Y
defaults:
$base
  max_reply_line_length: 4096
  max_reply_lines: 200
Y
)

# message_of BYTES FILE - a message of exactly BYTES bytes
message_of() {
    python3 - "$1" "$2" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
head = b"Subject: bounds\n\n"
body = b"".join(b"%078d\n" % i for i in range(n // 79 + 1))
open(path, "wb").write((head + body)[:n - 1] + b"\n")
PY
}

# 1. max_message_size: at the limit sent, one byte over bounced unsent
message_of 4096 "$TB_RUN/4096.msg"
message_of 4097 "$TB_RUN/4097.msg"
sec_peer 1 ok
sec_deliver_file "$policy_default" "$PEER_NEXTHOP" "$TB_RUN/4096.msg"
expect_rc 0 "max_message_size 4K: a 4096-byte message is sent"
sec_peer 2 ok
sec_deliver_file "$policy_default" "$PEER_NEXTHOP" "$TB_RUN/4097.msg"
expect_rc 69 "max_message_size 4K: a 4097-byte message bounces"
expect_err "5.3.4" "max_message_size 4K: 5.3.4"
if [ -e "$PEER_DIR/commands" ]; then tb_fail "4097-byte message: the peer got commands" "$(sec_context)"
else tb_pass "4097-byte message: nothing reached the peer"; fi

# 2. max_reply_line_length: a 3000-byte EHLO line
sec_peer 3 long-reply --reply-line-length 3000
tb_deliver "$policy_default" "$PEER_NEXTHOP" bounds-line-default rcpt@dane.test
expect_rc 75 "3000-byte reply line, default 2048: deferred"
expect_nothing_sent "3000-byte reply line, default 2048: nothing sent"
sec_peer 4 long-reply --reply-line-length 3000
tb_deliver "$policy_raised" "$PEER_NEXTHOP" bounds-line-raised rcpt@dane.test
expect_rc 0 "3000-byte reply line, max_reply_line_length 4096: sent"

# 3. max_reply_lines: a 150-line EHLO reply (plus its own 6 lines)
sec_peer 5 many-lines --reply-lines 150
tb_deliver "$policy_default" "$PEER_NEXTHOP" bounds-lines-default rcpt@dane.test
expect_rc 75 "156-line reply, default 100: deferred"
expect_nothing_sent "156-line reply, default 100: nothing sent"
sec_peer 6 many-lines --reply-lines 150
tb_deliver "$policy_raised" "$PEER_NEXTHOP" bounds-lines-raised rcpt@dane.test
expect_rc 0 "156-line reply, max_reply_lines 200: sent"

# 4. max_mx_hosts: multi.test has four MX hosts
hosts_planned() {
    timeout 60 "$DANE_AGENT" probe -c "$1" --dns-only --json multi.test 2>/dev/null \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["hosts"]))'
}
policy_mx2=$(tb_policy mx2 <<Y
defaults:
  level: dane
  max_mx_hosts: 2
Y
)
policy_mxdef=$(tb_policy mxdef <<Y
defaults:
  level: dane
Y
)
n=$(hosts_planned "$policy_mxdef" || echo error)
[ "$n" = 4 ] && tb_pass "multi.test, default max_mx_hosts 10: 4 hosts planned" \
    || tb_fail "multi.test, default: $n hosts planned, want 4"
n=$(hosts_planned "$policy_mx2" || echo error)
[ "$n" = 2 ] && tb_pass "multi.test, max_mx_hosts 2: 2 hosts planned" \
    || tb_fail "multi.test, max_mx_hosts 2: $n hosts planned, want 2"

# 5. delivery_timeout: the end of data is never answered
policy_deadline=$(tb_policy deadline <<Y
defaults:
  level: encrypt
  data_timeout: 999s
  delivery_timeout: 2s
Y
)
sec_peer 7 no-dot-reply
tb_deliver "$policy_deadline" "$PEER_NEXTHOP" bounds-deadline rcpt@dane.test
expect_rc 75 "delivery_timeout 2s, silent server: deferred"
if [ "$TB_ELAPSED_MS" -ge 1500 ] && [ "$TB_ELAPSED_MS" -le 9000 ]; then
    tb_pass "delivery_timeout 2s: gave up after ${TB_ELAPSED_MS} ms"
else
    tb_fail "delivery_timeout 2s: took ${TB_ELAPSED_MS} ms" "$(sec_context)"
fi
expect_err "4.4." "delivery_timeout 2s: a 4.4.x reason"
expect_json 'last["result"] == "deferred"' "delivery_timeout 2s: reported deferred, never sent"

tb_done
