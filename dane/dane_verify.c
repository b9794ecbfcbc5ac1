/* dane_verify.c - a chain against a TLSA RRset for SMTP (RFC 6698 §2.1,
 *                 RFC 7671 §5.1, §5.2, RFC 7672 §3.1)
 *
 * SYNOPSIS
 *   dane_verify()
 *
 * DESCRIPTION
 *   Only the set's usable records are considered (tlsa_set_usable(): DANE-TA
 *   and DANE-EE after digest agility). The presented certificates are first
 *   put in path order (leaf, its issuer, ...; extras ignored). Depths are tried from the leaf up and,
 *   within one depth, records in the set's order; the first success is the
 *   result, so the lowest matching depth is reported. Then full `2 0 0` and
 *   `2 1 0` records that match no certificate of the chain are tried as trust
 *   anchors the server did not send (depth = chain length).
 *
 *   DANE-EE(3) matches the leaf only, with no name and no date checks
 *   (RFC 7672 §3.1.1). DANE-TA(2) matches at depth >= 1 (a record that matches
 *   only the leaf, self-signed or not, is no trust anchor); the path from the
 *   leaf to the TA is validated by dane_path_check() at `now` and the leaf
 *   must match one of the reference names (RFC 7672 §3.2.2). With no names
 *   given (nnames == 0) the name check is skipped: the caller decides.
 *
 * DIAGNOSTICS
 *   DANE_NO_MATCH with *why naming the furthest step reached: a path or name
 *   failure is more telling than "no record matches".
 */
#include <string.h>

#include "dane_int.h"
#include "tlsa.h"

/* Failure stages: a later stage's reason replaces an earlier one. */
enum stage {
    STAGE_NONE,
    STAGE_LEAF_ONLY,
    STAGE_PATH,
    STAGE_NAME,
};

struct attempt {
    const struct dane_chain *chain;
    const struct dane_cert *path[DANE_MAX_CHAIN];   /* leaf, its issuer, ... */
    size_t npath;
    const char *const *names;
    size_t nnames;
    time_t now;
    enum stage stage;
    const char *why;
};

/* note - keep the reason of the furthest stage reached */
static void note(struct attempt *a, enum stage stage, const char *why)
{
    if (stage >= a->stage) {
        a->stage = stage;
        a->why = why;
    }
}

/* rr_matches - the record's association data matches certificate c */
static int rr_matches(const struct tlsa_rr *rr, const struct dane_cert *c)
{
    uint8_t sel = rr->selector;

    if (sel > TLSA_SELECTOR_SPKI)
        return 0;
    switch (rr->mtype) {
    case TLSA_MTYPE_FULL:
        if (sel == TLSA_SELECTOR_CERT)
            return rr->len == c->der_len && memcmp(rr->data, c->der, rr->len) == 0;
        return rr->len == c->spki_len && memcmp(rr->data, c->spki, rr->len) == 0;
    case TLSA_MTYPE_SHA256:
        return rr->len == 32 && memcmp(rr->data, c->sha256[sel], 32) == 0;
    case TLSA_MTYPE_SHA512:
        return rr->len == 64 && memcmp(rr->data, c->sha512[sel], 64) == 0;
    default:
        return 0;
    }
}

/* names_ok - the leaf matches a reference name, or no names were given */
static int names_ok(struct attempt *a)
{
    if (a->nnames == 0)
        return 1;
    if (dane_leaf_name_match(a->chain, a->names, a->nnames))
        return 1;
    note(a, STAGE_NAME, "leaf certificate matches none of the reference names");
    return 0;
}

/* ta_in_chain - DANE-TA matched at depth t >= 1: validate leaf..t */
static int ta_in_chain(struct attempt *a, size_t t)
{
    WOLFSSL_X509 *path[DANE_MAX_CHAIN];
    const char *why = NULL;
    size_t i;

    for (i = 0; i <= t; i++)
        path[i] = a->path[i]->x509;
    if (dane_path_check(path, t + 1, 0, a->now, &why) < 0) {
        note(a, STAGE_PATH, why);
        return 0;
    }
    return names_ok(a);
}

/* try_depth - the first usable record matching at depth d, or NULL */
static const struct tlsa_rr *try_depth(struct attempt *a,
                                       const struct tlsa_set *set, size_t d)
{
    const struct tlsa_rr *rr;
    size_t i, n = tlsa_set_usable_count(set);

    for (i = 0; i < n; i++) {
        rr = tlsa_set_usable(set, i);
        if (rr == NULL || !rr_matches(rr, a->path[d]))
            continue;
        if (rr->usage == TLSA_USAGE_DANE_EE) {
            if (d == 0)
                return rr;   /* RFC 7672 §3.1.1: no name, no date checks */
            continue;
        }
        if (rr->usage != TLSA_USAGE_DANE_TA)
            continue;
        if (d == 0) {
            /* RFC 7671 §5.2: the TA issues the chain; the leaf is no TA */
            note(a, STAGE_LEAF_ONLY,
                 "DANE-TA record matches only the leaf certificate, not a trust anchor");
            continue;
        }
        if (ta_in_chain(a, d))
            return rr;
    }
    return NULL;
}

/* sent_by_server - the record matches some certificate of the chain */
static int sent_by_server(const struct attempt *a, const struct tlsa_rr *rr)
{
    size_t i;

    for (i = 0; i < a->chain->n; i++)
        if (rr_matches(rr, &a->chain->certs[i]))
            return 1;
    return 0;
}

/* off_path_anchor - note a DANE-TA record matching a presented certificate
 * that the leaf does not chain up to */
static void off_path_anchor(struct attempt *a, const struct tlsa_set *set)
{
    const struct tlsa_rr *rr;
    size_t i, j, k, n = tlsa_set_usable_count(set);
    int on_path;

    for (i = 0; i < n; i++) {
        rr = tlsa_set_usable(set, i);
        if (rr == NULL || rr->usage != TLSA_USAGE_DANE_TA)
            continue;
        for (j = 1; j < a->chain->n; j++) {
            on_path = 0;
            for (k = 0; k < a->npath; k++)
                on_path |= a->path[k] == &a->chain->certs[j];
            if (!on_path && rr_matches(rr, &a->chain->certs[j]))
                note(a, STAGE_PATH, "the leaf does not chain up to the DANE-TA "
                                    "trust anchor (issuer name or signature mismatch)");
        }
    }
}

/* absent_anchor - parse a full 2 0 0 / 2 1 0 record's data */
static int absent_anchor(const struct tlsa_rr *rr, WOLFSSL_X509 **cert,
                         WOLFSSL_EVP_PKEY **key)
{
    const unsigned char *p = rr->data;

    *cert = NULL;
    *key = NULL;
    if (rr->len == 0 || rr->len > DANE_MAX_CERT)
        return -1;
    if (rr->selector == TLSA_SELECTOR_CERT) {
        *cert = wolfSSL_X509_d2i(NULL, rr->data, (int)rr->len);
        if (*cert != NULL)
            *key = wolfSSL_X509_get_pubkey(*cert);
    } else {
        *key = wolfSSL_d2i_PUBKEY(NULL, &p, (long)rr->len);
    }
    return *key == NULL ? -1 : 0;
}

/* ta_absent_at - path leaf..top, then the absent TA (certificate, or bare
 * key when ta_cert is NULL) that issued cert `top` */
static int ta_absent_at(struct attempt *a, size_t top, WOLFSSL_X509 *ta_cert)
{
    WOLFSSL_X509 *path[DANE_MAX_CHAIN + 1];
    const char *why = NULL;
    size_t i;
    int rc;

    for (i = 0; i <= top; i++)
        path[i] = a->path[i]->x509;
    if (ta_cert != NULL) {
        /* RFC 7671 §5.2.2: a full TA certificate completes the chain */
        path[top + 1] = ta_cert;
        rc = dane_path_check(path, top + 2, 0, a->now, &why);
    } else {
        /* RFC 7671 §5.2.3: a bare TA public key signs the top certificate */
        rc = dane_path_check(path, top + 1, 1, a->now, &why);
    }
    if (rc < 0) {
        note(a, STAGE_PATH, why);
        return 0;
    }
    return names_ok(a);
}

/* issued_by_anchor - cert `top` names (2 0 0) and is signed by the TA */
static int issued_by_anchor(WOLFSSL_X509 *top, WOLFSSL_X509 *ta_cert,
                            WOLFSSL_EVP_PKEY *ta_key)
{
    if (ta_cert != NULL)
        return dane_issued_by(top, ta_cert);
    return wolfSSL_X509_verify(top, ta_key) == WOLFSSL_SUCCESS;
}

/* try_absent - a full TA record the server did not send */
static int try_absent(struct attempt *a, const struct tlsa_rr *rr)
{
    WOLFSSL_X509 *ta_cert;
    WOLFSSL_EVP_PKEY *ta_key;
    size_t top;
    int ok = 0, issued = 0;

    if (absent_anchor(rr, &ta_cert, &ta_key) < 0) {
        note(a, STAGE_NONE, "DANE-TA full record data is not a certificate or public key");
    } else {
        for (top = 0; top < a->npath && !ok; top++) {
            if (!issued_by_anchor(a->path[top]->x509, ta_cert, ta_key))
                continue;
            issued = 1;
            ok = ta_absent_at(a, top, ta_cert);
        }
        if (!issued)
            note(a, STAGE_NONE, "no TLSA record matches the certificate chain");
    }
    wolfSSL_X509_free(ta_cert);
    wolfSSL_EVP_PKEY_free(ta_key);
    return ok;
}

/* set_result - fill *result from the matched record */
static void set_result(struct dane_result *result, const struct tlsa_rr *rr,
                       size_t depth)
{
    if (result == NULL)
        return;
    result->usage = rr->usage;
    result->selector = rr->selector;
    result->mtype = rr->mtype;
    result->depth = depth;
}

/* dane_verify - the chain against the set's usable records */
enum dane_status dane_verify(const struct dane_chain *chain,
                             const struct tlsa_set *set,
                             const char *const *names, size_t nnames,
                             time_t now, struct dane_result *result,
                             const char **why)
{
    struct attempt a = { .chain = chain, .names = names, .nnames = nnames,
                         .now = now, .stage = STAGE_NONE,
                         .why = "no TLSA record matches the certificate chain" };
    const struct tlsa_rr *rr;
    size_t d, i, n;

    if (set == NULL || (n = tlsa_set_usable_count(set)) == 0) {
        *why = "no usable TLSA records";
        return DANE_NO_USABLE;
    }
    if (chain == NULL || chain->n == 0) {
        *why = "the server presented no certificate";
        return DANE_NO_MATCH;
    }
    /* DANE-EE needs no path: answer before any signature is checked */
    for (i = 0; i < n; i++) {
        rr = tlsa_set_usable(set, i);
        if (rr != NULL && rr->usage == TLSA_USAGE_DANE_EE &&
            rr_matches(rr, &chain->certs[0])) {
            set_result(result, rr, 0);
            return DANE_MATCH;
        }
    }
    /* path order checks every link's issuer name and signature once */
    a.npath = dane_chain_path(chain, a.path);
    for (d = 0; d < a.npath; d++) {
        rr = try_depth(&a, set, d);
        if (rr != NULL) {
            set_result(result, rr, d);
            return DANE_MATCH;
        }
    }
    off_path_anchor(&a, set);
    for (i = 0; i < n; i++) {
        rr = tlsa_set_usable(set, i);
        if (rr == NULL || rr->usage != TLSA_USAGE_DANE_TA ||
            rr->mtype != TLSA_MTYPE_FULL || sent_by_server(&a, rr))
            continue;
        if (try_absent(&a, rr)) {
            set_result(result, rr, a.npath);
            return DANE_MATCH;
        }
    }
    *why = a.why;
    return DANE_NO_MATCH;
}
