#!/usr/bin/env bash
# smuggling.sh - SMTP smuggling (end-of-data confusion) through the message
# body: bare LF, lone CR, "\n.\n", "\n.\r\n", "\r.\r", "\r\n.\r\n" and dot
# lines inside the message must reach the server as one message, with every
# line end CRLF and every line-initial dot doubled (RFC 5321 §4.5.2, §2.3.8),
# so that the server sees exactly one end of data and no smuggled command.
# peer.py records the DATA bytes exactly as received (data-raw); the wanted
# bytes are computed here independently of the agent's transformer.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/security/lib.bash"
sec_init smuggling

policy=$(sec_policy smuggling <<Y
defaults:
  level: encrypt
  delivery_timeout: 30s
Y
)

# want_wire IN OUT - RFC 5321 DATA bytes of message IN: CRLF, CR or LF each
# end a line, lines go out with CRLF, a leading dot is doubled, the last
# line is ended, then ".\r\n"
want_wire() {
    python3 - "$1" "$2" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
lines = re.split(rb"\r\n|\r|\n", data)
if lines and lines[-1] == b"":
    lines.pop()
out = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines)
open(sys.argv[2], "wb").write(out + b".\r\n")
PY
}

# check_wire LABEL - one transaction, exact bytes, one end of data, no bare
# CR or LF, nothing after the end of data but QUIT
check_wire() {
    local label=$1
    expect_rc 0 "$label: delivered"
    expect_file_eq "$PEER_DIR/data-raw" "$TB_RUN/$label.want" "$label: DATA bytes exact"
    if python3 - "$PEER_DIR/data-raw" <<'PY'
import sys
raw = open(sys.argv[1], "rb").read()
body = raw[:-3]
assert raw.endswith(b"\r\n.\r\n") or raw == b".\r\n", "no final end of data"
assert b"\r\n.\r\n" not in raw[:-3], "early end of data"
assert not body.startswith(b".\r\n"), "end of data at the start"
stripped = raw.replace(b"\r\n", b"")
assert b"\r" not in stripped and b"\n" not in stripped, "bare CR or LF"
PY
    then tb_pass "$label: exactly one end of data, no bare CR or LF"
    else tb_fail "$label: end-of-data confusion in the DATA bytes" "$(od -c "$PEER_DIR/data-raw" | head -30)"
    fi
    if [ "$(grep -ciE '^(MAIL|RCPT|DATA)' "$PEER_DIR/commands")" = 3 ] \
        && [ "$(awk '/^DATA$/{d=1; next} d' "$PEER_DIR/commands")" = QUIT ]; then
        tb_pass "$label: one MAIL, RCPT, DATA; only QUIT after the data"
    else
        tb_fail "$label: smuggled commands reached the server" "$(sec_context)"
    fi
}

# 1. every smuggling sequence inside one message
printf 'From: <sender@sender.test>\r\nTo: <rcpt@dane.test>\r\nSubject: smuggling\r\n\r\n' > "$TB_RUN/all.msg"
printf 'lf-dot-lf\n.\nMAIL FROM:<lf@evil.test>\n' >> "$TB_RUN/all.msg"
printf 'lf-dot-crlf\n.\r\nRCPT TO:<lfcrlf@evil.test>\r\n' >> "$TB_RUN/all.msg"
printf 'crlf-dot-lf\r\n.\nDATA\n' >> "$TB_RUN/all.msg"
printf 'cr-dot-cr\r.\rQUIT\r' >> "$TB_RUN/all.msg"
printf 'crlf-dot-crlf\r\n.\r\nRSET\r\n' >> "$TB_RUN/all.msg"
printf 'cr-cr-lf\r\r\nbare\rcr and bare\nlf\r\n' >> "$TB_RUN/all.msg"
printf '..two dots\r\n.\r\n...\n. space\n' >> "$TB_RUN/all.msg"
printf 'last line without end' >> "$TB_RUN/all.msg"
want_wire "$TB_RUN/all.msg" "$TB_RUN/all.want"
sec_peer 1 ok
sec_deliver_file "$policy" "$PEER_NEXTHOP" "$TB_RUN/all.msg"
check_wire all

# 2. a dot line first in the data, and a message ending in "\n."
printf '.\nSubject: first line is a dot\n\nbody\n.' > "$TB_RUN/first.msg"
want_wire "$TB_RUN/first.msg" "$TB_RUN/first.want"
sec_peer 2 ok
sec_deliver_file "$policy" "$PEER_NEXTHOP" "$TB_RUN/first.msg"
check_wire first

# 3. LF-only message ending in "\n.\n" (a lenient server's end of data)
printf 'Subject: lf only\n\nbody\n.\n' > "$TB_RUN/lfend.msg"
want_wire "$TB_RUN/lfend.msg" "$TB_RUN/lfend.want"
sec_peer 3 ok
sec_deliver_file "$policy" "$PEER_NEXTHOP" "$TB_RUN/lfend.msg"
check_wire lfend

tb_done
