/* verify.c - the verification decision for one TLS connection (verify.h)
 *
 * Levels and statuses follow Postfix (TLS_README, FORWARD_SECRECY_README):
 * none/may/encrypt authenticate nothing and log Untrusted (Trusted when a
 * CA of ca_file or of the caller's store vouches for the chain, Anonymous
 * without a certificate); dane and
 * dane-only demand a TLSA match (RFC 7672 §3); fingerprint demands a pinned
 * digest; verify and secure demand PKIX trust plus a name match. PKIX is
 * pkix_verify() (OpenSSL's libcrypto) through dane_pkix_verify(), to the
 * CAs of ca_file or, without one, of the system store (PKIX_SYSTEM_CA_FILE).
 */
#include <string.h>

#include "failure.h"
#include "verify.h"

static const char *const status_names[] = {
    [VERIFY_ANONYMOUS] = "Anonymous",
    [VERIFY_UNTRUSTED] = "Untrusted",
    [VERIFY_TRUSTED] = "Trusted",
    [VERIFY_VERIFIED] = "Verified",
};

/* verify_status_name - Postfix's word for a status */
const char *verify_status_name(enum verify_status status)
{
    if ((size_t)status >= sizeof(status_names) / sizeof(status_names[0]))
        return "Untrusted";
    return status_names[status];
}

/* requires_authentication - levels at which an unauthenticated peer fails */
static int requires_authentication(enum policy_level level)
{
    switch (level) {
    case POLICY_LEVEL_DANE:
    case POLICY_LEVEL_DANE_ONLY:
    case POLICY_LEVEL_FINGERPRINT:
    case POLICY_LEVEL_VERIFY:
    case POLICY_LEVEL_SECURE:
        return 1;
    case POLICY_LEVEL_NONE:
    case POLICY_LEVEL_MAY:
    case POLICY_LEVEL_ENCRYPT:
        return 0;
    }
    return 1;
}

/* fail - record a failed check; its RFC 8460 type is the cause's */
static void fail(struct verify_result *out, const char *reason,
                 enum failure_cause cause)
{
    out->ok = 0;
    out->reason = reason;
    out->rfc8460 = failure_rfc8460(cause);
}

/* pkix_check - dane_pkix_verify() to the caller's store or CA file */
static enum dane_failure pkix_check(const struct verify_input *in,
                                    struct verify_result *out, const char **why)
{
    struct pkix_anchor anchor = {
        .kind = in->store != NULL ? PKIX_ANCHOR_STORE : PKIX_ANCHOR_CA_FILE,
        .ca_file = in->ca_file, .store = in->store,
    };

    return dane_pkix_verify(in->chain, &anchor, NULL, 0, in->now, &out->path, why);
}

/* trusted_asked - at none/may/encrypt, Trusted is decided when the policy
 * names a CA file or the caller read a store once: re-reading the system
 * store for every opportunistic connection (~17 ms) is not worth a log word */
static int trusted_asked(const struct verify_input *in)
{
    return in->ca_file != NULL || in->store != NULL;
}

/* pkix_trusted - 1 when a CA vouches for the chain (no names) */
static int pkix_trusted(const struct verify_input *in, struct verify_result *out)
{
    const char *why = NULL;

    return pkix_check(in, out, &why) == DANE_FAIL_NONE;
}

/* auth_cause - the cause of a failed check (RFC 8460 §4.3.2.1): an expired
 * certificate is certificate-expired, a leaf without a reference name
 * certificate-host-mismatch, any other failure `other` */
static enum failure_cause auth_cause(enum dane_failure failure,
                                     enum failure_cause other)
{
    switch (failure) {
    case DANE_FAIL_EXPIRED:
        return FAILURE_AUTH_EXPIRED;
    case DANE_FAIL_NAME:
        return FAILURE_AUTH_NAME;
    case DANE_FAIL_NONE:
    case DANE_FAIL_OTHER:
        break;
    }
    return other;
}

/* verify_dane - RFC 7672 §3: a usable TLSA record must match */
static void verify_dane(const struct verify_input *in, struct verify_result *out)
{
    const char *why = "no TLSA records";

    switch (dane_verify(in->chain, in->tlsa, in->names, in->nnames, in->now,
                        &out->match, &why)) {
    case DANE_MATCH:
        out->ok = 1;
        out->matched = 1;
        /* RFC 7672 §2.2.1: TLSA via an insecure MX is enforced, but the MX
         * name itself was not authenticated: Postfix logs Trusted. */
        out->status = in->insecure_mx ? VERIFY_TRUSTED : VERIFY_VERIFIED;
        return;
    case DANE_NO_USABLE:
        fail(out, why, FAILURE_AUTH_TLSA);
        return;
    case DANE_NO_MATCH:
        /* out->match.failure: a DANE-TA path that matched but failed on
         * names or dates, or no match at all */
        fail(out, why, auth_cause(out->match.failure, FAILURE_AUTH));
        return;
    }
    fail(out, "unknown DANE verification status", FAILURE_AUTH);
}

/* verify_fingerprint - a pinned certificate or public-key digest */
static void verify_fingerprint(const struct verify_input *in,
                               struct verify_result *out)
{
    const char *why = "no fingerprint configured";

    if (in->npins > 0 && dane_pin_match(in->chain, in->pins, in->npins, &why)) {
        out->ok = 1;
        out->status = VERIFY_VERIFIED;
        return;
    }
    fail(out, why, FAILURE_AUTH);
}

/* verify_pkix - PKIX trust to the configured CAs (or the system's), then a
 * name match with the policy's `match` names */
static void verify_pkix(const struct verify_input *in, struct verify_result *out)
{
    const char *why = NULL;
    enum dane_failure failure = pkix_check(in, out, &why);

    if (failure != DANE_FAIL_NONE) {
        fail(out, why, auth_cause(failure, FAILURE_AUTH_UNTRUSTED));
        return;
    }
    out->status = VERIFY_TRUSTED;
    if (!dane_leaf_name_match(in->chain, in->names, in->nnames)) {
        fail(out, "server certificate name does not match", FAILURE_AUTH_NAME);
        return;
    }
    out->ok = 1;
    out->status = VERIFY_VERIFIED;
}

/* verify_peer - decide for one handshake's peer chain */
void verify_peer(const struct verify_input *in, struct verify_result *out)
{
    memset(out, 0, sizeof(*out));
    out->status = VERIFY_UNTRUSTED;

    if (in->chain == NULL || dane_chain_length(in->chain) == 0) {
        out->status = VERIFY_ANONYMOUS;
        out->ok = !requires_authentication(in->level);
        if (!out->ok)
            fail(out, "server presented no certificate", FAILURE_AUTH_UNTRUSTED);
        return;
    }
    switch (in->level) {
    case POLICY_LEVEL_NONE:
    case POLICY_LEVEL_MAY:
    case POLICY_LEVEL_ENCRYPT:
        out->ok = 1;
        out->status = trusted_asked(in) && pkix_trusted(in, out) ? VERIFY_TRUSTED
                                                               : VERIFY_UNTRUSTED;
        return;
    case POLICY_LEVEL_DANE:
    case POLICY_LEVEL_DANE_ONLY:
        verify_dane(in, out);
        return;
    case POLICY_LEVEL_FINGERPRINT:
        verify_fingerprint(in, out);
        return;
    case POLICY_LEVEL_VERIFY:
    case POLICY_LEVEL_SECURE:
        verify_pkix(in, out);
        return;
    }
    fail(out, "unknown security level", FAILURE_AUTH);
}
