/* txtrec.c - shared lexical rules of MTA-STS and TLSRPT TXT records (txtrec.h) */
#include "txtrec.h"

#include <string.h>

#define EXT_NAME_MAX 32     /* ext-name: 1 + *31 characters */

int txtrec_is_wsp(int c)
{
    return c == ' ' || c == '\t';
}

int txtrec_is_alnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

size_t txtrec_skip_wsp(const char *t, size_t i, size_t len)
{
    while (i < len && txtrec_is_wsp((unsigned char)t[i]))
        i++;
    return i;
}

int txtrec_is_ext_name(const char *s, size_t n)
{
    if (n == 0 || n > EXT_NAME_MAX || !txtrec_is_alnum((unsigned char)s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!txtrec_is_alnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' &&
            s[i] != '.')
            return 0;
    return 1;
}

int txtrec_is_ext_value(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x21 || c > 0x7e || c == ';' || c == '=')
            return 0;
    }
    return 1;
}

int txtrec_begins(const char *t, size_t len, const char *version)
{
    size_t vlen = strlen(version), i;

    if (t == NULL || len < vlen || memcmp(t, version, vlen) != 0)
        return 0;
    i = txtrec_skip_wsp(t, vlen, len);
    return i < len && t[i] == ';';
}

enum txtrec_version txtrec_version(const char *t, size_t len, const char *version)
{
    size_t vlen = strlen(version);

    if (t == NULL || len < vlen || memcmp(t, version, vlen) != 0)
        return TXTREC_VERSION_ABSENT;
    if (len > vlen && t[vlen] != ';' && !txtrec_is_wsp((unsigned char)t[vlen]))
        return TXTREC_VERSION_OTHER;
    return TXTREC_VERSION_OK;
}
