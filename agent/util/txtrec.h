/* txtrec.h - the lexical rules shared by the "v=VERSION; name=value" TXT
 *            records of MTA-STS (RFC 8461 §3.1) and TLSRPT (RFC 8460 §3),
 *            whose ABNF differ only in their version and their own fields
 *
 * Every function reads t[0..len) (or s[0..n)), never assumed
 * NUL-terminated, and allocates nothing.
 *
 * Folder agent/util; uses libc only.
 */
#ifndef DANE_AGENT_TXTREC_H
#define DANE_AGENT_TXTREC_H

#include <stddef.h>

/* txtrec_is_wsp - RFC 5234 WSP: space or horizontal tab */
int txtrec_is_wsp(int c);

/* txtrec_is_alnum - RFC 5234 ALPHA / DIGIT */
int txtrec_is_alnum(int c);

/* txtrec_skip_wsp - index of the first byte at or after i that is not WSP */
size_t txtrec_skip_wsp(const char *t, size_t i, size_t len);

/* txtrec_is_ext_name - ext-name: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" /
 * "-" / ".") */
int txtrec_is_ext_name(const char *s, size_t n);

/* txtrec_is_ext_value - ext-value: 1*(%x21-3A / %x3C / %x3E-7E) */
int txtrec_is_ext_value(const char *s, size_t n);

/* txtrec_begins - t begins with version (e.g. "v=STSv1"), then *WSP ";"
 * (the prose says "v=STSv1;", the ABNF's field-delim allows WSP before
 * the ";"); a record that does not is discarded from its RRset */
int txtrec_begins(const char *t, size_t len, const char *version);

enum txtrec_version {
    TXTREC_VERSION_OK = 0,      /* version, then the end, WSP or ";" */
    TXTREC_VERSION_ABSENT,      /* t does not begin with version */
    TXTREC_VERSION_OTHER,       /* version followed by more: another one */
};

/* txtrec_version - how t begins, against version */
enum txtrec_version txtrec_version(const char *t, size_t len, const char *version);

#endif
