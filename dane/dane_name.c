/* dane_name.c - reference identifiers against a certificate's DNS names
 *               (RFC 7672 §3.2.2, RFC 6125 §6.4)
 *
 * SYNOPSIS
 *   dane_name_match(), dane_leaf_name_match()
 *
 * DESCRIPTION
 *   Written here because wolfSSL 5.5.4's matcher accepts partial (f*.example)
 *   and non-leftmost (mx.*.example) wildcards and a bare `*`, and reads one
 *   byte past its input. Names are compared with explicit lengths, ASCII
 *   case-insensitively, one trailing dot ignored. A presented name is used
 *   only when it is a well-formed host name: printable ASCII without NUL,
 *   no empty label, labels of at most 63 and names of at most 253 octets.
 *   A wildcard is allowed only as the entire leftmost label, followed by at
 *   least two labels (as OpenSSL and Postfix: `*.example` is refused), and
 *   matches exactly one non-empty label. A reference name never contains `*`.
 *   SAN dNSNames are used when the certificate has any; the subject CNs only
 *   when it has none (RFC 6125 §6.4.4).
 */
#include <string.h>

#include "dane_int.h"

#include <wolfssl/openssl/x509v3.h>

#define NAME_MAX_LEN 253
#define LABEL_MAX_LEN 63

/* lower - ASCII lower case */
static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* same_name - equal lengths and bytes up to ASCII case */
static int same_name(const char *a, const char *b, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* well_formed - host name syntax with `*` allowed only when star_ok */
static int well_formed(const char *s, size_t len, int star_ok)
{
    size_t i, label = 0;
    unsigned char c;

    if (len == 0 || len > NAME_MAX_LEN)
        return 0;
    for (i = 0; i < len; i++) {
        c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
            continue;
        }
        if (c <= 0x20 || c >= 0x7f || (c == '*' && !star_ok))
            return 0;
        if (++label > LABEL_MAX_LEN)
            return 0;
    }
    return label > 0;
}

/* suffix_match - a reference ".example.com" (Postfix's dot-nexthop and
 * ".domain" match names) accepts any name strictly below example.com; a
 * wildcard "*.sub.example.com" or "*.example.com" stands for such names */
static int suffix_match(const char *pattern, size_t plen, const char *ref,
                        size_t rlen)
{
    if (!well_formed(ref + 1, rlen - 1, 0) || !well_formed(pattern, plen, 1))
        return 0;
    if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
        if (memchr(pattern + 1, '*', plen - 1) != NULL)
            return 0;
        return plen - 1 >= rlen
            && same_name(pattern + plen - rlen, ref, rlen);
    }
    if (memchr(pattern, '*', plen) != NULL)
        return 0;
    return plen > rlen && same_name(pattern + plen - rlen, ref, rlen);
}

/* dane_name_match - one presented DNS-ID pattern against one reference name */
int dane_name_match(const char *pattern, size_t plen, const char *ref,
                    size_t rlen)
{
    const char *dot;
    size_t first;

    if (pattern == NULL || ref == NULL)
        return 0;
    if (plen > 0 && pattern[plen - 1] == '.')
        plen--;
    if (rlen > 0 && ref[rlen - 1] == '.')
        rlen--;
    if (rlen > 1 && ref[0] == '.')
        return suffix_match(pattern, plen, ref, rlen);
    if (!well_formed(ref, rlen, 0) || !well_formed(pattern, plen, 1))
        return 0;
    if (memchr(pattern, '*', plen) == NULL)
        return plen == rlen && same_name(pattern, ref, plen);
    /* RFC 6125 §6.4.3, RFC 7672 §3.2.2: only "*" as the whole leftmost label */
    if (plen < 2 || pattern[0] != '*' || pattern[1] != '.')
        return 0;
    if (memchr(pattern + 1, '*', plen - 1) != NULL)
        return 0;
    if (memchr(pattern + 2, '.', plen - 2) == NULL)
        return 0;
    dot = memchr(ref, '.', rlen);
    if (dot == NULL)
        return 0;
    first = (size_t)(dot - ref);
    return rlen - first == plen - 1 && same_name(pattern + 1, dot, plen - 1);
}

/* any_match - one presented name against every reference name */
static int any_match(const unsigned char *p, int plen, const char *const *names,
                     size_t nnames)
{
    size_t i;

    if (p == NULL || plen <= 0)
        return 0;
    for (i = 0; i < nnames; i++)
        if (names[i] != NULL &&
            dane_name_match((const char *)p, (size_t)plen, names[i], strlen(names[i])))
            return 1;
    return 0;
}

/* san_match - -1 without SAN dNSNames, else 1 or 0 */
static int san_match(WOLFSSL_X509 *x509, const char *const *names, size_t nnames)
{
    WOLFSSL_STACK *sans;
    WOLFSSL_GENERAL_NAME *gn;
    int i, count, seen = 0, hit = 0;

    sans = wolfSSL_X509_get_ext_d2i(x509, NID_subject_alt_name, NULL, NULL);
    if (sans == NULL)
        return -1;
    count = wolfSSL_sk_GENERAL_NAME_num(sans);
    for (i = 0; i < count && !hit; i++) {
        gn = wolfSSL_sk_GENERAL_NAME_value(sans, i);
        if (gn == NULL || gn->type != GEN_DNS || gn->d.dNSName == NULL)
            continue;
        seen = 1;
        hit = any_match(wolfSSL_ASN1_STRING_data(gn->d.dNSName),
                        wolfSSL_ASN1_STRING_length(gn->d.dNSName), names, nnames);
    }
    wolfSSL_GENERAL_NAMES_free(sans);
    return seen ? hit : -1;
}

/* cn_match - any subject commonName matches */
static int cn_match(WOLFSSL_X509 *x509, const char *const *names, size_t nnames)
{
    WOLFSSL_X509_NAME *subject = wolfSSL_X509_get_subject_name(x509);
    WOLFSSL_X509_NAME_ENTRY *entry;
    WOLFSSL_ASN1_STRING *data;
    int pos = -1;

    if (subject == NULL)
        return 0;
    for (;;) {
        pos = wolfSSL_X509_NAME_get_index_by_NID(subject, NID_commonName, pos);
        if (pos < 0)
            return 0;
        entry = wolfSSL_X509_NAME_get_entry(subject, pos);
        data = entry == NULL ? NULL : wolfSSL_X509_NAME_ENTRY_get_data(entry);
        if (data != NULL && any_match(wolfSSL_ASN1_STRING_data(data),
                                      wolfSSL_ASN1_STRING_length(data), names, nnames))
            return 1;
    }
}

/* dane_x509_name_match - SAN dNSNames when present, else CN */
int dane_x509_name_match(WOLFSSL_X509 *x509, const char *const *names,
                         size_t nnames)
{
    int san;

    if (x509 == NULL || names == NULL || nnames == 0)
        return 0;
    san = san_match(x509, names, nnames);
    if (san >= 0)
        return san;
    return cn_match(x509, names, nnames);
}

/* dane_leaf_name_match - the leaf's names against the reference names */
int dane_leaf_name_match(const struct dane_chain *chain,
                         const char *const *names, size_t nnames)
{
    if (chain == NULL || chain->n == 0)
        return 0;
    return dane_x509_name_match(chain->certs[0].x509, names, nnames);
}
