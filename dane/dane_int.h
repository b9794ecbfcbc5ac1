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
#include "pkix.h"

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

/* dane_pkix_chain - the chain's certificates parsed for pkix_verify();
 * NULL with *why; the caller frees with pkix_chain_free() */
struct pkix_chain *dane_pkix_chain(const struct dane_chain *chain,
                                   const char **why);

/* dane_pem_each - call fn for the DER of every CERTIFICATE block, in order;
 * stops at the first fn failure; 0 when at least one block was found and
 * every call succeeded, else -1 with *why */
int dane_pem_each(const char *pem, size_t len,
                  int (*fn)(void *ctx, const uint8_t *der, size_t len,
                            const char **why),
                  void *ctx, const char **why);

/* dane_x509_name_match - names against one parsed certificate (SAN dNSNames
 * when present, else CN); 1 or 0 */
int dane_x509_name_match(WOLFSSL_X509 *x509, const char *const *names,
                         size_t nnames);

#endif
