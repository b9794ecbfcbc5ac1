/* verify.h - the verification decision for one TLS connection: what the
 *            effective level demands of the peer, and the status Postfix
 *            would log (FORWARD_SECRECY_README: Verified, Trusted, Untrusted,
 *            Anonymous)
 *
 * A pure function of its input: the caller (delivery, probe) gathers the
 * peer chain from the TLS session, the TLSA set and reference names from DNS,
 * and pins / CA file from the policy. Nothing is owned: every pointer in
 * struct verify_input is borrowed for the duration of the call.
 */
#ifndef DANE_AGENT_VERIFY_H
#define DANE_AGENT_VERIFY_H

#include <stddef.h>
#include <time.h>

#include "dane.h"
#include "policy.h"

enum verify_status {
    VERIFY_ANONYMOUS = 0,   /* no peer certificate (anonymous suite) */
    VERIFY_UNTRUSTED,       /* certificate not checked or not trusted */
    VERIFY_TRUSTED,         /* trusted chain, name not verified (or DANE via
                             * an insecure MX, RFC 7672 §2.2.1) */
    VERIFY_VERIFIED,        /* DANE match, pinned fingerprint, or PKIX + name */
};

struct verify_input {
    enum policy_level level;        /* effective level for this host */
    const struct dane_chain *chain; /* NULL or empty: no peer certificate */
    const struct tlsa_set *tlsa;    /* level dane: the secure TLSA RRset */
    int insecure_mx;                /* TLSA reached through an insecure MX
                                     * (enforced, reported Trusted) */
    const char *const *names;       /* reference identifiers */
    size_t nnames;
    const struct dane_pin *pins;    /* level fingerprint */
    size_t npins;
    const char *ca_file;            /* PKIX trust (verify/secure, and
                                     * Trusted elsewhere); NULL: the system
                                     * store, PKIX_SYSTEM_CA_FILE */
    const struct pkix_store *store; /* ca_file (or the system store) read
                                     * once by the caller, pkix_store_new();
                                     * NULL: read on every call (~17 ms CPU
                                     * for the system store), and at
                                     * none/may/encrypt without ca_file no
                                     * Trusted check at all */
    time_t now;
};

struct verify_result {
    int ok;                         /* 1: the level's demands are met */
    enum verify_status status;
    int matched;                    /* a TLSA record matched: see match */
    struct dane_result match;       /* with match.path for DANE-TA; at
                                     * dane, match.failure when none did */
    struct pkix_path path;          /* PKIX: the path when the chain was
                                     * trusted (len 0 otherwise) */
    const char *reason;             /* static; set when !ok, else NULL */
    const char *rfc8460;            /* RFC 8460 result type when !ok
                                     * (failure_rfc8460() of its cause) */
};

/* verify_peer - decide for one handshake's peer chain */
void verify_peer(const struct verify_input *in, struct verify_result *out);

/* verify_status_name - "Verified", "Trusted", "Untrusted", "Anonymous" */
const char *verify_status_name(enum verify_status status);

#endif
