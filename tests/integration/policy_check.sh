#!/usr/bin/env bash
# policy_check.sh - `dane-agent policy-check`: exit codes (0 valid, 78 invalid,
# 66 missing or unreadable, 64 usage), "FILE: OK" on stdout, the first syntax
# error as "FILE:LINE:COL: message" on stderr. Every tests/data/policy/bad-*.yaml
# names its expected error in its first line: "# expect: LINE:COL: text".
# The machine checks: every problem reported, as the policy's user (errors:
# missing user, unreadable trust anchors or ca_file; warnings: unusable cache
# directories, an unusable tlsrpt.state_dir or sendmail). The shipped policy.yaml.example gives no warning: with
# --syntax it passes; without, its only possible complaint is its user
# dane-agent when the package did not create it.
set -uo pipefail
agent=${DANE_AGENT:?DANE_AGENT not set}
src=${DANE_TEST_SRCDIR:?DANE_TEST_SRCDIR not set}
data=$src/tests/data/policy
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0 checks=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run FILE... - run policy-check, leaving rc, out, err
run() {
  "$agent" policy-check "$@" >"$scratch/out" 2>"$scratch/err"
  rc=$?
  out=$(cat "$scratch/out")
  err=$(cat "$scratch/err")
}

# expect_ok FILE
expect_ok() {
  checks=$((checks + 1))
  run "$1"
  [ "$rc" -eq 0 ] || fail "$1: exit $rc, want 0 ($err)"
  [ "$out" = "$1: OK" ] || fail "$1: stdout \"$out\", want \"$1: OK\""
  [ -z "$err" ] || fail "$1: unexpected stderr: $err"
}

# expect_error WANT_RC WANT_PREFIX WANT_TEXT FILE...
expect_error() {
  local want_rc=$1 prefix=$2 text=$3
  shift 3
  checks=$((checks + 1))
  run "$@"
  [ "$rc" -eq "$want_rc" ] || fail "$*: exit $rc, want $want_rc ($err)"
  [ -z "$out" ] || fail "$*: unexpected stdout: $out"
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "$*: want one line: $err"
  case $err in
    "$prefix"*) ;;
    *) fail "$*: stderr \"$err\", want prefix \"$prefix\"" ;;
  esac
  case $err in
    *"$text"*) ;;
    *) fail "$*: stderr \"$err\", want \"$text\"" ;;
  esac
}

# expect_ok FILE under --syntax
expect_syntax_ok() {
  checks=$((checks + 1))
  run --syntax "$1"
  [ "$rc" -eq 0 ] || fail "--syntax $1: exit $rc, want 0 ($err)"
  [ "$out" = "$1: OK" ] || fail "--syntax $1: stdout \"$out\""
  [ -z "$err" ] || fail "--syntax $1: unexpected stderr: $err"
}

example=$src/policy.yaml.example
expect_syntax_ok "$example"
if getent passwd dane-agent >/dev/null || [ "$(id -u)" -ne 0 ]; then
  expect_ok "$example"
else
  expect_error 78 "$example: error: user dane-agent: " "no such user" "$example"
fi
good=0
for f in "$data"/good-*.yaml; do
  expect_ok "$f"
  good=$((good + 1))
done
[ "$good" -ge 3 ] || fail "only $good good policies found in $data"

bad=0
for f in "$data"/bad-*.yaml; do
  header=$(head -n 1 "$f")
  expect=${header#\# expect: }
  [ "$expect" != "$header" ] || { fail "$f: no '# expect:' line"; continue; }
  pos=${expect%%: *}
  text=${expect#*: }
  expect_error 78 "$f:$pos: " "$text" "$f"
  bad=$((bad + 1))
done
[ "$bad" -ge 20 ] || fail "only $bad broken policies found in $data"

# A file over 1 MiB is refused before parsing.
head -c 1100000 /dev/zero | tr '\0' '#' >"$scratch/huge.yaml"
expect_error 78 "$scratch/huge.yaml:1:1: " "file too large" "$scratch/huge.yaml"

# Missing, a directory, a device: no input (66).
expect_error 66 "$scratch/missing.yaml: " "cannot read: No such file or directory" \
  "$scratch/missing.yaml"
expect_error 66 "$scratch: " "cannot read: is a directory" "$scratch"
expect_error 66 "/dev/null: " "cannot read: not a regular file" /dev/null

# Usage (64).
expect_error 64 "usage: dane-agent policy-check [--syntax] POLICY" ""
expect_error 64 "usage: " "policy-check [--syntax] POLICY" a.yaml b.yaml
expect_error 64 "usage: " "policy-check [--syntax] POLICY" --bogus
expect_error 64 "usage: " "policy-check [--syntax] POLICY" --syntax
expect_error 64 "usage: " "policy-check [--syntax] POLICY" --bogus a.yaml

# The machine checks. The files sit in a directory every user can traverse,
# so that only their own modes decide what the policy's user can read.
m=$scratch/m
mkdir "$m" "$m/notmine" && chmod 755 "$scratch" "$m" "$m/notmine"
printf 'x\n' >"$m/readable.pem" && chmod 644 "$m/readable.pem"
printf 'x\n' >"$m/secret.pem" && chmod 600 "$m/secret.pem"
: >"$m/afile"
root=0
[ "$(id -u)" -eq 0 ] && root=1

# lines_are LABEL WANT... - stderr holds exactly these lines, in any order
lines_are() {
  local label=$1 want n=0
  shift
  for want in "$@"; do
    n=$((n + 1))
    grep -qxF -- "$want" "$scratch/err" || fail "$label: missing line \"$want\" in: $err"
  done
  [ "$(grep -c '' "$scratch/err")" -eq "$n" ] || fail "$label: want $n lines: $err"
}

# Every error and warning, not only the first; an inherited file once.
cat >"$m/all.yaml" <<END
dns: { trust_anchors: $m/missing.key, cache: $m/notmine }
defaults: { user: nobody, ca_file: $m/secret.pem, session_cache: $m/afile }
destinations:
  a.example: { level: verify, ca_file: $m/readable.pem }
  b.example: { level: secure, ca_file: $m/absent.pem }
  c.example: { level: verify }
END
checks=$((checks + 1))
run "$m/all.yaml"
[ "$rc" -eq 78 ] || fail "all.yaml: exit $rc, want 78 ($err)"
[ -z "$out" ] || fail "all.yaml: unexpected stdout: $out"
if [ "$root" -eq 1 ]; then    # checked as nobody: the 0600 file and root's directory fail
  lines_are all.yaml \
    "$m/all.yaml: error: dns.trust_anchors $m/missing.key: No such file or directory" \
    "$m/all.yaml: error: defaults ca_file $m/secret.pem: Permission denied" \
    "$m/all.yaml: error: destination b.example ca_file $m/absent.pem: No such file or directory" \
    "$m/all.yaml: warning: dns.cache $m/notmine: not owned by the agent's user" \
    "$m/all.yaml: warning: defaults session_cache $m/afile: not a directory (symbolic links are not followed)"
else
  lines_are all.yaml \
    "$m/all.yaml: error: dns.trust_anchors $m/missing.key: No such file or directory" \
    "$m/all.yaml: error: destination b.example ca_file $m/absent.pem: No such file or directory" \
    "$m/all.yaml: warning: defaults session_cache $m/afile: not a directory (symbolic links are not followed)"
fi

# Warnings alone do not fail; "none" turns a cache off (nothing to check).
printf 'dns: { cache: none }\ndefaults: { session_cache: %s }\n' "$m/afile" >"$m/warn.yaml"
checks=$((checks + 1))
run "$m/warn.yaml"
[ "$rc" -eq 0 ] || fail "warn.yaml: exit $rc, want 0 ($err)"
[ "$out" = "$m/warn.yaml: OK" ] || fail "warn.yaml: stdout \"$out\""
lines_are warn.yaml \
  "$m/warn.yaml: warning: defaults session_cache $m/afile: not a directory (symbolic links are not followed)"

# A tlsrpt section: an unusable state_dir and a sendmail that cannot be run
# are warnings (deliveries do not need them); usable ones say nothing.
printf 'dns: { cache: none }\ndefaults: { session_cache: none }\ntlsrpt: { organization_name: E, contact_info: t@e.example, state_dir: %s, sendmail: %s }\n' \
  "$m/afile" "$m/readable.pem" >"$m/tlsrpt.yaml"
checks=$((checks + 1))
run "$m/tlsrpt.yaml"
[ "$rc" -eq 0 ] || fail "tlsrpt.yaml: exit $rc, want 0 ($err)"
lines_are tlsrpt.yaml \
  "$m/tlsrpt.yaml: warning: tlsrpt.state_dir $m/afile: not a directory (symbolic links are not followed)" \
  "$m/tlsrpt.yaml: warning: tlsrpt.sendmail $m/readable.pem: Permission denied"
mkdir "$m/tlsrpt-state" && chmod 700 "$m/tlsrpt-state"
[ "$root" -eq 0 ] || chown nobody: "$m/tlsrpt-state"
printf 'dns: { cache: none }\ndefaults: { user: nobody, session_cache: none }\ntlsrpt: { organization_name: E, contact_info: t@e.example, state_dir: %s, sendmail: /bin/true }\n' \
  "$m/tlsrpt-state" >"$m/tlsrpt-good.yaml"
expect_ok "$m/tlsrpt-good.yaml"

# A readable trust anchor file and ca_file: OK, nothing on stderr.
printf 'dns: { trust_anchors: %s }\ndefaults: { ca_file: %s }\n' \
  "$m/readable.pem" "$m/readable.pem" >"$m/good.yaml"
expect_ok "$m/good.yaml"

# Started as root, deliver switches to the user: a missing one is an error
# that names it, and the file errors are still reported.
if [ "$root" -eq 1 ]; then
  printf 'dns: { trust_anchors: %s }\ndefaults: { user: dane-agent-nosuch }\n' \
    "$m/missing.key" >"$m/user.yaml"
  checks=$((checks + 1))
  run "$m/user.yaml"
  [ "$rc" -eq 78 ] || fail "user.yaml: exit $rc, want 78 ($err)"
  lines_are user.yaml \
    "$m/user.yaml: error: user dane-agent-nosuch: no such user" \
    "$m/user.yaml: error: dns.trust_anchors $m/missing.key: No such file or directory"
else
  echo "NOTE: not root: the user and the permission checks as another user were not run"
fi

echo "policy_check: $checks checks, $failures failures"
[ "$failures" -eq 0 ]
