/* dane.h - authenticate a TLS server's certificate chain: DANE for SMTP
 *          (RFC 6698, RFC 7671 §5, RFC 7672 §3), certificate/SPKI fingerprint
 *          pinning, and PKIX with reference names (Postfix verify/secure)
 *
 * A dane_chain owns DER copies of the certificates the server presented, leaf
 * first (digests computed once when added). Every check is a pure function of
 * (chain, records or pins, names, time): its trust anchors live only for that
 * call and nothing is shared with earlier checks, so a CA seen for one chain
 * never trusts another. Certification paths are built and validated by
 * pkix_verify() (pkix.h: OpenSSL's libcrypto, RFC 5280 §6) at the caller's
 * `now`; nothing here validates a path by hand.
 *
 * Cost (2-core VM, ECDSA P-256): adding a PEM chain of 2 ~0.03 ms per
 * certificate; DANE-EE ~0 (byte comparison); DANE-TA one X509_verify_cert per
 * candidate anchor (~0.15 ms for leaf < intermediate < root); PKIX with a
 * CA file re-reads it each call (~17 ms for Debian's 150-CA bundle), with a
 * pkix_store read once it does not.
 *
 * DANE-EE(3): the leaf certificate or its SPKI; no name and no date checks
 * (RFC 7672 §3.1.1). DANE-TA(2): a presented certificate other than the leaf,
 * or a full `2 0 0` / `2 1 0` record the server did not send (RFC 7671
 * §5.2.2, §5.2.3), anchors a path validated from the leaf (dane_verify.c says
 * how, as OpenSSL builds it), and the leaf must match one of the reference
 * names (RFC 7672 §3.2.2, dane_name_match()). When several records match, the
 * result names the one with the shortest path.
 *
 * Process setup: dane_library_init() once before any chain is built,
 * dane_library_cleanup() when done (each init balanced by one cleanup).
 *
 * Errors: functions returning int give 0 on success and -1 on bad input with
 * *why set to a static string. Verification outcomes are enum dane_status with
 * *why naming why nothing matched, and an enum dane_failure telling the kinds
 * of failure RFC 8460 §4.3.2.1 reports apart, so that nobody has to read the
 * sentence to classify it.
 */
#ifndef DANE_AGENT_DANE_H
#define DANE_AGENT_DANE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pkix.h"

struct tlsa_set;

/* Limits on what a peer may present. */
#define DANE_MAX_CHAIN 16u          /* certificates */
#define DANE_MAX_CERT  (64u * 1024) /* bytes of DER per certificate */

struct dane_chain;

/* dane_library_init - initialise the X.509 parser the chains use (wolfSSL)
 * before the first dane_chain_add_der() or dane_chain_add_pem(); 0, or -1
 * when it cannot be initialised */
int dane_library_init(void);
/* dane_library_cleanup - balance one successful dane_library_init() */
void dane_library_cleanup(void);

/* dane_chain_new - an empty chain; NULL on ENOMEM */
struct dane_chain *dane_chain_new(void);
/* dane_chain_free - release; NULL is a no-op */
void dane_chain_free(struct dane_chain *chain);
/* dane_chain_add_der - append one DER certificate (parsed and checked) */
int dane_chain_add_der(struct dane_chain *chain, const uint8_t *der, size_t len,
                       const char **why);
/* dane_chain_add_pem - append every CERTIFICATE block of a PEM text, in order;
 * text with no certificate is an error */
int dane_chain_add_pem(struct dane_chain *chain, const char *pem, size_t len,
                       const char **why);
/* dane_chain_length - number of certificates */
size_t dane_chain_length(const struct dane_chain *chain);
/* dane_chain_der - the DER of certificate i (presented order), borrowed for
 * the chain's life; NULL past the end */
const uint8_t *dane_chain_der(const struct dane_chain *chain, size_t i,
                              size_t *len);
/* dane_chain_digest - digest of certificate `depth` (selector 0) or of its
 * SPKI (selector 1) with matching type 1 or 2; writes 32 or 64 bytes to out
 * (size >= 64); returns the digest length or 0 on bad arguments */
size_t dane_chain_digest(const struct dane_chain *chain, size_t depth,
                         uint8_t selector, uint8_t mtype, uint8_t *out);

enum dane_status {
    DANE_MATCH = 0,     /* authenticated: *result says how */
    DANE_NO_MATCH = 1,  /* usable records exist, none is satisfied */
    DANE_NO_USABLE = 2, /* the set has no usable record */
};

/* The kind of a failed check, beside its sentence (*why). */
enum dane_failure {
    DANE_FAIL_NONE = 0,     /* no failure: matched, or trusted */
    DANE_FAIL_OTHER,        /* any other: no record matches, no valid path
                               (no anchor, a rule broken, a certificate not
                               yet valid), unusable input */
    DANE_FAIL_EXPIRED,      /* a certificate of the path has expired
                               (PKIX_EXPIRED) */
    DANE_FAIL_NAME,         /* a valid path, but the leaf matches none of the
                               reference names */
};

/* How a chain matched (DANE_MATCH), or why not (failure). */
struct dane_result {
    uint8_t usage;
    uint8_t selector;
    uint8_t mtype;
    size_t depth;   /* 0 = leaf (DANE-EE, or a DANE-TA key that signed a
                       self-signed leaf); DANE-TA: the anchor's depth in the
                       validated path, counting a `2 0 0` certificate the
                       server did not send, and for a `2 1 0` key the depth
                       of the certificate it signed (as OpenSSL reports it) */
    struct pkix_path path;  /* DANE-TA: the validated path; len 0 for EE */
    enum dane_failure failure;  /* DANE_FAIL_NONE exactly on DANE_MATCH; the
                                   fields above are zero on a failure */
};

/* dane_verify - does the chain satisfy the set's usable records for these
 * reference names (used for DANE-TA only; nnames == 0 skips the name check,
 * so pass the names whenever authenticating a server) at time `now`?
 * *result (may be NULL) is always set: how it matched, or result->failure,
 * the kind of the failure *why names.
 * Cost: one ECDSA/RSA signature check per path certificate for ordering and
 * again for DANE-TA validation; nothing is cached between calls. */
enum dane_status dane_verify(const struct dane_chain *chain,
                             const struct tlsa_set *set,
                             const char *const *names, size_t nnames,
                             time_t now, struct dane_result *result,
                             const char **why);

/* dane_name_match - RFC 7672 §3.2.2 / RFC 6125: does the presented DNS-ID
 * pattern match the reference name? A wildcard only as the entire leftmost
 * label and never matching more than one label; ASCII case-insensitive; a
 * trailing dot on either side ignored. A reference with a leading dot
 * (".example.com", Postfix's dot-nexthop) accepts any name strictly below
 * that domain. Lengths are explicit (no NUL needed). */
int dane_name_match(const char *pattern, size_t plen, const char *ref,
                    size_t rlen);

/* dane_leaf_name_match - SAN dNSNames when the leaf has any, else its CN;
 * 1 when one of names matches, else 0 */
int dane_leaf_name_match(const struct dane_chain *chain,
                         const char *const *names, size_t nnames);

/* Fingerprint pins: "sha256:HEX" or "sha512:HEX", colons optional, any case. */
struct dane_pin {
    uint8_t mtype;          /* TLSA_MTYPE_SHA256 or TLSA_MTYPE_SHA512 */
    uint8_t digest[64];
    size_t len;             /* 32 or 64 */
};

/* dane_pin_parse - parse one pin text; 0 or -1 */
int dane_pin_parse(const char *text, size_t len, struct dane_pin *pin,
                   const char **why);
/* dane_pin_match - 1 when the leaf certificate or its SPKI has one of the
 * pinned digests, else 0 with *why */
int dane_pin_match(const struct dane_chain *chain, const struct dane_pin *pins,
                   size_t npins, const char **why);

/* dane_pkix_verify - PKIX path validation (pkix_verify()) of the chain to
 * the anchor (PKIX_ANCHOR_CA_FILE: a PEM bundle read now, NULL the system
 * store PKIX_SYSTEM_CA_FILE; PKIX_ANCHOR_STORE: one read before) at `now`,
 * then the leaf names against names (nnames == 0 skips the name check);
 * DANE_FAIL_NONE (0) when trusted, with the path in *path when path is not
 * NULL; otherwise the kind of failure with *why (an unusable CA file or
 * chain is DANE_FAIL_OTHER) */
enum dane_failure dane_pkix_verify(const struct dane_chain *chain,
                                   const struct pkix_anchor *anchor,
                                   const char *const *names, size_t nnames,
                                   time_t now, struct pkix_path *path,
                                   const char **why);

#endif
