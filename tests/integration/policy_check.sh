#!/usr/bin/env bash
# policy_check.sh - `dane-agent policy-check`: exit codes (0 valid, 78 invalid,
# 66 missing or unreadable, 64 usage), "FILE: OK" on stdout, the first error
# as "FILE:LINE:COL: message" on stderr. Every tests/data/policy/bad-*.yaml
# names its expected error in its first line: "# expect: LINE:COL: text".
# The shipped policy.yaml.example must pass.
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

expect_ok "$src/policy.yaml.example"
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
expect_error 64 "usage: dane-agent policy-check POLICY" "" 
expect_error 64 "usage: " "policy-check POLICY" a.yaml b.yaml
expect_error 64 "usage: " "policy-check POLICY" --bogus

echo "policy_check: $checks checks, $failures failures"
[ "$failures" -eq 0 ]
