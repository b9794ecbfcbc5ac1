/* dane_int.h - internals shared by the dane module's files (not a public API)
 *
 * struct dane_chain holds, per certificate, the DER copy, wolfSSL's parsed
 * form and the SPKI DER with its digests computed once at add time, so that
 * matching is a comparison of bytes.
 */
#ifndef DANE_AGENT_DANE_INT_H
#define DANE_AGENT_DANE_INT_H

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "dane.h"

struct dane_cert {
    uint8_t *der;
    size_t der_len;
    uint8_t *spki;
    size_t spki_len;
    uint8_t sha256[2][32];  /* [selector]: certificate, SPKI */
    uint8_t sha512[2][64];
    WOLFSSL_X509 *x509;
};

struct dane_chain {
    struct dane_cert certs[DANE_MAX_CHAIN];
    size_t n;
};

/* dane_cert_load - parse one DER certificate into *cert; 0 or -1 with *why */
int dane_cert_load(struct dane_cert *cert, const uint8_t *der, size_t len,
                   const char **why);
/* dane_cert_clear - release what dane_cert_load allocated */
void dane_cert_clear(struct dane_cert *cert);

/* dane_chain_path - put the presented certificates in path order into
 * path[DANE_MAX_CHAIN]: the leaf, its issuer, ...; returns the path length */
size_t dane_chain_path(const struct dane_chain *chain,
                       const struct dane_cert **path);

/* dane_pem_each - call fn for the DER of every CERTIFICATE block, in order;
 * stops at the first fn failure; 0 when at least one block was found and
 * every call succeeded, else -1 with *why */
int dane_pem_each(const char *pem, size_t len,
                  int (*fn)(void *ctx, const uint8_t *der, size_t len,
                            const char **why),
                  void *ctx, const char **why);

/* dane_path_check - RFC 5280 §6.1 subset over path[0..n-1], leaf first, at
 * `now`. The caller has already established every link with dane_issued_by()
 * (issuer name and signature: dane_chain_path() does so while ordering) and,
 * with anchor_key (a bare key, RFC 7671 §5.2.3), that path[n-1] verifies under
 * it; signatures are not checked twice (~0.1 ms each). Without anchor_key,
 * path[n-1] is the trust anchor certificate: its dates and CA constraints are
 * checked like the others'. Checks: dates of every certificate, and on every
 * issuer CA:TRUE, keyCertSign where keyUsage is present, pathLen. 0 or -1
 * with *why. */
int dane_path_check(WOLFSSL_X509 *const *path, size_t n, int anchor_is_key,
                    time_t now, const char **why);

/* dane_issued_by - 1 when subject's issuer name is issuer's subject name and
 * subject's signature verifies under issuer's key */
int dane_issued_by(WOLFSSL_X509 *subject, WOLFSSL_X509 *issuer);

/* dane_x509_name_match - names against one parsed certificate (SAN dNSNames
 * when present, else CN); 1 or 0 */
int dane_x509_name_match(WOLFSSL_X509 *x509, const char *const *names,
                         size_t nnames);

#endif
