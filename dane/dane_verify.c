/* dane_verify.c - a chain against a TLSA RRset for SMTP (RFC 6698 §2.1,
 *                 RFC 7671 §5.1, §5.2, RFC 7672 §3.1)
 *
 * SYNOPSIS
 *   dane_verify()
 *
 * DESCRIPTION
 *   Only the set's usable records are considered (tlsa_set_usable(): DANE-TA
 *   and DANE-EE after digest agility). DANE-EE(3) matches the leaf only, with
 *   no name and no date checks (RFC 7672 §3.1.1), and is answered first.
 *
 *   DANE-TA(2), as OpenSSL's DANE code (which Postfix uses) builds paths:
 *   first every presented certificate other than the leaf that a record
 *   matches is tried as the trust anchor; pkix_verify() builds and validates
 *   the path from the leaf up to it, stopping at the lowest certificate the
 *   anchor vouches for (cross certificates above it are not walked). Only
 *   when none validates are the full records the server did not send tried:
 *   a `2 0 0` certificate completes the chain (RFC 7671 §5.2.2), a `2 1 0`
 *   key is the anchor of the lowest certificate it signed (RFC 7671 §5.2.3),
 *   which may be a self-signed leaf sent alone. A record matching only the
 *   leaf is no trust anchor otherwise. The shortest valid path wins, records
 *   in set order on a tie; its depth is path length - 1 (OpenSSL's
 *   SSL_get0_dane_authority()). The leaf must then match one of the
 *   reference names (RFC 7672 §3.2.2); nnames == 0 skips that check.
 *
 * DIAGNOSTICS
 *   DANE_NO_MATCH with *why naming the furthest step reached: a path or name
 *   failure is more telling than "no record matches"; result->failure is the
 *   kind of that step (an expired certificate, a name, anything else).
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
    struct pkix_chain *pkix;            /* made on the first DANE-TA try */
    time_t now;
    enum stage stage;
    const char *why;
    enum dane_failure failure;          /* the kind of why */
    const struct tlsa_rr *best;         /* the match with the shortest path */
    struct pkix_path path;
};

/* note - keep the reason and its kind of the furthest stage reached */
static void note(struct attempt *a, enum stage stage, const char *why,
                 enum dane_failure failure)
{
    if (stage >= a->stage) {
        a->stage = stage;
        a->why = why;
        a->failure = failure;
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

/* try_anchor - validate the path to one anchor; keep the shortest */
static void try_anchor(struct attempt *a, const struct tlsa_rr *rr,
                       enum pkix_anchor_kind kind, const uint8_t *der,
                       size_t len, int sent)
{
    struct pkix_anchor anchor = { .kind = kind, .der = der, .len = len };
    struct pkix_path path;
    const char *why = NULL;

    if (a->pkix == NULL && (a->pkix = dane_pkix_chain(a->chain, &why)) == NULL) {
        note(a, STAGE_PATH, why, DANE_FAIL_OTHER);
        return;
    }
    switch (pkix_verify(a->pkix, &anchor, a->now, &path, &why)) {
    case PKIX_OK:
        if (a->best == NULL || path.len < a->path.len) {
            a->best = rr;
            a->path = path;
        }
        return;
    case PKIX_NO_PATH:
        if (sent)
            note(a, STAGE_PATH, "the leaf does not chain up to the DANE-TA "
                                "trust anchor (issuer name or signature mismatch)",
                 DANE_FAIL_OTHER);
        return;
    case PKIX_INVALID:
        note(a, STAGE_PATH, why, DANE_FAIL_OTHER);
        return;
    case PKIX_EXPIRED:
        note(a, STAGE_PATH, why, DANE_FAIL_EXPIRED);
        return;
    case PKIX_ERROR:
        note(a, STAGE_NONE, sent ? why
             : "DANE-TA full record data is not a certificate or public key",
             DANE_FAIL_OTHER);
        return;
    }
}

/* in_chain - RFC 7671 §5.2: every presented certificate but the leaf that
 * the record matches is a candidate trust anchor; returns 1 when one is */
static int in_chain(struct attempt *a, const struct tlsa_rr *rr)
{
    const struct dane_cert *c;
    size_t i;
    int matched = 0;

    for (i = 0; i < a->chain->n; i++) {
        c = &a->chain->certs[i];
        if (!rr_matches(rr, c))
            continue;
        if (i == 0) {
            /* RFC 7671 §5.2: the TA issues the chain; the leaf is no TA */
            note(a, STAGE_LEAF_ONLY,
                 "DANE-TA record matches only the leaf certificate, not a trust anchor",
                 DANE_FAIL_OTHER);
            continue;
        }
        matched = 1;
        try_anchor(a, rr, PKIX_ANCHOR_CERT, c->der, c->der_len, 1);
    }
    return matched;
}

/* not_sent - RFC 7671 §5.2.2, §5.2.3: a full record the server did not send
 * (a 2 1 0 key may be that of a self-signed leaf: OpenSSL's bare-key rule) */
static void not_sent(struct attempt *a, const struct tlsa_rr *rr)
{
    size_t i;

    if (rr->mtype != TLSA_MTYPE_FULL)
        return;
    if (rr->selector == TLSA_SELECTOR_SPKI) {
        try_anchor(a, rr, PKIX_ANCHOR_KEY, rr->data, rr->len, 0);
        return;
    }
    for (i = 0; i < a->chain->n; i++)
        if (rr_matches(rr, &a->chain->certs[i]))
            return;
    try_anchor(a, rr, PKIX_ANCHOR_CERT, rr->data, rr->len, 0);
}

/* dane_ta - the shortest valid DANE-TA path, or NULL */
static const struct tlsa_rr *dane_ta(struct attempt *a, const struct tlsa_set *set)
{
    const struct tlsa_rr *rr;
    size_t i, n = tlsa_set_usable_count(set);
    int sent[TLSA_MAX_RECORDS] = { 0 };

    for (i = 0; i < n && i < TLSA_MAX_RECORDS; i++) {
        rr = tlsa_set_usable(set, i);
        if (rr != NULL && rr->usage == TLSA_USAGE_DANE_TA)
            sent[i] = in_chain(a, rr);
    }
    if (a->best != NULL)
        return a->best;
    for (i = 0; i < n && i < TLSA_MAX_RECORDS; i++) {
        rr = tlsa_set_usable(set, i);
        if (rr != NULL && rr->usage == TLSA_USAGE_DANE_TA && !sent[i])
            not_sent(a, rr);
    }
    return a->best;
}

/* set_result - fill *result from the matched record */
static void set_result(struct dane_result *result, const struct tlsa_rr *rr,
                       const struct pkix_path *path)
{
    if (result == NULL)
        return;
    memset(result, 0, sizeof(*result));
    result->failure = DANE_FAIL_NONE;
    result->usage = rr->usage;
    result->selector = rr->selector;
    result->mtype = rr->mtype;
    if (path != NULL) {
        result->path = *path;
        result->depth = path->len - 1;
    }
}

/* set_failure - *result holds only the kind of failure */
static void set_failure(struct dane_result *result, enum dane_failure failure)
{
    if (result == NULL)
        return;
    memset(result, 0, sizeof(*result));
    result->failure = failure;
}

/* dane_ee - RFC 7672 §3.1.1: a DANE-EE record matching the leaf */
static const struct tlsa_rr *dane_ee(const struct dane_chain *chain,
                                     const struct tlsa_set *set)
{
    const struct tlsa_rr *rr;
    size_t i, n = tlsa_set_usable_count(set);

    for (i = 0; i < n; i++) {
        rr = tlsa_set_usable(set, i);
        if (rr != NULL && rr->usage == TLSA_USAGE_DANE_EE &&
            rr_matches(rr, &chain->certs[0]))
            return rr;
    }
    return NULL;
}

/* dane_verify - the chain against the set's usable records */
enum dane_status dane_verify(const struct dane_chain *chain,
                             const struct tlsa_set *set,
                             const char *const *names, size_t nnames,
                             time_t now, struct dane_result *result,
                             const char **why)
{
    struct attempt a = { .chain = chain, .now = now, .stage = STAGE_NONE,
                         .why = "no TLSA record matches the certificate chain",
                         .failure = DANE_FAIL_OTHER };
    const struct tlsa_rr *rr;
    enum dane_status st = DANE_NO_MATCH;

    set_failure(result, DANE_FAIL_OTHER);
    if (set == NULL || tlsa_set_usable_count(set) == 0) {
        *why = "no usable TLSA records";
        return DANE_NO_USABLE;
    }
    if (chain == NULL || chain->n == 0) {
        *why = "the server presented no certificate";
        return DANE_NO_MATCH;
    }
    /* DANE-EE needs no path: answer before any signature is checked */
    rr = dane_ee(chain, set);
    if (rr != NULL) {
        set_result(result, rr, NULL);
        return DANE_MATCH;
    }
    rr = dane_ta(&a, set);
    if (rr != NULL && nnames > 0 && !dane_leaf_name_match(chain, names, nnames))
        note(&a, STAGE_NAME, "leaf certificate matches none of the reference names",
             DANE_FAIL_NAME);
    else if (rr != NULL)
        st = DANE_MATCH;
    if (st == DANE_MATCH) {
        set_result(result, rr, &a.path);
    } else {
        *why = a.why;
        set_failure(result, a.failure);
    }
    pkix_chain_free(a.pkix);
    return st;
}
