#!/usr/bin/env bash
# install.sh - `cmake --install` of the build under test into a temporary
# prefix puts the binary, the man page and the example policy in the usual
# places (bin, share/man/man8, share/doc/dane-agent/examples, and the cache
# directories' snippet in lib/tmpfiles.d), byte for byte
# as in the source tree, and the installed pieces work: the binary prints its
# version, man(1) finds the page through MANPATH, policy-check accepts the
# installed example policy. Nothing outside the temporary prefix is written.
set -euo pipefail
src=${DANE_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bindir=${DANE_TEST_BINDIR:?DANE_TEST_BINDIR must name the build directory}
prefix=$(mktemp -d /tmp/install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

cmake --install "$bindir" --prefix "$prefix" > "$prefix.log" 2>&1 ||
    { cat "$prefix.log"; rm -f "$prefix.log"; echo "FAIL: cmake --install"; exit 1; }
rm -f "$prefix.log"

# Where GNUInstallDirs puts them on Debian for a /usr/local-like prefix.
bin=$prefix/bin/dane-agent
man=$prefix/share/man/man8/dane-agent.8
example=$prefix/share/doc/dane-agent/examples/policy.yaml.example
guide=$prefix/share/doc/dane-agent/queue-managers.md
tmpfiles=$prefix/lib/tmpfiles.d/dane-agent.conf
exim=$prefix/share/doc/dane-agent/examples/exim

[ -x "$bin" ] && pass "binary installed in bin/" || fail "no executable $bin"
for pair in "$man:$src/man/dane-agent.8" "$example:$src/policy.yaml.example" \
            "$guide:$src/docs/queue-managers.md" "$tmpfiles:$src/packaging/tmpfiles.conf" \
            "$exim/dane-agent-router.conf:$src/docs/exim/dane-agent-router.conf" \
            "$exim/dane-agent-transport.conf:$src/docs/exim/dane-agent-transport.conf" \
            "$exim/dane-agent-addresses:$src/docs/exim/dane-agent-addresses"; do
    f=${pair%%:*} orig=${pair#*:}
    if [ ! -f "$f" ]; then
        fail "not installed: ${f#"$prefix"/}"
    elif cmp -s "$f" "$orig"; then
        pass "installed ${f#"$prefix"/} (same as the source)"
    else
        fail "${f#"$prefix"/} differs from ${orig#"$src"/}"
    fi
done

# The installed binary works and says which version it is.
want="dane-agent $(sed -n 's/^project(dane-agent VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")"
got=$("$bin" --version 2>&1) || fail "$bin --version exited $?"
[ "$got" = "$want" ] && pass "--version prints \"$want\"" || fail "--version printed \"$got\", want \"$want\""

# man(1) finds the installed page by name, and it renders without warnings.
found=$(MANPATH=$prefix/share/man man -w dane-agent 2>/dev/null || true)
[ "$found" = "$man" ] && pass "man -w finds the installed page" \
    || fail "man -w dane-agent found \"$found\", want $man"
if MANPATH=$prefix/share/man MANWIDTH=80 man --warnings 8 dane-agent >/dev/null 2>"$prefix/man.err" &&
    [ ! -s "$prefix/man.err" ]; then
    pass "installed page renders without warnings"
else
    fail "installed page: $(head -3 "$prefix/man.err")"
fi

# The installed example is a valid policy.
if out=$("$bin" policy-check --syntax "$example" 2>&1); then
    pass "policy-check accepts the installed example ($out)"
else
    fail "policy-check on the installed example: $out"
fi

if [ $fails -ne 0 ]; then echo "$fails check(s) failed" >&2; exit 1; fi
echo "all install checks passed"
