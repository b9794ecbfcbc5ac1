/* sts_name.c - host names, mx patterns and MX matching (sts_name.h, sts.h) */
#include "sts_name.h"

#include <string.h>

#include "sts.h"

#define LABEL_MAX 63    /* RFC 1035 §2.3.4 */

/* lower - ASCII lower case */
static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* is_ldh - an ASCII letter, digit or hyphen (RFC 5321 §4.1.2 Ldh-str) */
static int is_ldh(int c)
{
    return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'z') ||
           c == '-';
}

/* bad_char - the reason a byte cannot be in a label */
static const char *bad_char(int c)
{
    if (c >= 0x80)
        return "non-ASCII mx pattern: MTA-STS names are A-labels "
               "(RFC 8461 §3.2)";
    if (c == '*')
        return "wildcard \"*\" allowed only as the whole leftmost label "
               "of an mx pattern";
    return "invalid character in mx pattern (letters, digits, hyphens, dots)";
}

/* check_labels - s[0..len) is LDH labels joined by single dots */
static int check_labels(const char *s, size_t len, const char **why)
{
    size_t label = 0;

    for (size_t i = 0; i <= len; i++) {
        int c = i < len ? (unsigned char)s[i] : '.';

        if (c == '.') {
            if (label == 0) {
                *why = "empty label in mx pattern";
                return -1;
            }
            if (s[i - 1] == '-' || s[i - label] == '-') {
                *why = "mx pattern label starts or ends with a hyphen";
                return -1;
            }
            label = 0;
            continue;
        }
        if (!is_ldh(c)) {
            *why = bad_char(c);
            return -1;
        }
        if (++label > LABEL_MAX) {
            *why = "mx pattern label longer than 63 characters";
            return -1;
        }
    }
    return 0;
}

/* sts_name_normal - see sts_name.h */
int sts_name_normal(const char *s, size_t len, int wildcard_ok,
                    char out[STS_NAME_MAX + 1], const char **why)
{
    size_t skip = 0;

    if (len > 0 && s[len - 1] == '.')
        len--;                  /* one trailing dot: absolute form */
    if (len == 0 || len > STS_NAME_MAX) {
        *why = len == 0 ? "empty mx pattern"
                        : "mx pattern longer than 253 characters";
        return -1;
    }
    if (wildcard_ok && len >= 2 && s[0] == '*' && s[1] == '.')
        skip = 2;               /* RFC 8461 §3.2: ["*."] Domain */
    if (check_labels(s + skip, len - skip, why) < 0)
        return -1;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)lower((unsigned char)s[i]);
    out[len] = '\0';
    return 0;
}

/* pattern_matches - a normal pattern against a normal host name; "*."
 * stands for exactly one leftmost label (RFC 8461 §4.1) */
static int pattern_matches(const char *pattern, const char *host)
{
    const char *dot;

    if (pattern[0] != '*')
        return strcmp(pattern, host) == 0;
    dot = strchr(host, '.');
    return dot != NULL && dot != host && strcmp(dot, pattern + 1) == 0;
}

/* sts_mx_match - see sts.h */
const char *sts_mx_match(const struct sts_policy *p, const char *mx_host)
{
    char host[STS_NAME_MAX + 1];
    const char *why;

    if (p == NULL || mx_host == NULL)
        return NULL;
    /* two past the limit: one trailing dot, then "too long" */
    if (sts_name_normal(mx_host, strnlen(mx_host, STS_NAME_MAX + 2), 0, host,
                        &why) < 0)
        return NULL;
    for (size_t i = 0; i < p->nmx && i < STS_MX_MAX; i++)
        if (pattern_matches(p->mx[i], host))
            return p->mx[i];
    return NULL;
}
