/* dane_path.c - certification path checks for DANE-TA(2) and PKIX
 *               (RFC 5280 §6.1 subset; RFC 7671 §5.2.2, §5.2.3)
 *
 * SYNOPSIS
 *   dane_path_check(), dane_issued_by()
 *
 * DESCRIPTION
 *   The path is given leaf first and ends at the trust anchor. Links (issuer
 *   name and signature) are established with dane_issued_by() while the path
 *   is built; dates and constraints are checked here, at the caller's `now`:
 *   wolfSSL's certificate manager checks dates against the wall clock and
 *   keeps every CA it was given, so it is not used. Signatures are verified
 *   with wolfSSL_X509_verify under the issuer's key; issuer and subject names
 *   must chain; every issuer needs basicConstraints CA:TRUE, keyCertSign when
 *   it has keyUsage, and a pathLen no smaller than the number of non-self-
 *   issued intermediates below it. Nothing outlives one call: each check is
 *   its own trust store.
 *
 * BUGS
 *   No name constraints, policy constraints, CRLs or OCSP; unknown critical
 *   extensions are left to wolfSSL's parser.
 */
#include <limits.h>

#include "dane_int.h"

#include <wolfssl/openssl/x509v3.h>

/* self_issued - issuer name equals subject name (RFC 5280 §3.4) */
static int self_issued(WOLFSSL_X509 *x)
{
    return wolfSSL_X509_NAME_cmp(wolfSSL_X509_get_issuer_name(x),
                                 wolfSSL_X509_get_subject_name(x)) == 0;
}

/* verify_with - 1 when x's signature verifies under key */
static int verify_with(WOLFSSL_X509 *x, WOLFSSL_EVP_PKEY *key)
{
    return key != NULL && wolfSSL_X509_verify(x, key) == WOLFSSL_SUCCESS;
}

/* dane_issued_by - names chain and the signature verifies */
int dane_issued_by(WOLFSSL_X509 *subject, WOLFSSL_X509 *issuer)
{
    WOLFSSL_EVP_PKEY *key;
    int ok;

    if (wolfSSL_X509_NAME_cmp(wolfSSL_X509_get_issuer_name(subject),
                              wolfSSL_X509_get_subject_name(issuer)) != 0)
        return 0;
    key = wolfSSL_X509_get_pubkey(issuer);
    ok = verify_with(subject, key);
    wolfSSL_EVP_PKEY_free(key);
    return ok;
}

/* check_dates - notBefore <= now <= notAfter; role names the certificate */
static int check_dates(WOLFSSL_X509 *x, size_t depth, int is_anchor, time_t now,
                       const char **why)
{
    time_t t = now;
    int before = wolfSSL_X509_cmp_time(wolfSSL_X509_get_notBefore(x), &t);
    int after = wolfSSL_X509_cmp_time(wolfSSL_X509_get_notAfter(x), &t);

    if (before == 0 || after == 0) {
        *why = "certificate validity dates cannot be read";
        return -1;
    }
    if (before > 0) {
        *why = depth == 0 ? "leaf certificate is not yet valid"
             : is_anchor ? "trust anchor certificate is not yet valid"
                         : "intermediate certificate is not yet valid";
        return -1;
    }
    if (after < 0) {
        *why = depth == 0 ? "leaf certificate has expired"
             : is_anchor ? "trust anchor certificate has expired"
                         : "intermediate certificate has expired";
        return -1;
    }
    return 0;
}

/* check_issuer - CA constraints of the issuer at path[depth], depth >= 1 */
static int check_issuer(WOLFSSL_X509 *const *path, size_t depth,
                        const char **why)
{
    WOLFSSL_X509 *x = path[depth];
    unsigned int ku;
    size_t i, below = 0;

    /* RFC 5280 §4.2.1.9: only a certificate with CA:TRUE may issue */
    if (wolfSSL_X509_get_isCA(x) != 1) {
        *why = "issuer certificate is not a CA (basicConstraints CA:TRUE missing)";
        return -1;
    }
    /* RFC 5280 §4.2.1.3: keyCertSign required when keyUsage is present */
    ku = wolfSSL_X509_get_key_usage(x);
    if (ku != UINT_MAX && (ku & KU_KEY_CERT_SIGN) == 0) {
        *why = "issuer certificate keyUsage lacks keyCertSign";
        return -1;
    }
    if (wolfSSL_X509_get_isSet_pathLength(x)) {
        /* RFC 5280 §6.1.4 (l), (m): self-issued intermediates do not count */
        for (i = 1; i < depth; i++)
            below += !self_issued(path[i]);
        if (below > wolfSSL_X509_get_pathLength(x)) {
            *why = "issuer certificate pathLen constraint exceeded";
            return -1;
        }
    }
    return 0;
}

/* dane_path_check - dates and CA constraints along an established path */
int dane_path_check(WOLFSSL_X509 *const *path, size_t n, int anchor_is_key,
                    time_t now, const char **why)
{
    size_t i;

    if (n == 0) {
        *why = "empty certification path";
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (check_dates(path[i], i, !anchor_is_key && i + 1 == n && i > 0,
                        now, why) < 0)
            return -1;
        if (i > 0 && check_issuer(path, i, why) < 0)
            return -1;
    }
    return 0;
}
