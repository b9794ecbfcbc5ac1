#!/usr/bin/env bash
# deb_package.sh - debian/ builds a .deb (dpkg-buildpackage -b -us -uc on a
# copy of the source tree) that holds the binary, the man page, the example
# policy, the guides and the tmpfiles.d snippet of the cache directories; the
# packaged binary, unpacked into a temporary root (dpkg -x, never installed on
# this machine), prints its version and accepts the packaged example policy;
# the maintainer scripts parse (sh -n) and lintian reports no error.
# Everything happens under one temporary directory.
set -euo pipefail
src=${DANE_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d /tmp/deb_package.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

for tool in dpkg-buildpackage dh fakeroot; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (.ci/packages.sh)"; exit 1; }
done

# The files git tracks plus the working tree's edits (a clone, not the build dirs).
mkdir "$work/src"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 cp --parents --no-dereference -t "$work/src" 2>/dev/null) || true
else
    tar -C "$src" --exclude='./build*' -cf - . | tar -C "$work/src" -xf -
fi
[ -f "$work/src/debian/control" ] || { echo "FAIL: no debian/control in the copy"; exit 1; }

version=$(sed -n 's/^project(dane-agent VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
start=$SECONDS
if (cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
        dpkg-buildpackage -b -us -uc) > "$work/build.log" 2>&1; then
    pass "dpkg-buildpackage -b -us -uc ($((SECONDS - start)) s)"
else
    tail -30 "$work/build.log"; echo "FAIL: dpkg-buildpackage"; exit 1
fi
debs=("$work"/dane-agent_*_*.deb)
deb=${debs[0]}
[ -f "$deb" ] || { echo "FAIL: no dane-agent_*.deb built"; exit 1; }
pass "built $(basename "$deb")"

# The package's version is the project's, and its Depends name the runtime
# libraries: wolfSSL (not OpenSSL's libssl for TLS), and the two dlopen'd ones.
pkgver=$(dpkg-deb -f "$deb" Version)
[ "${pkgver%-*}" = "$version" ] && pass "package version $pkgver" \
    || fail "package version $pkgver, project $version"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libwolfssl35 libgetdns10 libcurl4 libyaml-0-2 adduser dns-root-data ca-certificates; do
    [[ ", $depends," == *", $lib"[\ ,]* ]] && pass "Depends names $lib" \
        || fail "Depends lacks $lib: $depends"
done

# The file list.
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' > "$work/files"
for f in /usr/bin/dane-agent /usr/share/man/man8/dane-agent.8.gz \
         /usr/share/doc/dane-agent/examples/policy.yaml.example \
         /usr/share/doc/dane-agent/queue-managers.md.gz /usr/share/doc/dane-agent/copyright \
         /usr/lib/tmpfiles.d/dane-agent.conf; do
    grep -qxF "$f" "$work/files" && pass "ships $f" || fail "does not ship $f"
done

# Unpacked (not installed): the binary runs and accepts the example; the
# snippet is the source's, creating the caches for the dane-agent user.
root=$work/root
dpkg-deb -x "$deb" "$root"
bin=$root/usr/bin/dane-agent
got=$("$bin" --version 2>&1) || fail "--version exited $?"
[ "$got" = "dane-agent $version" ] && pass "packaged --version: $got" \
    || fail "packaged --version printed \"$got\""
example=$root/usr/share/doc/dane-agent/examples/policy.yaml.example
if out=$("$bin" policy-check --syntax "$example" 2>&1); then
    pass "packaged policy-check --syntax accepts the packaged example ($out)"
else
    fail "packaged policy-check --syntax on the example: $out"
fi
# the machine check needs the user postinst creates; the package is never
# installed here, so the example runs as nobody, every other line as shipped
sed 's/^\(  user:[[:space:]]*\)dane-agent/\1nobody/' "$example" > "$work/example-nobody.yaml"
grep -q '^  user: *nobody' "$work/example-nobody.yaml" || fail "example has no 'user: dane-agent' line"
if out=$("$bin" policy-check "$work/example-nobody.yaml" 2>&1); then
    pass "packaged policy-check accepts the example on this machine ($out)"
else
    fail "packaged policy-check on the example (user nobody): $out"
fi
if cmp -s "$root/usr/lib/tmpfiles.d/dane-agent.conf" "$src/packaging/tmpfiles.conf"; then
    pass "tmpfiles.d snippet is packaging/tmpfiles.conf"
else
    fail "packaged tmpfiles.d snippet differs from packaging/tmpfiles.conf"
fi
for d in dns sessions; do
    grep -qE "^d /var/cache/dane-agent/$d +0700 dane-agent dane-agent" \
        "$root/usr/lib/tmpfiles.d/dane-agent.conf" && pass "tmpfiles creates /var/cache/dane-agent/$d 0700" \
        || fail "tmpfiles lacks /var/cache/dane-agent/$d 0700 dane-agent"
done

# Maintainer scripts: present, parse, create the user before the tmpfiles run.
dpkg-deb -e "$deb" "$work/control"
for s in postinst postrm; do
    if [ ! -f "$work/control/$s" ]; then fail "no $s"
    elif sh -n "$work/control/$s"; then pass "$s parses (sh -n)"
    else fail "$s: sh -n failed"; fi
done
user_line=$(grep -n 'adduser --system' "$work/control/postinst" | head -1 | cut -d: -f1)
tmpf_line=$(grep -n 'systemd-tmpfiles.*--create dane-agent.conf' "$work/control/postinst" | head -1 | cut -d: -f1)
if [ -n "$user_line" ] && [ -n "$tmpf_line" ] && [ "$user_line" -lt "$tmpf_line" ]; then
    pass "postinst adds the dane-agent user before systemd-tmpfiles --create"
else
    fail "postinst: adduser at line ${user_line:-none}, systemd-tmpfiles at ${tmpf_line:-none}"
fi

# lintian, when installed: errors only (warnings are advice).
if command -v lintian >/dev/null; then
    if lintian --no-tag-display-limit "$deb" > "$work/lintian.log" 2>&1; then :; fi
    if grep -q '^E:' "$work/lintian.log"; then
        fail "lintian errors: $(grep '^E:' "$work/lintian.log" | head -5 | tr '\n' ' ')"
    else
        pass "lintian: no error"
    fi
fi

if [ $fails -ne 0 ]; then echo "$fails check(s) failed" >&2; exit 1; fi
echo "all package checks passed"
