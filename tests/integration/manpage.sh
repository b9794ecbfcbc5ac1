#!/usr/bin/env bash
# manpage.sh - man/dane-agent.8 renders without a single groff warning (at
# several widths), documents every subcommand the binary knows, every key of
# policy.yaml.example, every exit status of the contract; and its Postfix pipe(8)
# line is the one of docs/queue-managers.md and of the line the private
# sending Postfix (tests/testbed/smtp/sender.sh) runs, paths substituted.
set -euo pipefail
src=${DANE_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
agent=${DANE_AGENT:?DANE_AGENT must name the built binary}
page=$src/man/dane-agent.8
work=$(mktemp -d /tmp/manpage.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

command -v man >/dev/null && command -v groff >/dev/null ||
    { echo "FAIL: man and groff are needed (Debian: man-db, groff-base)"; exit 1; }

# 1. No warnings: groff's own check, then man(1) at several widths.
if groff -man -ww -z "$page" 2>"$work/groff.err" && [ ! -s "$work/groff.err" ]; then
    pass "groff -ww: no warnings"
else
    fail "groff -ww: $(head -3 "$work/groff.err")"
fi
for width in 60 80 120; do
    if MANWIDTH=$width man --warnings -l "$page" >/dev/null 2>"$work/man.err" &&
        [ ! -s "$work/man.err" ]; then
        pass "man --warnings at width $width: none"
    else
        fail "man --warnings at width $width: $(head -3 "$work/man.err")"
    fi
done
MANWIDTH=200 man -l "$page" 2>/dev/null | col -b > "$work/page.txt"
[ -s "$work/page.txt" ] || fail "rendered page is empty"

# section NAME - the rendered text of one section
# (|| true: "section X | grep -q" stops reading at the first match; awk then
# dies of SIGPIPE once a section exceeds its 4 KiB buffer, which pipefail
# would count as a miss)
section() { awk -v s="$1" '/^[A-Z]/ { on = ($0 == s) } on' "$work/page.txt" || true; }

# 2. Every subcommand: the fixed list of subcommands and whatever --help lists.
"$agent" --help > "$work/help.txt"
subs=$( { printf '%s\n' deliver probe tlsa-match policy-check
          sed -n 's/^ *dane-agent \([a-z-]*\).*/\1/p' "$work/help.txt"; } | sort -u)
[ "$(echo "$subs" | wc -l)" -ge 4 ] || fail "--help lists no subcommands"
for sub in $subs; do
    section SYNOPSIS | grep -q "dane-agent $sub\b" \
        && pass "SYNOPSIS has $sub" || fail "SYNOPSIS lacks $sub"
    section DESCRIPTION | grep -Eq "^   $sub\$" \
        && pass "DESCRIPTION has a $sub subsection" || fail "DESCRIPTION lacks $sub"
done
# Every subcommand answers --help, -h and "help SUB" with its usage, exit 0.
for sub in $subs; do
    for form in "$sub --help" "$sub -h" "help $sub"; do
        if out=$("$agent" $form 2>&1) && grep -q "^usage: dane-agent $sub " <<<"$out"; then
            pass "dane-agent $form: usage, exit 0"
        else
            fail "dane-agent $form: $out"
        fi
    done
done
"$agent" help | grep -q "^  dane-agent deliver " && pass "dane-agent help lists the subcommands" \
    || fail "dane-agent help: $("$agent" help 2>&1 | head -2)"
"$agent" help nosuch >/dev/null 2>&1 && fail "help of an unknown subcommand exits 0" \
    || pass "help of an unknown subcommand is a usage error"
# Every long option --help shows is described under OPTIONS.
for opt in $(grep -o -- '--[a-z][a-z-]*' "$work/help.txt" | sort -u); do
    section OPTIONS | grep -Eq -- "^ +(-[a-z] [A-Z]+, )?$opt( |\$)" \
        && pass "OPTIONS has $opt" || fail "OPTIONS lacks $opt"
done

# 3. Every key of policy.yaml.example (comments stripped; block and flow
#    mapping keys) is a tag of the POLICY section.
keys=$(sed 's/#.*//' "$src/policy.yaml.example" |
       grep -oE '(^ *|[{,] *)[a-z_]+:' | grep -oE '[a-z_]+' | sort -u)
[ "$(echo "$keys" | wc -l)" -ge 20 ] || fail "found only $(echo "$keys" | wc -l) keys in policy.yaml.example"
for key in $keys; do
    section POLICY | grep -Eq "^ {7}$key( |\$)" \
        && pass "POLICY documents $key" || fail "POLICY lacks key $key"
done

# 4. Every exit status of the contract.
for code in 0 64 65 66 69 70 75 78; do
    section "EXIT STATUS" | grep -Eq "^ {7}$code( |\$)" \
        && pass "EXIT STATUS has $code" || fail "EXIT STATUS lacks $code"
done
for sec in NAME SYNOPSIS DESCRIPTION OPTIONS POLICY "EXIT STATUS" LOGGING POSTFIX EXIM FILES "SEE ALSO" STANDARDS; do
    grep -qx "$sec" "$work/page.txt" && pass "section $sec" || fail "no section $sec"
done
for rfc in 7672 7671 6698 7435 7919 3207 5321 2920 3463 7505 8460 8461 8689; do
    section STANDARDS | grep -q "RFC $rfc" && pass "STANDARDS cites RFC $rfc" \
        || fail "STANDARDS lacks RFC $rfc"
done

# 5. The Postfix lines. The man page's (roff source, \- unescaped) and the
#    docs' code block must be identical; sender.sh's echo lines, evaluated
#    with the installed paths, must be identical too, and so must README's.
sed -n '/^dane unix/,/^  flags=/p' "$page" | sed 's/\\-/-/g' > "$work/man.cf"
sed -n '/^dane unix/,/^  flags=/p' "$src/docs/queue-managers.md" > "$work/docs.cf"
[ "$(wc -l < "$work/man.cf")" -eq 2 ] || fail "man page: no two-line pipe entry"
cmp -s "$work/man.cf" "$work/docs.cf" \
    && pass "man page and docs/queue-managers.md have the same master.cf lines" \
    || fail "master.cf lines differ: $(diff "$work/man.cf" "$work/docs.cf" | head -4)"
sed -n '/^dane unix/,/^  flags=/p' "$src/README.md" | cmp -s - "$work/man.cf" \
    && pass "README has the same master.cf lines" || fail "README's master.cf lines differ"
grep -qx 'dane_destination_recipient_limit = 1' "$src/docs/queue-managers.md" &&
    grep -q 'dane_destination_recipient_limit = 1' "$page" \
    && pass "recipient limit documented" || fail "recipient limit missing"
sender=$src/tests/testbed/smtp/sender.sh
if [ -f "$sender" ]; then
    grep -A1 -E '^ *echo "dane unix' "$sender" > "$work/echo.sh" || true
    [ "$(wc -l < "$work/echo.sh")" -eq 2 ] || fail "sender.sh: pipe entry not found"
    agent=/usr/local/bin/dane-agent policy=/etc/dane-agent/policy.yaml opts= user=dane-agent \
        bash "$work/echo.sh" > "$work/sender.cf"
    if cmp -s "$work/man.cf" "$work/sender.cf"; then
        pass "sender.sh runs the documented master.cf lines"
    else
        fail "sender.sh's lines differ: $(diff "$work/man.cf" "$work/sender.cf" | head -4)"
    fi
else
    fail "$sender is missing"
fi

if [ $fails -ne 0 ]; then echo "$fails check(s) failed" >&2; exit 1; fi
echo "all man page checks passed"
