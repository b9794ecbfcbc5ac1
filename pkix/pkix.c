/* pkix.c - certification path validation by libcrypto's X509_verify_cert
 *          (RFC 5280 §6; DANE-TA anchors RFC 7671 §5.2)
 *
 * SYNOPSIS
 *   pkix_chain_new(), pkix_chain_free(), pkix_store_new(), pkix_store_free(),
 *   pkix_verify(), pkix_cert_problem(),
 *   pkix_cert_text()
 *
 * DESCRIPTION
 *   A fresh X509_STORE per call holds the anchor: the CAs of a PEM bundle,
 *   or one certificate trusted with X509_V_FLAG_PARTIAL_CHAIN (a DANE-TA
 *   anchor need not be self-signed). The presented certificates are the
 *   untrusted pool; OpenSSL builds the path, trusted issuers first, so it
 *   stops at the lowest certificate the anchor vouches for and does not walk
 *   through cross certificates above it. The verification parameters are the
 *   "ssl_server" defaults (purpose serverAuth), authentication level 2 and
 *   the caller's time; no host name (SMTP's name rules live in dane_name.c).
 *
 * DIAGNOSTICS
 *   X509_V_ERR_* codes become one static sentence each, naming the depth's
 *   role (leaf, intermediate, trust anchor) where it helps, and a status:
 *   PKIX_NO_PATH, PKIX_EXPIRED for an expired certificate, else PKIX_INVALID.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "io.h"
#include "pkix.h"

/* CA/B BR 6.1.5, 7.1.3.2: 112 bits, so RSA >= 2048 and no SHA-1 or MD5 */
#define PKIX_AUTH_LEVEL 2

struct pkix_chain {
    STACK_OF(X509) *certs;      /* presented order, leaf first */
};

struct pkix_store {
    X509_STORE *store;          /* read-only once made: shared by calls */
};

/* pkix_chain_free - release; NULL is a no-op */
void pkix_chain_free(struct pkix_chain *chain)
{
    if (chain == NULL)
        return;
    sk_X509_pop_free(chain->certs, X509_free);
    free(chain);
}

/* der_to_x509 - exactly one DER certificate, no trailing bytes */
static X509 *der_to_x509(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x;

    if (der == NULL || len == 0 || len > (size_t)LONG_MAX)
        return NULL;
    x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p != der + len) {
        X509_free(x);
        x = NULL;
    }
    ERR_clear_error();
    return x;
}

/* pkix_chain_new - parse the presented certificates */
struct pkix_chain *pkix_chain_new(const struct pkix_der *certs, size_t n,
                                  const char **why)
{
    struct pkix_chain *chain;
    X509 *x;
    size_t i;

    if (n == 0 || n > PKIX_MAX_CHAIN) {
        *why = n == 0 ? "the server presented no certificate"
                      : "certificate chain longer than PKIX_MAX_CHAIN";
        return NULL;
    }
    chain = calloc(1, sizeof(*chain));
    if (chain == NULL || (chain->certs = sk_X509_new_null()) == NULL) {
        free(chain);
        *why = "out of memory";
        return NULL;
    }
    for (i = 0; i < n; i++) {
        x = der_to_x509(certs[i].der, certs[i].len);
        if (x == NULL || !sk_X509_push(chain->certs, x)) {
            X509_free(x);
            pkix_chain_free(chain);
            *why = "certificate DER cannot be parsed";
            return NULL;
        }
    }
    return chain;
}

/* read_bounded - the whole file, at most PKIX_MAX_CA_FILE bytes */
static char *read_bounded(const char *path, size_t *len, int *missing,
                          const char **why)
{
    enum io_status status;
    char *buf = io_read_file(path, PKIX_MAX_CA_FILE, len, &status);

    switch (status) {
    case IO_OK:
        break;
    case IO_OPEN_FAILED:
        *missing = 1;
        *why = errno == ENOENT ? "CA file does not exist" : "CA file cannot be opened";
        break;
    case IO_READ_FAILED:
        *why = "CA file cannot be read";
        break;
    case IO_TOO_BIG:
        *why = "CA file is too large";
        break;
    case IO_NO_MEMORY:
        *why = "out of memory";
        break;
    }
    return buf;
}

/* add_pem_cas - every CERTIFICATE of the PEM text to the store */
static int add_pem_cas(X509_STORE *store, const char *text, size_t len,
                       const char **why)
{
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    size_t count = 0;
    X509 *x;
    int rc = 0;

    if (bio == NULL) {
        *why = "out of memory";
        return -1;
    }
    while (rc == 0 && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (++count > PKIX_MAX_CAS) {
            *why = "CA file has too many certificates";
            rc = -1;
        } else if (!X509_STORE_add_cert(store, x)) {
            *why = "CA file certificate cannot be added to the trust store";
            rc = -1;
        }
        X509_free(x);
    }
    BIO_free(bio);
    ERR_clear_error();
    if (rc == 0 && count == 0) {
        *why = "CA file has no PEM certificate";
        rc = -1;
    }
    return rc;
}

/* load_ca_file - the CAs of a bundle (NULL: the system's) into the store */
static int load_ca_file(X509_STORE *store, const char *ca_file, int *missing,
                        const char **why)
{
    const char *path = ca_file != NULL ? ca_file : PKIX_SYSTEM_CA_FILE;
    size_t len = 0;
    char *text;
    int rc;

    text = read_bounded(path, &len, missing, why);
    if (text == NULL)
        return -1;
    rc = add_pem_cas(store, text, len, why);
    free(text);
    return rc;
}

/* is_anchor_depth - the failing certificate is the trusted one (with a bare
 * key, the certificate it signed is on the path, not the anchor) */
static int is_anchor_depth(X509_STORE_CTX *ctx, int depth, int key_signed)
{
    return !key_signed && depth > 0 &&
           depth >= X509_STORE_CTX_get_num_untrusted(ctx);
}

/* date_reason - the sentence for an expiry or not-yet-valid failure */
static const char *date_reason(X509_STORE_CTX *ctx, int depth, int expired,
                               int key_signed)
{
    if (depth == 0)
        return expired ? "leaf certificate has expired"
                       : "leaf certificate is not yet valid";
    if (is_anchor_depth(ctx, depth, key_signed))
        return expired ? "trust anchor certificate has expired"
                       : "trust anchor certificate is not yet valid";
    return expired ? "intermediate certificate has expired"
                   : "intermediate certificate is not yet valid";
}

/* ca_reason - a CA:TRUE failure: keyUsage without keyCertSign or not a CA */
static const char *ca_reason(X509 *x)
{
    uint32_t ku = x != NULL ? X509_get_key_usage(x) : UINT32_MAX;

    if (ku != UINT32_MAX && (ku & KU_KEY_CERT_SIGN) == 0)
        return "issuer certificate keyUsage lacks keyCertSign";
    return "issuer certificate is not a CA (basicConstraints CA:TRUE missing)";
}

/* why_failed - the sentence for the context's error; sets *status */
static const char *why_failed(X509_STORE_CTX *ctx, int key_signed,
                              enum pkix_status *status)
{
    int depth = X509_STORE_CTX_get_error_depth(ctx);

    *status = PKIX_INVALID;
    switch (X509_STORE_CTX_get_error(ctx)) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        *status = PKIX_EXPIRED;
        return date_reason(ctx, depth, 1, key_signed);
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return date_reason(ctx, depth, 0, key_signed);
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
        return ca_reason(X509_STORE_CTX_get_current_cert(ctx));
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
        return "issuer certificate pathLen constraint exceeded";
    case X509_V_ERR_PERMITTED_VIOLATION:
    case X509_V_ERR_EXCLUDED_VIOLATION:
    case X509_V_ERR_SUBTREE_MINMAX:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
    case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
        /* RFC 5280 §4.2.1.10 */
        return "certificate name outside a CA's name constraints";
    case X509_V_ERR_INVALID_PURPOSE:
        /* RFC 5280 §4.2.1.12 */
        return "certificate not valid for TLS server authentication (extended key usage)";
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
        /* RFC 5280 §4.2 */
        return "certificate has an unrecognized critical extension";
    case X509_V_ERR_CA_MD_TOO_WEAK:
        return "certificate signed with a weak digest (SHA-1 or MD5)";
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
        return "certificate key too weak (RSA under 2048 bits)";
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        *status = PKIX_NO_PATH;
        return "certificate signature does not verify under its issuer's key";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        *status = PKIX_NO_PATH;
        return "certificate chain does not lead to a trust anchor";
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
        return "certificate chain too long";
    default:
        return "certificate path validation failed";
    }
}

/* name_text - one RFC 2253 line, truncated with "..." */
static void name_text(const X509_NAME *name, char *buf, size_t cap)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n = 0;

    buf[0] = '\0';
    if (bio != NULL &&
        X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0)
        n = BIO_get_mem_data(bio, &data);
    if (data != NULL && n > 0) {
        if ((size_t)n < cap) {
            memcpy(buf, data, (size_t)n);
            buf[n] = '\0';
        } else {
            memcpy(buf, data, cap - 4);
            memcpy(buf + cap - 4, "...", 4);
        }
    }
    BIO_free(bio);
}

/* fill_path - the validated chain as indexes into the presented one */
static void fill_path(const struct pkix_chain *chain, X509_STORE_CTX *ctx,
                      struct pkix_path *path)
{
    STACK_OF(X509) *built = X509_STORE_CTX_get0_chain(ctx);
    int n = built != NULL ? sk_X509_num(built) : 0, d, i;
    X509 *x;

    memset(path, 0, sizeof(*path));
    for (d = 0; d < n && (size_t)d < PKIX_MAX_PATH; d++) {
        x = sk_X509_value(built, d);
        path->index[d] = -1;
        for (i = 0; i < sk_X509_num(chain->certs); i++)
            if (X509_cmp(x, sk_X509_value(chain->certs, i)) == 0)
                path->index[d] = i;
        if (path->index[d] < 0) {
            name_text(X509_get_subject_name(x), path->anchor_subject,
                      sizeof(path->anchor_subject));
            name_text(X509_get_issuer_name(x), path->anchor_issuer,
                      sizeof(path->anchor_issuer));
        }
        path->len++;
    }
}

/* run - X509_verify_cert over the chain with this store; every certificate
 * of the store is an anchor, self-signed or not (RFC 5280 §6.1.1 (d)) */
static enum pkix_status run(const struct pkix_chain *chain, X509_STORE *store,
                            int key_signed, time_t now, struct pkix_path *path,
                            const char **why)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_VERIFY_PARAM *param;
    enum pkix_status st = PKIX_OK;

    if (ctx == NULL ||
        !X509_STORE_CTX_init(ctx, store, sk_X509_value(chain->certs, 0), chain->certs) ||
        !X509_STORE_CTX_set_default(ctx, "ssl_server")) {
        X509_STORE_CTX_free(ctx);
        *why = "out of memory";
        return PKIX_ERROR;
    }
    param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, now);
    X509_VERIFY_PARAM_set_auth_level(param, PKIX_AUTH_LEVEL);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    if (X509_verify_cert(ctx) == 1)
        fill_path(chain, ctx, path);
    else
        *why = why_failed(ctx, key_signed, &st);
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return st;
}

/* with_anchor_cert - one trusted certificate */
static enum pkix_status with_anchor_cert(const struct pkix_chain *chain, X509 *ta,
                                         int key_signed, time_t now,
                                         struct pkix_path *path, const char **why)
{
    X509_STORE *store = X509_STORE_new();
    enum pkix_status st;

    if (store == NULL || !X509_STORE_add_cert(store, ta)) {
        X509_STORE_free(store);
        *why = "out of memory";
        return PKIX_ERROR;
    }
    st = run(chain, store, key_signed, now, path, why);
    X509_STORE_free(store);
    return st;
}

/* with_key - RFC 7671 §5.2.3: the lowest presented certificate the bare key
 * signed that validates is the anchor (as OpenSSL's check_dane_pkeys) */
static enum pkix_status with_key(const struct pkix_chain *chain, EVP_PKEY *key,
                                 time_t now, struct pkix_path *path,
                                 const char **why)
{
    enum pkix_status st, best = PKIX_NO_PATH;
    const char *w = NULL;
    struct pkix_path p;
    int i;

    *why = "no certificate of the chain is signed by the trust anchor key";
    for (i = 0; i < sk_X509_num(chain->certs); i++) {
        if (X509_verify(sk_X509_value(chain->certs, i), key) != 1)
            continue;
        st = with_anchor_cert(chain, sk_X509_value(chain->certs, i), 1, now, &p, &w);
        if (st == PKIX_OK && (best != PKIX_OK || p.len < path->len)) {
            best = PKIX_OK;
            *path = p;
        } else if (st != PKIX_OK && best != PKIX_OK) {
            best = st;
            *why = w;
        }
    }
    ERR_clear_error();
    return best;
}

/* by_key - parse the SPKI and try it */
static enum pkix_status by_key(const struct pkix_chain *chain,
                               const struct pkix_anchor *a, time_t now,
                               struct pkix_path *path, const char **why)
{
    const unsigned char *p = a->der;
    EVP_PKEY *key = NULL;
    enum pkix_status st;

    if (a->der != NULL && a->len > 0 && a->len <= (size_t)LONG_MAX)
        key = d2i_PUBKEY(NULL, &p, (long)a->len);
    if (key == NULL || p != a->der + a->len) {
        EVP_PKEY_free(key);
        ERR_clear_error();
        *why = "trust anchor public key cannot be parsed";
        return PKIX_ERROR;
    }
    st = with_key(chain, key, now, path, why);
    EVP_PKEY_free(key);
    return st;
}

/* by_cert - parse the anchor certificate and try it */
static enum pkix_status by_cert(const struct pkix_chain *chain,
                                const struct pkix_anchor *a, time_t now,
                                struct pkix_path *path, const char **why)
{
    X509 *ta = der_to_x509(a->der, a->len);
    enum pkix_status st;

    if (ta == NULL) {
        *why = "trust anchor certificate cannot be parsed";
        return PKIX_ERROR;
    }
    st = with_anchor_cert(chain, ta, 0, now, path, why);
    X509_free(ta);
    return st;
}

/* pkix_store_new - a CA bundle read once */
struct pkix_store *pkix_store_new(const char *ca_file, int *missing,
                                  const char **why)
{
    struct pkix_store *s = calloc(1, sizeof(*s));
    int ignored = 0;

    if (missing == NULL)
        missing = &ignored;
    *missing = 0;
    if (s == NULL || (s->store = X509_STORE_new()) == NULL) {
        free(s);
        *why = "out of memory";
        return NULL;
    }
    if (load_ca_file(s->store, ca_file, missing, why) < 0) {
        pkix_store_free(s);
        return NULL;
    }
    return s;
}

/* pkix_store_free - release; NULL is a no-op */
void pkix_store_free(struct pkix_store *store)
{
    if (store == NULL)
        return;
    X509_STORE_free(store->store);
    free(store);
}

/* by_ca_file - the CAs of a bundle, read now */
static enum pkix_status by_ca_file(const struct pkix_chain *chain,
                                   const struct pkix_anchor *a, time_t now,
                                   struct pkix_path *path, const char **why)
{
    struct pkix_store *store = pkix_store_new(a->ca_file, NULL, why);
    enum pkix_status st;

    if (store == NULL)
        return PKIX_ERROR;
    st = run(chain, store->store, 0, now, path, why);
    pkix_store_free(store);
    return st;
}

/* pkix_verify - a valid path from the leaf to the anchor at now */
enum pkix_status pkix_verify(const struct pkix_chain *chain,
                             const struct pkix_anchor *anchor, time_t now,
                             struct pkix_path *path, const char **why)
{
    struct pkix_path scratch;

    if (path == NULL)
        path = &scratch;
    if (chain == NULL || anchor == NULL) {
        *why = "no certificate chain or trust anchor";
        return PKIX_ERROR;
    }
    memset(path, 0, sizeof(*path));
    switch (anchor->kind) {
    case PKIX_ANCHOR_CA_FILE:
        return by_ca_file(chain, anchor, now, path, why);
    case PKIX_ANCHOR_STORE:
        if (anchor->store == NULL)
            break;
        return run(chain, anchor->store->store, 0, now, path, why);
    case PKIX_ANCHOR_CERT:
        return by_cert(chain, anchor, now, path, why);
    case PKIX_ANCHOR_KEY:
        return by_key(chain, anchor, now, path, why);   /* path not NULL */
    }
    *why = "no trust anchor";
    return PKIX_ERROR;
}

/* pkix_cert_problem - an unrecognized critical extension, or NULL */
const char *pkix_cert_problem(const uint8_t *der, size_t len)
{
    X509 *x = der_to_x509(der, len);
    const char *why = NULL;

    if (x != NULL && (X509_get_extension_flags(x) & EXFLAG_CRITICAL) != 0)
        why = "certificate has an unrecognized critical extension (RFC 5280 §4.2)";
    X509_free(x);
    return why;
}

/* pkix_cert_text - subject and issuer as text */
int pkix_cert_text(const uint8_t *der, size_t len, char *subject, size_t scap,
                   char *issuer, size_t icap)
{
    X509 *x = der_to_x509(der, len);

    if (x == NULL || scap < 4 || icap < 4) {
        X509_free(x);
        return -1;
    }
    name_text(X509_get_subject_name(x), subject, scap);
    name_text(X509_get_issuer_name(x), issuer, icap);
    X509_free(x);
    return 0;
}
