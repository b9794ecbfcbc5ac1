/* dane_chain.c - the certificate chain a server presented: DER and PEM input,
 *                digests per selector (RFC 6698 §2.1.2, §2.1.3)
 *
 * SYNOPSIS
 *   dane_library_init(), dane_library_cleanup(),
 *   dane_chain_new(), dane_chain_free(), dane_chain_add_der(),
 *   dane_chain_add_pem(), dane_chain_length(), dane_chain_digest(),
 *   dane_chain_der()
 *
 * DESCRIPTION
 *   Every certificate is checked before it is kept: one DER SEQUENCE whose
 *   length is exactly the input's (no trailing bytes), at most DANE_MAX_CERT
 *   bytes, parsed by wolfSSL, with a public key. The SPKI is taken with
 *   wolfSSL_X509_get_pubkey_buffer (wolfSSL_i2d_PUBKEY gives PKCS#1 for RSA).
 *   PEM is decoded here, bounded, without wolfSSL's PEM code.
 *
 * DIAGNOSTICS
 *   -1 with *why a static string; a failed add leaves the chain unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "dane_int.h"

#include "digest.h"
#include "tlsa.h"

/* der_outer_ok - one SEQUENCE with a definite length covering exactly len */
static int der_outer_ok(const uint8_t *der, size_t len, const char **why)
{
    size_t hdr, body, i, nlen;

    if (len < 2 || der[0] != 0x30) {
        *why = "certificate is not a DER SEQUENCE";
        return -1;
    }
    if (der[1] < 0x80) {
        hdr = 2;
        body = der[1];
    } else {
        nlen = der[1] & 0x7fu;
        if (nlen == 0 || nlen > 3 || len < 2 + nlen) {
            *why = "certificate DER length is malformed";
            return -1;
        }
        body = 0;
        for (i = 0; i < nlen; i++)
            body = (body << 8) | der[2 + i];
        hdr = 2 + nlen;
    }
    if (body != len - hdr) {
        *why = body > len - hdr ? "certificate DER is truncated"
                                : "trailing bytes after certificate DER";
        return -1;
    }
    return 0;
}

/* cert_digests - the four digests of one certificate */
static void cert_digests(struct dane_cert *cert)
{
    digest_sha256(cert->der, cert->der_len, cert->sha256[0]);
    digest_sha256(cert->spki, cert->spki_len, cert->sha256[1]);
    digest_sha512(cert->der, cert->der_len, cert->sha512[0]);
    digest_sha512(cert->spki, cert->spki_len, cert->sha512[1]);
}

/* cert_spki - copy the SubjectPublicKeyInfo DER out of the parsed cert */
static int cert_spki(struct dane_cert *cert, const char **why)
{
    int sz = 0;

    if (wolfSSL_X509_get_pubkey_buffer(cert->x509, NULL, &sz) != WOLFSSL_SUCCESS
        || sz <= 0 || (size_t)sz > DANE_MAX_CERT) {
        *why = "certificate public key cannot be read";
        return -1;
    }
    cert->spki = malloc((size_t)sz);
    if (cert->spki == NULL) {
        *why = "out of memory";
        return -1;
    }
    if (wolfSSL_X509_get_pubkey_buffer(cert->x509, cert->spki, &sz) != WOLFSSL_SUCCESS) {
        *why = "certificate public key cannot be read";
        return -1;
    }
    cert->spki_len = (size_t)sz;
    return 0;
}

/* dane_cert_load - parse one DER certificate */
int dane_cert_load(struct dane_cert *cert, const uint8_t *der, size_t len,
                   const char **why)
{
    memset(cert, 0, sizeof(*cert));
    if (len > DANE_MAX_CERT) {
        *why = "certificate larger than DANE_MAX_CERT";
        return -1;
    }
    if (der_outer_ok(der, len, why) < 0)
        return -1;
    cert->x509 = wolfSSL_X509_d2i(NULL, der, (int)len);
    if (cert->x509 == NULL) {
        *why = pkix_cert_problem(der, len);
        if (*why == NULL)
            *why = "certificate DER cannot be parsed";
        return -1;
    }
    cert->der = malloc(len);
    if (cert->der == NULL) {
        *why = "out of memory";
        dane_cert_clear(cert);
        return -1;
    }
    memcpy(cert->der, der, len);
    cert->der_len = len;
    if (cert_spki(cert, why) < 0) {
        dane_cert_clear(cert);
        return -1;
    }
    cert_digests(cert);
    return 0;
}

/* dane_cert_clear - release one certificate */
void dane_cert_clear(struct dane_cert *cert)
{
    wolfSSL_X509_free(cert->x509);
    free(cert->der);
    free(cert->spki);
    memset(cert, 0, sizeof(*cert));
}

/* dane_library_init - wolfSSL_Init(), which wolfSSL counts */
int dane_library_init(void)
{
    return wolfSSL_Init() == WOLFSSL_SUCCESS ? 0 : -1;
}

/* dane_library_cleanup - wolfSSL_Cleanup(), one per successful init */
void dane_library_cleanup(void)
{
    wolfSSL_Cleanup();
}

/* dane_chain_new - an empty chain */
struct dane_chain *dane_chain_new(void)
{
    return calloc(1, sizeof(struct dane_chain));
}

/* dane_chain_free - release; NULL is a no-op */
void dane_chain_free(struct dane_chain *chain)
{
    size_t i;

    if (chain == NULL)
        return;
    for (i = 0; i < chain->n; i++)
        dane_cert_clear(&chain->certs[i]);
    free(chain);
}

/* dane_chain_add_der - append one DER certificate */
int dane_chain_add_der(struct dane_chain *chain, const uint8_t *der, size_t len,
                       const char **why)
{
    if (chain->n >= DANE_MAX_CHAIN) {
        *why = "certificate chain longer than DANE_MAX_CHAIN";
        return -1;
    }
    if (der == NULL) {
        *why = "no certificate data";
        return -1;
    }
    if (dane_cert_load(&chain->certs[chain->n], der, len, why) < 0)
        return -1;
    chain->n++;
    return 0;
}

/* b64_value - the 6-bit value of one base64 character, or -1 */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* b64_decode - strict base64 with whitespace skipped; out holds cap bytes */
static int b64_decode(const char *in, size_t len, uint8_t *out, size_t cap,
                      size_t *outlen, const char **why)
{
    uint32_t acc = 0;
    size_t i, n = 0, quad = 0, pad = 0;
    unsigned char c;
    int v;

    for (i = 0; i < len; i++) {
        c = (unsigned char)in[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            if (quad < 2 || ++pad + quad > 4) {
                *why = "malformed base64 padding in PEM";
                return -1;
            }
            continue;
        }
        v = b64_value(c);
        if (v < 0 || pad > 0) {
            *why = "invalid base64 character in PEM";
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        if (++quad < 4)
            continue;
        if (n + 3 > cap) {
            *why = "PEM certificate larger than DANE_MAX_CERT";
            return -1;
        }
        out[n++] = (uint8_t)(acc >> 16);
        out[n++] = (uint8_t)(acc >> 8);
        out[n++] = (uint8_t)acc;
        acc = 0;
        quad = 0;
    }
    if (quad == 0 && pad == 0) {
        *outlen = n;
        return 0;
    }
    if (quad + pad != 4) {
        *why = "truncated base64 in PEM";
        return -1;
    }
    if (n + (quad - 1) > cap) {
        *why = "PEM certificate larger than DANE_MAX_CERT";
        return -1;
    }
    acc <<= 6 * (4 - quad);
    out[n++] = (uint8_t)(acc >> 16);
    if (quad == 3)
        out[n++] = (uint8_t)(acc >> 8);
    *outlen = n;
    return 0;
}

/* find - first occurrence of needle in [p, end), or NULL */
static const char *find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);

    for (; (size_t)(end - p) >= n; p++)
        if (memcmp(p, needle, n) == 0)
            return p;
    return NULL;
}

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END "-----END CERTIFICATE-----"

/* dane_pem_each - decode every CERTIFICATE block and hand it to fn */
int dane_pem_each(const char *pem, size_t len,
                  int (*fn)(void *ctx, const uint8_t *der, size_t len,
                            const char **why),
                  void *ctx, const char **why)
{
    const char *p = pem, *end = pem + len, *begin, *stop;
    uint8_t *der;
    size_t der_len, found = 0;
    int rc = 0;

    der = malloc(DANE_MAX_CERT);
    if (der == NULL) {
        *why = "out of memory";
        return -1;
    }
    while (rc == 0 && p < end) {
        begin = find(p, end, PEM_BEGIN);
        if (begin == NULL)
            break;
        begin += strlen(PEM_BEGIN);
        stop = find(begin, end, PEM_END);
        if (stop == NULL) {
            *why = "PEM CERTIFICATE block without END line";
            rc = -1;
            break;
        }
        rc = b64_decode(begin, (size_t)(stop - begin), der, DANE_MAX_CERT,
                        &der_len, why);
        if (rc == 0)
            rc = fn(ctx, der, der_len, why);
        found++;
        p = stop + strlen(PEM_END);
    }
    free(der);
    if (rc == 0 && found == 0) {
        *why = "no PEM CERTIFICATE block found";
        rc = -1;
    }
    return rc;
}

/* add_one - dane_pem_each callback appending to a chain */
static int add_one(void *ctx, const uint8_t *der, size_t len, const char **why)
{
    return dane_chain_add_der(ctx, der, len, why);
}

/* dane_chain_add_pem - append every CERTIFICATE block; all or nothing */
int dane_chain_add_pem(struct dane_chain *chain, const char *pem, size_t len,
                       const char **why)
{
    size_t before = chain->n;

    if (pem == NULL) {
        *why = "no PEM data";
        return -1;
    }
    if (dane_pem_each(pem, len, add_one, chain, why) == 0)
        return 0;
    while (chain->n > before)
        dane_cert_clear(&chain->certs[--chain->n]);
    return -1;
}

/* dane_chain_length - number of certificates */
size_t dane_chain_length(const struct dane_chain *chain)
{
    return chain == NULL ? 0 : chain->n;
}

/* dane_chain_digest - SHA2-256 or SHA2-512 of certificate or SPKI at depth */
size_t dane_chain_digest(const struct dane_chain *chain, size_t depth,
                         uint8_t selector, uint8_t mtype, uint8_t *out)
{
    const struct dane_cert *cert;

    if (chain == NULL || out == NULL || depth >= chain->n || selector > 1)
        return 0;
    cert = &chain->certs[depth];
    if (mtype == TLSA_MTYPE_SHA256) {
        memcpy(out, cert->sha256[selector], 32);
        return 32;
    }
    if (mtype == TLSA_MTYPE_SHA512) {
        memcpy(out, cert->sha512[selector], 64);
        return 64;
    }
    return 0;
}

/* dane_chain_der - the DER of certificate i, or NULL */
const uint8_t *dane_chain_der(const struct dane_chain *chain, size_t i,
                              size_t *len)
{
    if (chain == NULL || i >= chain->n)
        return NULL;
    *len = chain->certs[i].der_len;
    return chain->certs[i].der;
}

/* dane_pkix_chain - the certificates for pkix_verify() */
struct pkix_chain *dane_pkix_chain(const struct dane_chain *chain,
                                   const char **why)
{
    struct pkix_der der[DANE_MAX_CHAIN];
    size_t i;

    for (i = 0; i < chain->n; i++) {
        der[i].der = chain->certs[i].der;
        der[i].len = chain->certs[i].der_len;
    }
    return pkix_chain_new(der, chain->n, why);
}
