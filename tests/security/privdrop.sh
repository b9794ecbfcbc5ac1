#!/usr/bin/env bash
# privdrop.sh - started as root, deliver leaves root for the policy's `user`
# (default nobody) before any network input, and refuses to run when it
# cannot. The proof is taken from the other end: peer.py --record-all reads
# /proc when it accepts the agent's connection and records the owner of the
# agent's TCP socket and the real/effective/saved/filesystem ids and groups
# of the process holding it. Files opened before the drop (the report file
# in a root-only directory) still work.
set -euo pipefail
. "${DANE_TEST_SRCDIR:?}/tests/security/lib.bash"
if [ "$(id -u)" -ne 0 ]; then
    echo "FAIL: privdrop.sh must run as root (as CI does): it tests leaving root"
    exit 1
fi
sec_init privdrop dns

# ids USER - "uid gid" of a local user
ids() { echo "$(id -u "$1") $(id -g "$1")"; }

# expect_cred USER LABEL - the peer saw a client process running as USER
expect_cred() {
    local uid gid want got
    read -r uid gid <<<"$(ids "$1")"
    want=$(printf 'socket-uid %s\nuid %s %s %s %s\ngid %s %s %s %s\ngroups %s' \
        "$uid" "$uid" "$uid" "$uid" "$uid" "$gid" "$gid" "$gid" "$gid" "$gid")
    got=$(grep -v '^pid ' "$PEER_DIR/peer-cred" 2>/dev/null || true)
    if [ "$got" = "$want" ]; then tb_pass "$2"
    else tb_fail "$2: peer-cred differs" "$(printf 'got:\n%s\nwant:\n%s\n' "$got" "$want"; sec_context)"; fi
}

# 1. default user: nobody
policy=$(tb_policy default <<Y
defaults:
  level: encrypt
  delivery_timeout: 30s
Y
)
sec_peer 1 ok
secret=$TB_RUN/root-only
mkdir -m 700 "$secret"
TB_OPTS=(--report "$secret/report.jsonl")
tb_deliver "$policy" "$PEER_NEXTHOP" privdrop-default rcpt@dane.test
TB_OPTS=()
expect_rc 0 "default user: delivered"
expect_cred nobody "default user: connected as nobody (all uids, gids, only nobody's group)"
if grep -q '"result":"sent"' "$secret/report.jsonl" 2>/dev/null \
    || grep -q '"result": *"sent"' "$secret/report.jsonl" 2>/dev/null; then
    tb_pass "report file opened as root before the drop gets the record"
else
    tb_fail "report file in a root-only directory has no record" "$(cat "$secret/report.jsonl" 2>&1)"
fi

# 2. a configured user (Debian's "mail", uid 8)
policy=$(tb_policy mailuser <<Y
defaults:
  level: encrypt
  user: mail
Y
)
sec_peer 2 ok
tb_deliver "$policy" "$PEER_NEXTHOP" privdrop-mail rcpt@dane.test
expect_rc 0 "user mail: delivered"
expect_cred mail "user mail: connected as mail"

# 3. the user does not exist: refuse, never connect
policy=$(tb_policy nouser <<Y
defaults:
  level: encrypt
  user: no-such-user-dane
Y
)
sec_peer 3 ok
tb_deliver "$policy" "$PEER_NEXTHOP" privdrop-nouser rcpt@dane.test
expect_rc 78 "unknown user: refused (EX_CONFIG, pipe(8) defers)"
expect_err "4.3.5 cannot run as user no-such-user-dane: the configured user does not exist" \
    "unknown user: reason on stderr"
if [ -e "$PEER_DIR/peer-cred" ] || [ -e "$PEER_DIR/commands" ]; then
    tb_fail "unknown user: the agent connected" "$(sec_context)"
else
    tb_pass "unknown user: no connection was made"
fi

# 3b. a trust anchor file the user cannot read: 78 naming key and path,
#     before any connection (a configuration problem, pipe(8) defers)
sec_peer 6 ok
anchor=$TB_RUN/root-only-anchor.key
printf '. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n' > "$anchor"
chmod 600 "$anchor"
policy=$TB_RUN/rootanchor.yaml
printf 'dns:\n  upstreams: ["127.0.53.9"]\n  trust_anchors: %s\n  timeout: 1s\ndefaults:\n  level: encrypt\n' \
    "$anchor" > "$policy"
chmod 644 "$policy"
tb_deliver "$policy" "$PEER_NEXTHOP" privdrop-anchor rcpt@dane.test
expect_rc 78 "unreadable trust anchors: refused (EX_CONFIG, pipe(8) defers)"
expect_err "4.3.5 policy dns.trust_anchors $anchor: Permission denied" \
    "unreadable trust anchors: key and path on stderr"
if [ -e "$PEER_DIR/peer-cred" ] || [ -e "$PEER_DIR/commands" ]; then
    tb_fail "unreadable trust anchors: the agent connected" "$(sec_context)"
else
    tb_pass "unreadable trust anchors: no connection was made"
fi

# 4. probe drops too (the resolver check is network input)
sec_peer 4 ok
policy=$(tb_policy probe <<Y
defaults:
  level: encrypt
Y
)
TB_RC=0
timeout 60 "$DANE_AGENT" probe -c "$policy" "$PEER_NEXTHOP" > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
TB_OUT=$(cat "$TB_RUN/out"); TB_ERR=$(cat "$TB_RUN/err")
expect_rc 0 "probe: completed"
expect_cred nobody "probe: connected as nobody"

# 5. not started as root: nothing to drop, runs as the caller
sec_peer 5 ok
policy=$(tb_policy nonroot <<Y
defaults:
  level: encrypt
Y
)
TB_RC=0
tb_message privdrop-nonroot > "$TB_RUN/msg"
chmod 644 "$TB_RUN/msg"
# daemon must be able to execute the binary: a copy in the run dir (the
# checkout may sit in a mode-0700 directory)
install -m 755 "$DANE_AGENT" "$TB_RUN/dane-agent"
setpriv --reuid=daemon --regid=daemon --init-groups \
    timeout 60 "$TB_RUN/dane-agent" deliver -c "$policy" -f sender@sender.test \
    -n "$PEER_NEXTHOP" -- rcpt@dane.test < "$TB_RUN/msg" \
    > "$TB_RUN/out" 2> "$TB_RUN/err" || TB_RC=$?
TB_OUT=$(cat "$TB_RUN/out"); TB_ERR=$(cat "$TB_RUN/err")
expect_rc 0 "started as daemon: delivered"
expect_cred daemon "started as daemon: stays daemon (not nobody)"

tb_done
