#!/usr/bin/env bash
# hardening.sh - the built dane-agent carries the hardening its build
# configuration promises (top-level CMakeLists.txt), read from the ELF file:
#
#   every build          PIE (ET_DYN with DF_1_PIE), non-executable stack
#   normal builds        + full RELRO (a GNU_RELRO segment and BIND_NOW),
#                        stack protector (__stack_chk_fail referenced)
#   optimised normal     + _FORTIFY_SOURCE (__*_chk functions referenced, also
#                        in tls.c, which includes wolfSSL's options.h: the
#                        build defines WOLFSSL_OPTIONS_IGNORE_SYS so that
#                        options.h cannot undefine it)
#   sanitizer/fuzz       instead: AddressSanitizer and UBSan are linked in
#
# Why the sanitizer builds (DANE_SANITIZE, DANE_FUZZ) are held to less:
# CMakeLists.txt adds neither the stack protector nor _FORTIFY_SOURCE nor
# the RELRO/BIND_NOW link options there, on purpose: _FORTIFY_SOURCE's
# __*_chk wrappers bypass ASan's interceptors (fewer bugs found), ASan's
# redzones do the stack protector's job, and those builds are never shipped.
# A Debug build without sanitizers is not optimised, and _FORTIFY_SOURCE
# does nothing at -O0 (glibc), so it is not defined there.
set -euo pipefail
: "${DANE_AGENT:?}" "${DANE_TEST_BINDIR:?}"
cache=$DANE_TEST_BINDIR/CMakeCache.txt
bin=$DANE_AGENT
fails=0

for tool in readelf nm; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool (binutils) not found"; exit 1; }
done
[ -f "$cache" ] || { echo "FAIL: no $cache"; exit 1; }

# cache_value NAME - a variable from CMakeCache.txt ("" when absent)
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -1; }
is_on() { case "$1" in ON|on|1|TRUE|true|YES|yes) return 0;; *) return 1;; esac; }

build_type=$(cache_value CMAKE_BUILD_TYPE)
sanitized=0
if is_on "$(cache_value DANE_SANITIZE)" || is_on "$(cache_value DANE_FUZZ)"; then
    sanitized=1
fi
echo "build: type=${build_type:-none} sanitizers=$sanitized binary=$bin"

check() {
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi
}

dynamic=$(readelf -dW "$bin")
segments=$(readelf -lW "$bin")
header=$(readelf -hW "$bin")
undefined=$(nm -D --undefined-only "$bin" 2>/dev/null; nm --undefined-only "$bin" 2>/dev/null || true)

check "PIE: ELF type DYN" 'grep -q "Type:.*DYN" <<<"$header"'
check "PIE: DF_1_PIE flag" 'grep -Eq "FLAGS_1.*PIE" <<<"$dynamic"'
check "non-executable stack (GNU_STACK RW)" \
    'grep -E "GNU_STACK" <<<"$segments" | grep -Eq " RW +0x"'

if [ "$sanitized" -eq 1 ]; then
    check "AddressSanitizer linked (__asan_init)" 'grep -q "__asan_init" <<<"$undefined$(nm "$bin" 2>/dev/null)"'
    check "UBSan linked (__ubsan_handle_*)" 'grep -q "__ubsan_handle_" <<<"$undefined$(nm "$bin" 2>/dev/null)"'
else
    check "full RELRO: GNU_RELRO segment" 'grep -q "GNU_RELRO" <<<"$segments"'
    check "full RELRO: BIND_NOW" 'grep -Eq "\(FLAGS\).*BIND_NOW|FLAGS_1.*NOW" <<<"$dynamic"'
    check "stack protector (__stack_chk_fail referenced)" 'grep -q "__stack_chk_fail" <<<"$undefined"'
    if [ "$build_type" != Debug ]; then
        check "_FORTIFY_SOURCE (__*_chk functions referenced)" \
            'grep -Eq "__[a-z_]+_chk(@|$)" <<<"$undefined"'
        tls_obj=$(find "$DANE_TEST_BINDIR/agent" -name 'tls.c.o' | head -1)
        check "_FORTIFY_SOURCE in tls.c, after wolfssl/options.h" \
            '[ -n "$tls_obj" ] && nm --undefined-only "$tls_obj" | grep -Eq "__[a-z_]+_chk$"'
        check "no bare sprintf/strcpy/strcat left unfortified" \
            '! grep -Eq "U (sprintf|vsprintf|strcpy|strcat)(@|$)" <<<"$undefined"'
    else
        echo "note: Debug build without sanitizers: _FORTIFY_SOURCE is not applied at -O0"
    fi
fi

[ "$fails" -eq 0 ] || { echo "$fails hardening checks failed"; exit 1; }
echo "all hardening checks passed"
