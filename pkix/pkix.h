/* pkix.h - certification path validation (RFC 5280 §6) by OpenSSL's libcrypto
 *          (X509_verify_cert), for PKIX trust (verify/secure, the Trusted
 *          status) and for DANE-TA paths (RFC 7671 §5.2)
 *
 * Chosen by evidence over tests/certs/mkpkix.sh's corpus (docs/pkix.md):
 * libcrypto with the TLS server purpose and authentication level 2 answers
 * every case as RFC 5280 §6 and the CA/Browser Forum rules do; GnuTLS accepts
 * an anyExtendedKeyUsage-only leaf; wolfSSL 5.5.4 misses name constraints on
 * the trust anchor, EKU, keyCertSign, pathLen, the anchor's dates, weak
 * signatures and keys, and its X509_STORE accepts chains to no anchor.
 *
 * What is checked: signatures and names chaining from the leaf to the anchor,
 * validity dates of every certificate (the anchor's too) at `now`,
 * basicConstraints CA:TRUE, keyCertSign, pathLen, name constraints (the
 * anchor's included), unknown critical extensions, the serverAuth purpose
 * (EKU, leaf and CAs), and strength at level 2: RSA >= 2048 bits, no SHA-1 or
 * MD5 signatures (CA/B BR 6.1.5, 7.1.3.2). Not checked: revocation, policies.
 * Host names are not checked here: SMTP's rules live in dane_name.c.
 *
 * The presented certificates may be in any order and hold extras (RFC 8446
 * §4.4.2); the leaf comes first. Each call has its own trust store, made from
 * the anchor it is given: nothing persists between calls.
 *
 * This header includes no OpenSSL header: libcrypto and wolfSSL's OpenSSL
 * compatibility headers cannot share a translation unit.
 */
#ifndef DANE_AGENT_PKIX_H
#define DANE_AGENT_PKIX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Debian's ca-certificates bundle: the trust store when no CA file is set. */
#define PKIX_SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define PKIX_MAX_CHAIN 16u                  /* presented certificates */
#define PKIX_MAX_PATH (PKIX_MAX_CHAIN + 1)  /* a path may add its anchor */
#define PKIX_MAX_CA_FILE (8u * 1024 * 1024) /* bytes of a CA bundle */
#define PKIX_MAX_CAS 4096u                  /* certificates of a CA bundle */
#define PKIX_TEXT_MAX 256u                  /* a distinguished name as text */

struct pkix_chain;                          /* opaque, caller owns */
struct pkix_store;                          /* opaque, caller owns */

/* One DER certificate, borrowed. */
struct pkix_der {
    const uint8_t *der;
    size_t len;
};

enum pkix_anchor_kind {
    PKIX_ANCHOR_CA_FILE,    /* the CAs of a PEM bundle (NULL: the system's),
                               read on every call */
    PKIX_ANCHOR_STORE,      /* the same, read once by pkix_store_new() */
    PKIX_ANCHOR_CERT,       /* one certificate, itself the anchor (DANE-TA:
                               it need not be self-signed) */
    PKIX_ANCHOR_KEY,        /* a bare SubjectPublicKeyInfo (RFC 7671 §5.2.3):
                               the certificate of the chain it signed is
                               taken as the anchor */
};

struct pkix_anchor {
    enum pkix_anchor_kind kind;
    const char *ca_file;    /* PKIX_ANCHOR_CA_FILE; with STORE, the file the
                               store was read from (names it in reasons) */
    const struct pkix_store *store;     /* PKIX_ANCHOR_STORE */
    const uint8_t *der;     /* PKIX_ANCHOR_CERT: certificate; KEY: SPKI */
    size_t len;
};

enum pkix_status {
    PKIX_OK = 0,        /* a valid path to the anchor */
    PKIX_NO_PATH,       /* no path from the leaf to the anchor */
    PKIX_INVALID,       /* a path, but a certificate on it breaks a rule
                           (one not yet valid included) */
    PKIX_EXPIRED,       /* a path, but a certificate on it (the anchor
                           too) has expired: RFC 8460 certificate-expired */
    PKIX_ERROR,         /* the anchor cannot be used (CA file, bad data) */
};

/* The validated path, leaf first: index[d] is the position of the
 * certificate at depth d in the presented chain, or -1 for one the server
 * did not send (a CA of the store, a DANE-TA certificate from DNS), whose
 * subject and issuer are then in anchor_subject / anchor_issuer. */
struct pkix_path {
    size_t len;
    int index[PKIX_MAX_PATH];
    char anchor_subject[PKIX_TEXT_MAX];
    char anchor_issuer[PKIX_TEXT_MAX];
};

/* pkix_chain_new - parse the presented certificates (leaf first, at most
 * PKIX_MAX_CHAIN); NULL with *why on bad data or ENOMEM */
struct pkix_chain *pkix_chain_new(const struct pkix_der *certs, size_t n,
                                  const char **why);
/* pkix_chain_free - release; NULL is a no-op */
void pkix_chain_free(struct pkix_chain *chain);

/* pkix_store_new - the CAs of a PEM bundle (NULL: PKIX_SYSTEM_CA_FILE) read
 * and parsed once, to be shared by any number of pkix_verify() calls (about
 * 17 ms CPU for Debian's 150-CA bundle, against 0.15 ms to verify an ECDSA
 * leaf < intermediate < root); NULL with *why (file missing, unreadable, too large, no
 * certificate, ENOMEM). *missing is set when the file cannot be opened. */
struct pkix_store *pkix_store_new(const char *ca_file, int *missing,
                                  const char **why);
/* pkix_store_free - release; NULL is a no-op */
void pkix_store_free(struct pkix_store *store);

/* pkix_verify - is there a valid path from the leaf to the anchor at `now`?
 * path (may be NULL) is filled on PKIX_OK; otherwise *why is a static
 * sentence ("leaf certificate has expired" with PKIX_EXPIRED, "issuer
 * certificate is not a CA ..." with PKIX_INVALID, ...). With PKIX_ANCHOR_KEY the lowest certificate the key signed
 * that validates is the anchor. Cost: one signature check per link, plus
 * reading the CA file with PKIX_ANCHOR_CA_FILE (see pkix_store_new()). */
enum pkix_status pkix_verify(const struct pkix_chain *chain,
                             const struct pkix_anchor *anchor, time_t now,
                             struct pkix_path *path, const char **why);

/* pkix_cert_problem - why a certificate another parser refused is refused
 * here too, when libcrypto can tell (an unrecognized critical extension,
 * RFC 5280 §4.2); NULL otherwise */
const char *pkix_cert_problem(const uint8_t *der, size_t len);

/* pkix_cert_text - subject and issuer of a DER certificate as one-line RFC
 * 2253 text, truncated to the buffer with "..." (buffers >= 4 bytes);
 * 0, or -1 when the certificate cannot be parsed */
int pkix_cert_text(const uint8_t *der, size_t len, char *subject, size_t scap,
                   char *issuer, size_t icap);

#endif
